"""Throughput and memory benchmark of memsim's device models.

What is measured
----------------
1. PCM (``memsim.devices.pcm.PCM``, default parameters, g_max = 25 uS) at
   10^6 and 10^7 devices with uniformly distributed targets in [0, g_max]:

   * wall time of ``program`` (programming noise, drift exponents and the
     t = 0 reference read kept for drift compensation) and of ``read`` at
     t = 1 s, 1 day and 1 year (drift + accumulated 1/f read noise);
     devices per second;
   * peak memory per device, measured with :mod:`tracemalloc` (NumPy reports
     its array buffers to it), for ``program`` and for one ``read``; it should
     be the same number of bytes per device at both sizes (memory O(devices)).

   Baseline: :func:`plain_program` / :func:`plain_read`, a straightforward
   NumPy transcription of the same published model (Nandakumar et al., ICECS
   2019, as implemented in aihwkit ``PCMLikeNoiseModel``, in SI units, see the
   ``memsim.devices.pcm`` docstring), written here independently of memsim.
   It draws its normals in the same order as memsim, so with the same seed the
   two should agree element by element; the benchmark prints the ratio of
   times (memsim / plain; < 1 means memsim is faster) and checks that the mean
   and standard deviation of the conductances agree.

2. Pulse devices (``ag-si`` preset, which has cycle-to-cycle noise): 10^6
   devices programmed to uniform targets, then 100 steps of one random signed
   pulse per device (``rng.integers(-1, 2, n)``: -1, 0 or +1 with equal
   probability). The Cython kernel path (``PulseDevice.apply_pulses``) is timed
   against the NumPy reference ``memsim.devices._reference.apply_pulses`` on
   the same pulse and noise seeds; printed: speed-up (numpy time / kernel
   time), pulses per second, device updates per second and the largest
   absolute difference between the two final conductance arrays (should be
   ~1e-15 relative). A second line repeats this with device-to-device
   variation of the nonlinearity (``d2d_nl = 0.2``), where the per-device
   parameter arrays are used.

Only the library calls are timed (pulse arrays are drawn outside the timed
region). Times are the best of a few repeats: 5 at the smaller PCM size,
3 at the larger, 2 runs of each whole pulse loop (its time summed over the
steps). Nothing is asserted.

Usage
-----
::

    python benchmarks/bench_devices.py [--quick] [--json]

``--quick`` uses 10x smaller sizes and 20 pulse steps (a few seconds);
``--json`` prints the results as one JSON document instead of the tables.
The default run takes about 80 s on a 2-core machine and peaks at about
1.3 GiB of resident memory (the largest arrays are 10^7 float64, 80 MB each).
"""

from __future__ import annotations

import dataclasses
import gc
import platform
import sys
import time
import tracemalloc

import numpy as np

import _common  # benchmarks/ is on sys.path when run as a script
from _common import best_time, peak_rss_bytes
from memsim.devices.pcm import PCM
from memsim.devices.presets import load_preset
from memsim.devices._reference import apply_pulses as _apply_pulses_numpy
from memsim.devices.pulse import PulseDevice

DAY = 86400.0
YEAR = 365.25 * DAY
READ_TIMES = (("1 s", 1.0), ("1 day", DAY), ("1 year", YEAR))

SIZES = {
    "full": {"pcm": (10**6, 10**7), "pulse": 10**6, "steps": 100},
    "quick": {"pcm": (10**5, 10**6), "pulse": 10**5, "steps": 20},
}

SEED_TARGETS, SEED_PROGRAM, SEED_READ = 11, 12, 13
SEED_PULSES, SEED_NOISE = 21, 22


# --------------------------------------------------------------------------
# Plain NumPy baseline of the PCM model
# --------------------------------------------------------------------------

def plain_program(g_target, params, rng):
    """Program PCM devices: a literal NumPy transcription of the published model.

    Parameters
    ----------
    g_target : ndarray
        Target conductances (S) in ``[0, g_max]``.
    params : memsim.devices.pcm.PCMParams
        Only the numbers are taken from it.
    rng : numpy.random.Generator
        Source of the programming noise and drift exponents.

    Returns
    -------
    dict
        ``g_prog`` (S), ``nu`` and ``reference`` (``sum |G(0)|`` of a read at
        t = 0, the drift-compensation baseline that memsim also computes).
    """
    g_max = params.g_max
    c0, c1, c2 = params.prog_coeff
    x = g_target / g_max
    sigma_prog = c0 + c1 * x + c2 * x**2
    sigma_prog = np.maximum(sigma_prog, 0.0) * g_max / params.prog_g_ref
    g_prog = g_target + params.prog_noise_scale * sigma_prog * rng.standard_normal(g_target.shape)
    g_prog = np.maximum(g_prog, 0.0)

    x_clip = np.maximum(np.abs(x), 1e-7)
    mu_nu = -0.0155 * np.log(x_clip) + 0.0244
    mu_nu = np.clip(mu_nu, 0.049, 0.1)
    sigma_nu = -0.0125 * np.log(x_clip) - 0.0059
    sigma_nu = np.clip(sigma_nu, 0.008, 0.045)
    nu = params.drift_scale * np.abs(mu_nu + sigma_nu * rng.standard_normal(g_target.shape))

    state = {"g_prog": g_prog, "nu": nu, "reference": 0.0}
    state["reference"] = float(np.sum(np.abs(plain_read(state, 0.0, params, rng))))
    return state


