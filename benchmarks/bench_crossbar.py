"""Speed, memory and accuracy benchmark of memsim's crossbar circuit solvers.

What is measured
----------------
Every figure is printed next to the target of the issue it answers, with
PASS or MISS; nothing is asserted. Baselines run in the same process.

1. IR-drop-exact inference of 100,000 input vectors on a 256 x 256 tile
   (2.5 ohm row and column segments, no driver or sense resistance,
   G uniform in 1-100 uS, V uniform in [0, 0.2] V).

   * memsim: ``Crossbar(G, Wires(2.5, 2.5)).solve(V)`` on a fresh Crossbar,
     i.e. building the effective matrix K plus ``V @ K.T`` (plus input
     validation) for all inputs; best of a few repeats.
   * baseline: the full nodal matrix (2 M N unknowns) assembled from
     ``memsim.crossbar._reference.assemble`` as
     ``A = a_wire + b_dev.T diag(G) b_dev``, factorised once by
     ``scipy.sparse.linalg.splu``, then solved for every input
     (``s[drive] = g0 V``, currents ``gend x[sense]``). Both SuperLU column
     orderings suited to this matrix are factorised (COLAMD, scipy's
     default, and MMD_AT_PLUS_A, SuperLU's choice for symmetric structure);
     the one whose first block of solves is faster is kept for the rest.
     Solving 100,000 inputs this way would take tens of minutes, so only a
     subset is solved (500 inputs; 50 with ``--quick``), by ``lu.solve`` on
     blocks of 100 right-hand sides, the baseline's most favourable use.
     The baseline total is **extrapolated**: assembly + factorisation +
     (measured per-input block-solve time) x 100,000. The per-input time of
     one-at-a-time solves (``lu.solve`` of one vector) is reported too.
   * accuracy: ``||I_memsim - I_splu|| / ||I_splu||`` over the subset.

2. Per-input cost after set-up, on the same batch: ``V @ K.T`` (K built and
   cached) against numpy's ideal-crossbar matmul ``V @ G`` (same shapes, no
   wires); best of 3. Also shown: ``Crossbar.solve(V)`` with K cached, which
   adds input validation.

3. Effective-matrix build ``Crossbar(G, wires).effective_matrix()`` at
   256 x 256 (best of 3) and 1024 x 1024 (one run; skipped by ``--quick``),
   with the peak memory traced by :mod:`tracemalloc` (numpy reports its
   buffers to it; the 1024 time is taken in the traced run, which is
   harmless as the build makes a handful of large allocations) and the
   process CPU time (CPU / wall shows how many cores BLAS kept busy). K is
   checked against per-input solves of a fresh Crossbar (one input, so the
   preconditioned-CG path) at ``rtol=1e-12``.

4. Nonlinear sinh devices (v0 = 0.25 V), 128 x 128, 10 ohm segments,
   G = 1 / U(10 kohm, 1 Mohm), one input V uniform in [0, 0.3] V, both to a
   relative KCL residual of 1e-9: memsim ``Crossbar(G, wires,
   Sinh(0.25)).solve(v[None], rtol=1e-9)`` (inexact Newton + PCG) against
   ``_reference.nonlinear_solve`` (Newton + ``scipy.sparse.linalg.spsolve``);
   Newton steps of each and the relative difference of the currents. Also
   memsim on a batch of 20 inputs (successive inputs warm-started), per input.

5. Bonus (256 x 256, setting of 1): one input through the per-input CG path
   (fresh Crossbar) against one splu solve after factorisation and against
   assembly + factorisation + one solve.

Usage
-----
::

    python benchmarks/bench_crossbar.py [--quick] [--json]

``--quick`` uses 10,000 inputs, a 50-input splu subset, a 64 x 64 nonlinear
array with a batch of 5, and skips the 1024 x 1024 build (a few seconds);
``--json`` prints the results as one JSON document instead of the table.
Timings depend on other load on the machine: OpenBLAS threads busy-wait for
each other, so a second process competing for the cores can slow the
multi-threaded K build by several times. The load average is printed.
"""

