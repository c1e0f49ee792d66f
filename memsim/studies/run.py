"""The main job, ``memsim run``: trained spiking agents on memristor tiles over drift time.

For every policy (its input path is the one it was trained with: analog
currents through a multi-bit DAC, or spikes as 1-bit read pulses) and every
device preset, ``instances`` Monte Carlo device instances are programmed
(:func:`memsim.hardware.deploy`), their ADCs calibrated, and the agent is run
in closed loop for ``episodes`` greedy episodes at every drift time, without
and with global drift compensation. The same episodes (environment seeds) are
used for every condition and for the digital reference. Each evaluated point
records the mean and standard deviation of the return, the activity and the
energy per decision with its breakdown and its ratio to every digital
baseline.

Devices without a drift model (pulse-programmed presets) read the same at
every time and have nothing to compensate; they are evaluated once, at the
first time, and reported as constant.

Randomness: every point draws from a seed derived from ``evaluation.seed``
and the point's own key (policy, device, instance, time, compensation), so a
point's result does not depend on which points ran before it: a run stopped
and restarted with the same ``--out`` resumes where it stopped and gives the
same report as an uninterrupted one. Points are stored one by one, atomically,
in ``points.json``.
"""

from __future__ import annotations

import math
import time
import zlib
from dataclasses import dataclass

import numpy as np

from .._io import read_json, write_csv, write_json
from .._outdir import OutputFolder
from .._validation import check_scalar
from .._version import __version__
from ..energy import load_technology
from ..errors import ConfigError, DataError
from ..hardware import (PCM_SCALES, TILE_DEFAULTS, HardwareConfig, decision_cost, deploy,
                        record_inputs)
from ..rl.train import policy_path, run_episodes
from .train import load_policy

#: Every key of a ``memsim run`` config with its default (SI units). The
#: hardware keys (``technology``, ``pcm``, ``tile``) are those of every study
#: that builds tiles, with the defaults of :class:`memsim.hardware.HardwareConfig`.
RUN_DEFAULTS = {
    "policies": ["cartpole", "cartpole-spikes"],   # shipped names (data/policies) or .npz paths
    "devices": ["pcm", "rram-wan2022", "taox-hfox"],  # device presets or preset TOML paths
    "technology": "cim-22nm",                      # analog node (data/technology/*.toml)
    "digital": "digital-45nm",                     # node of the int8 baseline
    "pcm": dict(PCM_SCALES),            # multipliers on the PCM model (PCM presets only)
    "tile": dict(TILE_DEFAULTS),        # memsim.hardware.HardwareConfig
    "calibration": {
        "time": 1.0,                    # s after programming when the ADCs are calibrated
        "episodes": 4,                  # digital episodes whose inputs calibrate the ADCs
        "percentile": 99.9,             # ADC full scale: percentile of |I+ - I-|
    },
    "chip": {"pipelined": False},       # layers work on successive steps at once (latency)
    "evaluation": {
        "times": [1.0, 3600.0, 86400.0, 2592000.0, 31536000.0],  # s: 1 s, 1 h, 1 d, 30 d, 1 y
        "compensate": [False, True],    # global drift compensation off / on
        "instances": 2,                 # Monte Carlo device instances per device
        "episodes": 16,                 # greedy episodes per instance and condition (one batch)
        "seed": 0,
    },
}

#: The baselines whose ratio to the analog energy is a column of the summary table.
RATIO_BASELINES = ("int8-dense", "int8-event", "loihi")

TIME_LABELS = {1.0: "1 s", 3600.0: "1 h", 86400.0: "1 day", 2592000.0: "30 days",
               31536000.0: "1 year"}


@dataclass(frozen=True)
class CheckedRun:
    """What a run config resolves to, once: the policies' files, the hardware of
    every device, the digital technology of the baselines."""

    policies: dict
    hardware: dict
    digital: object


