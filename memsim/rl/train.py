"""Train and evaluate spiking agents on control tasks, with checkpoints and resume.

A policy is two files: ``policy.npz`` (weights, feedback weights, Adam state)
and ``policy.json`` (every hyper-parameter, the task, the seed, the memsim
version, the training outcome). Training writes an episode log
``<policy>.log.csv``, the learning curve ``<policy>.curve.png`` (its data as
``.curve.csv``) and, every ``checkpoint_every`` episodes, a resumable
checkpoint ``<policy>.ckpt.npz`` + ``.ckpt.json``; run again with the same
arguments and it resumes where it stopped. Training stops when the mean return
of the last ``window`` episodes reaches the task's target, and the policy saved
is the one that met it. Once, when that mean first comes within
``anneal_margin`` of the target, the learning rate is multiplied by
``anneal_factor``: near the goal, full-size steps make the returns swing
(measured on CartPole: with the cut, lr 3e-3 reached the target on 5 of 5
seeds in 48k-105k steps; without it lr 2e-3 needed 101k-131k and 5e-3
could collapse to a deterministic policy).

With ``greedy_check = n > 0`` the criterion also asks the greedy policy: when
the window mean reaches the target, up to ``n`` episodes are run greedily
without learning (episode seeds of their own, so training's episodes are
unchanged), in blocks of 10; the check fails as soon as the mean so far is
below the target plus ``greedy_margin`` after a block (a weak policy costs 10
episodes, not ``n``) and passes when all ``n`` ran. The margin is for the
winner's curse: checks repeat until one passes, so a policy whose true mean
is a little below the target passes one by chance (on cartpole-positions a
policy that passed a 100-episode check at 477.1 scored 465.4 over 100 other
episodes; the standard error of such a mean is about 9). Training stops only
on a pass; after a failed check it continues and checks again ``window``
episodes later. The window mean measures the sampling policy, and the policy
is judged (and used) greedily: on CartPole with position-only observations,
runs stopped by the window alone evaluated at 450-463 over 100 greedy
episodes, and one that passed a 20-episode check (482.5) at 463. The check
episodes count in ``max_seconds`` and leave the learner's state unchanged.
"""

from __future__ import annotations

import copy
import inspect
import json
import time
from dataclasses import asdict, dataclass, is_dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np

from .. import __version__
from .._io import (check_data_file, check_output, is_path, name_rule, read_json, read_npz,
                   read_text,
                   to_json, write_bytes, write_csv, write_json)
from .._validation import check_choice, check_scalar
from ..config import load_config, merge_config
from ..errors import DataError, InputError, OutputError
from ..snn import EpropActorCritic, EpropConfig, GaussianFields, NeuronParams
from ..snn.rstdp import RstdpAgent, RstdpConfig
from ..snn.synapses import SynapseConfig, digital
from .envs import Environment, task

FORMAT = 1                  # policy file layout; bump on incompatible changes

@dataclass(frozen=True)
class TrainingConfig:
    """How long training runs and when it stops (the ``training`` section).

    Parameters
    ----------
    episodes : int, default=3000
        Most episodes (>= 1).
    max_seconds : float, default=600.0
        Wall-clock budget (s, > 0); training stops after the episode that
        passes it.
    window : int, default=20
        Episodes in the running mean that is compared with the target.
    checkpoint_every : int, default=50
        Episodes between checkpoints.
    anneal_margin : float, default=75.0
        The learning rate is cut once, when the window mean first comes
        within this of the target (return units, >= 0).
    anneal_factor : float, default=0.1
        The cut, in [0, 1].
    stop_at_target : bool, default=True
        Stop when the criterion is met (else run every episode).
    greedy_check : int, default=0
        Greedy episodes that must also meet the target (0: no check).
    greedy_margin : float, default=0.0
        What the greedy check must exceed the target by (return units, >= 0).
    """

    episodes: int = 3000
    max_seconds: float = 600.0
    window: int = 20
    checkpoint_every: int = 50
    anneal_margin: float = 75.0
    anneal_factor: float = 0.1
    stop_at_target: bool = True
    greedy_check: int = 0
    greedy_margin: float = 0.0

    def __post_init__(self):
        for name, low in (("episodes", 1), ("window", 1), ("checkpoint_every", 1),
                          ("greedy_check", 0)):
            check_scalar(f"training.{name}", getattr(self, name), low=low, integer=True)
        check_scalar("training.max_seconds", self.max_seconds, low=0.0, low_inclusive=False)
        check_scalar("training.anneal_margin", self.anneal_margin, low=0.0)
        check_scalar("training.anneal_factor", self.anneal_factor, low=0.0, high=1.0)
        check_scalar("training.greedy_margin", self.greedy_margin, low=0.0)


