"""Overhead and parallel speed-up of memsim's sweep machinery.

What is measured
----------------
Points of the ``synthetic`` experiment (``memsim.studies.sweep.points``): a fixed
number of 128 x 128 matrix products, calibrated at start so one point takes
about 150 ms on one core, then a seeded normal draw. One point per task
(``batch = 1``), results written as part files as in a real sweep.

1. Baseline: the same points called one after the other in this process
   (``synthetic_point`` in a plain loop, one BLAS thread), no sweep machinery.
2. ``run_sweep`` with 1 local worker process: wall time of the whole call
   (pool start-up, task submission, result files, the merged results.csv)
   against the sum of the points' own times as recorded in their rows.
   Per-point overhead = (wall - sum of point times) / sum of point times;
   also wall / baseline.
3. ``run_sweep`` with 2 local worker processes: speed-up = wall(1) / wall(2).
4. ``run_sweep`` on a local Dask cluster of 2 workers (``--dask-local 2``),
   cluster start-up included: speed-up against wall(1).

The machine's load average is printed at start and end: another process busy
on a core caps the speed-up of 2 workers below 2. Nothing is asserted.

Usage
-----
::

    python benchmarks/bench_sweep.py [--quick] [--json]

``--quick`` runs 12 points instead of 40 (about 15 s instead of 40 s).
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import _common  # benchmarks/ is on sys.path when run as a script
from memsim.studies.sweep import load_results, load_spec, run_sweep
from memsim.studies.sweep.points import synthetic_point

TARGET_S = 0.150


def calibrate():
    """``work`` (matrix products) for a point of about TARGET_S seconds on one thread."""
    with threadpool_limits(1):
        synthetic_point({"x": 0.0, "y": 0.0, "work": 50, "seed": 0})      # warm up
        start = time.perf_counter()
        synthetic_point({"x": 0.0, "y": 0.0, "work": 400, "seed": 0})
        per_product = (time.perf_counter() - start) / 400
    return max(1, round(TARGET_S / per_product))


def sweep(spec, folder, **backend):
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    run_sweep(spec, folder, **backend)
    wall = time.perf_counter() - start
    _, rows = load_results(folder)
    return wall, float(sum(r["seconds"] for r in rows)), len(rows)


def run(quick=False):
    n = 12 if quick else 40
    load_start = os.getloadavg()
    work = calibrate()
    tmp = Path(tempfile.mkdtemp(prefix="memsim-bench-sweep-"))
    try:
        spec_path = tmp / "spec.toml"
        spec_path.write_text(f'experiment = "synthetic"\nbatch = 1\n[base]\nwork = {work}\n'
                             f'[grid]\nx = {[float(i) for i in range(n)]}\n')
        spec = load_spec(spec_path)
        with threadpool_limits(1):
            start = time.perf_counter()
            for i in range(n):
                synthetic_point({"x": float(i), "y": 0.0, "work": work, "seed": 0})
            plain = time.perf_counter() - start
        one = sweep(spec, tmp / "one", workers=1)
        two = sweep(spec, tmp / "two", workers=2)
        dask = sweep(spec, tmp / "dask", dask_local=2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"config": {"python": platform.python_version(), "numpy": np.__version__,
                       "cpus": os.cpu_count(), "points": n, "work": work,
                       "load_start": load_start, "load_end": os.getloadavg()},
            "plain_loop_s": plain,
            "sweep_1_worker": {"wall_s": one[0], "point_s": one[1],
                               "overhead": (one[0] - one[1]) / one[1],
                               "wall_over_plain": one[0] / plain},
            "sweep_2_workers": {"wall_s": two[0], "point_s": two[1],
                                "speedup_vs_1": one[0] / two[0]},
            "dask_local_2": {"wall_s": dask[0], "point_s": dask[1],
                             "speedup_vs_1": one[0] / dask[0]}}


def format_report(res):
    c = res["config"]
    one, two, dask = res["sweep_1_worker"], res["sweep_2_workers"], res["dask_local_2"]
    mean_point = one["point_s"] / c["points"]
    return "\n".join([
        f"sweep machinery (python {c['python']}, numpy {c['numpy']}, {c['cpus']} CPUs, "
        f"load average {c['load_start'][0]:.2f} at start, {c['load_end'][0]:.2f} at end)",
        f"{c['points']} synthetic points of {c['work']} matrix products, "
        f"{mean_point * 1e3:.0f} ms each (mean, as recorded by the sweep), one per task", "",
        f"plain loop in this process (baseline)  {res['plain_loop_s']:7.2f} s",
        f"sweep, 1 local worker                  {one['wall_s']:7.2f} s   per-point overhead "
        f"{one['overhead']:6.1%} of the points' own time; {one['wall_over_plain']:.3f}x the "
        f"plain loop",
        f"sweep, 2 local workers                 {two['wall_s']:7.2f} s   speed-up "
        f"{two['speedup_vs_1']:.2f}x against 1 worker",
        f"sweep, local Dask cluster of 2         {dask['wall_s']:7.2f} s   speed-up "
        f"{dask['speedup_vs_1']:.2f}x against 1 local worker (cluster start-up included)"])


def main(argv=None):
    return _common.main(__doc__, run, format_report, "12 points instead of 40", argv)


if __name__ == "__main__":
    sys.exit(main())
