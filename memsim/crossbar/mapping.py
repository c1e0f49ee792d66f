"""Weights <-> target conductances of one crossbar tile.

Convention: a layer computes ``y = x @ W`` with ``W`` of shape ``(n_in, n_out)``;
crossbar rows carry the inputs (row ``i`` is driven with ``V_i = x_i *
volts_per_unit``) and columns carry the outputs. A column current is
``I_k = sum_i V_i G_ik`` (ideal circuit: no wire resistance, ohmic devices).

Scaling: ``w_max`` is the weight magnitude that uses the whole conductance
range ``dG = g_max - g_min``; weights beyond ``±w_max`` are clipped to it.

Differential pair (``scheme="differential"``), physical columns interleaved,
``n_phys = 2 n_out``::

    G[:, 2j]   = g_min + dG * max(w_j, 0) / w_max_j      (G+)
    G[:, 2j+1] = g_min + dG * max(-w_j, 0) / w_max_j     (G-)
    I_diff_j   = I_2j - I_2j+1 = (dG / w_max_j) * sum_i V_i w_ij

Reference column (``scheme="reference"``), ``n_phys = n_out + 1``, the last
column a fixed reference at mid-range::

    G[:, j]     = g_mid + w_j * dG / (2 w_max_j),   g_mid = (g_min + g_max) / 2
    G[:, n_out] = g_mid
    I_diff_j    = I_j - I_ref = (dG / (2 w_max_j)) * sum_i V_i w_ij

In both cases ``I_diff = g_per_weight * volts_per_unit * (x @ W_clipped)``, which
:meth:`ConductanceMap.to_outputs` divides out. See e.g. Joshi et al., Nat.
Commun. 11:2473 (2020) for the differential pair, and CrossSim's
``BALANCED``/``OFFSET`` core styles for the two schemes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_array, check_choice, check_scalar
from ..errors import InputError, InputTypeError

SCHEMES = ("differential", "reference")


def outputs_per_tile(cols, scheme):
    """Weight columns a tile of ``cols`` physical columns holds: ``cols // 2``
    differential pairs, or ``cols - 1`` beside one reference column."""
    return cols // 2 if scheme == "differential" else cols - 1
CLIP_RULES = ("max", "percentile", "fixed")


@dataclass(frozen=True, eq=False)
class ConductanceMap:
    """Target conductances of a weight matrix and how to read them back.

    Made by :func:`map_weights`; the arrays are stored read-only.

    Parameters
    ----------
    g_target : ndarray, shape (n_in, n_phys)
        Target conductance of every device (S).
    w_max : ndarray, shape (n_out,)
        Weight magnitude mapped onto the full conductance range, per output
        column (weight units), > 0.
    scheme : {"differential", "reference"}
        How a signed weight is held by non-negative conductances.
    g_min, g_max : float
        Conductance range (S), ``0 <= g_min < g_max``.
    n_clipped : int
        Number of weights whose magnitude exceeded ``w_max`` and were clipped.
    """

    g_target: np.ndarray
    w_max: np.ndarray
    scheme: str
    g_min: float
    g_max: float
    n_clipped: int = 0

    def __post_init__(self):
        check_choice("scheme", self.scheme, SCHEMES)
        g_min = check_scalar("g_min", self.g_min, low=0.0)
        g_max = check_scalar("g_max", self.g_max, low=g_min, low_inclusive=False)
        w_max = check_array("w_max", self.w_max, ndim=1).copy()
        if np.any(w_max <= 0):
            raise InputError(f"w_max must be > 0 in every column, got {w_max.min()!r}")
        g = check_array("g_target", self.g_target, ndim=2).copy()
        n_phys = 2 * w_max.size if self.scheme == "differential" else w_max.size + 1
        if g.shape[1] != n_phys:
            raise InputError(f"g_target must have {n_phys} columns for scheme "
                             f"{self.scheme!r} and {w_max.size} outputs, got shape {g.shape}")
        n_clipped = check_scalar("n_clipped", self.n_clipped, low=0, integer=True)
        g.flags.writeable = False
        w_max.flags.writeable = False
        for name, value in (("g_target", g), ("w_max", w_max), ("g_min", g_min),
                            ("g_max", g_max), ("n_clipped", n_clipped)):
            object.__setattr__(self, name, value)

    @property
    def n_in(self):
        """Number of inputs (crossbar rows)."""
        return self.g_target.shape[0]

    @property
    def n_out(self):
        """Number of outputs (logical columns)."""
        return self.w_max.size

    @property
    def n_phys(self):
        """Number of physical crossbar columns."""
        return self.g_target.shape[1]

    @property
    def g_per_weight(self):
        """Differential conductance per weight unit, shape (n_out,) (S per unit).

        ``(g_max - g_min) / w_max`` (differential) or ``(g_max - g_min) /
        (2 w_max)`` (reference).
        """
        dg = self.g_max - self.g_min
        return dg / self.w_max if self.scheme == "differential" else dg / (2.0 * self.w_max)

    def _subtract(self, a):
        """Column-pair subtraction along the last axis (no validation)."""
        if self.scheme == "differential":
            return a[..., 0::2] - a[..., 1::2]
        return a[..., :-1] - a[..., -1:]

    def differential_currents(self, currents):
        """Analog subtraction before the ADC: (batch, n_phys) A -> (batch, n_out) A.

        ``I+ - I-`` per pair (differential) or ``I_j - I_ref`` (reference).
        """
        i = check_array("currents", currents, ndim=2)
        if i.shape[1] != self.n_phys:
            raise InputError(f"currents must have shape (batch, {self.n_phys}), "
                             f"got shape {i.shape}")
        return self._subtract(i)

    def to_outputs(self, diff_currents, volts_per_unit):
        """Weight-space outputs from differential currents.

        Parameters
        ----------
        diff_currents : array_like, shape (batch, n_out)
            Output of :meth:`differential_currents` (A), possibly after an ADC.
        volts_per_unit : float
            Row voltage per unit of input (V per unit), > 0; see
            :attr:`memsim.crossbar.DAC.volts_per_unit`.

        Returns
        -------
        ndarray, shape (batch, n_out)
            ``y = I_diff / (g_per_weight * volts_per_unit)``; equals ``x @ W``
            (clipped weights) for an ideal circuit.
        """
        i = check_array("diff_currents", diff_currents, ndim=2)
        if i.shape[1] != self.n_out:
            raise InputError(f"diff_currents must have shape (batch, {self.n_out}), "
                             f"got shape {i.shape}")
        vpu = check_scalar("volts_per_unit", volts_per_unit, low=0.0, low_inclusive=False)
        return self._to_outputs(i, vpu)

    def _to_outputs(self, i, vpu):
        """:meth:`to_outputs` without validation (the tiles' hot path)."""
        return i / (self.g_per_weight * vpu)

    def weights_from_conductances(self, g):
        """Effective weights (n_in, n_out) that conductances ``g`` compute.

        The inverse of the map for an ideal circuit: ``W = subtract(G) /
        g_per_weight``. Applied to :attr:`g_target` it returns the clipped
        weights; applied to programmed or drifted conductances (S), shape
        (n_in, n_phys), it returns what the array really holds.
        """
        g = check_array("g", g, ndim=2)
        if g.shape != self.g_target.shape:
            raise InputError(f"g must have shape {self.g_target.shape} (n_in, n_phys), "
                             f"got shape {g.shape}")
        return self._subtract(g) / self.g_per_weight


def weight_scale(weights, *, clip="max", clip_value=None, per_column=False):
    """The weight that maps onto a full conductance step, per output column.

    Parameters as :func:`map_weights` (``clip``, ``clip_value``,
    ``per_column``; module notes). A matrix split over tiles takes its scale
    once, here, and maps each tile's block with ``clip="fixed"``.

    Returns
    -------
    w_max : ndarray, shape (n_out,)
        Weight units; a scale of 0 (an all-zero column) is 1.0.
    n_clipped : int
        Weights with ``|w| > w_max``.
    """
    w = check_array("weights", weights, ndim=2)
    check_choice("clip", clip, CLIP_RULES)
    if not isinstance(per_column, (bool, np.bool_)):
        raise InputTypeError(f"per_column must be True or False, got {per_column!r}")
    a = np.abs(w)
    axis = 0 if per_column else None
    if clip == "max":
        if clip_value is not None:
            raise InputError(f"clip_value must be None for clip='max', got {clip_value!r}")
        w_max = a.max(axis=axis)
    elif clip == "percentile":
        if clip_value is None:
            raise InputError("clip_value must be a percentile in (0, 100] for "
                             "clip='percentile', got None")
        q = check_scalar("clip_value", clip_value, low=0.0, high=100.0, low_inclusive=False)
        w_max = np.percentile(a, q, axis=axis)
    else:
        if clip_value is None:
            raise InputError("clip_value must be a w_max > 0 for clip='fixed', got None")
        if np.ndim(clip_value) == 0:
            w_max = check_scalar("clip_value", clip_value, low=0.0, low_inclusive=False)
        else:
            w_max = check_array("clip_value", clip_value, ndim=1)
            if w_max.shape != (w.shape[1],) or np.any(w_max <= 0.0):
                raise InputError(f"clip_value for clip='fixed' must be a w_max > 0 or one "
                                 f"w_max > 0 per output column, shape ({w.shape[1]},); got "
                                 f"{clip_value!r}")
    w_max = np.broadcast_to(np.asarray(w_max, dtype=float), (w.shape[1],)).copy()
    w_max[w_max == 0.0] = 1.0
    return w_max, int(np.count_nonzero(a > w_max))


def map_weights(weights, g_min, g_max, *, scheme="differential", clip="max",
                clip_value=None, per_column=False):
    """Map a weight matrix onto target conductances.

    Parameters
    ----------
    weights : array_like, shape (n_in, n_out)
        Finite weights of ``y = x @ W``; rows are crossbar inputs.
    g_min : float
        Smallest target conductance (S), >= 0.
    g_max : float
        Largest target conductance (S), > g_min.
    scheme : {"differential", "reference"}, default="differential"
        Differential pair of columns per output, or one column per output
        plus a shared mid-range reference column (see the module notes).
    clip : {"max", "percentile", "fixed"}, default="max"
        How ``w_max`` is chosen: the largest ``|w|``; the ``clip_value``-th
        percentile of ``|w|``; or ``clip_value`` itself.
    clip_value : float or None, default=None
        None for ``"max"``; a percentile in (0, 100] for ``"percentile"``;
        ``w_max`` > 0 (weight units) for ``"fixed"``, or one per output
        column (shape (n_out,)), e.g. computed once for a matrix split over
        several tiles.
    per_column : bool, default=False
        Compute ``w_max`` per output column (``"max"``/``"percentile"``)
        instead of once for the whole matrix. No effect for ``"fixed"``.

    Returns
    -------
    ConductanceMap

    Notes
    -----
    A ``w_max`` of 0 (an all-zero matrix or column, or a percentile that
    falls on zeros) would divide by zero; such columns use ``w_max = 1.0``.
    Weights with ``|w| > w_max`` are clipped to ``±w_max`` and counted in
    ``n_clipped``.

    Examples
    --------
    >>> m = map_weights([[0.5, -1.0]], 1e-6, 11e-6)
    >>> (m.g_target * 1e6).round(6).tolist()
    [[6.0, 1.0, 1.0, 11.0]]
    >>> m.weights_from_conductances(m.g_target).round(12).tolist()
    [[0.5, -1.0]]
    """
    w = check_array("weights", weights, ndim=2)
    g_min = check_scalar("g_min", g_min, low=0.0)
    g_max = check_scalar("g_max", g_max, low=g_min, low_inclusive=False)
    check_choice("scheme", scheme, SCHEMES)
    w_max, n_clipped = weight_scale(w, clip=clip, clip_value=clip_value, per_column=per_column)
    w_c = np.clip(w, -w_max, w_max)
    dg = g_max - g_min
    if scheme == "differential":
        g = np.empty((w.shape[0], 2 * w.shape[1]))
        g[:, 0::2] = g_min + dg * np.maximum(w_c, 0.0) / w_max
        g[:, 1::2] = g_min + dg * np.maximum(-w_c, 0.0) / w_max
    else:
        g_mid = 0.5 * (g_min + g_max)
        g = np.empty((w.shape[0], w.shape[1] + 1))
        g[:, :-1] = g_mid + w_c * dg / (2.0 * w_max)
        g[:, -1] = g_mid
    # Guard the bounds against float rounding at |w| = w_max.
    np.clip(g, g_min, g_max, out=g)
    return ConductanceMap(g, w_max, scheme, g_min, g_max, n_clipped)