def _defaults(cls, *, exclude=()):
    """``{field: default}`` of a config dataclass, or of a class's keyword arguments."""
    if is_dataclass(cls):
        return {k: v for k, v in asdict(cls()).items() if k not in exclude}
    return {name: p.default for name, p in inspect.signature(cls).parameters.items()
            if p.default is not p.empty and name not in exclude}


#: Every training key with its default (SI units): the defaults of the classes
#: each section configures (the encoder, the neurons, each learning rule, the
#: synapse backend, :class:`TrainingConfig`), not a copy of them.
TRAIN_DEFAULTS = {
    "encoder": _defaults(GaussianFields),
    "neuron": _defaults(NeuronParams),
    "eprop": _defaults(EpropConfig, exclude=("neuron",)),
    "rstdp": _defaults(RstdpConfig, exclude=("neuron",)),
    "synapses": _defaults(SynapseConfig),
    "training": _defaults(TrainingConfig),
}

#: Per-task changes to :data:`TRAIN_DEFAULTS` (a config file and ``--set``
#: still override them), each with the measurement that motivates it.
#:
#: ``acrobot``: ``eprop.reward_scale = 0.01`` (= 1 - gamma). Rewards are -1 per
#: step, so values sit near -100 while the value readout starts at 0: with
#: scale 1 the TD error stays negative for thousands of steps and the policy
#: collapsed to one action within 3 episodes (1 goal in 2000 episodes); with
#: 0.01 the values lie in [-1, 0] and the critic follows them (5 of 5 seeds
#: met the target in 26-78 s, greedy means -85.2 to -92.3 over 100 episodes).
#:
#: ``cartpole-positions`` (velocities hidden; seeds 0-4, 10-minute budget):
#:
#: - ``neuron.beta = 0.5``: ALIF neurons, the network's memory.
#: - ``eprop.c_rate = 0.5``, ``eprop.c_entropy = 0.01``: at the defaults the
#:   hidden layer ran away (neurons firing at the refractory limit went from
#:   11 % to 45 % within 100 episodes) and the policy collapsed to one action
#:   (return 9), for seed 1 after 2100 episodes; with these it did not.
#: - ``encoder.n_fields = 16``: with 8 fields, seeds 2 and 3 stalled at
#:   sampled returns of 350-400 (greedy about 400-470) for minutes; with 16
#:   they met the target in 80 and 267 s.
#: - ``training.episodes = 1000000``: the 10-minute ``max_seconds`` is the
#:   budget (3000 episodes ended some runs after one minute).
#: - ``training.greedy_check = 100``, ``greedy_margin = 10``: runs stopped by
#:   the 20-episode window alone scored 450-463 over 100 greedy episodes, and
#:   policies that passed a check at 475 (477.1, 480.2) scored 465.4 and 490.0
#:   over 100 other episodes.
TASK_DEFAULTS = {
    "cartpole": {},
    "cartpole-positions": {"neuron": {"beta": 0.5}, "encoder": {"n_fields": 16},
                           "eprop": {"c_rate": 0.5, "c_entropy": 0.01},
                           "training": {"episodes": 1000000, "greedy_check": 100,
                                        "greedy_margin": 10.0}},
    "acrobot": {"eprop": {"reward_scale": 0.01}},
}