def check_config(config):
    """Validate a resolved config and resolve its names, before anything runs.

    Returns
    -------
    CheckedRun
    """
    ev, cal = config["evaluation"], config["calibration"]
    if not config["policies"]:
        raise ConfigError("policies: give at least one policy")
    if not config["devices"]:
        raise ConfigError("devices: give at least one device preset")
    policies = {}
    for name in config["policies"]:
        if not isinstance(name, str):
            raise ConfigError(f"policies: entries must be strings, got {name!r}")
        policies[name] = policy_path(name, "policies")
        load_policy(policies[name], what="policies")        # readable, and describes itself
    times = ev["times"]
    if not times or not all(isinstance(t, (int, float)) and not isinstance(t, bool)
                            and math.isfinite(t) and t >= 0 for t in times):
        raise ConfigError(f"evaluation.times must be a non-empty list of finite times >= 0 "
                          f"(s), got {times!r}")
    if len(set(times)) != len(times):
        raise ConfigError(f"evaluation.times has repeated values: {times!r}")
    comps = ev["compensate"]
    if not comps or not all(isinstance(c, bool) for c in comps) or len(set(comps)) != len(comps):
        raise ConfigError(f"evaluation.compensate must be a list of distinct true/false, got "
                          f"{comps!r}")
    check_scalar("calibration.percentile", cal["percentile"], low=0.0, high=100.0,
                 low_inclusive=False)
    check_scalar("calibration.time", cal["time"], low=0.0)
    check_scalar("calibration.episodes", cal["episodes"], low=1, integer=True)
    check_scalar("evaluation.instances", ev["instances"], low=1, integer=True)
    check_scalar("evaluation.episodes", ev["episodes"], low=1, integer=True)
    check_scalar("evaluation.seed", ev["seed"], low=0, integer=True)
    if not isinstance(config["chip"]["pipelined"], bool):
        raise ConfigError(f"chip.pipelined must be true or false, got "
                          f"{config['chip']['pipelined']!r}")
    tech = load_technology(config["technology"])
    hardware = {}
    for name in config["devices"]:
        if not isinstance(name, str):
            raise ConfigError(f"devices: entries must be strings, got {name!r}")
        hardware[name] = HardwareConfig.from_config(config, name, tech)
    return CheckedRun(policies, hardware, load_technology(config["digital"]))


def _seed(seed, *key):
    """A seed sequence of the run seed and a point's key (names hashed by CRC-32)."""
    return np.random.SeedSequence([seed] + [zlib.crc32(repr(k).encode()) for k in key])


def _key(point):
    return f"{point['policy']}|{point['device']}|{point['instance']}|{point['t']!r}|" \
           f"{point['compensate']}"


def plan(config, checked=None):
    """Every point of the experiment, in run order (dicts without results).

    Devices without drift are evaluated once, at the first time, uncompensated.
    ``checked`` is :func:`check_config` of ``config`` (computed if not given).
    """
    checked = checked or check_config(config)
    ev = config["evaluation"]
    points = []
    for policy in config["policies"]:
        points.append({"policy": policy, "device": "digital", "instance": 0, "t": 0.0,
                       "compensate": False})
        for device in config["devices"]:
            drifts = checked.hardware[device].device.drifts
            for instance in range(ev["instances"]):
                for t in (ev["times"] if drifts else ev["times"][:1]):
                    for comp in (ev["compensate"] if drifts else [False]):
                        points.append({"policy": policy, "device": device,
                                       "instance": instance, "t": float(t),
                                       "compensate": comp})
    return points


def _episode_seeds(seed, episodes, what):
    rng = np.random.default_rng(_seed(seed, what))
    return [int(s) for s in rng.integers(2**31, size=episodes)]


