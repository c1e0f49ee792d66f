"""What one sweep point computes: the experiments a sweep can run.

An :class:`Experiment` is a config with a default for every key, a point
function ``f(config) -> {measure: float}`` and the names of its measures. A
point function draws every random number from the config's seed key (set by
the sweep from the replicate), so a point gives the same measures in any
process, on any machine, in any order.

Experiments shipped:

``run``
    The main job (:mod:`memsim.studies.run`) at one point: one policy, one
    device, one drift time, one compensation setting. Measures come from the
    device row of :func:`memsim.studies.run.summarise`; ``digital_return`` is
    the mean return of the same policy with digital synapses on the same
    episodes.
``tile``
    The tile study (:mod:`memsim.studies.tile`): one array of the config's
    hardware multiplying random inputs by a random weight matrix; the measure
    is the relative output error ``||y - x @ w|| / ||x @ w||``.
``synthetic``
    No physics: ``work`` fixed matrix products, then ``value = x + y**2 +
    N(0, 0.1)``. For tests and for measuring the sweep machinery's overhead.

An experiment of your own: ``experiment = "package.module:NAME"`` in a spec,
where ``NAME`` is an :class:`Experiment` importable on every worker.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ...errors import ConfigError
from ..tile import TILE_STUDY_DEFAULTS, check_tile_config, tile_error


@dataclass(frozen=True)
class Experiment:
    """An experiment a sweep can run point by point.

    Parameters
    ----------
    defaults : dict
        Every config key with its default (nested at most two levels).
    point : callable
        ``point(config) -> dict`` of measure name to float.
    measures : tuple of str
        Names of the measures ``point`` returns.
    seed_key : str
        Dotted config key the sweep sets to each replicate's seed.
    batch : int
        Points per task unless the spec says otherwise (small points are
        batched so a task takes about a second or more).
    check : callable, optional
        ``check(config)`` validates a resolved point config (raises
        ``ValueError``); called on the base and on every swept value.
    """

    defaults: dict
    point: Callable
    measures: tuple
    seed_key: str
    batch: int = 1
    check: Callable | None = field(default=None)


# ------------------------------------------------------------------------------ run

RUN_MEASURES = ("mean_return", "std_return", "std_instance_means", "spikes_per_decision",
                "energy_per_decision_J", "latency_per_decision_s", "area_m2", "ratio_int8_dense",
                "ratio_int8_event", "ratio_loihi", "digital_return")


def _check_run(config):
    from ..run import check_config
    for key, values in (("policies", config["policies"]), ("devices", config["devices"]),
                        ("evaluation.times", config["evaluation"]["times"]),
                        ("evaluation.compensate", config["evaluation"]["compensate"])):
        if len(values) != 1:
            raise ConfigError(f"{key} has {len(values)} values {values!r} at a sweep point; "
                              f"a run point takes one: sweep over it in [grid] or give "
                              f"one value in [base]")
    return check_config(config)


def run_point(config):
    """Measures of the device row of a one-policy, one-device ``memsim run`` config."""
    from ..run import evaluate_points, summarise
    checked = _check_run(config)
    results = [r for _, _, r, _ in evaluate_points(config, checked=checked)]
    table = summarise(config, results, checked)["table"]
    digital = next(r for r in table if r["device"] == "digital")
    device = next(r for r in table if r["device"] != "digital")
    out = {name: float(device[name]) for name in RUN_MEASURES[:-1] if name in device}
    out["digital_return"] = float(digital["mean_return"])
    return out


# ----------------------------------------------------------------------------- tile

# ------------------------------------------------------------------------ synthetic

#: Keys of the ``synthetic`` experiment.
SYNTHETIC_DEFAULTS = {
    "x": 0.0,      # the measure's mean is x + y**2
    "y": 0.0,
    "work": 0,     # 128 x 128 matrix products per point (about 0.2-0.5 ms each)
    "seed": 0,
}


def synthetic_point(config):
    """``work`` fixed matrix products, then ``value = x + y**2 + N(0, 0.1)`` from the seed."""
    a = np.full((128, 128), 1.0 / 128)
    for _ in range(config["work"]):
        a = np.tanh(a @ a + 0.5)
    rng = np.random.default_rng(config["seed"])
    return {"value": config["x"] + config["y"] ** 2 + 0.1 * float(rng.normal()),
            "work_checksum": float(a.sum())}


def _check_synthetic(config):
    if config["work"] < 0 or config["seed"] < 0:
        raise ConfigError(f"work and seed must be >= 0, got {config['work']!r}, "
                          f"{config['seed']!r}")


EXPERIMENTS = {
    "run": None,    # filled lazily: its defaults import the hardware stack
    "tile": Experiment(TILE_STUDY_DEFAULTS, tile_error, ("output_error",), "seed", batch=4,
                       check=check_tile_config),
    "synthetic": Experiment(SYNTHETIC_DEFAULTS, synthetic_point, ("value", "work_checksum"),
                            "seed", batch=1, check=_check_synthetic),
}


def get_experiment(name):
    """The :class:`Experiment` named ``name`` (shipped) or ``"module:attribute"``."""
    if name == "run":
        from ..run import RUN_DEFAULTS
        return Experiment(RUN_DEFAULTS, run_point, RUN_MEASURES, "evaluation.seed", batch=1,
                          check=_check_run)
    if name in EXPERIMENTS:
        return EXPERIMENTS[name]
    if ":" in name:
        module, _, attr = name.partition(":")
        if not (all(part.isidentifier() for part in module.split(".")) and attr.isidentifier()):
            raise ConfigError(f"experiment {name!r} is not of the form 'package.module:NAME' "
                              f"(Python identifiers)")
        try:
            found = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"experiment {name!r} cannot be imported ({exc})") from exc
        if not isinstance(found, Experiment):
            raise ConfigError(f"experiment {name!r} is a {type(found).__name__}, not a "
                              f"memsim.sweep_points.Experiment")
        return found
    raise ConfigError(f"experiment must be one of {', '.join(EXPERIMENTS)} or "
                      f"'module:attribute', got {name!r}")


def run_batch(experiment, points):
    """Compute a batch of points; the task every backend runs.

    Parameters
    ----------
    experiment : str
        Experiment name (see :func:`get_experiment`).
    points : list of (str, dict)
        Each point's key and its full config.

    Returns
    -------
    list of (str, dict, float)
        Key, measures and seconds of each point, in order.
    """
    from threadpoolctl import threadpool_limits
    exp = get_experiment(experiment)
    out = []
    # one BLAS thread: a worker is one core, and results do not depend on thread counts
    with threadpool_limits(1):
        for key, config in points:
            start = time.perf_counter()
            measures = exp.point(config)
            out.append((key, measures, time.perf_counter() - start))
    return out
