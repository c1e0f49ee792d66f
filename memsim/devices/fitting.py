"""Fit device parameters to measured data, with uncertainties.

Pulse ramps (:func:`fit_pulse_ramps`)
-------------------------------------
Each potentiation run is a list of conductances read after successive
identical pulses, read k = 0, 1, ... at pulse position k; each depression run
starts at the top (position ``P_d``) and reads position ``P_d - k``. The mean
curve is NeuroSim's model (:mod:`memsim.devices.nonlinearity`) in the
curvature form ``u = P_max / A`` (smooth through the linear device u = 0)::

    G_ltp(k) = g_min + (g_max - g_min) h(min(k, P_p) / P_p; u_p)
    G_ltd(k) = g_min + (g_max - g_min) h(max(P_d - k, 0) / P_d; u_d)
    h(s; u)  = (1 - exp(-u s)) / (1 - exp(-u))

``P_p``, ``P_d`` (``levels``, ``levels_ltd``) are the median run lengths minus
one. ``g_min, g_max, u_p, u_d`` minimise the squared error over every read of
every run (scipy.optimize.least_squares, trust-region reflective); NL labels
follow from ``A / P_max = 1 / u`` through NeuroSim's table.

Cycle-to-cycle noise: in NeuroSim's model each pulse moves a device from its
present conductance along the curve and adds ``c2c (g_max - g_min) N(0, 1)``,
so the one-step residual ``G_{k+1} - G(G^-1(G_k) +- 1)`` has standard
deviation ``c2c (g_max - g_min)``; ``c2c`` is that residual's RMS over all
steps, pairs that end on a bound (clipped) excluded. Read noise of the
measurement adds to it: c2c is an upper bound when reads are noisy.

Run-to-run spread: each run fitted alone (its own ``g_min, g_max, u``); the
standard deviation over runs of ``g_min``, ``g_max`` and the NL labels.

Uncertainty: bootstrap over runs (runs resampled with replacement, LTP and
LTD separately, everything refitted); the standard deviation of each
parameter over the resamples.

Drift (:func:`fit_drift`)
-------------------------
Per device, ordinary least squares of ``ln G = ln G0 - nu ln((t + t0) / t0)``;
devices grouped by state (given labels, or quantile bins of ``G0``); per state
the mean of nu and its spread, the spread corrected for the estimation noise
of each nu (``sigma^2 = var(nu_i) - mean(se_i^2)``, floored at 0).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.optimize import least_squares

from .._validation import as_generator, check_array, check_scalar
from ..errors import InputError
from .nonlinearity import NL_MAX, NL_MIN, a_norm_from_nl, nl_from_a_norm
from .presets import Preset
from .pulse import PulseParams

_U_MAX = 1.0 / a_norm_from_nl(NL_MAX)    # most curved shape in NeuroSim's table
_U_MIN = 1.0 / a_norm_from_nl(NL_MIN)    # below this |u| the device is linear to the table


class FitError(InputError):
    """A fit that cannot be done or did not converge."""


def _h(s, u):
    """Normalised curve h(s; u), exact limit s for u -> 0."""
    u = np.asarray(u, float)
    small = np.abs(u) < 1e-8
    u_safe = np.where(small, 1.0, u)
    return np.where(small, s, np.expm1(-u_safe * s) / np.expm1(-u_safe))


def _model(theta, k_ltp, p_ltp, k_ltd, p_ltd):
    g_min, g_max, u_p, u_d = theta
    s_p = np.minimum(k_ltp, p_ltp) / p_ltp
    s_d = np.maximum(p_ltd - k_ltd, 0) / p_ltd
    span = g_max - g_min
    return g_min + span * _h(s_p, u_p), g_min + span * _h(s_d, u_d)


def _stack(runs):
    k = np.concatenate([np.arange(r.size) for r in runs]) if runs else np.empty(0)
    g = np.concatenate(runs) if runs else np.empty(0)
    return k.astype(float), g


def _fit_curves(ltp, ltd, p_ltp, p_ltd, theta0=None):
    """Least-squares fit of (g_min, g_max, u_p, u_d); returns theta and the result."""
    k_p, g_p = _stack(ltp)
    k_d, g_d = _stack(ltd)
    data = np.concatenate([g_p, g_d])
    scale = float(np.max(data) - np.min(data)) or float(np.max(data)) or 1.0
    if theta0 is None:
        theta0 = np.array([np.min(data), np.max(data), 0.0, 0.0])

    def residual(theta):
        m_p, m_d = _model(theta, k_p, p_ltp, k_d, p_ltd)
        return (np.concatenate([m_p, m_d]) - data) / scale

    # bounds keep u inside NeuroSim's table (|NL| <= 9) and g_min >= 0
    lo = [0.0, 0.0, -_U_MAX, -_U_MAX]
    hi = [np.inf, np.inf, _U_MAX, _U_MAX]
    theta0 = np.clip(theta0, np.array(lo) + 1e-12, np.array(hi) - 1e-12)
    res = least_squares(residual, theta0, bounds=(lo, hi), x_scale=[scale, scale, 1, 1],
                        xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=2000)
    if not res.success:
        raise FitError(f"pulse-curve fit did not converge after {res.nfev} evaluations: "
                       f"{res.message} (cost {res.cost:.3g})")
    if not res.x[0] < res.x[1]:
        raise FitError(f"fit gave g_min={res.x[0]!r} >= g_max={res.x[1]!r}; the ramps do "
                       "not span a conductance range")
    return res.x, res


def _nl_from_u(u):
    """NL label for curvature u = P_max / A; clamped to the table's ends."""
    mag = min(max(abs(u), _U_MIN), _U_MAX)
    sign = 1.0 if u >= 0 else -1.0
    return float(nl_from_a_norm(sign / mag))