def _evaluate_point(point, agent, encoder, meta, backends, seed, episodes, hardware, digital,
                    pipelined):
    env_seeds = _episode_seeds(seed, episodes, "episodes")
    key = (point["policy"], point["device"], point["instance"], point["t"],
           point["compensate"])
    read_seq, input_seq = _seed(seed, "read", *key).spawn(2)
    if backends:
        streams = read_seq.spawn(len(backends))
        for stream, backend in zip(streams, backends.values()):
            backend.at(point["t"], point["compensate"], np.random.default_rng(stream))
            backend.matrix.reset_counts()
            backend.counts = {k: 0 for k in backend.counts}
    start = time.perf_counter()
    returns, decisions, spikes = run_episodes(meta["env"], encoder, agent, env_seeds,
                                              np.random.default_rng(input_seq))
    result = {**point, "input": encoder.mode, "episodes": episodes,
              "mean_return": float(np.mean(returns)), "std_return": float(np.std(returns)),
              "returns": returns.tolist(), "decisions": int(decisions),
              "spikes_per_decision": float(spikes / decisions),
              "seconds": round(time.perf_counter() - start, 3)}
    if backends:
        energy = decision_cost(agent, encoder, backends, decisions, spikes, hardware, digital,
                               pipelined=pipelined)
        result["energy_per_decision_J"] = energy["analog"]["total_joules"]
        result["latency_per_decision_s"] = energy["latency"]["latency_s"]
        result["area_m2"] = energy["area"]["total_m2"]
        result["energy"] = energy
    return result


def evaluate_points(config, done=(), checked=None):
    """Evaluate every point of :func:`plan`, in order; no files are written.

    The config is checked when this is called, before any point runs.

    Parameters
    ----------
    config : dict
        As :data:`RUN_DEFAULTS`.
    done : sequence of dict
        Results already computed (from ``points.json``); they are yielded
        again, not recomputed.
    checked : CheckedRun, optional
        :func:`check_config` of ``config`` (computed if not given).

    Returns
    -------
    iterator of (index, total, result, fresh)
        ``fresh`` is False for a result taken from ``done``.
    """
    return _points(config, checked or check_config(config), done)


def _points(config, checked, done):
    """The generator of :func:`evaluate_points`, for a config already checked."""
    ev, cal = config["evaluation"], config["calibration"]
    seed, episodes = ev["seed"], ev["episodes"]
    known = {_key(p): p for p in done}
    points = plan(config, checked)
    current = None                      # (policy, device, instance) deployed now
    agent = encoder = meta = hardware = None
    backends = {}
    for index, point in enumerate(points):
        if _key(point) in known:
            yield index, len(points), known[_key(point)], False
            continue
        unit = (point["policy"], point["device"], point["instance"])
        if current != unit:
            agent, encoder, meta = load_policy(checked.policies[point["policy"]])
            backends, hardware = {}, checked.hardware.get(point["device"])
            if hardware is not None:
                cal_seeds = _episode_seeds(seed, cal["episodes"], "calibration")
                inputs = record_inputs(meta["env"], encoder, agent, cal_seeds,
                                       np.random.default_rng(_seed(seed, "cal", *unit)))
                backends = deploy(agent, encoder, hardware,
                                  seed=np.random.default_rng(_seed(seed, "program", *unit)))
                if hardware.adc_bits:
                    for name, backend in backends.items():
                        backend.calibrate_adc(inputs[name], cal["time"], cal["percentile"])
            current = unit
        yield index, len(points), _evaluate_point(point, agent, encoder, meta, backends, seed,
                                                  episodes, hardware, checked.digital,
                                                  config["chip"]["pipelined"]), True


def run_experiment(config, out, *, progress=None):
    """Run (or resume) the experiment ``config`` into the folder ``out``.

    Parameters
    ----------
    config : dict
        As :data:`RUN_DEFAULTS` (see :func:`memsim.config.load_config`).
    out : str or Path
        Report folder. If it holds a run of the same config, finished points
        are kept and only the missing ones run; a run of another config is an
        error (nothing in the folder is touched).
    progress : callable, optional
        Called with ``(done, total, point)`` after every point.

    Returns
    -------
    dict
        The summary (also written to ``out/summary.json``).
    """
    checked = check_config(config)
    folder = OutputFolder.open(out, "run", config)
    points_file = folder.path / "points.json"
    done = _stored_points(points_file) if folder.resumed and points_file.is_file() else []
    results = []
    for index, total, result, fresh in _points(config, checked, done):
        results.append(result)
        if fresh:
            write_json(folder / "points.json", results)
        if progress:
            progress(index + 1, total, result)
    summary = summarise(config, results, checked)
    write_json(folder / "summary.json", summary)
    table = summary["table"]
    names = list(dict.fromkeys(k for row in table for k in row))
    write_csv(folder / "results.csv", names,
              (["" if row.get(c) is None else row[c] for c in names] for row in table))
    return summary