def plain_read(state, t, params, rng):
    """Read PCM devices ``t`` seconds after programming (drift + 1/f noise).

    Parameters
    ----------
    state : dict
        From :func:`plain_program`.
    t : float
        Time since programming (s).
    params : memsim.devices.pcm.PCMParams
    rng : numpy.random.Generator

    Returns
    -------
    ndarray
        Conductances (S), clipped at 0.
    """
    g_prog, nu = state["g_prog"], state["nu"]
    t0, t_read = params.t0, params.t_read
    g_drift = g_prog * ((t + t0) / t0) ** (-nu)
    q_s = 0.0088 / np.maximum((np.abs(g_prog) / params.g_max) ** 0.65, 1e-3)
    q_s = np.minimum(q_s, 0.2)
    sigma_read = q_s * np.sqrt(np.log((t + t0 + t_read) / (2.0 * t_read)))
    noise = rng.standard_normal(g_prog.shape)
    g = g_drift + np.abs(g_drift) * params.read_noise_scale * sigma_read * noise
    return np.maximum(g, 0.0)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------



def pcm_targets(n, g_max):
    """Uniform target conductances (S) in ``[0, g_max]`` for ``n`` devices."""
    return np.random.default_rng(SEED_TARGETS).uniform(0.0, g_max, n)


def rel_diff(a, b):
    """``|a - b| / |b|`` of two scalars (0 when both are 0)."""
    return abs(a - b) / abs(b) if b else abs(a - b)


# --------------------------------------------------------------------------
# PCM
# --------------------------------------------------------------------------

def bench_pcm_speed(n, repeats):
    """Time memsim's PCM program/read against the plain NumPy baseline.

    Parameters
    ----------
    n : int
        Number of devices.
    repeats : int
        Repeats per operation; the best time is kept.

    Returns
    -------
    list of dict
        One row per operation: times, devices/s, ratio and statistics.
    """
    pcm = PCM()
    params = pcm.params
    g_target = pcm_targets(n, params.g_max)
    rows = []

    t_mem, state = best_time(lambda: pcm.program(g_target, SEED_PROGRAM), repeats)
    t_pla, plain = best_time(
        lambda: plain_program(g_target, params, np.random.default_rng(SEED_PROGRAM)), repeats)
    rows.append(_pcm_row(n, "program", t_mem, t_pla, state.g_prog, plain["g_prog"]))
    rows[-1]["reference_rel_diff"] = rel_diff(state.reference_read, plain["reference"])

    for label, t in READ_TIMES:
        t_mem, g_mem = best_time(lambda: pcm.read(state, t, SEED_READ), repeats)
        t_pla, g_pla = best_time(
            lambda: plain_read(plain, t, params, np.random.default_rng(SEED_READ)), repeats)
        rows.append(_pcm_row(n, f"read {label}", t_mem, t_pla, g_mem, g_pla))
        del g_mem, g_pla
    return rows


def _pcm_row(n, op, t_mem, t_pla, g_mem, g_pla):
    mean_m, mean_p = float(g_mem.mean()), float(g_pla.mean())
    std_m, std_p = float(g_mem.std()), float(g_pla.std())
    return {
        "n": n, "op": op, "memsim_s": t_mem, "plain_s": t_pla,
        "ratio_memsim_over_plain": t_mem / t_pla, "devices_per_s": n / t_mem,
        "mean_S": mean_m, "std_S": std_m, "plain_mean_S": mean_p, "plain_std_S": std_p,
        "mean_rel_diff": rel_diff(mean_m, mean_p), "std_rel_diff": rel_diff(std_m, std_p),
        "max_abs_diff_S": float(np.max(np.abs(g_mem - g_pla))),
        "stats_agree": rel_diff(mean_m, mean_p) < 1e-3 and rel_diff(std_m, std_p) < 1e-3,
    }