def _step_residuals(runs, theta, p_max, u, direction):
    """One-step residuals G_{k+1} - G(G^-1(G_k) + direction), unclipped pairs only."""
    g_min, g_max = theta[0], theta[1]
    span = g_max - g_min
    out = []
    for r in runs:
        s = np.clip((r[:-1] - g_min) / span, 0.0, 1.0)
        # invert h: s = (1 - e^{-u x}) / (1 - e^{-u})  ->  x
        if abs(u) < 1e-8:
            x = s
        else:
            x = -np.log1p(s * np.expm1(-u)) / u
        x_next = np.clip(x + direction / p_max, 0.0, 1.0)
        pred = g_min + span * _h(x_next, u)
        resid = r[1:] - pred
        inside = (r[1:] > g_min) & (r[1:] < g_max)
        out.append(resid[inside])
    return np.concatenate(out) if out else np.empty(0)


@dataclass
class PulseFit:
    """Result of :func:`fit_pulse_ramps`. Conductances in S, A in pulses."""

    g_min: float
    g_max: float
    nl_ltp: float
    nl_ltd: float
    c2c: float
    a_ltp: float
    a_ltd: float
    levels: int
    levels_ltd: int
    uncertainty: dict = field(default_factory=dict)
    run_spread: dict = field(default_factory=dict)
    goodness: dict = field(default_factory=dict)
    c2c_by_direction: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def curves(self, n_ltp=None, n_ltd=None):
        """Fitted mean curves: (G_ltp[k], G_ltd[k]) for reads k = 0 .. n-1."""
        n_ltp = self.levels + 1 if n_ltp is None else n_ltp
        n_ltd = self.levels_ltd + 1 if n_ltd is None else n_ltd
        theta = (self.g_min, self.g_max, self.levels / self.a_ltp, self.levels_ltd / self.a_ltd)
        return _model(theta, np.arange(n_ltp, dtype=float), self.levels,
                      np.arange(n_ltd, dtype=float), self.levels_ltd)

    def params(self):
        """The fit as :class:`PulseParams` (NL labels as fitted, through NeuroSim's table)."""
        return PulseParams(g_min=self.g_min, g_max=self.g_max, levels=self.levels,
                           levels_ltd=self.levels_ltd, nl_ltp=self.nl_ltp,
                           nl_ltd=self.nl_ltd, c2c=min(self.c2c, 1.0))

    def to_preset(self, name, source):
        """A :class:`~memsim.devices.presets.Preset` that ``memsim device show`` loads."""
        return Preset(name, "pulse", source, "fitted with memsim device fit", self.params())

    def to_dict(self):
        return asdict(self)