from __future__ import annotations

import gc
import os
import platform
import sys
import time
import tracemalloc

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import _common  # benchmarks/ is on sys.path when run as a script
from _common import best_time, peak_rss_bytes
from memsim.crossbar import Crossbar, Wires
from memsim.crossbar import _reference as ref
from memsim.devices.iv import Sinh

SIZES = {
    "full": {"tile": 256, "inputs": 100_000, "subset": 500, "block": 100, "single": 20,
             "k_sizes": (256, 1024), "k_checks": 3, "nl_size": 128, "nl_batch": 20,
             "ref_repeats": 2},
    "quick": {"tile": 256, "inputs": 10_000, "subset": 50, "block": 100, "single": 5,
              "k_sizes": (256,), "k_checks": 2, "nl_size": 64, "nl_batch": 5,
              "ref_repeats": 1},
}

TARGETS = {
    "inference_speedup": 100.0,     # memsim >= 100x faster than splu, in total
    "inference_rel_diff": 1e-9,     # ||I_memsim - I_splu|| / ||I_splu||
    "per_input_over_matmul": 2.0,   # V @ K.T within 2x of V @ G
    "k_build_s": {256: 0.5, 1024: 60.0},
    "nonlinear_speedup": 20.0,      # memsim >= 20x faster than Newton + spsolve
}

R_SEGMENT = 2.5                     # ohm, linear benchmarks
G_RANGE = (1e-6, 1e-4)              # S, linear benchmarks
V_MAX = 0.2                         # V, linear benchmarks
NL_R_SEGMENT = 10.0                 # ohm
NL_R_RANGE = (1e4, 1e6)             # ohm, device resistance at 0 V
NL_V_MAX = 0.3                      # V
NL_V0 = 0.25                        # V, sinh characteristic voltage
NL_RTOL = 1e-9
CG_RTOL = 1e-12                     # per-input CG checks
ORDERINGS = ("COLAMD", "MMD_AT_PLUS_A")

SEED_G, SEED_V, SEED_NL = 31, 32, 33


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------



def rel_norm_diff(a, b):
    """``||a - b||_2 / ||b||_2`` over whole arrays."""
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def tile_conductances(n, seed=SEED_G):
    """(n, n) conductances (S) uniform in ``G_RANGE``."""
    return np.random.default_rng(seed).uniform(*G_RANGE, (n, n))


def input_voltages(batch, m, v_max=V_MAX, seed=SEED_V):
    """(batch, m) row voltages (V) uniform in ``[0, v_max]``."""
    return np.random.default_rng(seed).uniform(0.0, v_max, (batch, m))


