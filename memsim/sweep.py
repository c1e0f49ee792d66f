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
    "device.prog_noise_scale" = [0.5, 1.0, 2.0]
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

import copy
import csv
import hashlib
import io
import itertools
import json
import os
import threading
import time
import tomllib
import zlib
from concurrent.futures import FIRST_COMPLETED
from importlib import resources
from pathlib import Path

import numpy as np

from . import __version__
from ._io import read_named, write_json, write_text
from .config import ConfigError, merge_config
from .sweep_points import get_experiment, run_batch

SPEC_KEYS = ("experiment", "seed", "replicates", "measures", "batch", "base", "grid", "random")
RETRIES = 3           # times a task is retried after its worker died


class SweepError(ValueError):
    """A sweep that cannot run as asked (bad spec, wrong folder, no scheduler)."""


# ------------------------------------------------------------------------------ spec

def shipped_specs():
    """Names of the sweep specs shipped in ``memsim.data/sweeps``."""
    folder = resources.files("memsim.data") / "sweeps"
    if not folder.is_dir():
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _nested(dotted, value):
    for part in reversed(dotted.split(".")):
        value = {part: value}
    return value


def _flatten(table, leaf, prefix=""):
    """``{"a": {"b": v}}`` -> ``{"a.b": v}``, stopping at values where ``leaf(v)``."""
    out = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not leaf(value):
            out.update(_flatten(value, leaf, name + "."))
        else:
            out[name] = value
    return out


def _get(config, dotted):
    for part in dotted.split("."):
        config = config[part]
    return config


def _set(config, dotted, value):
    *head, last = dotted.split(".")
    for part in head:
        config = config[part]
    config[last] = value


def _wrap(defaults, dotted, value):
    """A scalar for a list-typed key becomes a one-element list."""
    try:
        default = _get(defaults, dotted)
    except (KeyError, TypeError):
        return value                       # unknown key: merge_config names it
    return [value] if isinstance(default, list) and not isinstance(value, list) else value


