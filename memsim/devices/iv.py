"""Current-voltage laws of a single device.

Each law maps a conductance ``G`` (S) and a voltage ``V`` (V) across the device
to a current ``I`` (A), and gives ``dI/dV`` (S) for Newton solvers. ``G`` is
always the small-signal conductance at 0 V, so every law agrees with Ohm's law
for ``|V| << v0``.

- Ohmic:  ``I = G V``
- Sinh:   ``I = G v0 sinh(V / v0)``, ``dI/dV = G cosh(V / v0)``; the
  symmetric sinh law of tunnelling/hopping conduction through a thin
  barrier used for RRAM and PCM read nonlinearity (e.g. Yang et al.,
  Nat. Nanotechnol. 3:429, 2008; CrossSim's nonlinear I-V option).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_scalar
from ..errors import InputError


@dataclass(frozen=True)
class Ohmic:
    """Linear device: ``I = G V``."""

    name = "ohmic"

    def current(self, g, v):
        """Current (A) through conductance ``g`` (S) at voltage ``v`` (V)."""
        return np.multiply(g, v)

    def conductance(self, g, v):
        """Differential conductance ``dI/dV`` (S)."""
        return np.broadcast_to(np.asarray(g, float), np.broadcast_shapes(np.shape(g),
                                                                        np.shape(v))).copy()

    def to_dict(self):
        return {"law": self.name}


@dataclass(frozen=True)
class Sinh:
    """Sinh device: ``I = G v0 sinh(V / v0)``.

    Parameters
    ----------
    v0 : float
        Characteristic voltage (V), > 0. Smaller means more nonlinear.
    """

    v0: float
    name = "sinh"

    def __post_init__(self):
        check_scalar("v0", self.v0, low=0.0, low_inclusive=False)

    def current(self, g, v):
        """Current (A) through small-signal conductance ``g`` (S) at ``v`` (V)."""
        return np.multiply(g, self.v0 * np.sinh(np.divide(v, self.v0)))

    def conductance(self, g, v):
        """Differential conductance ``dI/dV = G cosh(V / v0)`` (S)."""
        return np.multiply(g, np.cosh(np.divide(v, self.v0)))

    def to_dict(self):
        return {"law": self.name, "v0": self.v0}


def iv_law(name, v0=None):
    """Return the I-V law called ``name`` (``"ohmic"`` or ``"sinh"``).

    Parameters
    ----------
    name : str
        ``"ohmic"`` or ``"sinh"``.
    v0 : float, optional
        Characteristic voltage (V), required for ``"sinh"``.
    """
    if name == "ohmic":
        if v0 is not None:
            raise InputError(f"v0 applies only to the sinh law, got v0={v0!r} with 'ohmic'")
        return Ohmic()
    if name == "sinh":
        if v0 is None:
            raise InputError("the sinh law needs v0 (V), got None")
        return Sinh(v0)
    raise InputError(f"iv law must be one of 'ohmic', 'sinh'; got {name!r}")