def task_defaults(env_name):
    """:data:`TRAIN_DEFAULTS` updated by the :data:`TASK_DEFAULTS` of ``env_name`` (a
    task name or spec)."""
    spec = task(env_name)
    config = copy.deepcopy(TRAIN_DEFAULTS)
    for section, values in TASK_DEFAULTS.get(spec.name, {}).items():
        config[section].update(values)
    return config


LOG_FIELDS = ("episode", "return", "steps", "seconds", "spikes_per_decision", "mean_rate",
              "write_pulses")

RULES = ("eprop", "rstdp")


def digital_backends(config, seed, *, training=True):
    """The backend factory of a ``synapses`` section (:class:`memsim.snn.SynapseConfig`)
    that needs no hardware: float weights. Hardware backends come from
    :func:`memsim.hardware.backend_factory`, which the ``memsim train`` command and
    :mod:`memsim.studies.train` pass in."""
    if config.backend != "digital" and (config.backend != "noisy" or training):
        raise InputError(f"synapses.backend={config.backend!r} is a hardware backend: train "
                         f"with memsim.studies.train (or `memsim train`), or pass "
                         f"backends=memsim.hardware.backend_factory")
    return digital


def build_agent(env_name, config, seed, rule="eprop", synapse_seed=0, *, training=True,
                backends=digital_backends):
    """Encoder and agent (``rule``: e-prop or R-STDP) for ``env_name`` from a config.

    ``backends(SynapseConfig, synapse_seed, training=...)`` gives the factory
    of the agent's synapse backends (default: float weights only).
    """
    spec = task(env_name)
    encoder = GaussianFields(spec.low, spec.high, **config["encoder"])
    neuron = NeuronParams(**config["neuron"])
    factory = backends(SynapseConfig(**config["synapses"]), synapse_seed, training=training)
    if check_choice("rule", rule, RULES) == "rstdp":
        agent = RstdpAgent(encoder.n_inputs, spec.n_actions,
                           RstdpConfig(neuron=neuron, **config["rstdp"]), seed=seed,
                           synapses=factory)
    else:
        agent = EpropActorCritic(encoder.n_inputs, spec.n_actions,
                                 EpropConfig(neuron=neuron, **config["eprop"]), seed=seed,
                                 synapses=factory)
    return encoder, agent


def _inputs(encoder, obs, rng):
    """Network input of one observation (n_obs,) or of a batch (batch, n_obs)."""
    responses = (encoder.responses(obs) if np.ndim(obs) == 1
                 else np.stack([encoder.responses(o) for o in obs]))
    if encoder.mode == "analog":
        return encoder.encode(responses)
    return lambda k: encoder.encode(responses, rng)


def run_episode(env, encoder, agent, env_seed, rng, *, learn=True, greedy=False):
    """One episode; returns ``(return, decisions, spikes)``."""
    obs = env.reset(env_seed)
    agent.reset()
    total, steps = 0.0, 0
    while True:
        action = agent.decide(_inputs(encoder, obs, rng), greedy=greedy, learn=learn)
        obs, reward, terminated, truncated = env.step(action)
        if learn:
            agent.observe(reward, terminated)
        total += reward
        steps += 1
        if terminated or truncated:
            return total, steps, agent.spikes


