"""Parameter and Monte Carlo sweeps, in local processes or on a Dask cluster.

A sweep spec (TOML, ``data/sweeps/*.toml``)::

    experiment = "run"          # run, tile, synthetic or "module:attribute"
    seed = 0                    # replicate k runs with seed + k (see below)
    replicates = 10             # Monte Carlo seeds per parameter point
    measures = ["mean_return"]  # default: every measure of the experiment
    batch = 1                   # points per task (default: the experiment's)

    [base]                      # config keys fixed for the whole sweep
    policies = ["cartpole"]
    evaluation.episodes = 8

    [grid]                      # cartesian product of these values
    "evaluation.times" = [1.0, 3600.0]
    "pcm.prog_noise_scale" = [0.5, 1.0, 2.0]
    "rows,cols" = [[64, 64], [128, 128]]   # linked keys: values taken together

    [random]                    # n points drawn from the spec seed, crossed with the grid
    n = 16
    "tile.r_row" = {low = 0.1, high = 10.0, log = true}

Every key is checked against the experiment's defaults as a config file is
(:func:`memsim.config.load_config`): an unknown key or a value of the wrong
type is an error naming it. A scalar given for a list-typed key (``devices``,
``evaluation.times``) is wrapped into a one-element list.

Seeds: replicate ``k`` (0-based) of every parameter point sets the
experiment's seed key to ``seed + k``. The same seeds at every parameter point
make comparisons between points paired (common random numbers).

Results folder ``--out DIR``: ``spec.toml`` (the spec as given), ``sweep.json``
(the resolved spec, its hash and the columns), ``results/part-NNNNNN.csv``
(one file per finished task, written atomically by the client) and, when the
sweep completes, ``results.csv`` (every row, in plan order). One row per point:
``point`` (a hash of its parameters and replicate), ``replicate``, ``seed``,
the swept parameters, the measures, ``seconds`` and ``memsim_version``. A run
with ``resume=True`` reads the parts and computes only the missing points; a
folder holding another spec is refused before anything is written.
"""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED
from pathlib import Path

from ..._io import write_csv, write_json, write_text
from ..._outdir import OutputFolder
from ..._version import __version__
from .spec import (SweepError, columns, format_cell, load_results, load_spec, plan,
                         point_config, read_parts, spec_hash)
from .points import get_experiment, run_batch

RETRIES = 3           # times a task is retried after its worker died

__all__ = ["SweepError", "load_results", "load_spec", "plan", "run_sweep"]


def _open_folder(out, spec, resume):
    """Check ``out`` against ``spec``; return it and the finished point keys. Writes nothing."""
    folder = OutputFolder.open(out, "sweep", {"spec_hash": spec_hash(spec)},
                               of="sweep spec")
    done = {r["point"] for r in read_parts(folder.path)} if folder.resumed else set()
    if done and not resume:
        raise SweepError(f"{out} already holds {len(done)} finished points of this "
                         f"sweep; add --resume to compute the rest")
    return folder, done


class _Writer:
    """Writes each finished task's rows as one part file (atomic rename)."""

    def __init__(self, out, spec):
        self.folder = Path(out) / "results"
        self.columns = columns(spec)
        self.spec = spec
        names = [p.stem for p in self.folder.glob("part-*.csv")]
        self.next = max((int(n.split("-")[1]) for n in names), default=-1) + 1

    def write(self, rows):
        _write_rows(self.folder / f"part-{self.next:06d}.csv", rows, self.columns)
        self.next += 1


def _rows(results, info, spec):
    rows = []
    for key, measures, seconds in results:
        params, replicate, seed = info[key]
        rows.append({"point": key, "replicate": replicate, "seed": seed, **params,
                     **{m: measures[m] for m in spec["measures"]}, "seconds": round(seconds, 6),
                     "memsim_version": __version__})
    return rows


# ------------------------------------------------------------------------- execution

def _watch_parent(parent):
    """In a local worker: exit when the client process is gone (killed, not joined)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the client's to handle

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


class _LocalBackend:
    name = "local processes"

    def __init__(self, workers):
        from concurrent.futures import ProcessPoolExecutor
        self.workers = workers
        self._make = lambda: ProcessPoolExecutor(workers, initializer=_watch_parent,
                                                 initargs=(os.getpid(),))
        self.pool = self._make()

    def slots(self):
        return 2 * self.workers

    def submit(self, experiment, batch):
        return self.pool.submit(run_batch, experiment, batch)

    def wait(self, futures):
        from concurrent.futures import wait
        return wait(futures, return_when=FIRST_COMPLETED)[0]

    def restart(self):
        """After a worker process died: a fresh pool (the caller resubmits)."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._make()

    def close(self, abort=False):
        if abort:
            for proc in list(getattr(self.pool, "_processes", {}).values()):
                proc.terminate()
        self.pool.shutdown(wait=not abort, cancel_futures=True)


def _probe_scheduler(address, timeout):
    """Open one Dask connection to ``address`` (with its handshake) within ``timeout`` s.

    ``distributed.Client`` bounds the TCP connect by its ``timeout`` but not
    always what follows: a listener that never answers holds it for minutes,
    and one that speaks another protocol (HTTP) can make it read a garbage
    frame length. The probe runs distributed's own ``connect`` under a hard
    deadline and turns every failure into one error naming the address.
    """
    import asyncio

    from distributed.comm import connect, parse_address

    try:
        parse_address(address, strict=True)
    except ValueError as exc:
        raise SweepError(f"--scheduler must be an address like tcp://HOST:PORT, got "
                         f"{address!r} ({exc})") from exc

    async def handshake():
        comm = await connect(address, timeout=timeout)
        await comm.close()

    try:
        asyncio.run(asyncio.wait_for(handshake(), timeout))
    except (asyncio.TimeoutError, TimeoutError) as exc:
        raise SweepError(f"cannot reach the Dask scheduler at {address!r}: no answer within "
                         f"{timeout:g} s (--timeout); is `dask scheduler` running there, "
                         f"on that port?") from exc
    except Exception as exc:     # anything the other end can make distributed raise
        raise SweepError(f"cannot reach the Dask scheduler at {address!r} "
                         f"({type(exc).__name__}: {exc}); is `dask scheduler` running "
                         f"there, on that port?") from exc