def blas_threads():
    """Threads of each BLAS library loaded (threadpoolctl), e.g. ``{'openblas': 2}``."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:     # pragma: no cover - threadpoolctl is a dependency
        return {}
    return {f"{i['internal_api']}": i["num_threads"] for i in threadpool_info()
            if i.get("user_api") == "blas"}


def nodal_system(g, wires):
    """Baseline set-up: ``A = a_wire + b_dev^T diag(G) b_dev`` (CSC), drive and sense nodes."""
    a_wire, b_dev, drive, sense = ref.assemble(g.shape, wires)
    a = (a_wire + b_dev.T @ sp.diags(g.ravel()) @ b_dev).tocsc()
    return a, drive, sense


def splu_currents(lu, voltages, n_nodes, drive, sense, wires):
    """Column currents (A) of ``voltages`` (batch, M) by one ``lu.solve`` on all columns."""
    g0, _, _, gend = wires.conductances
    rhs = np.zeros((n_nodes, len(voltages)))
    rhs[drive] = g0 * voltages.T
    return gend * lu.solve(rhs)[sense].T


def cg_solve(g, wires, v):
    """One input through the per-input CG path of a fresh Crossbar."""
    return Crossbar(g, wires).solve(v[None], rtol=CG_RTOL)


# --------------------------------------------------------------------------
# 1 + 2. Inference on a batch, against splu and against numpy matmul
# --------------------------------------------------------------------------

def bench_inference(n, n_inputs, n_subset, block, n_single, repeats):
    """Measurements 1 and 2 (and the splu figures used by 5).

    Parameters
    ----------
    n : int
        Tile size (n x n).
    n_inputs : int
        Batch size of the inference.
    n_subset : int
        Inputs solved by the splu baseline (in blocks of ``block``).
    n_single : int
        Inputs solved one at a time by the splu baseline.
    repeats : int
        Repeats of the memsim timings (best kept).

    Returns
    -------
    dict
    """
    wires = Wires(R_SEGMENT, R_SEGMENT)
    g = tile_conductances(n)
    v = input_voltages(n_inputs, n)

    # memsim: fresh Crossbar, K build + one product over the whole batch
    t_total, i_mem = best_time(lambda: Crossbar(g, wires).solve(v).currents, repeats)
    t_build, _ = best_time(lambda: Crossbar(g, wires).effective_matrix(), repeats)
    xb = Crossbar(g, wires)
    k = xb.effective_matrix()

    # 2: per-input cost after set-up, against the ideal matmul
    kt = k.T
    t_kt = t_g = float("inf")
    for _ in range(3):   # interleaved, so machine noise hits both alike
        t, out = best_time(lambda: v @ kt, 1)
        t_kt = min(t_kt, t)
        del out
        t, out = best_time(lambda: v @ g, 1)
        t_g = min(t_g, t)
        del out
    t_solve_cached, out = best_time(lambda: xb.solve(v).currents, 3)
    del out

    # 1: baseline, splu of the nodal matrix
    t_asm, (a, drive, sense) = best_time(lambda: nodal_system(g, wires), 1)
    nn = a.shape[0]
    v_sub = v[:n_subset]
    block = min(block, n_subset)
    orderings = {}
    for spec in ORDERINGS:
        t_fac, lu = best_time(lambda: spla.splu(a, permc_spec=spec), 1)
        t_blk, i_blk = best_time(
            lambda: splu_currents(lu, v_sub[:block], nn, drive, sense, wires), 1)
        orderings[spec] = {"lu": lu, "factor_s": t_fac, "first_block_s": t_blk,
                           "first_block": i_blk, "lu_nnz": int(lu.L.nnz + lu.U.nnz)}
    chosen = min(ORDERINGS, key=lambda s: orderings[s]["first_block_s"])
    lu = orderings[chosen]["lu"]
    t_blocks = orderings[chosen]["first_block_s"]
    parts = [orderings[chosen]["first_block"]]
    for start in range(block, n_subset, block):
        chunk = v_sub[start:start + block]
        t0 = time.perf_counter()
        parts.append(splu_currents(lu, chunk, nn, drive, sense, wires))
        t_blocks += time.perf_counter() - t0
    i_splu = np.concatenate(parts)
    per_input_block = t_blocks / n_subset

    g0, _, _, gend = wires.conductances
    t0 = time.perf_counter()
    for vk in v[:n_single]:
        rhs = np.zeros(nn)
        rhs[drive] = g0 * vk
        x = lu.solve(rhs)
        i_one = gend * x[sense]
    per_input_single = (time.perf_counter() - t0) / n_single
    single_check = rel_norm_diff(i_one, i_splu[n_single - 1])

    t_factor = orderings[chosen]["factor_s"]
    base_total = t_asm + t_factor + per_input_block * n_inputs
    base_total_single = t_asm + t_factor + per_input_single * n_inputs
    rel = rel_norm_diff(i_mem[:n_subset], i_splu)
    res = {
        "n": n, "inputs": n_inputs, "subset": n_subset, "block": block, "single": n_single,
        "memsim_total_s": t_total, "memsim_k_build_s": t_build,
        "memsim_per_input_s": t_total / n_inputs,
        "splu_ordering": chosen,
        "splu_orderings": {s: {k2: val for k2, val in o.items()
                               if k2 not in ("lu", "first_block")}
                           for s, o in orderings.items()},
        "splu_assemble_s": t_asm, "splu_factor_s": t_factor,
        "splu_lu_nnz": orderings[chosen]["lu_nnz"], "splu_nodes": nn,
        "splu_subset_solve_s": t_blocks,
        "splu_per_input_block_s": per_input_block,
        "splu_per_input_single_s": per_input_single,
        "splu_total_extrapolated_s": base_total,
        "splu_total_single_extrapolated_s": base_total_single,
        "speedup": base_total / t_total,
        "speedup_vs_single": base_total_single / t_total,
        "rel_diff": rel, "single_vs_block_rel_diff": single_check,
        "matmul_kt_s": t_kt, "matmul_g_s": t_g, "kt_over_g": t_kt / t_g,
        "solve_cached_s": t_solve_cached, "solve_cached_over_g": t_solve_cached / t_g,
        "per_input_kt_s": t_kt / n_inputs, "per_input_g_s": t_g / n_inputs,
    }
    res["pass_speedup"] = res["speedup"] >= TARGETS["inference_speedup"]
    res["pass_rel_diff"] = rel <= TARGETS["inference_rel_diff"]
    res["pass_matmul"] = res["kt_over_g"] <= TARGETS["per_input_over_matmul"]
    del orderings, lu
    return res


# --------------------------------------------------------------------------
# 3. Effective matrix build: time, memory, check against per-input solves
# --------------------------------------------------------------------------

def bench_k_build(n, repeats, n_checks):
    """Build time and peak traced memory of K (n x n); check K by per-input CG solves.

    ``repeats > 1``: best of untraced runs, then one traced run for memory.
    ``repeats == 1``: a single run, timed while traced.
    """
    wires = Wires(R_SEGMENT, R_SEGMENT)
    g = tile_conductances(n)

    def build():
        return Crossbar(g, wires).effective_matrix()

    t_best = float("inf")
    if repeats > 1:
        t_best, _ = best_time(build, repeats)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        k = build()
        t_traced, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    t_best = min(t_best, t_traced)

    v = input_voltages(n_checks, n, seed=SEED_V + 1)
    i_k = v @ k.T
    checks = []
    for idx in range(n_checks):
        t0 = time.perf_counter()
        sol = cg_solve(g, wires, v[idx])
        t_cg = time.perf_counter() - t0
        checks.append({"rtol": CG_RTOL, "cg_iter": int(sol.n_iter[0]),
                       "residual": float(sol.residual), "time_s": t_cg,
                       "rel_diff": rel_norm_diff(i_k[idx], sol.currents[0])})
    expected = (2 * n * n + 2 * n * n) * 8    # docstring estimate, M = N = n
    return {
        "n": n, "build_s": t_best, "build_cpu_s": cpu, "build_traced_s": t_traced,
        "cpu_over_wall": cpu / t_traced, "peak_traced_MB": peak / 1e6,
        "docstring_estimate_MB": expected / 1e6,
        "k_MB": k.nbytes / 1e6, "checks": checks,
        "max_rel_diff": max(c["rel_diff"] for c in checks),
        "target_s": TARGETS["k_build_s"].get(n),
        "pass": t_best <= TARGETS["k_build_s"].get(n, float("inf")),
    }


# --------------------------------------------------------------------------
# 4. Nonlinear sinh devices
# --------------------------------------------------------------------------

def bench_nonlinear(n, batch, ref_repeats):
    """memsim Newton + PCG against reference Newton + spsolve, one input and a batch."""
    rng = np.random.default_rng(SEED_NL)
    g = 1.0 / rng.uniform(*NL_R_RANGE, (n, n))
    v = rng.uniform(0.0, NL_V_MAX, (batch, n))
    wires = Wires(NL_R_SEGMENT, NL_R_SEGMENT)
    iv = Sinh(NL_V0)

    def memsim_one():
        return Crossbar(g, wires, iv).solve(v[:1], rtol=NL_RTOL)

    def ref_one():
        return ref.nonlinear_solve(g, v[:1], wires, iv, rtol=NL_RTOL)

    t_mem, sol = best_time(memsim_one, 3)
    t_ref, (i_ref, _, steps) = best_time(ref_one, ref_repeats)
    t_batch, sol_b = best_time(
        lambda: Crossbar(g, wires, iv).solve(v, rtol=NL_RTOL), 2 if batch > 5 else 3)
    res = {
        "n": n, "batch": batch, "rtol": NL_RTOL, "v0": NL_V0,
        "memsim_s": t_mem, "reference_s": t_ref, "speedup": t_ref / t_mem,
        "memsim_newton": int(sol.n_iter[0]), "reference_newton": int(steps[0]),
        "memsim_residual": float(sol.residual),
        "rel_diff": rel_norm_diff(sol.currents, i_ref),
        "batch_s": t_batch, "batch_per_input_s": t_batch / batch,
        "batch_newton_mean": float(sol_b.n_iter.mean()),
        "batch_newton_first": int(sol_b.n_iter[0]),
        "batch_speedup_per_input": t_ref / (t_batch / batch),
    }
    res["pass"] = res["speedup"] >= TARGETS["nonlinear_speedup"]
    return res


# --------------------------------------------------------------------------
# 5. Per-input CG path against one splu solve
# --------------------------------------------------------------------------

def bench_cg_single(n, inference):
    """One input through a fresh Crossbar's CG path; splu figures from ``inference``."""
    wires = Wires(R_SEGMENT, R_SEGMENT)
    g = tile_conductances(n)
    v = input_voltages(1, n, seed=SEED_V + 2)[0]
    t_cg, sol = best_time(lambda: cg_solve(g, wires, v), 3)
    splu_one = inference["splu_per_input_single_s"]
    splu_fac = inference["splu_assemble_s"] + inference["splu_factor_s"] + splu_one
    return {"n": n, "rtol": CG_RTOL, "cg_s": t_cg,
            "cg_iter": int(sol.n_iter[0]), "splu_solve_s": splu_one,
            "splu_factor_solve_s": splu_fac, "cg_over_splu_solve": t_cg / splu_one,
            "splu_factor_solve_over_cg": splu_fac / t_cg}