def run_episodes(env_name, encoder, agent, env_seeds, rng, *, greedy=True):
    """Evaluation episodes run in lockstep as one batch (no learning).

    Every network step reads each synapse matrix once for all running
    episodes, so a backend with a per-call cost (analog tiles) pays it once
    per step rather than once per episode. An episode that ends leaves the
    batch.

    Parameters
    ----------
    env_name : str
        Task name.
    encoder : GaussianFields
    agent : EpropActorCritic
    env_seeds : sequence of int
        One environment seed per episode.
    rng : numpy.random.Generator
        Source of spike inputs.
    greedy : bool
        Most probable actions (else sampled from the agent's generator).

    Returns
    -------
    returns : ndarray, shape (episodes,)
    decisions : int
        Decisions summed over episodes.
    spikes : float
        Spikes of the recurrent neurons summed over episodes.
    """
    spec = task(env_name)
    envs = [Environment(spec) for _ in env_seeds]
    try:
        obs = np.array([env.reset(seed) for env, seed in zip(envs, env_seeds)])
        agent.reset(batch=len(envs))
        running = np.arange(len(envs))
        returns = np.zeros(len(envs))
        decisions = 0
        while running.size:
            actions = agent.decide(_inputs(encoder, obs[running], rng), greedy=greedy,
                                   learn=False)
            keep = []
            for k, (i, action) in enumerate(zip(running, actions)):
                obs[i], reward, terminated, truncated = envs[i].step(action)
                returns[i] += reward
                if not (terminated or truncated):
                    keep.append(k)
            decisions += running.size
            if len(keep) < running.size:
                running = running[keep]
                if running.size:
                    agent.select(keep)
        return returns, decisions, agent.spikes
    finally:
        for env in envs:
            env.close()


def greedy_check(env, encoder, agent, seed, episode, episodes, target, block=10):
    """Greedy episodes without learning, seeded by ``(seed, episode)`` apart from
    training's generators, until ``episodes`` ran or the mean after a block of
    ``block`` is below ``target``; returns ``(mean return, episodes run)``."""
    rng = np.random.default_rng([seed, 2, episode])
    returns = []
    while len(returns) < episodes:
        returns.append(run_episode(env, encoder, agent, int(rng.integers(2**31)), rng,
                                   learn=False, greedy=True)[0])
        if len(returns) % block == 0 and np.mean(returns) < target:
            break
    return float(np.mean(returns)), len(returns)


def policy_files(out):
    """Every file training writes for the policy ``out`` (.npz): ``policy``,
    ``meta`` (.json), ``log`` (.log.csv), ``ckpt`` and ``ckpt_meta`` (checkpoint)."""
    out = Path(out)
    stem = out.with_suffix("")
    return {"policy": out, "meta": stem.with_suffix(".json"),
            "log": Path(f"{stem}.log.csv"), "ckpt": Path(f"{stem}.ckpt.npz"),
            "ckpt_meta": Path(f"{stem}.ckpt.json")}


#: What a policy file says of itself inside its .npz: what builds its network
#: (no timings or outcomes, so the same training gives the same bytes).
DESCRIPTION = ("format", "env", "rule", "seed", "init", "config")


def read_log(path):
    """Rows of a training log written by :func:`train` (:data:`LOG_FIELDS`), as floats."""
    text = read_text(path, "training log").splitlines()
    if not text or text[0].split(",") != list(LOG_FIELDS):
        raise DataError(f"{path}: not a memsim training log (header {', '.join(LOG_FIELDS)})")
    try:
        return [[float(v) for v in line.split(",")] for line in text[1:] if line.strip()]
    except ValueError as exc:
        raise DataError(f"{path}: a row of the training log is not numeric ({exc})") from exc


def _save(npz_path, meta_path, agent, meta, *, embed):
    """The agent's arrays and ``embed`` (metadata, JSON) in one .npz, written
    atomically, then a readable copy of the full ``meta`` beside it."""
    arrays = {**agent.state_dict(), "meta": np.array(to_json(embed))}
    write_bytes(npz_path, lambda fh: np.savez(fh, **arrays))
    write_json(meta_path, meta)


def _description(meta):
    return {k: meta.get(k) for k in DESCRIPTION}


