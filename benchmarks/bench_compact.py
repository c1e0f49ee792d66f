"""Speed of the compact-model integrator: Cython kernel against its NumPy twin.

What is measured
----------------
For each compact preset (``vteam``, ``yakopcic``, ``stanford-pku``), N devices
with initial states spread evenly over the state's bounds are driven through
two periods of the preset's demonstration sine (amplitude and frequency below),
400 output points per period. The Cython kernel
(``memsim._kernels._compact.integrate``, one adaptive Dormand-Prince step per
device at a time) is timed against its NumPy twin
(``memsim.devices._reference.integrate_compact``, the same algorithm on all
devices at once, each with its own step). Printed: wall times (best of 3),
speed-up (numpy time / kernel time), accepted steps per device, device-steps
per second of the kernel, and the largest difference of the two final states
relative to the state's span (the integration tolerance, ~1e-9 or below: NumPy's
exp and pow may differ from C's in the last bit and flip a step). Nothing is asserted.

Usage
-----
::

    python benchmarks/bench_compact.py [--quick] [--json]

``--quick`` uses 100 devices instead of 2000 (a few seconds).
"""

from __future__ import annotations

import numpy as np

import _common  # benchmarks/ is on sys.path when run as a script
from _common import best_time
from memsim.devices._reference import integrate_compact
from memsim.devices.compact import Sine
from memsim.devices.presets import load_preset

DRIVES = {"vteam": (1.0, 1e6), "yakopcic": (0.5, 100.0), "stanford-pku": (1.6, 1e5)}


def run(quick=False):
    n = 100 if quick else 2000
    out = {"devices": n, "models": {}}
    for name, (amp, freq) in DRIVES.items():
        model = load_preset(name).device()
        lo, hi = model.bounds
        times = np.arange(801) / (400 * freq)
        x0 = np.linspace(lo, hi, n)
        args = model._plan(Sine(amp, freq), times, x0, 1e-8, 1e-10, None, n)

        def kernel():
            return model.simulate(Sine(amp, freq), times, x0)

        def twin():
            x = np.empty((n, times.size))
            stats = np.zeros(4, dtype=np.int64)
            integrate_compact(*args["call"], x, stats)
            return x, stats

        t_k, trace = best_time(kernel, 3)
        t_n, (x_twin, _) = best_time(twin, 3)
        steps = trace.stats["accepted"]
        out["models"][name] = {
            "amplitude_V": amp, "frequency_Hz": freq, "kernel_s": t_k, "numpy_s": t_n,
            "speedup": t_n / t_k, "steps_per_device": steps / n,
            "device_steps_per_s": steps / t_k,
            "max_state_diff_rel": float(np.abs(trace.state - x_twin).max() / (hi - lo))}
    return out


def format_report(res):
    lines = [f"Compact models, {res['devices']} devices, 2 periods, 800 outputs each",
             f"{'model':14s} {'kernel s':>9s} {'numpy s':>9s} {'speed-up':>9s} "
             f"{'steps/dev':>10s} {'dev-steps/s':>12s} {'max diff':>9s}"]
    for name, r in res["models"].items():
        lines.append(f"{name:14s} {r['kernel_s']:9.3f} {r['numpy_s']:9.3f} {r['speedup']:9.1f} "
                     f"{r['steps_per_device']:10.0f} {r['device_steps_per_s']:12.3g} "
                     f"{r['max_state_diff_rel']:9.1e}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(_common.main(__doc__, run, format_report, "100 devices (seconds)"))