def bench_pcm_memory(n):
    """Peak traced memory (bytes/device) of PCM ``program`` and one ``read``.

    The target array is allocated before tracing starts, so the numbers count
    what the library allocates: the returned state plus its temporaries.

    Parameters
    ----------
    n : int
        Number of devices.

    Returns
    -------
    dict
        ``program_peak``, ``state`` (resident after programming) and
        ``read_peak`` (state excluded), all in bytes per device.
    """
    pcm = PCM()
    g_target = pcm_targets(n, pcm.params.g_max)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        state = pcm.program(g_target, SEED_PROGRAM)
        after_program, program_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        g = pcm.read(state, YEAR, SEED_READ)
        read_peak = tracemalloc.get_traced_memory()[1]
        del g, state
    finally:
        tracemalloc.stop()
    return {"n": n,
            "program_peak_B_per_device": (program_peak - base) / n,
            "state_B_per_device": (after_program - base) / n,
            "read_peak_B_per_device": (read_peak - after_program) / n}


# --------------------------------------------------------------------------
# Pulse devices
# --------------------------------------------------------------------------

def pulse_start_state(device, n):
    """Devices programmed to uniform targets in the nominal range (kernel path)."""
    p = device.params
    targets = np.random.default_rng(SEED_TARGETS).uniform(p.g_min, p.g_max, n)
    return device.program(targets, SEED_PROGRAM)


def run_pulse_steps(device, state, steps, update):
    """Apply ``steps`` random single-pulse steps with ``update``; time only updates.

    Parameters
    ----------
    device : PulseDevice
    state : PulseState
        Modified (kernel) or replaced field by field (NumPy reference).
    steps : int
    update : callable
        ``update(device, state, pulses, rng)``.

    Returns
    -------
    float
        Summed wall time (s) of the update calls.
    """
    n = state.g.size
    pulse_rng = np.random.default_rng(SEED_PULSES)
    noise_rng = np.random.default_rng(SEED_NOISE)
    elapsed = 0.0
    for _ in range(steps):
        pulses = pulse_rng.integers(-1, 2, n)
        start = time.perf_counter()
        update(device, state, pulses, noise_rng)
        elapsed += time.perf_counter() - start
    return elapsed


def _kernel_update(device, state, pulses, rng):
    device.apply_pulses(state, pulses, rng)


def bench_pulse(device, label, n, steps, repeats=2):
    """Cython kernel vs NumPy reference on the same seeds.

    Parameters
    ----------
    device : PulseDevice
    label : str
        Row label.
    n, steps : int
        Devices and pulse steps.
    repeats : int, default=2
        Runs of the whole step loop per path; the best summed time is kept.

    Returns
    -------
    dict
        Times, speed-up, pulses/s and the largest difference of final states.
    """
    start = pulse_start_state(device, n)
    # warm-up on a few devices (first-call overheads)
    small = dataclasses.replace(start, g=start.g[:1000].copy(), stuck=start.stuck[:1000],
                                a_ltp=start.a_ltp[:1000], a_ltd=start.a_ltd[:1000])
    device.apply_pulses(small, np.ones(1000, np.int64), 0)

    t_kernel = t_numpy = float("inf")
    for _ in range(repeats):   # interleaved, so machine noise hits both paths alike
        kernel_state = dataclasses.replace(start, g=start.g.copy())
        gc.collect()
        t_kernel = min(t_kernel, run_pulse_steps(device, kernel_state, steps, _kernel_update))
        numpy_state = dataclasses.replace(start, g=start.g.copy())
        gc.collect()
        t_numpy = min(t_numpy, run_pulse_steps(device, numpy_state, steps,
                                               _apply_pulses_numpy))
    pulses = kernel_state.pulses_applied - start.pulses_applied
    diff = np.abs(kernel_state.g - numpy_state.g)
    g_range = device.params.g_max - device.params.g_min
    return {
        "label": label, "n": n, "steps": steps, "kernel_s": t_kernel, "numpy_s": t_numpy,
        "speedup": t_numpy / t_kernel, "pulses": pulses,
        "pulses_numpy": numpy_state.pulses_applied - start.pulses_applied,
        "kernel_pulses_per_s": pulses / t_kernel, "numpy_pulses_per_s": pulses / t_numpy,
        "kernel_updates_per_s": n * steps / t_kernel,
        "max_abs_diff_S": float(diff.max()), "max_diff_rel_range": float(diff.max() / g_range),
        "mean_g_S": float(kernel_state.g.mean()),
    }


# --------------------------------------------------------------------------
# Driver and report
# --------------------------------------------------------------------------