def _read_saved(npz_path, meta_path, what):
    """``(meta, arrays)`` of a policy or checkpoint written by :func:`_save`.

    A checkpoint's .npz holds its whole metadata (the .json beside is a copy
    for people, which a stopped write may leave one checkpoint behind). A
    policy's .npz holds its description; the .json beside it (the outcome of
    training, timings) must have the same description: the .json of another
    policy beside this .npz is refused. Files from memsim before the metadata
    moved into the .npz have it only beside.
    """
    arrays = read_npz(npz_path, what)
    if "meta" not in arrays:
        return read_json(meta_path, f"{what} metadata"), arrays
    try:
        embedded = json.loads(str(arrays.pop("meta")))
    except json.JSONDecodeError as exc:
        raise DataError(f"{npz_path}: the {what}'s metadata is not valid JSON") from exc
    if what == "checkpoint" or not Path(meta_path).is_file():
        return embedded, arrays
    beside = read_json(meta_path, f"{what} metadata")
    if not isinstance(beside, dict) or _description(beside) != embedded:
        raise DataError(f"{meta_path} does not describe {npz_path} (it holds another "
                        f"{what}'s metadata); copy both files of a {what} together")
    return beside, arrays


def _agent_from_meta(meta, where, backends):
    """Encoder and agent (not yet loaded) that the saved ``meta`` describes."""
    for key in ("env", "rule", "config"):
        if key not in meta:
            raise DataError(f"{where}: the metadata lacks {key!r}")
    if meta.get("format") != FORMAT:
        raise DataError(f"{where}: policy format {meta.get('format')!r} (memsim "
                        f"{meta.get('memsim_version')}) is not the format {FORMAT} this "
                        f"memsim {__version__} reads")
    if not isinstance(meta["config"], dict):
        raise DataError(f"{where}: the metadata's config is not a table")
    # sections added after a policy was saved take their defaults (policies before
    # synapse backends were configurable were trained on float weights)
    config = merge_config(TRAIN_DEFAULTS, meta["config"], where)
    return build_agent(meta["env"], config, np.random.default_rng(0), meta["rule"],
                       training=False, backends=backends)


def _load_state(agent, arrays, where, *, synapses=True):
    """Load saved arrays into ``agent`` after checking they are its arrays.

    Every array the agent saves must be there with its shape (device state of
    the synapse backends excepted: backends without it start fresh). With
    ``synapses=False`` saved backend state is left out.
    """
    for key, value in agent.state_dict().items():
        if key.startswith("synapse/"):
            continue
        if key not in arrays:
            raise DataError(f"{where}: lacks the array {key!r} of this network")
        if np.shape(arrays[key]) != np.shape(value):
            raise DataError(f"{where}: array {key!r} has shape {np.shape(arrays[key])}, this "
                            f"network needs {np.shape(value)}")
    agent.load_state_dict({k: v for k, v in arrays.items()
                           if synapses or not k.startswith("synapse/")})


def _identity(meta):
    """What a resumed run must share with its checkpoint (budgets may change)."""
    config = json.loads(json.dumps(meta.get("config", {})))
    # a key added to memsim after the run started takes its default, which keeps the
    # behaviour the run had
    defaults = task_defaults(meta["env"]) if meta.get("env") else TRAIN_DEFAULTS
    for section, values in json.loads(json.dumps(defaults)).items():
        for key, value in values.items():
            config.setdefault(section, {}).setdefault(key, value)
    for key in ("episodes", "max_seconds"):
        config.get("training", {}).pop(key, None)
    return [meta.get(k) for k in ("format", "env", "rule", "seed", "init")] + [config]


def _check_outputs(paths, meta, init_paths):
    """Before training: every file training writes may be written, and is not an
    input nor a file of another training run or of the user."""
    inputs = [] if init_paths is None else list(init_paths.values())
    for name, path in paths.items():
        check_output(path, "--out" if name == "policy" else f"--out ({path.name})",
                     inputs=inputs)
    for npz, meta_path, what in ((paths["policy"], paths["meta"], "policy"),
                                 (paths["ckpt"], paths["ckpt_meta"], "checkpoint")):
        if not (npz.exists() or meta_path.exists()):
            continue
        try:
            saved, _ = _read_saved(npz, meta_path, what)
        except DataError as exc:
            raise OutputError(f"--out {paths['policy']}: {npz.name} or {meta_path.name} "
                              f"exists and is not a memsim {what} ({exc}); move it or choose "
                              f"another --out") from exc
        if _identity(saved) != _identity(meta):
            raise OutputError(f"--out {paths['policy']}: {npz.name} holds a {what} of a "
                              f"different training run (task, rule, seed, init or config differ); "
                              f"remove it or choose another --out")
    check_data_file(paths["log"], LOG_FIELDS, "training log")


