"""Compact memristor models with state: how a cell switches under a voltage waveform.

Each model has a state ``x`` between bounds, a state equation ``dx/dt = F(x, v)``
and a current ``I(x, v)``; SI units throughout (V, A, s, m, ohm, K, eV).

VTEAM (Kvatinsky, Ramadan, Friedman and Kolodny, IEEE TCAS-II 62:786, 2015; the
equations as restated by Biolek, Kolka, Biolkova, Biolek and Kvatinsky, IEEE Access
9:30242, 2021, eqs. 1-5), state ``w`` (m) in ``[w_on, w_off]``::

    dw/dt = k_off (v/v_off - 1)^alpha_off f_off(w)    v > v_off > 0
          = 0                                        v_on <= v <= v_off
          = k_on  (v/v_on  - 1)^alpha_on  f_on(w)     v < v_on < 0       (k_on < 0 < k_off)
    linear I-V:       I = v / (R_on + (R_off - R_on) s)
    exponential I-V:  I = v / R_on exp(-ln(R_off/R_on) s),   s = (w - w_on)/(w_off - w_on)

with a window ``f`` of the normalised state ``s``: none (rectangular), Joglekar
``1 - (2s - 1)^(2p)`` (Joglekar and Wolf, Eur. J. Phys. 30:661, 2009), Biolek
``1 - (s - stp(-i))^(2p)``, ``stp(i) = 1 for i >= 0`` (Biolek, Biolek and Biolkova,
Radioengineering 18:210, 2009; it vanishes only at the bound the state moves
towards), Prodromakis ``j (1 - ((s - 1/2)^2 + 3/4)^p)`` (Prodromakis et al., IEEE
TED 58:3099, 2011), or Kvatinsky's ``f_off = exp(-exp((w - a_off)/w_c))``,
``f_on = exp(-exp((a_on - w)/w_c))`` on ``w`` itself (TEAM, IEEE TCAS-I 60:211,
2013). The window formulas were checked against the TEAM report (CCIT 804, 2012)
and the Technion Verilog-A models.

Yakopcic (Yakopcic, Taha, Subramanyam, Pino and Rogers, IEEE EDL 32:1436, 2011,
eqs. 1-6, as in Yakopcic's own SPICE subcircuit and in Xyce), state ``x`` in [0, 1]::

    I = a1 x sinh(b v)  (v >= 0),   a2 x sinh(b v)  (v < 0)
    g(v) = A_p (e^v - e^{V_p})  (v > V_p),  -A_n (e^{-v} - e^{V_n})  (v < -V_n),  0 otherwise
    f(x) = e^{-alpha_p (x - x_p)} w_p(x)  if eta v > 0 and x >= x_p
         = e^{alpha_n (x + x_n - 1)} w_n(x)  if eta v <= 0 and x <= 1 - x_n;  1 otherwise
    w_p = (x_p - x)/(1 - x_p) + 1,   w_n = x/(1 - x_n),   dx/dt = eta g(v) f(x)

(``v`` enters the exponentials of ``g`` in volts, as published.)

Stanford-PKU RRAM (Jiang, Yu, Wong et al.; Stanford RRAM model v1.0.0, doi
10.4231/D37H1DN48, 2014, as its Verilog-A and MemTorch's ``Stanford_PKU`` implement
it), state: the filament gap ``g`` (m) in ``[gap_min, gap_max]``::

    I = I0 exp(-g/g0) sinh(v/V0)
    dg/dt = -vel0 exp(-q E_a / (k_B T)) sinh(gamma a0 q v / (t_ox k_B T))
    gamma = gamma0 - beta (g / g1)^3,   gamma = 0 where gamma |v| / t_ox < F_min
    T = T0 + |v I| R_th                (quasi-static Joule heating)

without the model's optional random gap term (its ``model_switch = 0`` default).

Integration: :func:`memsim._kernels._compact.integrate` (Dormand-Prince 5(4) with
error control per device, states kept within their bounds, never stepping over
a waveform breakpoint); its NumPy twin is :func:`memsim.devices._reference.integrate_compact`.
A step size below ``h_min`` raises :class:`~memsim.errors.ConvergenceError`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._kernels import _compact
from .._validation import check_array, check_choice, check_scalar
from ..errors import ComputationError, ConvergenceError, InputError
from ._reference import compact_conductance, compact_current, compact_rate

WINDOWS = ("none", "joglekar", "biolek", "prodromakis", "kvatinsky")


def _finite(obj, names):
    for name in names:
        check_scalar(name, getattr(obj, name))


class _Params:
    """What every compact model's parameters share: a flat dict round trip."""

    label: ClassVar[str] = ""
    state_name: ClassVar[str] = "state"        # the state variable and its unit, for figures

    def window_vector(self):
        """Window code and parameters of the kernel (none here)."""
        return 0, []

    def to_dict(self):
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, values):
        """Build from :meth:`to_dict` output (unknown keys raise, naming them)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown {cls.label} parameter(s) {unknown}; allowed: "
                             f"{sorted(known)}")
        return cls(**values)


@dataclass(frozen=True)
class VTEAMParams(_Params):
    """VTEAM parameters (SI: m/s, V, m, ohm); module notes give the equations.

    ``window`` is one of :data:`WINDOWS`; ``window_p`` (Joglekar, Biolek: a
    positive integer; Prodromakis: > 0) and ``window_j`` (Prodromakis) shape it;
    ``a_on``, ``a_off``, ``w_c`` (m) are Kvatinsky's. ``w0`` is the initial state.
    """

    label: ClassVar[str] = "vteam"
    state_name: ClassVar[str] = "w (m)"
    k_on: float
    k_off: float
    alpha_on: float
    alpha_off: float
    v_on: float
    v_off: float
    w_on: float
    w_off: float
    r_on: float
    r_off: float
    w0: float
    iv: str = "linear"
    window: str = "none"
    window_p: float = 1.0
    window_j: float = 1.0
    a_on: float | None = None
    a_off: float | None = None
    w_c: float | None = None

    def __post_init__(self):
        _finite(self, ("k_on", "k_off", "alpha_on", "alpha_off", "v_on", "v_off", "w_on",
                       "w_off", "r_on", "r_off", "w0", "window_p", "window_j"))
        check_scalar("k_on", self.k_on, high=0.0, high_inclusive=False)
        check_scalar("k_off", self.k_off, low=0.0, low_inclusive=False)
        check_scalar("v_on", self.v_on, high=0.0, high_inclusive=False)
        check_scalar("v_off", self.v_off, low=0.0, low_inclusive=False)
        check_scalar("alpha_on", self.alpha_on, low=0.0, low_inclusive=False)
        check_scalar("alpha_off", self.alpha_off, low=0.0, low_inclusive=False)
        check_scalar("w_off", self.w_off, low=self.w_on, low_inclusive=False)
        check_scalar("w0", self.w0, low=self.w_on, high=self.w_off)
        check_scalar("r_on", self.r_on, low=0.0, low_inclusive=False)
        check_scalar("r_off", self.r_off, low=self.r_on, low_inclusive=False)
        check_choice("iv", self.iv, ("linear", "exponential"))
        check_choice("window", self.window, WINDOWS)
        if self.window in ("joglekar", "biolek"):
            check_scalar("window_p", self.window_p, low=1, integer=True)
        check_scalar("window_p", self.window_p, low=0.0, low_inclusive=False)
        check_scalar("window_j", self.window_j, low=0.0, low_inclusive=False)
        if self.window == "kvatinsky":
            for name in ("a_on", "a_off"):
                if getattr(self, name) is None:
                    raise InputError(f"window 'kvatinsky' needs {name} (m), the state where "
                                     f"its window closes, within [w_on, w_off]")
                check_scalar(name, getattr(self, name), low=self.w_on, high=self.w_off)
            if self.w_c is None:
                raise InputError("window 'kvatinsky' needs w_c (m), the width of its edge")
            check_scalar("w_c", self.w_c, low=0.0, low_inclusive=False)

    bounds = property(lambda self: (self.w_on, self.w_off))
    x0 = property(lambda self: self.w0)

    def vector(self):
        return [self.k_on, self.k_off, self.alpha_on, self.alpha_off, self.v_on, self.v_off,
                self.w_on, self.w_off, self.r_on, self.r_off,
                0.0 if self.iv == "linear" else 1.0]

    def window_vector(self):
        code = WINDOWS.index(self.window)
        if code == 4:
            return code, [self.a_on, self.a_off, self.w_c]
        return code, [self.window_p, self.window_j]


@dataclass(frozen=True)
class YakopcicParams(_Params):
    """Yakopcic parameters: ``a1``, ``a2`` (A), ``b`` (1/V), ``v_p``, ``v_n`` (V, both
    > 0), ``a_p``, ``a_n`` (1/s), ``x_p``, ``x_n``, ``alpha_p``, ``alpha_n``, ``eta``
    (dimensionless), ``x0`` the initial state; module notes give the equations."""

    label: ClassVar[str] = "yakopcic"
    state_name: ClassVar[str] = "x"
    a1: float
    a2: float
    b: float
    v_p: float
    v_n: float
    a_p: float
    a_n: float
    x_p: float
    x_n: float
    alpha_p: float
    alpha_n: float
    x0: float
    eta: float = 1.0

    def __post_init__(self):
        for name in ("a1", "a2", "b", "v_p", "v_n", "a_p", "a_n", "alpha_p", "alpha_n"):
            check_scalar(name, getattr(self, name), low=0.0)
        for name in ("x_p", "x_n"):
            check_scalar(name, getattr(self, name), low=0.0, high=1.0, high_inclusive=False)
        check_scalar("x0", self.x0, low=0.0, high=1.0)
        if check_scalar("eta", self.eta) not in (1.0, -1.0):
            raise InputError(f"eta must be 1 or -1 (the direction of motion), got {self.eta!r}")

    bounds = property(lambda self: (0.0, 1.0))

    def vector(self):
        return [self.a1, self.a2, self.b, self.v_p, self.v_n, self.a_p, self.a_n, self.x_p,
                self.x_n, self.alpha_p, self.alpha_n, self.eta]


@dataclass(frozen=True)
class StanfordPKUParams(_Params):
    """Stanford-PKU RRAM parameters (SI: A, m, V, m/s, eV, K, K/W, V/m); module
    notes give the equations. ``gap0`` is the initial gap."""

    label: ClassVar[str] = "stanford-pku"
    state_name: ClassVar[str] = "gap (m)"
    i0: float
    g0: float
    v0: float
    vel0: float
    e_a: float
    a0: float
    t_ox: float
    gamma0: float
    beta: float
    g1: float
    f_min: float
    t0: float
    r_th: float
    gap_min: float
    gap_max: float
    gap0: float

    def __post_init__(self):
        for name in ("i0", "g0", "v0", "vel0", "a0", "t_ox", "g1", "t0", "gap_min"):
            check_scalar(name, getattr(self, name), low=0.0, low_inclusive=False)
        for name in ("e_a", "gamma0", "beta", "f_min", "r_th"):
            check_scalar(name, getattr(self, name), low=0.0)
        check_scalar("gap_max", self.gap_max, low=self.gap_min, low_inclusive=False)
        check_scalar("gap0", self.gap0, low=self.gap_min, high=self.gap_max)

    bounds = property(lambda self: (self.gap_min, self.gap_max))
    x0 = property(lambda self: self.gap0)

    def vector(self):
        return [self.i0, self.g0, self.v0, self.vel0, self.e_a, self.a0, self.t_ox,
                self.gamma0, self.beta, self.g1, self.f_min, self.t0, self.r_th,
                self.gap_min, self.gap_max]


_CODES = {VTEAMParams: 0, YakopcicParams: 1, StanfordPKUParams: 2}


@dataclass(frozen=True)
class Sine:
    """``v(t) = amplitude sin(2 pi frequency t)`` (V, Hz)."""

    amplitude: float
    frequency: float

    def __post_init__(self):
        check_scalar("amplitude", self.amplitude)
        check_scalar("frequency", self.frequency, low=0.0, low_inclusive=False)

    def __call__(self, t):
        return self.amplitude * np.sin(2.0 * np.pi * self.frequency * np.asarray(t))


@dataclass(frozen=True)
class PiecewiseLinear:
    """Voltage linear between ``(times[k], volts[k])``; a repeated time is a step.

    ``volts`` is (K,) or (n_devices, K): one waveform per device. Outside
    ``[times[0], times[-1]]`` the waveform is not defined (evaluating it there
    raises).
    """

    times: np.ndarray
    volts: np.ndarray

    def __post_init__(self):
        t = check_array("times", self.times, ndim=1)
        v = check_array("volts", self.volts)
        if v.ndim not in (1, 2) or v.shape[-1] != t.size or t.size < 2:
            raise InputError(f"volts must be (K,) or (n_devices, K) with K = len(times) >= 2, "
                             f"got times {t.shape} and volts {v.shape}")
        if np.any(np.diff(t) < 0):
            raise InputError("times must not decrease")
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "volts", np.atleast_2d(v))

    def __call__(self, t):
        """Voltage at ``t`` (right-continuous at a step), one row per waveform."""
        t = np.asarray(t, dtype=float)
        if np.any(t < self.times[0]) or np.any(t > self.times[-1]):
            raise InputError(f"the waveform is defined on [{self.times[0]}, {self.times[-1]}] "
                             f"s, asked at {t.min()}..{t.max()} s")
        k = np.clip(np.searchsorted(self.times, t, side="right") - 1, 0, self.times.size - 2)
        ta, tb = self.times[k], self.times[k + 1]
        frac = np.where(tb > ta, (t - ta) / np.where(tb > ta, tb - ta, 1.0), 0.0)
        return self.volts[:, k] + (self.volts[:, k + 1] - self.volts[:, k]) * frac


@dataclass(frozen=True)
class Trace:
    """States and currents of ``n`` devices at ``time``.

    Attributes
    ----------
    time : ndarray, shape (T,)
    voltage, current, state : ndarray, shape (n, T)
        V, A, and the model's state (m for VTEAM and Stanford-PKU, 1 for Yakopcic).
    stats : dict
        ``accepted``, ``rejected`` steps and ``evaluations`` of the state equation.
    """

    time: np.ndarray
    voltage: np.ndarray
    current: np.ndarray
    state: np.ndarray
    stats: dict


class StateIV:
    """A compact model as the I-V law of a circuit: the array's "conductances" are the
    cells' states, ``current(x, v)`` and ``conductance(x, v) = dI/dv`` the model's,
    so :class:`~memsim.crossbar.Crossbar` solves an array of cells at their present
    state (:mod:`memsim.crossbar.writes` steps the states between solves)."""

    def __init__(self, model):
        self.model = model

    def current(self, x, v):
        return compact_current(self.model.code, self.model.params.vector(), x, v)

    def conductance(self, x, v):
        return compact_conductance(self.model.code, self.model.params.vector(), x, v)

    def __repr__(self):
        return f"StateIV({type(self.model.params).__name__})"


class CompactModel:
    """A compact memristor model with state (module notes): VTEAM, Yakopcic or
    Stanford-PKU, from its parameters.

    Parameters
    ----------
    params : VTEAMParams, YakopcicParams or StanfordPKUParams
    """

    def __init__(self, params):
        if type(params) not in _CODES:
            raise InputError(f"params must be VTEAMParams, YakopcicParams or StanfordPKUParams, "
                             f"got {type(params).__name__}")
        self.params = params
        self.code = _CODES[type(params)]
        self.bounds = params.bounds

    def current(self, state, v):
        """Current (A) at state ``state`` and voltage ``v`` (V), broadcast."""
        return compact_current(self.code, self.params.vector(), np.asarray(state, float),
                               np.asarray(v, float))

    def rate(self, state, v):
        """``dx/dt`` (state units per s) at ``state`` and ``v`` (V), broadcast."""
        code, wpar = self.params.window_vector()
        lo, hi = self.bounds
        return compact_rate(self.code, self.params.vector(), code, wpar,
                            np.clip(np.asarray(state, float), lo, hi), np.asarray(v, float))

    def conductance(self, state, v_read):
        """Read conductance ``I(state, v_read) / v_read`` (S)."""
        v_read = check_scalar("v_read", v_read)
        if v_read == 0.0:
            raise InputError("v_read must be nonzero (the conductance is I / v_read)")
        return self.current(state, v_read) / v_read

    def simulate(self, waveform, times, x0=None, *, rtol=1e-8, atol=1e-10, h_max=None,
                 n_devices=1):
        """Integrate the state of every device under ``waveform``.

        Parameters
        ----------
        waveform : Sine or PiecewiseLinear
            The drive (a PiecewiseLinear with one row per device drives each its own).
        times : array_like, shape (T,)
            Output times (s), increasing, ``times[0]`` the start (within the
            waveform's span for a PiecewiseLinear).
        x0 : float or array_like, optional
            Initial state(s); default the preset's.
        rtol, atol : float
            Error control per step: ``atol`` is a fraction of the state's span.
        h_max : float, optional
            Largest step (s); default 1/50 of a sine's period, else the span.
        n_devices : int, default=1
            Devices (rows), when neither ``x0`` nor the waveform says.

        Returns
        -------
        Trace

        Raises
        ------
        ConvergenceError
            If a step had to shrink below ``1e-14`` of the span (stiffness or a
            non-finite rate).
        ComputationError
            If a state or current is not finite (the model overflows).
        """
        args = self._plan(waveform, times, x0, rtol, atol, h_max, n_devices)
        x_out = np.empty((args["x0"].size, args["n_out"]))
        stats = np.zeros(4, dtype=np.int64)
        status = _compact.integrate(*args["call"], x_out, stats)
        self._raise_if_failed(status, stats, args)
        t = args["times"]
        # at a voltage step the waveform is right-continuous: so are the currents
        volts = self._volts(waveform, t, x_out.shape[0])
        with np.errstate(over="ignore", invalid="ignore"):     # checked just below
            i_out = self.current(x_out, volts)
        bad = ~(np.isfinite(x_out) & np.isfinite(i_out))
        if bad.any():
            d, k = np.argwhere(bad)[0]
            raise ComputationError(f"non-finite state or current of device {d} at t = {t[k]:g} s "
                                   f"(the model overflows at this drive); lower the amplitude")
        return Trace(t, volts, i_out, x_out,
                     {"accepted": int(stats[0]), "rejected": int(stats[1]),
                      "evaluations": int(stats[2])})

    def _volts(self, waveform, t, n):
        v = waveform(t)
        return np.broadcast_to(np.atleast_2d(v), (n, t.size)).copy()

    def _plan(self, waveform, times, x0, rtol, atol, h_max, n_devices):
        """Validated arguments of the kernel (and of its NumPy twin)."""
        times = check_array("times", times, ndim=1)
        if times.size < 1 or np.any(np.diff(times) <= 0):
            raise InputError("times must be a non-empty, strictly increasing array (s)")
        rtol = check_scalar("rtol", rtol, low=1e-14, high=1e-2)
        atol = check_scalar("atol", atol, low=0.0, high=1e-2, low_inclusive=False)
        lo, hi = self.bounds
        n_wave = 1
        if isinstance(waveform, Sine):
            wave, freq = 0, waveform.frequency
            wave_t, wave_v = np.zeros(1), np.array([[waveform.amplitude]])
            stops = times
            seg = np.zeros(times.size, dtype=np.int64)
            default_h = 1.0 / (50.0 * freq)
        elif isinstance(waveform, PiecewiseLinear):
            wave, freq = 1, 0.0
            wave_t, wave_v = waveform.times, waveform.volts
            n_wave = wave_v.shape[0]
            if times[0] < wave_t[0] or times[-1] > wave_t[-1]:
                raise InputError(f"times must lie within the waveform's [{wave_t[0]}, "
                                 f"{wave_t[-1]}] s, got [{times[0]}, {times[-1]}]")
            inside = wave_t[(wave_t > times[0]) & (wave_t < times[-1])]
            stops = np.unique(np.concatenate([times, inside]))
            # the segment holding the interval ending at each stop (at stop 0: starting there)
            seg = np.searchsorted(wave_t, stops, side="left") - 1
            seg[0] = np.searchsorted(wave_t, stops[0], side="right") - 1
            seg = np.clip(seg, 0, wave_t.size - 2).astype(np.int64)
            default_h = times[-1] - times[0]
        else:
            raise InputError(f"waveform must be a Sine or a PiecewiseLinear, got "
                             f"{type(waveform).__name__}")
        span = max(times[-1] - times[0], 1e-300)
        h_max = default_h if h_max is None else check_scalar("h_max", h_max, low=0.0,
                                                             low_inclusive=False)
        x = np.asarray(self.params.x0 if x0 is None else x0, dtype=float)
        n = max(x.size, n_wave, check_scalar("n_devices", n_devices, low=1, integer=True))
        x = check_array("x0", np.broadcast_to(x, (n,)) if x.size in (1, n) else x, ndim=1,
                        low=lo, high=hi).copy()
        if x.size != n or n_wave not in (1, n):
            raise InputError(f"x0 ({x.size}) and the waveform's rows ({n_wave}) must agree "
                             f"with each other and with n_devices ({n_devices})")
        out_index = np.full(stops.size, -1, dtype=np.int64)
        out_index[np.searchsorted(stops, times)] = np.arange(times.size)
        code, wpar = self.params.window_vector()
        call = (self.code, np.ascontiguousarray(self.params.vector(), dtype=float), code,
                np.asarray(wpar, dtype=float), x, float(lo), float(hi), wave, float(freq),
                np.ascontiguousarray(wave_t, dtype=float),
                np.ascontiguousarray(wave_v, dtype=float), np.ascontiguousarray(stops),
                out_index, seg, rtol, atol * (hi - lo), min(h_max, span), 1e-14 * span)
        return {"call": call, "x0": x, "n_out": times.size, "times": times, "rtol": rtol}

    def _raise_if_failed(self, status, stats, args):
        if status:
            raise ConvergenceError(
                f"the state equation of device {int(stats[3])} did not converge: the step "
                f"size fell below 1e-14 of the time span (a stiff or non-finite rate); "
                f"lower the drive or the time span", residual=math.inf, rtol=args["rtol"],
                n_iter=int(stats[0] + stats[1]), index=int(stats[3]))

    def iv_loop(self, amplitude, frequency, cycles=2, points=200, **kwargs):
        """The state and current under ``amplitude sin(2 pi frequency t)``.

        Parameters
        ----------
        amplitude : float
            V.
        frequency : float
            Hz.
        cycles : int, default=2
        points : int, default=200
            Output points per cycle.
        **kwargs
            Passed to :meth:`simulate` (``x0``, ``rtol``, ...).

        Returns
        -------
        Trace
        """
        cycles = check_scalar("cycles", cycles, low=1, integer=True)
        points = check_scalar("points", points, low=4, integer=True)
        wave = Sine(amplitude, frequency)
        return self.simulate(wave, np.arange(cycles * points + 1) / (points * wave.frequency),
                             **kwargs)

    def pulse_ramp(self, amplitude, width, count, read_voltage=0.1, x0=None, **kwargs):
        """Conductance (S) read at ``read_voltage`` after each of ``count`` pulses.

        Each pulse holds ``amplitude`` (V) for ``width`` (s). Between pulses the
        cell is at 0 V, where no model here changes state, so the gaps need no
        integration; the read is the model's current at ``read_voltage``
        (instantaneous: read disturb is not modelled). Unless ``x0`` is given, the
        cell starts at the bound the pulses drive it away from.

        Returns
        -------
        ndarray, shape (n_devices, count + 1)
            The conductance before the first pulse, then after each.
        """
        amplitude = check_scalar("amplitude", amplitude)
        width = check_scalar("width", width, low=0.0, low_inclusive=False)
        count = check_scalar("count", count, low=1, integer=True)
        read_voltage = check_scalar("read_voltage", read_voltage)
        if read_voltage == 0.0:
            raise InputError("read_voltage must be nonzero (the conductance is I / V_read)")
        if x0 is None:
            lo, hi = self.bounds
            x0 = lo if self.rate(0.5 * (lo + hi), amplitude) >= 0 else hi
        wave = PiecewiseLinear(np.array([0.0, count * width]), np.array([amplitude, amplitude]))
        trace = self.simulate(wave, np.arange(count + 1) * width, x0, **kwargs)
        return self.conductance(trace.state, read_voltage)
