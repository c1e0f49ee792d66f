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

Endurance and retention (Lammie, Rahimi Azghadi and Ielmini, "Empirical metal-oxide
RRAM device endurance and retention model for deep learning simulations",
Semicond. Sci. Technol. 36:065003, 2021; the forms as implemented in MemTorch,
``memtorch/bh/nonideality/endurance_retention_models/empirical_metal_oxide_RRAM.py``).
Every device counts its write cycles ``n``; memsim counts each pulse as one cycle
(the data count full SET/RESET cycles, so this ages a device at least as fast).
Beyond ``N_th = endurance_cycles`` the window closes as the model's gradual mode
moves the on and off resistances::

    R_on(n) = R_on (n / N_th)^k_on,   R_off(n) = R_off (n / N_th)^k_off      (n > N_th)
    g_max(n) = g_max (n / N_th)^-k_on, g_min(n) = min(g_min (n / N_th)^-k_off, g_max(n))

and a device whose cycles reach its budget ``B`` fails stuck at its ``g_min`` (the
sudden mode's stable state, far above R_off). ``B = failure_cycles exp(s N(0, 1))``
per device, drawn when the array is made; the lognormal spread ``s``
(``failure_spread``) is memsim's form, and the presets ship ``s = 0`` because no
source at hand measures it. A device that was programmed and then left alone
loses conductance in its low-resistance state after a temperature-dependent onset
(the gradual retention mode)::

    Tc   = min(T_ref / T, 1),   t_th = p0 exp(p2 Tc)                        (s)
    G(t) = max(G (t / t_th)^(-p3 p2 Tc), g_min)      for t > t_th and R < (R_on + R_off) / 2

For ``T >= T_ref`` the onset is Arrhenius, ``t_th = p0 exp(E_a / k_B T)`` with
``E_a = k_B T_ref p2``. ``t`` is the time since the last write; devices in their
high-resistance state keep their conductance, as in the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._kernels import _pulse
from .._validation import as_generator, check_array, check_scalar
from ..errors import InputError, InputTypeError
from ._params import params_from_dict, params_to_dict
from .base import Device, compensation_factor
from .faults import STUCK_MIN, Faults
from .nonlinearity import a_norm_from_nl, check_nl, inverse_curve

_MAX_REDRAWS = 100

#: Retention fit of Ti/HfOx/TiN RRAM (Lammie et al., Semicond. Sci. Technol. 2021, as
#: used in its reproduction code, coreylammie/SST-Reproducibility simulate_6C.py; fitted
#: to bakes at 473-573 K): PulseParams fields that age low-resistance states.
HFOX_RETENTION = {"retention_p0": 1.541e-13, "retention_p2": 63.43, "retention_p3": 0.04,
                  "retention_t_ref": 298.0}


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
    endurance_cycles : float, default=0.0
        ``N_th`` (cycles): the window starts closing after it; 0 is no endurance model.
    endurance_exp_on, endurance_exp_off : float, default=0.0
        ``k_on``, ``k_off``: exponents of the on and off resistances against cycles
        (``k_on > 0`` and ``k_off < 0`` close the window).
    failure_cycles : float, default=0.0
        Median write cycles before a device fails stuck at ``g_min``; 0 is never.
    failure_spread : float, default=0.0
        ``s``: standard deviation of the log of the per-device budget.
    retention_p0 : float, default=0.0
        ``p0`` (s) of the retention onset; 0 is no retention model.
    retention_p2, retention_p3 : float, default=0.0
        ``p2`` and ``p3`` of the retention model (dimensionless).
    retention_t_ref : float, default=298.0
        ``T_ref`` (K), below which the onset no longer grows.
    temperature : float, default=298.0
        Operating temperature ``T`` (K).
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
    endurance_cycles: float = 0.0
    endurance_exp_on: float = 0.0
    endurance_exp_off: float = 0.0
    failure_cycles: float = 0.0
    failure_spread: float = 0.0
    retention_p0: float = 0.0
    retention_p2: float = 0.0
    retention_p3: float = 0.0
    retention_t_ref: float = 298.0
    temperature: float = 298.0
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
        for name in ("v_ltp", "v_ltd", "endurance_exp_on", "endurance_exp_off",
                     "retention_p2", "retention_p3"):
            check_scalar(name, getattr(self, name))
        for name in ("endurance_cycles", "failure_cycles", "failure_spread", "retention_p0"):
            check_scalar(name, getattr(self, name), low=0.0)
        for name in ("retention_t_ref", "temperature"):
            check_scalar(name, getattr(self, name), low=0.0, low_inclusive=False)
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
    cycles : ndarray of int64
        Write cycles (pulses) each device has taken.
    budget : ndarray
        Cycles at which each device fails (``inf``: never).
    g_min0, g_max0 : ndarray
        Bounds (S) of the fresh devices, before the window closes; ``g_min`` and
        ``g_max`` are the present ones.
    pulses_applied : int
        Total number of pulses applied so far (for write energy).
    """

    g: np.ndarray
    a_ltp: np.ndarray
    a_ltd: np.ndarray
    g_min: np.ndarray
    g_max: np.ndarray
    stuck: np.ndarray
    cycles: np.ndarray
    budget: np.ndarray
    g_min0: np.ndarray
    g_max0: np.ndarray
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
        self.drifts = params.retention_p0 > 0.0

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
        budget = np.full(n, np.inf)
        if p.failure_cycles:
            # a stream of its own, so that the draws above are those of a model without it
            spread = p.failure_spread * rng.spawn(1)[0].standard_normal(n) \
                if p.failure_spread else 0.0
            budget = p.failure_cycles * np.exp(spread) * np.ones(n)
        g_min0, g_max0 = g_min, g_max
        if p.endurance_cycles:      # every device's window closes at its own pace
            g_min, g_max = (np.broadcast_to(b, (n,)).copy() for b in (g_min, g_max))
        return PulseState(g, np.ascontiguousarray(a_ltp), np.ascontiguousarray(a_ltd),
                          g_min, g_max, stuck, np.zeros(n, dtype=np.int64), budget,
                          g_min0, g_max0)

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
        live = state.stuck == 0
        state.cycles += np.where(live, np.abs(pulses), 0)
        self._wear(state)
        return state

    def window(self, cycles, g_min=None, g_max=None):
        """Conductance window ``(g_min(n), g_max(n))`` (S) after ``cycles`` write cycles
        (module notes), of fresh bounds ``g_min``, ``g_max`` (default the nominal ones)."""
        p = self.params
        g_min = p.g_min if g_min is None else g_min
        g_max = p.g_max if g_max is None else g_max
        cycles = np.asarray(cycles, float)
        ratio = (np.maximum(cycles / p.endurance_cycles, 1.0) if p.endurance_cycles
                 else np.ones_like(cycles))
        hi = g_max * ratio ** -p.endurance_exp_on
        return np.minimum(g_min * ratio ** -p.endurance_exp_off, hi), hi

    def _wear(self, state):
        """Close the windows and fail the devices that their cycles say (module notes)."""
        p = self.params
        if p.endurance_cycles:
            state.g_min[:], state.g_max[:] = self.window(state.cycles, state.g_min0,
                                                         state.g_max0)
            np.clip(state.g, state.g_min, state.g_max, out=state.g)
        if p.failure_cycles:
            failed = (state.cycles >= state.budget) & (state.stuck == 0)
            if failed.any():
                state.stuck[failed] = STUCK_MIN
                state.g[failed] = np.broadcast_to(state.g_min, state.g.shape)[failed]

    def retention_onset(self):
        """``t_th`` (s): the time after a write from which low-resistance states lose
        conductance at the operating temperature; ``inf`` without a retention model."""
        p = self.params
        if not p.retention_p0:
            return float("inf")
        return p.retention_p0 * np.exp(p.retention_p2 * min(p.retention_t_ref / p.temperature,
                                                            1.0))

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
        """Conductances (S) ``t`` seconds after the last write (no read noise);
        ``compensate`` scales them by ``sum G(0) / sum G(t)`` (retention models only)."""
        t = check_scalar("t", t, low=0.0)
        if compensate and not self.drifts:
            raise InputError("compensate applies to devices that change after a write; "
                             "this pulse device has no retention model (retention_p0 = 0)")
        g = self.conductances(state, t)
        if compensate:
            g *= compensation_factor(float(state.g.sum()), g)
        return g

    def conductances(self, state, t):
        """Conductances (S) ``t`` seconds after the last write (one time, or one per
        device): the state's, with the retention loss of low-resistance states after
        the onset (module notes)."""
        g = state.g.copy()
        onset = self.retention_onset()
        t = np.broadcast_to(np.asarray(t, dtype=float), g.shape)
        aged = t > onset
        if aged.any():
            p = self.params
            lo = np.broadcast_to(state.g_min, g.shape)
            hi = np.broadcast_to(state.g_max, g.shape)
            low_resistance = g > 2.0 * lo * hi / (lo + hi)       # R < (R_on + R_off) / 2
            tc = min(p.retention_t_ref / p.temperature, 1.0)
            ratio = np.where(aged, t, onset) / onset
            decayed = np.maximum(g * ratio ** (-p.retention_p3 * p.retention_p2 * tc), lo)
            g = np.where(aged & low_resistance & (state.stuck == 0), decayed, g)
        return g

    def __repr__(self):
        return f"PulseDevice({self.params!r})"