def train(env_name, out, seed, *, rule="eprop", config_path=None, overrides=(),
          episodes=None, progress=None, command=None, init=None, backends=digital_backends):
    """Train an agent until it meets the task's target; save the policy.

    Parameters
    ----------
    env_name : str
        ``cartpole``, ``cartpole-positions`` or ``acrobot``.
    out : str or Path
        Policy file (``.npz``); its ``.json``, log and checkpoint sit beside it.
    seed : int
        Seed of the initial weights, action sampling, spike inputs and the
        environment's episodes.
    rule : {"eprop", "rstdp"}
        Learning rule: reward-based e-prop or reward-modulated STDP.
    config_path : str, optional
        TOML file of :data:`TRAIN_DEFAULTS` keys; it and ``overrides`` apply on
        top of the task's :data:`TASK_DEFAULTS`.
    overrides : sequence of str
        ``key=value`` overrides.
    episodes : int, optional
        Override ``training.episodes``.
    progress : callable, optional
        Called after each episode with ``(episode, return, mean of window)``.
    command : str, optional
        The command line, recorded in the metadata.
    init : str or Path, optional
        A saved policy to start from (its weights, feedback weights and
        optimiser state) instead of random weights: e.g. continue learning
        a trained policy on pulse-device synapses (in-situ learning). Its
        network must have the shape this config builds.
    backends : callable, default=digital_backends
        ``backends(SynapseConfig, seed, training=...)`` gives the factory of
        the synapse backends that ``synapses.backend`` names; hardware ones
        come from :func:`memsim.hardware.backend_factory`
        (:func:`memsim.studies.train.train` passes it).

    Returns
    -------
    dict
        The policy metadata (also written to ``<out>.json``). The episode log
        is ``<out>.log.csv`` (:data:`LOG_FIELDS`); the learning curve is the
        caller's to draw (``memsim train`` draws ``<out>.curve.png``).
    """
    spec = task(env_name)
    check_choice("rule", rule, RULES)
    seed = check_scalar("seed", seed, low=0, integer=True)
    config = load_config(task_defaults(spec), config_path, overrides)
    if episodes is not None:
        config["training"]["episodes"] = check_scalar("episodes", episodes, low=1, integer=True)
    tr = TrainingConfig(**config["training"])
    n_episodes, window, every, budget = tr.episodes, tr.window, tr.checkpoint_every, \
        tr.max_seconds
    margin, factor, n_check = tr.anneal_margin, tr.anneal_factor, tr.greedy_check
    check_bar = spec.target + tr.greedy_margin
    paths = policy_files(out)
    agent_seq, env_seq, input_seq, synapse_seq = np.random.SeedSequence(seed).spawn(4)
    encoder, agent = build_agent(spec, config, np.random.default_rng(agent_seq), rule,
                                 int(synapse_seq.generate_state(1)[0] >> 1), backends=backends)
    env_rng, input_rng = np.random.default_rng(env_seq), np.random.default_rng(input_seq)
    meta = {"format": FORMAT, "memsim_version": __version__, "env": spec.name, "rule": rule,
            "seed": seed, "config": config, "target": spec.target, "command": command,
            "init": None if init is None else str(init)}
    init_paths = None if init is None else policy_files(policy_path(init, "--init"))
    _check_outputs(paths, meta, init_paths)
    if init_paths is not None:
        _, arrays = _read_saved(init_paths["policy"], init_paths["meta"], "policy")
        _load_state(agent, arrays, init_paths["policy"], synapses=False)
    rows, start_episode, elapsed, annealed_at, checks = [], 0, 0.0, None, []
    if paths["ckpt"].exists():
        saved, arrays = _read_saved(paths["ckpt"], paths["ckpt_meta"], "checkpoint")
        _load_state(agent, arrays, paths["ckpt"])
        agent.rng.bit_generator.state = saved["rng"]["agent"]
        env_rng.bit_generator.state = saved["rng"]["env"]
        input_rng.bit_generator.state = saved["rng"]["input"]
        start_episode, elapsed = saved["episode"], saved["seconds"]
        rows = [list(r) for r in saved["log"]]
        annealed_at = saved.get("annealed_at")
        checks = saved.get("greedy_checks", [])
        if annealed_at is not None:
            agent.config = replace(agent.config, lr=agent.config.lr * factor)
    env = Environment(spec)
    met = False
    t0 = time.perf_counter() - elapsed
    for episode in range(start_episode, n_episodes):
        ret, decisions, spikes = run_episode(env, encoder, agent,
                                             int(env_rng.integers(2**31)), input_rng)
        _age_synapses(agent, decisions)
        now = time.perf_counter() - t0
        rows.append([episode, ret, decisions, round(now, 3), spikes / decisions,
                     float(agent.rate.mean()), _write_pulses(agent)])
        recent = [r[1] for r in rows[-window:]]
        if progress:
            progress(episode, ret, float(np.mean(recent)))
        full = len(recent) == window
        if full and annealed_at is None and np.mean(recent) >= spec.target - margin:
            agent.config = replace(agent.config, lr=agent.config.lr * factor)
            annealed_at = episode + 1
        met = tr.stop_at_target and full and np.mean(recent) >= spec.target
        if met and n_check:
            met = False
            if not checks or episode + 1 >= checks[-1][0] + window:
                mean, ran = greedy_check(env, encoder, agent, seed, episode, n_check,
                                         check_bar)
                checks.append([episode + 1, mean, ran])
                met = ran == n_check and mean >= check_bar
                now = time.perf_counter() - t0
                rows[-1][3] = round(now, 3)
        if met or now > budget or (episode + 1) % every == 0 or episode + 1 == n_episodes:
            state = {"agent": agent.rng.bit_generator.state, "env": env_rng.bit_generator.state,
                     "input": input_rng.bit_generator.state}
            ckpt = {**meta, "episode": episode + 1, "seconds": now, "rng": state, "log": rows,
                    "annealed_at": annealed_at, "greedy_checks": checks}
            _save(paths["ckpt"], paths["ckpt_meta"], agent, ckpt, embed=ckpt)
            write_csv(paths["log"], LOG_FIELDS, rows)
        if met or now > budget:
            break
    env.close()
    recent = [r[1] for r in rows[-window:]]
    meta.update({"criterion_met": bool(met), "episodes": len(rows), "annealed_at": annealed_at,
                 "greedy_checks": checks,
                 "seconds": rows[-1][3] if rows else 0.0,
                 "final_mean_return": float(np.mean(recent)) if recent else None,
                 "window": window, "write_pulses": _write_pulses(agent),
                 "write_joules": _write_joules(agent), "device_wear": _device_wear(agent)})
    _save(paths["policy"], paths["meta"], agent, meta, embed=_description(meta))
    return meta


