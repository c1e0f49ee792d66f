"""Pulse-programmed devices (RRAM, ECRAM, FeFET, ...) with NeuroSim's update model.

Each device moves along a nonlinear curve per direction
(:mod:`memsim.devices.nonlinearity`)::

    G(P) = B (1 - exp(-P / A)) + g_min,   B = (g_max - g_min) / (1 - exp(-P_max / A))

n > 0 pulses (potentiation, LTP) move the device from its current pulse
position ``P = G^-1(g)`` on the LTP curve (``A = a_ltp``, ``P_max = levels``)
to ``G(P + n)``; n < 0 pulses (depression, LTD) move it to ``G(P + n)`` on the
LTD curve (``A = a_ltd``, ``P_max = levels_ltd``). ``A`` comes from the NL
label of the device table through NeuroSim's ``getParamA`` table times
``P_max``. After each write (MLP+NeuroSim V3.0, Cell.cpp, RealDevice::Write)::

    g <- clip(G(P + n) + c2c * (g_max - g_min) * sqrt(|n|) * N(0, 1), g_min, g_max)

Device-to-device variation, drawn once per device when the array is made
(NeuroSim RealDevice constructor): ``NL + N(0, d2d_nl)`` separately for LTP
and LTD before the table lookup; ``g_min + N(0, d2d_g_min)`` and
``g_max + N(0, d2d_g_max)`` (S), redrawn while ``0 <= g_min < g_max`` fails.
The cycle-to-cycle sigma uses the nominal range. These devices do not drift:
a read returns the stored conductance.

Programming to a target (open loop, as a pulse train from reset): the device
starts at its own ``g_min`` and receives ``round(G_ltp^-1(g_target))`` LTP
pulses on its own curve, with the cycle-to-cycle noise of that many pulses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._kernels import _pulse
from .._validation import as_generator, check_array, check_scalar
from ..errors import InputError, InputTypeError
from ._params import params_from_dict, params_to_dict
from .base import Device
from .faults import Faults
from .nonlinearity import a_norm_from_nl, check_nl, inverse_curve

_MAX_REDRAWS = 100


@dataclass(frozen=True)
class PulseParams:
    """Parameters of a pulse-programmed device (SI units).

    Parameters
    ----------
    g_min, g_max : float
        Conductance bounds (S), ``0 <= g_min < g_max``. From a device table:
        ``g_max = 1 / R_on``, ``g_min = g_max / (on/off ratio)``.
    levels : int
        Pulses for a full potentiation ramp g_min -> g_max (NeuroSim
        ``maxNumLevelLTP``), >= 2.
    nl_ltp, nl_ltd : float
        NeuroSim nonlinearity labels, ``0.01 <= |NL| <= 9``; the usual
        depression label is negative.
    levels_ltd : int, default=0
        Pulses for a full depression ramp; 0 means the same as ``levels``.
    c2c : float, default=0.0
        Cycle-to-cycle sigma per pulse as a fraction of ``g_max - g_min``.
    d2d_nl : float, default=0.0
        Device-to-device sigma of the NL labels (label units).
    d2d_g_min, d2d_g_max : float, default=0.0
        Device-to-device sigma of the bounds (S).
    v_ltp, t_ltp : float, default=0.0
        Potentiation pulse amplitude (V) and width (s); 0 when unknown.
    v_ltd, t_ltd : float, default=0.0
        Depression pulse amplitude (V) and width (s); 0 when unknown.
    faults : Faults, default=Faults()
        Stuck-at fractions and target quantisation.
    """

    g_min: float
    g_max: float
    levels: int
    nl_ltp: float
    nl_ltd: float
    levels_ltd: int = 0
    c2c: float = 0.0
    d2d_nl: float = 0.0
    d2d_g_min: float = 0.0
    d2d_g_max: float = 0.0
    v_ltp: float = 0.0
    t_ltp: float = 0.0
    v_ltd: float = 0.0
    t_ltd: float = 0.0
    faults: Faults = Faults()

    def __post_init__(self):
        check_scalar("g_min", self.g_min, low=0.0)
        check_scalar("g_max", self.g_max, low=0.0, low_inclusive=False)
        if not self.g_min < self.g_max:
            raise InputError(f"g_min must be < g_max, got g_min={self.g_min!r} S, "
                             f"g_max={self.g_max!r} S")
        object.__setattr__(self, "levels", check_scalar("levels", self.levels, low=2,
                                                        integer=True))
        levels_ltd = check_scalar("levels_ltd", self.levels_ltd, low=0, integer=True)
        if levels_ltd == 1:
            raise InputError("levels_ltd must be 0 (same as levels) or >= 2, got 1")
        object.__setattr__(self, "levels_ltd", levels_ltd)
        for name in ("nl_ltp", "nl_ltd"):
            object.__setattr__(self, name, float(check_scalar(name, getattr(self, name))))
            check_nl(name, getattr(self, name))
        check_scalar("c2c", self.c2c, low=0.0, high=1.0)
        for name in ("d2d_nl", "d2d_g_min", "d2d_g_max", "t_ltp", "t_ltd"):
            check_scalar(name, getattr(self, name), low=0.0)
        for name in ("v_ltp", "v_ltd"):
            check_scalar(name, getattr(self, name))
        if not isinstance(self.faults, Faults):
            raise InputTypeError(f"faults must be a Faults instance, got {self.faults!r}")

    @property
    def p_max_ltp(self):
        """Pulses of a full potentiation ramp."""
        return self.levels

    @property
    def p_max_ltd(self):
        """Pulses of a full depression ramp."""
        return self.levels_ltd or self.levels

    @property
    def a_ltp(self):
        """Nominal LTP nonlinearity parameter A (pulses)."""
        return a_norm_from_nl(self.nl_ltp) * self.p_max_ltp

    @property
    def a_ltd(self):
        """Nominal LTD nonlinearity parameter A (pulses)."""
        return a_norm_from_nl(self.nl_ltd) * self.p_max_ltd

    def to_dict(self):
        """Flat dictionary of the parameters, SI units, snake-case keys."""
        return params_to_dict(self)

    @classmethod
    def from_dict(cls, values):
        """Build from a flat dictionary (unknown or missing keys raise ``ValueError``)."""
        missing = sorted({"g_min", "g_max", "levels", "nl_ltp", "nl_ltd"} - set(values))
        if missing:
            raise InputError(f"missing pulse-device parameter(s) {missing}")
        return params_from_dict(cls, values, "pulse-device")


@dataclass
class PulseState:
    """Conductances and per-device parameters of a batch of pulse devices.

    Per-device arrays have one entry per device, or a single entry when the
    corresponding device-to-device spread is zero (shared value).

    Attributes
    ----------
    g : ndarray
        Present conductance (S) of each device.
    a_ltp, a_ltd : ndarray
        Nonlinearity parameters (pulses).
    g_min, g_max : ndarray
        Conductance bounds (S).
    stuck : ndarray of int8
        Fault codes (see :mod:`memsim.devices.faults`); stuck devices ignore pulses.
    pulses_applied : int
        Total number of pulses applied so far (for write energy).
    """

    g: np.ndarray
    a_ltp: np.ndarray
    a_ltd: np.ndarray
    g_min: np.ndarray
    g_max: np.ndarray
    stuck: np.ndarray
    pulses_applied: int = 0


class PulseDevice(Device):
    """A pulse-programmed device model (NeuroSim nonlinear update).

    Parameters
    ----------
    params : PulseParams

    Examples
    --------
    >>> import numpy as np
    >>> dev = PulseDevice(PulseParams(g_min=1e-6, g_max=1e-5, levels=64,
    ...                               nl_ltp=2.0, nl_ltd=-2.0))
    >>> state = dev.make(4, seed=0)
    >>> _ = dev.apply_pulses(state, np.array([64, 32, 0, -5]), seed=1)
    >>> np.round(state.g * 1e6, 2).tolist()
    [10.0, 7.25, 1.0, 1.0]
    """

    kind = "pulse"

    def __init__(self, params):
        if not isinstance(params, PulseParams):
            raise InputTypeError(f"params must be PulseParams, got {params!r}")
        self.params = params

    def make(self, n_devices, seed):
        """Make ``n_devices`` fresh devices at their own ``g_min``.

        Draws device-to-device variation and faults from ``seed``.

        Returns
        -------
        PulseState
        """
        p = self.params
        n = check_scalar("n_devices", n_devices, low=1, integer=True)
        rng = as_generator(seed)
        if p.d2d_nl:
            a_ltp = a_norm_from_nl(p.nl_ltp + p.d2d_nl * rng.standard_normal(n)) * p.p_max_ltp
            a_ltd = a_norm_from_nl(p.nl_ltd + p.d2d_nl * rng.standard_normal(n)) * p.p_max_ltd
        else:
            a_ltp, a_ltd = np.array([p.a_ltp]), np.array([p.a_ltd])
        g_min, g_max = self._draw_bounds(n, rng)
        stuck = p.faults.draw(n, rng)
        g = np.broadcast_to(g_min, (n,)).copy()
        p.faults.apply_stuck(g, stuck, np.broadcast_to(g_min, (n,)),
                             np.broadcast_to(g_max, (n,)))
        return PulseState(g, np.ascontiguousarray(a_ltp), np.ascontiguousarray(a_ltd),
                          g_min, g_max, stuck)

    def _draw_bounds(self, n, rng):
        p = self.params
        if not (p.d2d_g_min or p.d2d_g_max):
            return np.array([p.g_min]), np.array([p.g_max])
        g_min = np.full(n, p.g_min)
        g_max = np.full(n, p.g_max)
        todo = np.arange(n)
        for _ in range(_MAX_REDRAWS):
            g_min[todo] = p.g_min + p.d2d_g_min * rng.standard_normal(todo.size)
            g_max[todo] = p.g_max + p.d2d_g_max * rng.standard_normal(todo.size)
            todo = todo[(g_min[todo] < 0) | (g_min[todo] >= g_max[todo])]
            if todo.size == 0:
                return g_min, g_max
        raise InputError(f"d2d_g_min={p.d2d_g_min!r} S and d2d_g_max={p.d2d_g_max!r} S are "
                         f"too large for g_min={p.g_min!r} S, g_max={p.g_max!r} S: "
                         f"{_MAX_REDRAWS} redraws left {todo.size} devices with "
                         "g_min < 0 or g_min >= g_max")

    def apply_pulses(self, state, pulses, seed):
        """Apply signed pulse counts, in place (Cython kernel).

        Parameters
        ----------
        state : PulseState
            Devices to update; ``state.g`` changes in place.
        pulses : array_like of int
            Pulses per device: > 0 potentiation, < 0 depression, 0 none.
        seed : int or numpy.random.Generator
            Source of the cycle-to-cycle noise.

        Returns
        -------
        PulseState
            ``state`` itself.
        """
        pulses = self._check_pulses(state, pulses)
        rng = as_generator(seed)
        p = self.params
        stuck = state.stuck if np.any(state.stuck) else np.empty(0, np.int8)
        state.pulses_applied += _pulse.apply_pulses(
            state.g, pulses, state.a_ltp, state.a_ltd, state.g_min, state.g_max,
            float(p.p_max_ltp), float(p.p_max_ltd), p.c2c * (p.g_max - p.g_min),
            stuck, rng.bit_generator)
        return state

    def _check_pulses(self, state, pulses):
        arr = np.asarray(pulses)
        if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and
                                               np.all(np.isfinite(arr)) and
                                               np.all(arr == np.rint(arr))):
            raise InputTypeError(f"pulses must be whole numbers, got dtype {arr.dtype}")
        arr = check_array("pulses", arr, ndim=1, dtype=np.int64)
        if arr.shape != state.g.shape:
            raise InputError(f"pulses must have one entry per device, shape {state.g.shape}, "
                             f"got {arr.shape}")
        return arr

    def program(self, g_target, seed):
        """Program fresh devices to targets by LTP pulse trains from reset.

        Parameters
        ----------
        g_target : array_like
            Target conductances (S) in ``[g_min, g_max]`` (nominal).
        seed : int or numpy.random.Generator
            Source of device variation, faults and cycle-to-cycle noise.

        Returns
        -------
        PulseState
        """
        p = self.params
        g_target = check_array("g_target", g_target, ndim=1, low=p.g_min, high=p.g_max)
        rng = as_generator(seed)
        g_target = p.faults.quantize(g_target, p.g_min, p.g_max)
        state = self.make(g_target.size, rng)
        lo, hi = state.g_min, state.g_max
        target = np.clip(g_target, lo, hi)
        position = inverse_curve(target, state.a_ltp, p.p_max_ltp, lo, hi)
        pulses = np.clip(np.rint(position), 0, p.p_max_ltp).astype(np.int64)
        return self.apply_pulses(state, pulses, rng)

    def read(self, state, t=0.0, seed=None, *, compensate=False):
        """Conductances (S) ``t`` seconds after the last write (no drift, no read noise)."""
        check_scalar("t", t, low=0.0)
        if compensate:
            raise InputError("compensate applies to drifting devices; pulse devices "
                             "have no drift model")
        return self.conductances(state, t)

    def conductances(self, state, t):
        """Conductances (S) at any time after the last write: the state's (a copy)."""
        return state.g.copy()

    def __repr__(self):
        return f"PulseDevice({self.params!r})"
