"""Sample a device model: program many devices to targets, read them over time."""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_array, check_memory, check_scalar
from .pulse import PulseDevice


def simulate_targets(device, targets, times, samples, seed, *, compensate=False):
    """Program ``samples`` devices per target and read them at each time.

    Parameters
    ----------
    device : PCM or PulseDevice
        The device model.
    targets : array_like
        Target conductances (S), within the device's range.
    times : array_like
        Read times after programming (s), >= 0; 0 is right after programming.
    samples : int
        Devices per target, >= 2.
    seed : int or numpy.random.Generator
        Source of every random draw (programming, variation, read noise).
    compensate : bool, default=False
        Global drift compensation (drifting devices only), computed over all
        devices of the run as one array.

    Returns
    -------
    list of dict
        One record per (target, time): ``target`` (S), ``time`` (s), ``mean``
        and ``std`` (S) of the read conductances.
    """
    targets = check_array("targets", targets, ndim=1)
    times = check_array("times", times, ndim=1, low=0.0)
    samples = check_scalar("samples", samples, low=2, integer=True)
    # the devices' state (target, drift exponent, ...) and a read: about 8 doubles each
    check_memory(f"samples={samples} for {targets.size} target(s)",
                 8.0 * 8 * samples * targets.size)
    rng = as_generator(seed)
    state = device.program(np.repeat(targets, samples), rng)
    records = []
    for t in times:
        g = device.read(state, float(t), rng, compensate=compensate).reshape(targets.size,
                                                                            samples)
        mean, std = g.mean(axis=1), g.std(axis=1, ddof=1)
        records.extend({"target": float(tg), "time": float(t), "mean": float(m),
                        "std": float(s)} for tg, m, s in zip(targets, mean, std))
    return records


def ramp_traces(params, n_devices, n_ltp, n_ltd, seed):
    """Simulated full ramps: ``n_devices`` fresh devices from ``g_min`` up ``n_ltp``
    pulses and from ``g_max`` down ``n_ltd`` pulses.

    Returns
    -------
    ltp, ltd : ndarray
        Conductance (S), shape (pulses + 1, n_devices), row k after k pulses.
    """
    device = PulseDevice(params)
    rng = np.random.default_rng(seed)
    traces = []
    for start, step, n in ((params.g_min, 1, n_ltp), (params.g_max, -1, n_ltd)):
        state = device.make(n_devices, rng)
        state.g[:] = start
        trace = [state.g.copy()]
        for _ in range(n):
            device.apply_pulses(state, np.full(n_devices, step), rng)
            trace.append(state.g.copy())
        traces.append(np.array(trace))
    return traces[0], traces[1]