def _stored_points(path):
    """The points stored by an earlier run into ``path`` (``points.json``), checked."""
    points = read_json(path, "run's stored points")
    fields = ("policy", "device", "instance", "t", "compensate", "returns")
    if not isinstance(points, list) or not all(isinstance(p, dict) and all(f in p for f in fields)
                                               for p in points):
        raise DataError(f"{path}: not the points memsim run stores (a list of points with "
                        f"{', '.join(fields)}); move the folder away to start over")
    return points


def summarise(config, results, checked=None):
    """One table row per (policy, device, time, compensation) over instances and episodes.

    ``mean_return`` and ``std_return`` pool every episode of every instance;
    ``std_instance_means`` is the spread of the instances' mean returns.
    Energy per decision is the mean over instances; ``energy`` holds the full
    breakdown and baseline ratios of each policy and device at the first
    time without compensation (instance 0). ``checked`` is :func:`check_config`
    of ``config`` (computed if not given).
    """
    checked = checked or check_config(config)
    groups = {}
    for r in results:
        groups.setdefault((r["policy"], r["device"], r["t"], r["compensate"]), []).append(r)
    table = []
    for (policy, device, t, comp), rows in groups.items():
        returns = np.concatenate([r["returns"] for r in rows])
        row = {"policy": policy, "input": rows[0]["input"], "device": device, "t": t,
               "compensate": comp, "instances": len(rows), "episodes": int(returns.size),
               "mean_return": float(returns.mean()), "std_return": float(returns.std()),
               "std_instance_means": float(np.std([r["mean_return"] for r in rows])),
               "spikes_per_decision": float(np.mean([r["spikes_per_decision"] for r in rows]))}
        if "energy_per_decision_J" in rows[0]:
            for measure in ("energy_per_decision_J", "latency_per_decision_s", "area_m2"):
                row[measure] = float(np.mean([r[measure] for r in rows]))
            for name in RATIO_BASELINES:
                row[f"ratio_{name.replace('-', '_')}"] = float(np.mean(
                    [r["energy"]["baselines"][name]["ratio_to_analog"] for r in rows]))
        table.append(row)
    energy = {}
    first = config["evaluation"]["times"][0]
    for r in results:
        if "energy" in r and r["instance"] == 0 and r["t"] == first and not r["compensate"]:
            energy.setdefault(r["policy"], {})[r["device"]] = r["energy"]
    return {"memsim_version": __version__, "config": config, "table": table,
            "energy": energy, "drifting_devices": [
                d for d in config["devices"] if checked.hardware[d].device.drifts]}


def format_table(summary):
    """The summary table as aligned text (what ``memsim run`` prints)."""
    head = (f"{'policy':<16} {'device':<10} {'time':>8} {'comp':>4} {'return':>15} "
            f"{'pJ/decision':>12} {'ns/decision':>11} {'mm2':>6} {'int8 dense x':>12} {'int8 event x':>12} "
            f"{'Loihi x':>7}")
    lines = [head, "-" * len(head)]
    for r in summary["table"]:
        label = "-" if r["device"] == "digital" else TIME_LABELS.get(r["t"], f"{r['t']:g} s")
        energy = r.get("energy_per_decision_J")
        lines.append(
            f"{r['policy']:<16} {r['device']:<10} {label:>8} {'on' if r['compensate'] else '':>4} "
            f"{r['mean_return']:>7.1f} ± {r['std_return']:<5.1f} "
            f"{'' if energy is None else format(energy * 1e12, '12.1f'):>12} "
            f"{'' if energy is None else format(r['latency_per_decision_s'] * 1e9, '11.1f'):>11} "
            f"{'' if energy is None else format(r['area_m2'] * 1e6, '6.3f'):>6} "
            f"{'' if energy is None else format(r['ratio_int8_dense'], '12.1f'):>12} "
            f"{'' if energy is None else format(r['ratio_int8_event'], '12.1f'):>12} "
            f"{'' if energy is None else format(r['ratio_loihi'], '7.1f'):>7}")
    return "\n".join(lines)
