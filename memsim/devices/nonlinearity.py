"""NeuroSim's nonlinear weight-update curve and its NL <-> A conversion.

A pulse-programmed device walks along one curve per direction (Chen, Peng & Yu,
IEEE TCAD 37:3067, 2018, eqs. 8-10; MLP+NeuroSim V3.0 formula.cpp)::

    G(P) = B (1 - exp(-P / A)) + g_min,   B = (g_max - g_min) / (1 - exp(-P_max / A))

``P`` is the pulse position in [0, P_max] (P_max = number of levels of that
direction), ``A`` (pulses) sets the nonlinearity. Potentiation (LTP) moves
``P`` up by the number of pulses, depression (LTD) moves it down along the
LTD curve, which has its own ``A`` (negative for the usual depression shape:
then ``B < 0`` and the curve is convex, steps largest near ``g_max``).

Device tables quote the nonlinearity as a label NL in [-9, 9]. NeuroSim
converts it with ``getParamA``: ``A = sign(NL) * A_NORM[floor(100 |NL|) - 1] *
P_max``, a lookup in a 900-entry table (NL = 0.01 ... 9.00, step 0.01, no
interpolation; :mod:`memsim.devices._neurosim_table`). memsim uses the same
table and the same truncation, with one deliberate difference: NeuroSim's
double-precision ``(int)(|NL| * 100)`` maps 53 two-decimal labels (e.g. 2.30)
to the entry below through rounding error; memsim adds 1e-9 before the floor
so that every two-decimal label maps to its own entry.

The inverse (A -> NL) interpolates the table linearly in ``log A``, so it is
exact on the table's labels and continuous in between (used by the fit).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ._neurosim_table import A_NORM

NL_MIN = 0.01
NL_MAX = 9.0
_TABLE = np.asarray(A_NORM, dtype=np.float64)
_LABELS = np.arange(1, _TABLE.size + 1) / 100.0


def check_nl(name, nl):
    """Raise ``ValueError`` unless ``NL_MIN <= |nl| <= NL_MAX`` (every element)."""
    arr = np.asarray(nl, dtype=np.float64)
    mag = np.abs(arr)
    bad = ~np.isfinite(arr) | (mag < NL_MIN - 1e-12) | (mag > NL_MAX + 1e-12)
    if np.any(bad):
        value = arr.ravel()[np.flatnonzero(bad.ravel())[0]]
        raise InputError(f"{name} must satisfy {NL_MIN} <= |{name}| <= {NL_MAX} "
                         f"(NeuroSim's table), got {value!r}")
    return arr


def a_norm_from_nl(nl):
    """Normalised nonlinearity ``A / P_max`` for NL labels (NeuroSim ``getParamA``).

    Parameters
    ----------
    nl : float or array_like
        Nonlinearity labels; ``|nl|`` outside [0.01, 9] uses the nearest end
        of the table, as NeuroSim does (check with :func:`check_nl` first
        where out-of-range labels are an input error).

    Returns
    -------
    float or ndarray
        ``sign(nl) * A_NORM[index]``; NL = 0 gives ``-A_NORM[0]`` as in NeuroSim.
    """
    nl = np.asarray(nl, dtype=np.float64)
    index = np.clip(np.floor(np.abs(nl) * 100.0 + 1e-9).astype(np.int64) - 1, 0, 899)
    sign = np.where(nl > 0, 1.0, -1.0)
    out = sign * _TABLE[index]
    return float(out) if out.ndim == 0 else out


def nl_from_a_norm(a_norm):
    """NL label for a normalised ``A / P_max`` (inverse of :func:`a_norm_from_nl`).

    Interpolates the table linearly in ``log A``: exact at the table's
    labels, continuous between them.

    Raises
    ------
    ValueError
        If ``|a_norm|`` lies outside the table (NL outside [0.01, 9]).
    """
    a = np.asarray(a_norm, dtype=np.float64)
    mag = np.abs(a)
    lo, hi = _TABLE[-1], _TABLE[0]
    if np.any(~np.isfinite(a) | (mag < lo * (1 - 1e-12)) | (mag > hi * (1 + 1e-12))):
        raise InputError(f"normalised A must satisfy {lo} <= |A/P_max| <= {hi} "
                         f"(NL in [{NL_MIN}, {NL_MAX}]), got {a_norm!r}")
    # the table decreases with NL; np.interp needs increasing abscissae
    nl = np.interp(np.log(mag), np.log(_TABLE[::-1]), _LABELS[::-1])
    out = np.sign(a) * nl
    return float(out) if out.ndim == 0 else out


def curve(p, a, p_max, g_min, g_max):
    """Conductance (S) at pulse position ``p`` on the curve with parameter ``a``.

    ``G = B (1 - exp(-p / a)) + g_min``, ``B = (g_max - g_min) / (1 - exp(-p_max / a))``;
    ``a`` and ``p_max`` in pulses, broadcasting over arrays.
    """
    b = (g_max - g_min) / (1.0 - np.exp(-p_max / a))
    return b * (1.0 - np.exp(-p / a)) + g_min


def inverse_curve(g, a, p_max, g_min, g_max):
    """Pulse position at which the curve with parameter ``a`` reaches ``g`` (S).

    ``P = -a ln(1 - (g - g_min) / B)``, the inverse of :func:`curve`
    (NeuroSim ``InvNonlinearWeight``).
    """
    b = (g_max - g_min) / (1.0 - np.exp(-p_max / a))
    return -a * np.log(1.0 - (g - g_min) / b)
