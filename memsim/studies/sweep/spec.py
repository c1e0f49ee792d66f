"""Sweep specs and the results table: parse and check a spec, list its points, read rows.

The spec format, the seeds and the results folder are described in
:mod:`memsim.sweep`, which runs the points.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import itertools
import json
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from ..._io import parse_toml, read_json, read_named
from ...config import merge_config
from ...errors import ConfigError, DataError, InputError
from .points import get_experiment

SPEC_KEYS = ("experiment", "seed", "replicates", "measures", "batch", "base", "grid", "random")


class SweepError(InputError):
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
        raw = parse_toml(text, where)
    except DataError as exc:
        raise SweepError(str(exc)) from exc
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    if unknown:
        raise SweepError(f"{where}: unknown top-level key {unknown[0]!r}; allowed: "
                         f"{', '.join(SPEC_KEYS)}")
    if not isinstance(raw.get("experiment"), str):
        raise SweepError(f"{where}: experiment must name an experiment (run, tile, "
                         f"synthetic), got {raw.get('experiment')!r}")
    for key in ("base", "grid", "random"):
        if not isinstance(raw.get(key, {}), dict):
            raise SweepError(f"{where}: [{key}] must be a table, got {raw[key]!r}")
    seed, replicates = raw.get("seed", 0), raw.get("replicates", 1)
    for key, value, low in (("seed", seed, 0), ("replicates", replicates, 1),
                            ("batch", raw.get("batch", 1), 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise SweepError(f"{where}: {key} must be an integer >= {low}, got {value!r}")
    # only a spec that passed every check above may import a module of its own
    exp = get_experiment(raw["experiment"])
    batch = raw.get("batch", exp.batch)
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
                    exp.check(point_config(config, exp.defaults, params))
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


def point_config(base, defaults, params):
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

def format_cell(value):
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


def read_parts(out):
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
    meta = read_json(meta_path, "sweep description")
    if not isinstance(meta, dict) or not isinstance(meta.get("spec"), dict):
        raise DataError(f"{meta_path}: not a sweep description (no 'spec' table)")
    order = {key: i for i, (key, *_) in enumerate(plan(meta["spec"]))}
    rows = sorted(read_parts(out), key=lambda r: order.get(r["point"], len(order)))
    return meta, rows