# --------------------------------------------------------------------------
# Driver and report
# --------------------------------------------------------------------------

def run(quick=False):
    """Run every benchmark; return a JSON-serialisable dict of results."""
    sizes = SIZES["quick" if quick else "full"]
    results = {"config": {
        "quick": quick, "python": platform.python_version(), "numpy": np.__version__,
        "scipy": scipy.__version__, "machine": platform.machine(),
        "cpu_count": os.cpu_count(), "blas_threads": blas_threads(),
        "load_average_start": list(os.getloadavg()), **{k: v for k, v in sizes.items()
                                                         if k != "k_sizes"},
        "k_sizes": list(sizes["k_sizes"])}}

    inf = bench_inference(sizes["tile"], sizes["inputs"], sizes["subset"], sizes["block"],
                          sizes["single"], repeats=3 if quick else 2)
    results["inference"] = inf
    gc.collect()
    results["k_build"] = [bench_k_build(n, repeats=3 if n <= 512 else 1,
                                        n_checks=sizes["k_checks"])
                          for n in sizes["k_sizes"]]
    gc.collect()
    results["nonlinear"] = bench_nonlinear(sizes["nl_size"], sizes["nl_batch"],
                                           sizes["ref_repeats"])
    results["cg_single"] = bench_cg_single(sizes["tile"], inf)
    results["config"]["load_average_end"] = list(os.getloadavg())
    results["peak_rss_bytes"] = peak_rss_bytes()
    return results