def fit_pulse_ramps(ltp_runs, ltd_runs, *, n_bootstrap=100, seed=0):
    """Fit NeuroSim's pulse model to measured potentiation and depression ramps.

    Parameters
    ----------
    ltp_runs, ltd_runs : list of array_like
        Conductance (S) after each pulse, one array per run (lengths may
        differ); at least 2 runs each.
    n_bootstrap : int, default=100
        Bootstrap resamples for the uncertainties (0 skips them).
    seed : int or numpy.random.Generator, default=0
        Source of the bootstrap resampling.

    Returns
    -------
    PulseFit
        Parameters, bootstrap standard deviations (``uncertainty``), run-to-run
        spread, goodness of fit (RMSE in S and relative to the range, R^2).

    Raises
    ------
    FitError
        Too few runs or points, or a fit that did not converge.
    """
    ltp = [check_array(f"ltp_runs[{i}]", r, ndim=1, low=0.0) for i, r in enumerate(ltp_runs)]
    ltd = [check_array(f"ltd_runs[{i}]", r, ndim=1, low=0.0) for i, r in enumerate(ltd_runs)]
    for name, runs in (("ltp_runs", ltp), ("ltd_runs", ltd)):
        if len(runs) < 2:
            raise FitError(f"{name} needs at least 2 runs, got {len(runs)}")
        if min(r.size for r in runs) < 3:
            raise FitError(f"{name}: every run needs at least 3 pulses")
    n_bootstrap = check_scalar("n_bootstrap", n_bootstrap, low=0, integer=True)
    rng = as_generator(seed)
    p_ltp = int(np.median([r.size for r in ltp])) - 1
    p_ltd = int(np.median([r.size for r in ltd])) - 1

    theta, res = _fit_curves(ltp, ltd, p_ltp, p_ltd)
    c2c, by_dir = _c2c(ltp, ltd, theta, p_ltp, p_ltd)
    fit = _assemble(theta, c2c, p_ltp, p_ltd)
    fit.c2c_by_direction = by_dir

    _, g_data = _stack(ltp + ltd)
    resid = res.fun * (float(np.max(g_data) - np.min(g_data)) or 1.0)
    span = fit.g_max - fit.g_min
    fit.goodness = {
        "rmse": float(np.sqrt(np.mean(resid**2))),
        "rmse_relative": float(np.sqrt(np.mean(resid**2)) / span),
        "r2": float(1.0 - np.sum(resid**2) / np.sum((g_data - g_data.mean())**2)),
        "n_points": int(g_data.size), "n_runs_ltp": len(ltp), "n_runs_ltd": len(ltd),
        "optimizer_evaluations": int(res.nfev),
    }
    fit.run_spread = _run_spread(ltp, ltd, theta, p_ltp, p_ltd)
    if n_bootstrap:
        fit.uncertainty = _bootstrap(ltp, ltd, theta, p_ltp, p_ltd, n_bootstrap, rng)
    for name, u in (("nl_ltp", theta[2]), ("nl_ltd", theta[3])):
        if abs(u) <= _U_MIN:
            fit.notes.append(f"{name}: the curve is more linear than NeuroSim's table "
                             f"resolves; reported as {_nl_from_u(u):+.2f}")
        if abs(u) >= _U_MAX * (1 - 1e-9):
            fit.notes.append(f"{name}: the fit hit the table's most nonlinear label "
                             f"(|NL| = {NL_MAX}); the data are more curved")
    return fit


def _assemble(theta, c2c, p_ltp, p_ltd):
    g_min, g_max, u_p, u_d = (float(v) for v in theta)
    nl_ltp, nl_ltd = _nl_from_u(u_p), _nl_from_u(u_d)
    return PulseFit(g_min=g_min, g_max=g_max, nl_ltp=nl_ltp, nl_ltd=nl_ltd, c2c=c2c,
                    a_ltp=float(a_norm_from_nl(nl_ltp) * p_ltp),
                    a_ltd=float(a_norm_from_nl(nl_ltd) * p_ltd),
                    levels=p_ltp, levels_ltd=p_ltd)