def load_spec(name_or_path):
    """Read and validate a sweep spec; return it resolved (a JSON-able dict).

    Parameters
    ----------
    name_or_path : str or Path
        A shipped spec name (:func:`shipped_specs`) or a ``.toml`` path.

    Returns
    -------
    dict
        ``experiment``, ``seed``, ``replicates``, ``measures``, ``batch``,
        ``base`` (the full resolved config), ``axes`` (list of
        ``[keys, values]``: one per grid entry and one for the random
        samples) and ``source``.

    Raises
    ------
    SweepError, ConfigError
        Naming the spec and the key.
    """
    text, where = read_named(name_or_path, resources.files("memsim.data") / "sweeps",
                             shipped_specs(), "sweep spec", SweepError)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{where}: not valid TOML ({exc})") from exc
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    if unknown:
        raise SweepError(f"{where}: unknown top-level key {unknown[0]!r}; allowed: "
                         f"{', '.join(SPEC_KEYS)}")
    if not isinstance(raw.get("experiment"), str):
        raise SweepError(f"{where}: experiment must name an experiment (run, tile, "
                         f"synthetic), got {raw.get('experiment')!r}")
    exp = get_experiment(raw["experiment"])
    seed, replicates = raw.get("seed", 0), raw.get("replicates", 1)
    batch = raw.get("batch", exp.batch)
    for key, value, low in (("seed", seed, 0), ("replicates", replicates, 1),
                            ("batch", batch, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise SweepError(f"{where}: {key} must be an integer >= {low}, got {value!r}")
    measures = raw.get("measures", list(exp.measures))
    if not isinstance(measures, list) or not measures or any(m not in exp.measures
                                                             for m in measures):
        raise SweepError(f"{where}: measures must be a non-empty list of "
                         f"{', '.join(exp.measures)}; got {measures!r}")
    base = raw.get("base", {})
    if not isinstance(base, dict):
        raise SweepError(f"{where}: [base] must be a table, got {base!r}")
    flat_base = _flatten(base, lambda v: False)
    config = copy.deepcopy(exp.defaults)
    for key, value in flat_base.items():
        config = merge_config(config, _nested(key, _wrap(exp.defaults, key, value)),
                              f"{where} [base]")
    axes = _grid_axes(raw.get("grid"), exp, config, where) \
        + _random_axes(raw.get("random"), exp, config, where, seed)
    if not axes:
        raise SweepError(f"{where}: the spec sweeps nothing; give [grid] and/or [random] "
                         f"with at least one key")
    swept = [k for keys, _ in axes for k in keys]
    repeated = {k for k in swept if swept.count(k) > 1}
    if repeated or exp.seed_key in swept:
        bad = sorted(repeated) or [exp.seed_key]
        raise SweepError(f"{where}: {bad[0]!r} is swept twice or is the seed key "
                         f"({exp.seed_key!r}, set by replicates)")
    if exp.check:           # every swept value once, the other axes at their first value
        first = {k: v for keys, values in axes for k, v in zip(keys, values[0])}
        for keys, values in axes:
            for value in values:
                params = {**first, **dict(zip(keys, value))}
                try:
                    exp.check(_point_config(config, exp.defaults, params))
                except ConfigError:
                    raise
                except (ValueError, TypeError) as exc:
                    raise SweepError(f"{where}: at {params}: {exc}") from exc
    return {"experiment": raw["experiment"], "seed": seed, "replicates": replicates,
            "measures": measures, "batch": batch, "base": config, "axes": axes,
            "source": where, "text": text}


def _grid_axes(grid, exp, config, where):
    if grid is None:
        return []
    if not isinstance(grid, dict) or not grid:
        raise SweepError(f"{where}: [grid] is empty; give at least one key = [values]")
    axes = []
    for name, values in _flatten(grid, lambda v: False).items():
        keys = [k.strip() for k in name.split(",")]
        if not isinstance(values, list) or not values:
            raise SweepError(f"{where}: grid {name!r} must be a non-empty list of values, "
                             f"got {values!r}")
        rows = []
        for value in values:
            value = list(value) if len(keys) > 1 and isinstance(value, list) else [value]
            if len(value) != len(keys):
                raise SweepError(f"{where}: grid {name!r} links {len(keys)} keys; each "
                                 f"value must be a list of {len(keys)}, got {value!r}")
            rows.append([_validated(config, exp.defaults, k, v, f"{where} [grid]")
                         for k, v in zip(keys, value)])
        axes.append([keys, rows])
    return axes


def _random_axes(table, exp, config, where, seed):
    if table is None:
        return []
    table = dict(table)
    n = table.pop("n", None)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise SweepError(f"{where}: [random] needs n = number of samples (integer >= 1), "
                         f"got {n!r}")
    ranges = _flatten(table, lambda v: "low" in v or "high" in v)
    if not ranges:
        raise SweepError(f"{where}: [random] is empty; give key = {{low, high[, log]}}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(b"random")]))
    columns = []
    for key, r in ranges.items():
        if not isinstance(r, dict) or set(r) - {"low", "high", "log"} or \
                not all(isinstance(r.get(b), (int, float)) for b in ("low", "high")) or \
                not r["low"] < r["high"] or (r.get("log") and r["low"] <= 0):
            raise SweepError(f"{where}: random {key!r} must be {{low, high[, log]}} with "
                             f"low < high (low > 0 when log = true), got {r!r}")
        default = _get(exp.defaults, key) if _known(exp.defaults, key) else None
        lo, hi = (np.log(r["low"]), np.log(r["high"])) if r.get("log") else (r["low"], r["high"])
        draw = rng.uniform(lo, hi, n)
        draw = np.exp(draw) if r.get("log") else draw
        if isinstance(default, int) and not isinstance(default, bool):
            values = [int(round(v)) for v in draw]
        else:
            values = [float(v) for v in draw]
        columns.append([_validated(config, exp.defaults, key, v, f"{where} [random]")
                        for v in values])
    return [[list(ranges), [list(row) for row in zip(*columns)]]]


def _known(defaults, dotted):
    try:
        _get(defaults, dotted)
        return True
    except (KeyError, TypeError):
        return False


def _validated(config, defaults, key, value, where):
    merged = merge_config(config, _nested(key, _wrap(defaults, key, value)), where)
    return _get(merged, key) if not isinstance(_get(defaults, key), list) or \
        isinstance(value, list) else value


def _point_config(base, defaults, params):
    config = copy.deepcopy(base)
    for key, value in params.items():
        _set(config, key, _wrap(defaults, key, value))
    return config


def spec_hash(spec):
    """Hash of what a spec computes (not ``batch`` nor ``source``)."""
    what = {k: v for k, v in spec.items() if k not in ("batch", "source", "text")}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def plan(spec):
    """Every point of the sweep, in order: list of ``(key, params, replicate, seed)``."""
    keys = [k for ks, _ in spec["axes"] for k in ks]
    points = []
    for combo in itertools.product(*(values for _, values in spec["axes"])):
        params = dict(zip(keys, [v for row in combo for v in row]))
        for k in range(spec["replicates"]):
            ident = json.dumps({"params": params, "replicate": k}, sort_keys=True)
            key = hashlib.sha1(ident.encode()).hexdigest()[:16]
            points.append((key, params, k, spec["seed"] + k))
    return points


def columns(spec):
    """Column names of the results table."""
    return (["point", "replicate", "seed"] + [k for ks, _ in spec["axes"] for k in ks]
            + list(spec["measures"]) + ["seconds", "memsim_version"])


# ----------------------------------------------------------------------------- store

def _cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def _parse(text):
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _read_parts(out):
    """Rows (dicts of parsed values) of every part file, first occurrence of each point."""
    rows, seen = [], set()
    for path in sorted((Path(out) / "results").glob("part-*.csv")):
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                if row["point"] not in seen:
                    seen.add(row["point"])
                    rows.append({k: _parse(v) for k, v in row.items()})
    return rows


def load_results(out):
    """The sweep folder ``out``: ``(sweep, rows)``, rows as dicts in plan order."""
    out = Path(out)
    meta_path = out / "sweep.json"
    if not meta_path.is_file():
        raise SweepError(f"{out} is not a sweep results folder (no sweep.json)")
    meta = json.loads(meta_path.read_text())
    order = {key: i for i, (key, *_) in enumerate(plan(meta["spec"]))}
    rows = sorted(_read_parts(out), key=lambda r: order.get(r["point"], len(order)))
    return meta, rows


def _open_folder(out, spec, resume):
    """Check ``out`` against ``spec``; return the finished point keys. Writes nothing."""
    out = Path(out)
    meta_path = out / "sweep.json"
    if meta_path.is_file():
        saved = json.loads(meta_path.read_text())
        if saved.get("hash") != spec_hash(spec):
            raise SweepError(f"{out} holds results of a different sweep spec "
                             f"({saved.get('spec', {}).get('source')}, hash {saved.get('hash')}"
                             f"; this one: {spec['source']}, hash {spec_hash(spec)}); "
                             f"use another --out")
        done = {r["point"] for r in _read_parts(out)}
        if done and not resume:
            raise SweepError(f"{out} already holds {len(done)} finished points of this "
                             f"sweep; add --resume to compute the rest")
        return done
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SweepError(f"{out} exists and is not a sweep results folder; use another --out")
    return set()


class _Writer:
    """Writes each finished task's rows as one part file (atomic rename)."""

    def __init__(self, out, spec):
        self.folder = Path(out) / "results"
        self.columns = columns(spec)
        self.spec = spec
        names = [p.stem for p in self.folder.glob("part-*.csv")]
        self.next = max((int(n.split("-")[1]) for n in names), default=-1) + 1

    def write(self, rows):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.columns)
        for row in rows:
            writer.writerow([_cell(row[c]) for c in self.columns])
        write_text(self.folder / f"part-{self.next:06d}.csv", buf.getvalue())
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
    out = Path(out)
    done = _open_folder(out, spec, resume)
    if scheduler is not None and dask_local is not None:
        raise SweepError("give --scheduler or --dask-local, not both")
    if dask_local is not None and dask_local < 1:
        raise SweepError(f"--dask-local must be >= 1 workers, got {dask_local!r}")
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise SweepError(f"--workers must be >= 1, got {workers!r}")
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
        write_json(out / "sweep.json", {
            "memsim_version": __version__, "hash": spec_hash(spec), "columns": columns(spec),
            "spec": {k: v for k, v in spec.items() if k != "text"}})
    if not (out / "spec.toml").is_file():
        write_text(out / "spec.toml", spec["text"])
    if backend is not None:
        if progress:
            progress(len(points) - len(todo), len(points))
        writer = _Writer(out, spec)
        batches = [[(key, _point_config(spec["base"], exp.defaults,
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
        _write_merged(out / "results.csv", rows, columns(spec))
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


def _write_merged(path, rows, names):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in names])
    write_text(path, buf.getvalue())
