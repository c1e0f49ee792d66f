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
- State polynomial: ``I = G V + a2(G) V^2 + a3(G) V^3``, ``dI/dV = G + 2 a2 V + 3 a3 V^2``,
  with coefficients that depend on the state; :func:`milo2021` is the fit to the
  measured I-V curves of HfO2 RRAM of Milo et al. (IRPS 2021, Fig. 1) between
  -0.5 and 0.5 V, as implemented in CrossSim (``RRAM_Milo``).
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


@dataclass(frozen=True)
class StatePolynomial:
    """State-dependent polynomial device: ``I = G V + a2(G) V^2 + a3(G) V^3``.

    The coefficients are polynomials in ``log10(G / 1 S)``::

        a_k(G) = sum_p c_kp log10(G_c)^p    (A/V^k),   G_c = clip(G, g_lo, g_hi)

    Below ``g_lo`` the relative nonlinearity ``a_k / G`` is held at its ``g_lo``
    value (so a device of 0 S carries no current), above ``g_hi`` the
    coefficients are held: outside the measured states nothing says more.

    Parameters
    ----------
    a2, a3 : tuple of float
        Coefficients ``c_kp`` in increasing powers of ``log10(G / 1 S)``.
    g_range : (float, float)
        ``(g_lo, g_hi)`` (S), the states the fit covers.
    v_max : float
        Largest ``|V|`` (V) the fit covers; a crossbar refuses larger inputs.
    source : str
        Where the fit comes from.
    """

    a2: tuple
    a3: tuple
    g_range: tuple
    v_max: float
    source: str = ""
    name = "polynomial"

    def __post_init__(self):
        for key in ("a2", "a3"):
            object.__setattr__(self, key, tuple(
                float(check_scalar(f"{key}[{p}]", c)) for p, c in enumerate(getattr(self, key))))
        lo, hi = (float(check_scalar(f"g_range[{i}]", g, low=0.0, low_inclusive=False))
                  for i, g in enumerate(self.g_range))
        if not lo < hi:
            raise InputError(f"g_range must be (g_lo, g_hi) with 0 < g_lo < g_hi (S), got "
                             f"{self.g_range!r}")
        object.__setattr__(self, "g_range", (lo, hi))
        check_scalar("v_max", self.v_max, low=0.0, low_inclusive=False)

    def coefficients(self, g):
        """``(a2, a3)`` (A/V^2, A/V^3) at conductances ``g`` (S)."""
        g = np.asarray(g, dtype=np.float64)
        lo, hi = self.g_range
        log_g = np.log10(np.clip(g, lo, hi))
        scale = np.where(g < lo, g / lo, 1.0)
        return tuple(scale * np.polynomial.polynomial.polyval(log_g, c)
                     for c in (self.a2, self.a3))

    def current(self, g, v):
        """Current (A) through small-signal conductance ``g`` (S) at ``v`` (V)."""
        a2, a3 = self.coefficients(g)
        return v * (g + v * (a2 + v * a3))

    def conductance(self, g, v):
        """Differential conductance ``dI/dV = G + 2 a2 V + 3 a3 V^2`` (S)."""
        a2, a3 = self.coefficients(g)
        return g + v * (2.0 * a2 + 3.0 * a3 * v)

    def check_voltages(self, v, name="voltages"):
        """Refuse voltages outside the fit's ``[-v_max, v_max]`` (V), naming ``name``."""
        worst = float(np.max(np.abs(v))) if np.size(v) else 0.0
        if worst > self.v_max:
            raise InputError(f"{name} reach {worst:g} V; the {self.name} I-V law holds only "
                             f"within +-{self.v_max:g} V ({self.source or 'its fit'})")

    def to_dict(self):
        return {"law": self.name, "a2": list(self.a2), "a3": list(self.a3),
                "g_range": list(self.g_range), "v_max": self.v_max, "source": self.source}


MILO2021_SOURCE = ("Milo et al., 'Optimized programming algorithms for multilevel RRAM in "
                   "hardware neural networks', IEEE IRPS 2021, Fig. 1 (I-V of four states, "
                   "62.5-110 uS, within +-0.5 V); fit as implemented in CrossSim "
                   "simulator/devices/custom/RRAM_Milo.py, which adds NL2 = NL3 = 0 at 225 uS")


def milo2021():
    """Milo et al.'s state-dependent I-V (IRPS 2021), CrossSim's fit: ``a2`` cubic and
    ``a3`` quadratic in ``log10(G / 1 S)``, states 62.5-225 uS, within +-0.5 V."""
    return StatePolynomial(a2=(0.007063, 0.005711, 0.001541, 0.0001388),
                           a3=(1.2968e-03, 6.7919e-04, 8.8710e-05),
                           g_range=(62.5e-6, 225e-6), v_max=0.5, source=MILO2021_SOURCE)


IV_LAWS = ("ohmic", "sinh", "milo2021")


def iv_law(name, v0=None):
    """Return the I-V law called ``name`` (one of :data:`IV_LAWS`).

    Parameters
    ----------
    name : str
        ``"ohmic"``, ``"sinh"`` or ``"milo2021"`` (:func:`milo2021`).
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
    if name == "milo2021":
        if v0 is not None:
            raise InputError(f"v0 applies only to the sinh law, got v0={v0!r} with 'milo2021'")
        return milo2021()
    raise InputError(f"iv law must be one of {', '.join(map(repr, IV_LAWS))}; got {name!r}")