class _DaskBackend:
    def __init__(self, scheduler=None, n_workers=None, timeout=10.0):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise SweepError("Dask is not installed: pip install 'memsim[dask]'") from exc
        self.cluster = None
        if scheduler is None:
            self.name = f"a local Dask cluster of {n_workers} workers"
            self.cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.name = f"the Dask cluster at {scheduler}"
            _probe_scheduler(scheduler, timeout)
            try:
                self.client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise SweepError(f"cannot reach the Dask scheduler at {scheduler!r} within "
                                 f"{timeout:g} s ({exc}); is `dask scheduler` running "
                                 f"there?") from exc

    def slots(self):
        return max(4 * sum(self.client.nthreads().values()), 8)

    def submit(self, experiment, batch):
        return self.client.submit(run_batch, experiment, batch, pure=False, retries=RETRIES)

    def wait(self, futures):
        from distributed import wait
        return wait(futures, return_when="FIRST_COMPLETED").done

    def restart(self):
        raise RuntimeError("unreachable: Dask reschedules tasks of dead workers itself")

    def close(self, abort=False):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def run_sweep(spec, out, *, resume=False, workers=None, scheduler=None, dask_local=None,
              timeout=10.0, progress=None):
    """Run (or resume) the sweep ``spec`` into the folder ``out``.

    Parameters
    ----------
    spec : dict
        From :func:`load_spec`.
    out : str or Path
        Results folder (see the module docstring).
    resume : bool, default=False
        Continue a sweep of the same spec in ``out``; without it a folder with
        finished points is refused.
    workers : int, optional
        Local worker processes (default: every core). Ignored with Dask.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://HOST:PORT``).
    dask_local : int, optional
        Start a local Dask cluster of this many single-threaded workers.
    timeout : float, default=10.0
        Seconds to wait for the scheduler at ``scheduler``.
    progress : callable, optional
        ``progress(done, total)`` when the computation starts and after each
        finished task.

    Returns
    -------
    dict
        ``points``, ``computed``, ``skipped``, ``seconds``, ``backend``,
        ``results`` (path of the merged CSV).
    """
    folder, done = _open_folder(out, spec, resume)
    out = folder.path
    if scheduler is not None and dask_local is not None:
        raise SweepError("give --scheduler or --dask-local, not both")
    if dask_local is not None and dask_local < 1:
        raise SweepError(f"--dask-local must be >= 1 workers, got {dask_local!r}")
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise SweepError(f"--workers must be >= 1, got {workers!r}")
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise SweepError(f"--timeout must be a number of seconds > 0, got {timeout!r}")
    points = plan(spec)
    todo = [p for p in points if p[0] not in done]
    exp = get_experiment(spec["experiment"])
    info = {key: (params, k, seed) for key, params, k, seed in points}
    start = time.perf_counter()
    backend = None
    if todo:
        backend = (_DaskBackend(scheduler, dask_local, timeout) if scheduler or dask_local
                   else _LocalBackend(workers))
    if not (out / "sweep.json").is_file():       # only now: every check has passed
        write_json(folder / "sweep.json", {
            "memsim_version": __version__, "hash": spec_hash(spec), "columns": columns(spec),
            "spec": {k: v for k, v in spec.items() if k != "text"}})
    if not (out / "spec.toml").is_file():
        write_text(folder / "spec.toml", spec["text"])
    if backend is not None:
        if progress:
            progress(len(points) - len(todo), len(points))
        folder.claim("results")
        writer = _Writer(out, spec)
        batches = [[(key, point_config(spec["base"], exp.defaults,
                                        {**params, exp.seed_key: seed}))
                    for key, params, _, seed in todo[i:i + spec["batch"]]]
                   for i in range(0, len(todo), spec["batch"])]
        try:
            _drive(backend, spec["experiment"], batches, writer, info, spec, len(points),
                   len(done), progress)
        except BaseException:
            backend.close(abort=True)
            raise
        backend.close()
    _, rows = load_results(out)
    if len(rows) == len(points):
        _write_rows(folder / "results.csv", rows, columns(spec))
    return {"points": len(points), "computed": len(todo), "skipped": len(points) - len(todo),
            "seconds": time.perf_counter() - start,
            "backend": backend.name if backend else None,
            "results": str(out / "results.csv")}


def _drive(backend, experiment, batches, writer, info, spec, total, done, progress):
    """Keep the backend busy, write each finished task; retry tasks of dead local workers."""
    from concurrent.futures.process import BrokenProcessPool
    queue = list(reversed(batches))
    running, restarts = {}, 0
    while queue or running:
        while queue and len(running) < backend.slots():
            batch = queue.pop()
            running[backend.submit(experiment, batch)] = batch
        for future in backend.wait(list(running)):
            batch = running.pop(future)
            try:
                results = future.result()
            except BrokenProcessPool:
                restarts += 1
                if restarts > RETRIES:
                    raise
                queue.extend([batch, *running.values()])
                running.clear()
                backend.restart()
                break
            writer.write(_rows(results, info, spec))
            done += len(results)
            if progress:
                progress(done, total)


def _write_rows(path, rows, names):
    write_csv(path, names, ([format_cell(row[c]) for c in names] for row in rows))