def _age_synapses(agent, decisions):
    """Move the clocks of backends whose devices age (pulse devices with a retention
    model) on by the episode's network time, ``decisions`` steps_per_decision dt."""
    c = agent.config
    seconds = decisions * c.steps_per_decision * c.neuron.dt
    for backend in agent.syn.values():
        if hasattr(backend, "advance"):
            backend.advance(seconds)


def _write_pulses(agent):
    """Device write pulses so far (in-situ learning; 0 for other backends)."""
    return sum(s.counts.get("write_pulses", 0) for s in agent.syn.values())


def _device_wear(agent):
    """Write cycles per device (``max_cycles``, ``mean_cycles``) and ``failed_devices``
    over every pulse-programmed matrix (in-situ learning); None for other backends."""
    wear = [s.wear() for s in agent.syn.values() if hasattr(s, "wear")]
    if not wear:
        return None
    devices = sum(w["devices"] for w in wear)
    return {"devices": devices, "max_cycles": max(w["max_cycles"] for w in wear),
            "mean_cycles": sum(w["total_cycles"] for w in wear) / devices,
            "failed_devices": sum(w["failed"] for w in wear)}


def _write_joules(agent):
    """Energy of the device writes so far (J); None when the device's pulse
    amplitudes or widths are unknown, or for other backends."""
    counts = [s.counts for s in agent.syn.values() if "write_pulses" in s.counts]
    if not counts or any("write_joules" not in c for c in counts):
        return None
    return sum(c["write_joules"] for c in counts)


