"""NumPy twin of the pulse-update kernel (memsim._kernels._pulse), for tests and benchmarks."""

from __future__ import annotations

import numpy as np

from .nonlinearity import curve, inverse_curve


def apply_pulses(device, state, pulses, rng):
    """NumPy reference of :meth:`PulseDevice.apply_pulses`, NeuroSim's literal steps.

    Inverts the curve to a pulse position, moves it by n, evaluates the curve
    (NeuroSim InvNonlinearWeight / NonlinearWeight), adds C2C noise and clips.
    Draws the same normals in the same order as the kernel. Used by tests and
    benchmarks.
    """
    p = device.params
    n = np.asarray(pulses, dtype=np.int64)
    size = state.g.shape
    active = (n != 0) & (state.stuck == 0)
    up = n > 0
    a = np.where(up, np.broadcast_to(state.a_ltp, size), np.broadcast_to(state.a_ltd, size))
    p_max = np.where(up, p.p_max_ltp, p.p_max_ltd)
    lo = np.broadcast_to(state.g_min, size)
    hi = np.broadcast_to(state.g_max, size)
    x = inverse_curve(state.g, a, p_max, lo, hi)
    g_new = curve(x + n, a, p_max, lo, hi)
    sigma = p.c2c * (p.g_max - p.g_min)
    if sigma > 0:
        z = np.zeros(size)
        z[active] = rng.standard_normal(int(active.sum()))
        g_new = g_new + sigma * np.sqrt(np.abs(n)) * z
    g_new = np.clip(g_new, lo, hi)
    state.g[:] = np.where(active, g_new, state.g)
    state.pulses_applied += int(np.abs(n[active]).sum())
    return state


# --- compact models: NumPy twin of memsim._kernels._compact -------------------------------

_Q, _K_B = 1.602176634e-19, 1.380649e-23


def compact_current(model, p, x, v):
    """Current (A) of compact model ``model`` (0 VTEAM, 1 Yakopcic, 2 Stanford-PKU)
    with parameter vector ``p`` at states ``x`` and voltages ``v`` (broadcast)."""
    if model == 0:
        s = (x - p[6]) / (p[7] - p[6])
        if p[10] == 0.0:
            return v / (p[8] + (p[9] - p[8]) * s)
        return v / p[8] * np.exp(-np.log(p[9] / p[8]) * s)
    if model == 1:
        return np.where(v >= 0.0, p[0], p[1]) * x * np.sinh(p[2] * v)
    return p[0] * np.exp(-x / p[1]) * np.sinh(v / p[2])


def compact_conductance(model, p, x, v):
    """Differential conductance dI/dV (S) of compact model ``model`` at states ``x``."""
    if model == 0:
        return compact_current(0, p, x, 1.0)              # I = v / R(x)
    if model == 1:
        return np.where(v >= 0.0, p[0], p[1]) * x * p[2] * np.cosh(p[2] * v)
    return p[0] * np.exp(-x / p[1]) * np.cosh(v / p[2]) / p[2]


def _window(window, wp, w, w_on, w_off, v):
    s = (w - w_on) / (w_off - w_on)
    if window == 0:
        return np.ones_like(s)
    if window == 1:
        return 1.0 - (2.0 * s - 1.0) ** (2 * int(wp[0]))
    if window == 2:
        return 1.0 - (s - np.where(v > 0.0, 0.0, 1.0)) ** (2 * int(wp[0]))
    if window == 3:
        return wp[1] * (1.0 - ((s - 0.5) ** 2 + 0.75) ** wp[0])
    return np.where(v > 0.0, np.exp(-np.exp((w - wp[1]) / wp[2])),
                    np.exp(-np.exp((wp[0] - w) / wp[2])))


def compact_rate(model, p, window, wp, x, v):
    """``dx/dt`` of compact model ``model`` at states ``x`` and voltages ``v``."""
    x, v = np.broadcast_arrays(np.asarray(x, float), np.asarray(v, float))
    with np.errstate(invalid="ignore", over="ignore"):
        if model == 0:
            off = p[1] * np.maximum(v / p[5] - 1.0, 0.0) ** p[3]
            on = p[0] * np.maximum(v / p[4] - 1.0, 0.0) ** p[2]
            rate = np.where(v > p[5], off, np.where(v < p[4], on, 0.0))
            return rate * _window(window, wp, x, p[6], p[7], v)
        if model == 1:
            g = np.where(v > p[3], p[5] * (np.exp(v) - np.exp(p[3])),
                         np.where(v < -p[4], -p[6] * (np.exp(-v) - np.exp(p[4])), 0.0))
            f_up = np.where(x >= p[7], np.exp(-p[9] * (x - p[7])) * ((p[7] - x) / (1 - p[7]) + 1),
                            1.0)
            f_down = np.where(x <= 1.0 - p[8], np.exp(p[10] * (x + p[8] - 1.0)) * x / (1 - p[8]),
                              1.0)
            return p[11] * g * np.where(p[11] * v > 0.0, f_up, f_down)
        temp = p[11] + np.abs(v * compact_current(2, p, x, v)) * p[12]
        gamma = p[7] - p[8] * (x / p[9]) ** 3
        gamma = np.where(gamma * np.abs(v) / p[6] < p[10], 0.0, gamma)
        return -p[3] * np.exp(-_Q * p[4] / (_K_B * temp)) * np.sinh(
            gamma * p[5] / p[6] * _Q * v / (_K_B * temp))