def _c2c(ltp, ltd, theta, p_ltp, p_ltd):
    span = theta[1] - theta[0]
    r_p = _step_residuals(ltp, theta, p_ltp, theta[2], +1)
    r_d = _step_residuals(ltd, theta, p_ltd, theta[3], -1)
    both = np.concatenate([r_p, r_d])
    if both.size < 2:
        raise FitError("too few unclipped pulse steps to estimate c2c")
    rms = lambda r: float(np.sqrt(np.mean(r**2)) / span) if r.size else float("nan")  # noqa: E731
    return rms(both), {"ltp": rms(r_p), "ltd": rms(r_d)}


def _run_spread(ltp, ltd, theta, p_ltp, p_ltd):
    """Standard deviation over runs of per-run g_min, g_max and NL."""
    g_lo, g_hi, nl_p, nl_d = [], [], [], []
    for runs, p_max, is_ltp in ((ltp, p_ltp, True), (ltd, p_ltd, False)):
        for r in runs:
            own_p = r.size - 1
            single = ([r], [], own_p, p_ltd) if is_ltp else ([], [r], p_ltp, own_p)
            try:
                th, _ = _fit_curves(*single, theta0=theta)
            except FitError:
                continue
            g_lo.append(th[0])
            g_hi.append(th[1])
            (nl_p if is_ltp else nl_d).append(_nl_from_u(th[2] if is_ltp else th[3]))
    std = lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")  # noqa: E731
    return {"g_min": std(g_lo), "g_max": std(g_hi), "nl_ltp": std(nl_p), "nl_ltd": std(nl_d)}