def run(quick=False):
    """Run every benchmark; return a JSON-serialisable dict of results."""
    sizes = SIZES["quick" if quick else "full"]
    small, large = sizes["pcm"]
    results = {"config": {"quick": quick, "python": platform.python_version(),
                          "numpy": np.__version__, "machine": platform.machine(),
                          "pcm_sizes": [small, large], "pulse_devices": sizes["pulse"],
                          "pulse_steps": sizes["steps"]}}

    results["pcm_speed"] = bench_pcm_speed(small, repeats=5) + bench_pcm_speed(large, repeats=3)
    gc.collect()
    memory = [bench_pcm_memory(small), bench_pcm_memory(large)]
    results["pcm_memory"] = memory
    results["pcm_memory_scaling"] = {
        key: memory[1][key] / memory[0][key]
        for key in ("program_peak_B_per_device", "state_B_per_device", "read_peak_B_per_device")}
    gc.collect()

    preset = load_preset("ag-si")
    d2d = PulseDevice(dataclasses.replace(preset.params, d2d_nl=0.2))
    results["pulse"] = [
        bench_pulse(preset.device(), "ag-si", sizes["pulse"], sizes["steps"]),
        bench_pulse(d2d, "ag-si d2d_nl=0.2", sizes["pulse"], sizes["steps"]),
    ]
    results["peak_rss_bytes"] = peak_rss_bytes()
    return results


def _fmt_n(n):
    exp = int(round(np.log10(n)))
    return f"1e{exp}" if 10**exp == n else str(n)


def format_report(res):
    """Readable tables of the results returned by :func:`run`."""
    cfg = res["config"]
    out = [f"memsim device benchmark (python {cfg['python']}, numpy {cfg['numpy']}, "
           f"{cfg['machine']}{', quick' if cfg['quick'] else ''})", ""]

    out.append("PCM speed: memsim vs plain NumPy transcription of the same model "
               "(ratio < 1: memsim faster)")
    out.append(f"{'N':>5} {'op':<12} {'memsim s':>9} {'plain s':>9} {'ratio':>6} "
               f"{'devices/s':>10} {'mean G uS':>10} {'std G uS':>9} "
               f"{'d mean':>8} {'d std':>8} {'agree':>5}")
    for r in res["pcm_speed"]:
        out.append(f"{_fmt_n(r['n']):>5} {r['op']:<12} {r['memsim_s']:9.3f} {r['plain_s']:9.3f} "
                   f"{r['ratio_memsim_over_plain']:6.2f} {r['devices_per_s']:10.3g} "
                   f"{r['mean_S'] * 1e6:10.4f} {r['std_S'] * 1e6:9.4f} "
                   f"{r['mean_rel_diff']:8.1e} {r['std_rel_diff']:8.1e} "
                   f"{'yes' if r['stats_agree'] else 'NO':>5}")
    worst = max(r["max_abs_diff_S"] for r in res["pcm_speed"])
    out.append(f"  (d mean / d std: relative difference memsim vs plain; same seeds and "
               f"draw order, largest element-wise |diff| = {worst:.2e} S)")
    out.append("")

    out.append("PCM peak traced memory (tracemalloc), bytes per device")
    out.append(f"{'N':>5} {'program peak':>13} {'state':>7} {'read peak':>10}")
    for m in res["pcm_memory"]:
        out.append(f"{_fmt_n(m['n']):>5} {m['program_peak_B_per_device']:13.1f} "
                   f"{m['state_B_per_device']:7.1f} {m['read_peak_B_per_device']:10.1f}")
    sc = res["pcm_memory_scaling"]
    out.append(f"  ratio large/small N: program {sc['program_peak_B_per_device']:.3f}, "
               f"state {sc['state_B_per_device']:.3f}, read {sc['read_peak_B_per_device']:.3f}"
               "  (1.0 = memory O(devices))")
    out.append("")

    p0 = res["pulse"][0]
    out.append(f"Pulse devices: {_fmt_n(p0['n'])} devices x {p0['steps']} steps of one "
               "random pulse in {-1, 0, +1}; Cython kernel vs NumPy reference")
    out.append(f"{'device':<18} {'kernel s':>9} {'numpy s':>8} {'speed-up':>8} "
               f"{'kernel pulses/s':>15} {'numpy pulses/s':>14} {'max |diff| S':>12} "
               f"{'/(gmax-gmin)':>12}")
    for r in res["pulse"]:
        out.append(f"{r['label']:<18} {r['kernel_s']:9.3f} {r['numpy_s']:8.3f} "
                   f"{r['speedup']:8.2f} {r['kernel_pulses_per_s']:15.3g} "
                   f"{r['numpy_pulses_per_s']:14.3g} {r['max_abs_diff_S']:12.2e} "
                   f"{r['max_diff_rel_range']:12.2e}")
    out.append(f"  (pulses applied per run: {p0['pulses']:,}; kernel device updates/s: "
               + ", ".join(f"{r['kernel_updates_per_s']:.3g}" for r in res["pulse"]) + ")")
    out.append("")
    out.append(f"Peak resident memory of the process: {res['peak_rss_bytes'] / 2**30:.2f} GiB")
    return "\n".join(out)


def main(argv=None):
    """Command-line entry point."""
    return _common.main(__doc__, run, format_report, "10x smaller sizes and 20 pulse steps", argv)


if __name__ == "__main__":
    sys.exit(main())