# Dormand-Prince 5(4), the pair of scipy's RK45
_DP_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0])
_DP_A = [[], [1 / 5], [3 / 40, 9 / 40], [44 / 45, -56 / 15, 32 / 9],
         [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
         [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]]
_DP_B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
_DP_E = np.array([71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])


def integrate_compact(model, params, window, wpar, x0, lo, hi, wave, freq, wave_t, wave_v,
                      stops, out_index, seg, rtol, atol, h_max, h_min, x_out, stats):
    """NumPy twin of :func:`memsim._kernels._compact.integrate`, same arguments and
    algorithm (every device its own Dormand-Prince step), all devices at once."""
    n = x0.size
    rows = np.arange(n) if wave_v.shape[0] > 1 else np.zeros(n, dtype=int)

    def volt(t, k):
        if wave == 0:
            return wave_v[rows, 0] * np.sin(2.0 * np.pi * freq * t)
        ta, tb = wave_t[seg[k]], wave_t[seg[k] + 1]
        va, vb = wave_v[rows, seg[k]], wave_v[rows, seg[k] + 1]
        return va + (vb - va) * (t - ta) / (tb - ta) if tb > ta else va

    def f(x, t, k):
        return compact_rate(model, params, window, wpar, np.clip(x, lo, hi), volt(t, k))

    x = np.clip(x0, lo, hi)
    t = np.full(n, stops[0])
    h = np.full(n, h_max)
    counts = np.zeros(3, dtype=np.int64)
    if out_index[0] >= 0:
        x_out[:, out_index[0]] = x
    for k in range(1, stops.size):
        tb = stops[k]
        h = np.minimum(h, h_max)
        k1 = f(x, t, k)
        counts[2] += n
        active = t < tb
        while active.any():
            if np.any(active & (h < h_min) & (tb - t > h_min)):
                stats[:3] = counts
                stats[3] = np.flatnonzero(active & (h < h_min) & (tb - t > h_min))[0]
                return 1
            cut = (t + h > tb) | (tb - (t + h) < 1e-12 * h)
            hh = np.where(cut, tb - t, h)
            ks = [k1]
            for j in range(1, 6):
                xs = x + hh * sum(a * kk for a, kk in zip(_DP_A[j], ks))
                ks.append(f(xs, t + _DP_C[j] * hh, k))
            xn = x + hh * sum(b * kk for b, kk in zip(_DP_B, ks))
            ks.append(f(xn, t + hh, k))
            counts[2] += 6 * int(active.sum())
            err = np.abs(hh * sum(e * kk for e, kk in zip(_DP_E, ks)))
            err = err / (atol + rtol * np.maximum(np.abs(x), np.abs(xn)))
            ok = active & (err <= 1.0)
            bad = active & ~ok
            counts[0] += int(ok.sum())
            counts[1] += int(bad.sum())
            t_new = np.where(tb - (t + hh) < 1e-12 * hh, tb, t + hh)
            clipped = ok & ((xn < lo) | (xn > hi))
            xn = np.clip(xn, lo, hi)
            k7 = np.where(clipped, f(xn, t_new, k), ks[6])
            counts[2] += int(clipped.sum())
            with np.errstate(divide="ignore", invalid="ignore"):
                grow = np.where(err == 0.0, 5.0, np.minimum(5.0, 0.9 * err ** -0.2))
                shrink = np.fmax(0.2, 0.9 * err ** -0.2)        # NaN error: shrink by 5
                # a step cut short to land on the stop does not shrink the next interval's
                carried = np.where(ok & cut, np.minimum(h, h_max), 0.0)
                h = np.where(ok, np.maximum(np.minimum(hh * grow, h_max), carried),
                             np.where(bad, hh * shrink, h))
            x = np.where(ok, xn, x)
            t = np.where(ok, t_new, t)
            k1 = np.where(ok, k7, k1)
            active = t < tb
        if out_index[k] >= 0:
            x_out[:, out_index[k]] = x
    stats[:3] = counts
    return 0
