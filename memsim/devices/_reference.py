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
