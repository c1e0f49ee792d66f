"""Device faults and finite conductance resolution.

Stuck-at faults: a fraction ``p_stuck_min`` of the devices is stuck at ``g_min``
and a fraction ``p_stuck_max`` at ``g_max``, drawn independently per device
once, when the array is made; a stuck device ignores programming, pulses and
drift. Finite levels: a target conductance is rounded to the nearest of
``levels`` equally spaced values in ``[g_min, g_max]``::

    G_q = g_min + round((G - g_min) / dG) * dG,   dG = (g_max - g_min) / (levels - 1)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._validation import check_scalar
from ..errors import InputError

#: Fault codes stored per device (int8).
HEALTHY, STUCK_MIN, STUCK_MAX = 0, 1, 2


@dataclass(frozen=True)
class Faults:
    """Stuck-at fractions and finite conductance levels.

    Parameters
    ----------
    p_stuck_min : float, default=0.0
        Fraction of devices stuck at ``g_min``, in [0, 1].
    p_stuck_max : float, default=0.0
        Fraction of devices stuck at ``g_max``, in [0, 1].
    target_levels : int, default=0
        Number of programmable conductance levels; 0 means continuous.
    """

    p_stuck_min: float = 0.0
    p_stuck_max: float = 0.0
    target_levels: int = 0

    def __post_init__(self):
        check_scalar("p_stuck_min", self.p_stuck_min, low=0.0, high=1.0)
        check_scalar("p_stuck_max", self.p_stuck_max, low=0.0, high=1.0)
        if self.p_stuck_min + self.p_stuck_max > 1.0:
            raise InputError("p_stuck_min + p_stuck_max must be <= 1, got "
                             f"{self.p_stuck_min!r} + {self.p_stuck_max!r}")
        levels = check_scalar("target_levels", self.target_levels, low=0, integer=True)
        if levels == 1:
            raise InputError("target_levels must be 0 (continuous) or >= 2, got 1")

    @staticmethod
    def field_names():
        return [f.name for f in dataclasses.fields(Faults)]

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        return cls(**values)

    def draw(self, shape, rng):
        """Draw fault codes (int8 array of ``shape``) with ``rng``."""
        codes = np.zeros(shape, dtype=np.int8)
        if self.p_stuck_min or self.p_stuck_max:
            u = rng.random(shape)
            codes[u < self.p_stuck_min] = STUCK_MIN
            codes[(u >= self.p_stuck_min) & (u < self.p_stuck_min + self.p_stuck_max)] = STUCK_MAX
        return codes

    def apply_stuck(self, g, codes, g_min, g_max):
        """Set stuck devices of ``g`` (in place) to ``g_min``/``g_max``; return ``g``.

        ``g_min`` and ``g_max`` may be scalars or per-device arrays (S).
        """
        if self.p_stuck_min or self.p_stuck_max:
            for code, bound in ((STUCK_MIN, g_min), (STUCK_MAX, g_max)):
                mask = codes == code
                g[mask] = bound[mask] if np.ndim(bound) else bound
        return g

    def quantize(self, g, g_min, g_max):
        """Round ``g`` (S) to the nearest of ``target_levels`` levels; copy if continuous."""
        return quantize(g, self.target_levels, g_min, g_max)


def quantize(g, levels, g_min, g_max):
    """Round conductances to ``levels`` equally spaced values in ``[g_min, g_max]``.

    Parameters
    ----------
    g : ndarray
        Conductances (S).
    levels : int
        Number of levels (>= 2), or 0 for no quantisation.
    g_min, g_max : float or ndarray
        Range (S).

    Returns
    -------
    ndarray
        A new array; ``g`` is not modified.
    """
    g = np.array(g, dtype=np.float64, copy=True)
    if levels == 0:
        return g
    step = (np.asarray(g_max) - np.asarray(g_min)) / (levels - 1)
    k = np.clip(np.rint((g - g_min) / step), 0, levels - 1)
    return g_min + k * step