def policy_path(name, what="policy"):
    """Path of a shipped policy (``memsim.data/policies/<name>.npz``) or of a file.

    ``name`` is a path when it has a ``/`` or a suffix (``./mine.npz``), else
    a shipped name; ``what`` names the option or key in errors.
    """
    folder = Path(str(resources.files("memsim.data") / "policies"))
    if is_path(name):
        if not Path(name).is_file():
            raise InputError(f"{what} {str(name)!r}: no such file")
        return Path(name)
    shipped = sorted(p.stem for p in folder.glob("*.npz"))
    if name not in shipped:
        raise InputError(f"{what} {name!r} is not a shipped policy ({', '.join(shipped)}); "
                         f"{name_rule(name, '.npz')}")
    return folder / f"{name}.npz"


def load_policy(name, *, what="policy", backends=digital_backends):
    """Agent, encoder and metadata of a saved policy; refuses other formats.

    Parameters
    ----------
    name : str or Path
        A shipped policy name or a path (:func:`policy_path`).
    what : str, default="policy"
        The option or config key that named it, for errors.
    backends : callable, default=digital_backends
        As for :func:`train` (a policy trained on pulse devices keeps them).

    Raises
    ------
    InputError, DataError
        Naming the file: missing, damaged, of another format, metadata that
        does not describe the weights, arrays missing or of other shapes.
    """
    paths = policy_files(policy_path(name, what))
    meta, arrays = _read_saved(paths["policy"], paths["meta"], "policy")
    encoder, agent = _agent_from_meta(meta, str(paths["policy"]), backends)
    _load_state(agent, arrays, paths["policy"])
    return agent, encoder, meta


def evaluate(path, episodes, seed, *, greedy=True, backends=digital_backends):
    """Return statistics of a saved policy over ``episodes`` episodes.

    Returns
    -------
    dict
        ``mean_return``, ``std_return``, ``spikes_per_decision``,
        ``synaptic_events_per_decision``, ``mean_rate`` (spikes per neuron per
        network step), ``returns``.
    """
    episodes = check_scalar("episodes", episodes, low=1, integer=True)
    seed = check_scalar("seed", seed, low=0, integer=True)
    agent, encoder, meta = load_policy(path, backends=backends)
    env_seq, input_seq = np.random.SeedSequence([seed, 1]).spawn(2)
    env_rng, input_rng = np.random.default_rng(env_seq), np.random.default_rng(input_seq)
    agent.rng = np.random.default_rng(seed)
    env = Environment(meta["env"])
    for syn in agent.syn.values():
        syn.counts = {k: 0 for k in syn.counts}
    returns, decisions, spikes = [], 0, 0.0
    for _ in range(episodes):
        ret, steps, n_spikes = run_episode(env, encoder, agent, int(env_rng.integers(2**31)),
                                           input_rng, learn=False, greedy=greedy)
        returns.append(ret)
        decisions += steps
        spikes += n_spikes
    env.close()
    events = sum(s.counts["synaptic_events"] for s in agent.syn.values())
    steps_per_decision = agent.config.steps_per_decision
    return {"env": meta["env"], "episodes": episodes, "greedy": greedy,
            "mean_return": float(np.mean(returns)), "std_return": float(np.std(returns)),
            "spikes_per_decision": spikes / decisions,
            "synaptic_events_per_decision": events / decisions,
            "mean_rate": spikes / decisions / steps_per_decision / agent.config.n_rec,
            "returns": returns}