def _ok(flag):
    return "PASS" if flag else "MISS"


def _ms(seconds):
    return f"{seconds * 1e3:.3g} ms"


def _us(seconds):
    return f"{seconds * 1e6:.3g} us"


def format_report(res):
    """Readable table of the results returned by :func:`run`."""
    cfg = res["config"]
    inf, nl, cg = res["inference"], res["nonlinear"], res["cg_single"]
    threads = ", ".join(f"{k} {v} threads" for k, v in cfg["blas_threads"].items()) or "?"

    def load(key):
        return " ".join(f"{x:.2f}" for x in cfg[key])

    n = inf["n"]
    out = [f"memsim crossbar benchmark (python {cfg['python']}, numpy {cfg['numpy']}, "
           f"scipy {cfg['scipy']}, {cfg['machine']}, {cfg['cpu_count']} CPUs, BLAS: "
           f"{threads}{', quick' if cfg['quick'] else ''})",
           f"load average at start: {load('load_average_start')}, "
           f"at end: {load('load_average_end')}", ""]

    w = 58
    out.append(f"{'measurement':<{w}} {'measured':>12} {'target':>10}  result")
    out.append("-" * (w + 32))

    def line(label, value, target, flag):
        out.append(f"{label:<{w}} {value:>12} {target:>10}  "
                   f"{'' if flag is None else _ok(flag)}")

    out.append(f"1. IR-drop-exact inference, {inf['inputs']:,} inputs, {n}x{n}, "
               f"{R_SEGMENT} ohm segments")
    line("   speed-up: splu total (extrapolated) / memsim total",
         f"{inf['speedup']:.0f}x", f">= {TARGETS['inference_speedup']:.0f}x",
         inf["pass_speedup"])
    line(f"   ||I_memsim - I_splu|| / ||I_splu|| ({inf['subset']} inputs)",
         f"{inf['rel_diff']:.1e}", f"<= {TARGETS['inference_rel_diff']:.0e}",
         inf["pass_rel_diff"])
    out.append(f"   memsim: Crossbar(G, wires).solve(V), fresh: {inf['memsim_total_s']:.3f} s "
               f"(K build {inf['memsim_k_build_s']:.3f} s; "
               f"{_us(inf['memsim_per_input_s'])}/input overall)")
    out.append(f"   splu ({inf['splu_ordering']} ordering, {inf['splu_nodes']:,} nodes, "
               f"{inf['splu_lu_nnz']:,} nonzeros in L+U): assemble "
               f"{inf['splu_assemble_s']:.3f} s, factorise {inf['splu_factor_s']:.3f} s,")
    out.append(f"     solve {_ms(inf['splu_per_input_block_s'])}/input in blocks of "
               f"{inf['block']} RHS ({inf['subset']} inputs measured in "
               f"{inf['splu_subset_solve_s']:.2f} s), {_ms(inf['splu_per_input_single_s'])}"
               f"/input one at a time ({inf['single']} measured)")
    out.append(f"     total EXTRAPOLATED from {inf['subset']} measured solves to "
               f"{inf['inputs']:,}: assemble + factorise + per-input x {inf['inputs']:,} = "
               f"{inf['splu_total_extrapolated_s']:.0f} s")
    out.append(f"     (one-at-a-time solves: {inf['splu_total_single_extrapolated_s']:.0f} s "
               f"extrapolated from {inf['single']}, speed-up {inf['speedup_vs_single']:.0f}x)")
    other = {s: o for s, o in inf["splu_orderings"].items() if s != inf["splu_ordering"]}
    for spec, o in other.items():
        out.append(f"     (other ordering {spec}: factorise {o['factor_s']:.3f} s, "
                   f"{o['lu_nnz']:,} nonzeros, first block "
                   f"{_ms(o['first_block_s'] / inf['block'])}/input)")
    out.append("")

    out.append(f"2. Per-input cost after set-up ({inf['inputs']:,} inputs, K cached)")
    line("   V @ K.T  /  numpy V @ G", f"{inf['kt_over_g']:.2f}x",
         f"<= {TARGETS['per_input_over_matmul']:.0f}x", inf["pass_matmul"])
    out.append(f"   V @ K.T {inf['matmul_kt_s']:.3f} s ({_us(inf['per_input_kt_s'])}/input), "
               f"V @ G {inf['matmul_g_s']:.3f} s ({_us(inf['per_input_g_s'])}/input); "
               f"Crossbar.solve(V) {inf['solve_cached_s']:.3f} s "
               f"({inf['solve_cached_over_g']:.2f}x V @ G, adds input validation)")
    out.append("")

    out.append("3. Effective matrix K build: Crossbar(G, wires).effective_matrix()")
    for kb in res["k_build"]:
        line(f"   {kb['n']}x{kb['n']} build time", f"{kb['build_s']:.3f} s",
             f"<= {kb['target_s']:g} s" if kb["target_s"] else "", kb["pass"]
             if kb["target_s"] else None)
        out.append(f"     peak traced memory {kb['peak_traced_MB']:.1f} MB (docstring estimate "
                   f"2N^2+2MN doubles = {kb['docstring_estimate_MB']:.1f} MB; K itself "
                   f"{kb['k_MB']:.1f} MB); CPU/wall {kb['cpu_over_wall']:.2f}")
        rt = sorted({c["rtol"] for c in kb["checks"]})
        its = ", ".join(str(c["cg_iter"]) for c in kb["checks"])
        out.append(f"     K vs {len(kb['checks'])} per-input CG solves (rtol "
                   f"{', '.join(f'{r:g}' for r in rt)}; {its} CG iterations): "
                   f"max rel. diff {kb['max_rel_diff']:.1e}")
    if not any(kb["n"] == 1024 for kb in res["k_build"]):
        out.append("   1024x1024 build skipped (--quick)")
    out.append("")

    out.append(f"4. Nonlinear sinh (v0 = {nl['v0']} V), {nl['n']}x{nl['n']}, "
               f"{NL_R_SEGMENT} ohm segments, one input, rtol {nl['rtol']:g}")
    line("   speed-up: reference Newton+spsolve / memsim", f"{nl['speedup']:.1f}x",
         f">= {TARGETS['nonlinear_speedup']:.0f}x", nl["pass"])
    out.append(f"   memsim {_ms(nl['memsim_s'])} ({nl['memsim_newton']} Newton steps, "
               f"residual {nl['memsim_residual']:.1e}); reference {nl['reference_s']:.3f} s "
               f"({nl['reference_newton']} Newton steps); rel. current diff "
               f"{nl['rel_diff']:.1e}")
    out.append(f"   memsim batch of {nl['batch']} (warm start): {_ms(nl['batch_per_input_s'])}"
               f"/input, {nl['batch_newton_mean']:.1f} Newton steps/input "
               f"({nl['batch_newton_first']} for the first); "
               f"{nl['batch_speedup_per_input']:.1f}x the reference per input")
    out.append("")

    out.append(f"5. One input, {cg['n']}x{cg['n']}: per-input CG path (fresh Crossbar, rtol "
               f"{cg['rtol']:g}, {cg['cg_iter']} iterations) vs splu")
    out.append(f"   CG {_ms(cg['cg_s'])}; splu one solve after factorisation "
               f"{_ms(cg['splu_solve_s'])} (CG / splu solve = "
               f"{cg['cg_over_splu_solve']:.2f}); splu assemble+factorise+solve "
               f"{cg['splu_factor_solve_s']:.3f} s ({cg['splu_factor_solve_over_cg']:.0f}x CG)")
    out.append("")
    out.append(f"Peak resident memory of the process: {res['peak_rss_bytes'] / 2**30:.2f} GiB")
    return "\n".join(out)


def main(argv=None):
    """Command-line entry point."""
    return _common.main(__doc__, run, format_report, "10,000 inputs, 50-input splu subset, 64x64 nonlinear, no 1024x1024 build", argv)


if __name__ == "__main__":
    sys.exit(main())