def _bootstrap(ltp, ltd, theta, p_ltp, p_ltd, n_bootstrap, rng):
    keys = ("g_min", "g_max", "nl_ltp", "nl_ltd", "c2c", "a_ltp", "a_ltd")
    samples = {k: [] for k in keys}
    for _ in range(n_bootstrap):
        bl = [ltp[i] for i in rng.integers(0, len(ltp), len(ltp))]
        bd = [ltd[i] for i in rng.integers(0, len(ltd), len(ltd))]
        try:
            th, _ = _fit_curves(bl, bd, p_ltp, p_ltd, theta0=theta)
            c2c, _ = _c2c(bl, bd, th, p_ltp, p_ltd)
        except FitError:
            continue
        fit = _assemble(th, c2c, p_ltp, p_ltd)
        for k in keys:
            samples[k].append(getattr(fit, k))
    n_ok = len(samples["g_min"])
    if n_ok < max(2, n_bootstrap // 2):
        raise FitError(f"only {n_ok} of {n_bootstrap} bootstrap refits converged")
    out = {k: float(np.std(v, ddof=1)) for k, v in samples.items()}
    out["n_bootstrap"] = n_ok
    return out


# ---------------------------------------------------------------------------- drift

@dataclass
class DriftFit:
    """Result of :func:`fit_drift`: drift exponents per conductance state."""

    states: list
    nu_mean: np.ndarray
    nu_std: np.ndarray
    nu_mean_err: np.ndarray
    g0_mean: np.ndarray
    n_devices: np.ndarray
    t0: float
    per_device_nu: np.ndarray
    per_device_g0: np.ndarray

    def to_dict(self):
        return {"t0": self.t0, "states": [
            {"state": s, "g0_mean": float(g), "nu_mean": float(m), "nu_mean_err": float(e),
             "nu_std": float(sd), "n_devices": int(n)}
            for s, g, m, e, sd, n in zip(self.states, self.g0_mean, self.nu_mean,
                                         self.nu_mean_err, self.nu_std, self.n_devices)]}


def fit_drift(device, time, conductance, *, state=None, n_states=5, t0=20.0):
    """Fit power-law drift ``G(t) = G0 ((t + t0) / t0)^(-nu)`` per device and per state.

    Parameters
    ----------
    device : array_like
        Device identifier of each measurement.
    time : array_like
        Time after programming (s), >= 0.
    conductance : array_like
        Measured conductance (S), > 0.
    state : array_like, optional
        Programmed-state label of each measurement; without it devices are
        grouped into ``n_states`` quantile bins of their fitted ``G0``.
    n_states : int, default=5
        Number of G0 bins when ``state`` is not given; at most the number of
        devices. A bin left empty (equal G0s) reports NaN with ``n_devices`` 0;
        ``nu_mean_err`` is NaN for a bin of one device.
    t0 : float, default=20.0
        Drift reference time (s).

    Returns
    -------
    DriftFit
    """
    time = check_array("time", time, ndim=1, low=0.0)
    g = check_array("conductance", conductance, ndim=1)
    if np.any(g <= 0):
        raise InputError(f"conductance must be > 0 S, got {g[g <= 0][0]!r}")
    device = np.asarray(device)
    if device.shape != time.shape or g.shape != time.shape:
        raise InputError(f"device, time and conductance must have the same length, got "
                         f"{device.shape}, {time.shape}, {g.shape}")
    t0 = check_scalar("t0", t0, low=0.0, low_inclusive=False)
    ids, inverse = np.unique(device, return_inverse=True)
    x = np.log((time + t0) / t0)
    y = np.log(g)
    n = np.bincount(inverse).astype(float)
    if np.any(n < 3):
        raise FitError(f"every device needs at least 3 reads to fit drift; device "
                       f"{ids[np.argmax(n < 3)]!r} has {int(n[n < 3][0])}")
    sx, sy = np.bincount(inverse, x), np.bincount(inverse, y)
    mx, my = sx / n, sy / n
    dx = x - mx[inverse]
    sxx = np.bincount(inverse, dx * dx)
    if np.any(sxx <= 0):
        raise FitError("every device needs reads at two or more distinct times")
    slope = np.bincount(inverse, dx * (y - my[inverse])) / sxx
    intercept = my - slope * mx
    resid = y - (intercept[inverse] + slope[inverse] * x)
    s2 = np.bincount(inverse, resid**2) / (n - 2)
    se = np.sqrt(np.maximum(s2, 0.0) / sxx)
    nu, g0 = -slope, np.exp(intercept)

    if state is not None:
        state = np.asarray(state)
        if state.shape != time.shape:
            raise InputError(f"state must have one label per measurement, got {state.shape}")
        first = np.zeros(ids.size, dtype=int)
        first[inverse[::-1]] = np.arange(inverse.size)[::-1]
        dev_state = state[first]
        labels = list(dict.fromkeys(dev_state.tolist()))
    else:
        n_states = check_scalar("n_states", n_states, low=1, integer=True)
        if n_states > ids.size:
            raise InputError(f"n_states (--states) must be <= {ids.size}, the number of "
                             f"devices in the data, got {n_states}")
        edges = np.quantile(g0, np.linspace(0, 1, n_states + 1))
        dev_state = np.clip(np.searchsorted(edges, g0, side="right") - 1, 0, n_states - 1)
        labels = [f"G0 bin {i + 1}" for i in range(n_states)]
        dev_state = np.array([labels[i] for i in dev_state])
    means, stds, errs, g0s, counts = [], [], [], [], []
    for label in labels:
        sel = dev_state == label
        v = nu[sel]
        if not v.size:          # equal G0s can leave a quantile bin empty: NaN, count 0
            means.append(np.nan), stds.append(np.nan), errs.append(np.nan)
            g0s.append(np.nan), counts.append(0)
            continue
        var = (np.var(v, ddof=1) if v.size > 1 else 0.0) - np.mean(se[sel] ** 2)
        means.append(v.mean())
        stds.append(math.sqrt(max(var, 0.0)))
        errs.append(v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else float("nan"))
        g0s.append(g0[sel].mean())
        counts.append(int(sel.sum()))
    return DriftFit(labels, np.array(means), np.array(stds), np.array(errs), np.array(g0s),
                    np.array(counts), t0, nu, g0)
