"""Training loop, checkpoints, resume, evaluation and bad input (small and fast: reaching
the task targets is a benchmark, not a test)."""

import importlib
import json
from dataclasses import replace

import numpy as np
import pytest

from memsim.devices.presets import load_preset, save_preset
from memsim.plots import plot_learning_curve
from memsim.rl import Environment
from memsim.rl.train import read_log
from memsim.studies.train import evaluate, load_policy, train

SMALL = ["eprop.n_rec=16", "training.checkpoint_every=3"]


def test_train_resume_equals_uninterrupted(tmp_path):
    whole = train("cartpole", tmp_path / "whole.npz", seed=3, overrides=SMALL, episodes=8)
    train("cartpole", tmp_path / "part.npz", seed=3, overrides=SMALL, episodes=5)
    resumed = train("cartpole", tmp_path / "part.npz", seed=3, overrides=SMALL, episodes=8)
    assert resumed["episodes"] == whole["episodes"] == 8
    log_a = np.loadtxt(tmp_path / "whole.log.csv", delimiter=",", skiprows=1)
    log_b = np.loadtxt(tmp_path / "part.log.csv", delimiter=",", skiprows=1)
    assert np.array_equal(log_a[:, :3], log_b[:, :3])   # episode, return, steps
    with np.load(tmp_path / "whole.npz") as a, np.load(tmp_path / "part.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files)
    meta = json.loads((tmp_path / "whole.json").read_text())
    assert meta["config"]["eprop"]["n_rec"] == 16 and meta["memsim_version"]
    assert meta["criterion_met"] is False
    plot_learning_curve(read_log(tmp_path / "whole.log.csv"), tmp_path / "whole.curve.png",
                        window=20)
    curve = np.loadtxt(tmp_path / "whole.curve.csv", delimiter=",", skiprows=1)
    assert np.array_equal(curve[:, 1], log_a[:, 1])
    assert curve[-1, 2] == pytest.approx(log_a[:, 1].mean())      # window 20 > 8 episodes


@pytest.mark.parametrize("backend", [
    ['synapses.backend="pulse"', 'synapses.device="epiram"', "eprop.lr=0.05"],
    ['synapses.backend="noisy"', "synapses.relative_noise=0.2", "synapses.absolute_noise=0.03"],
], ids=["pulse", "noisy"])
def test_device_backends_train_and_resume_exactly(tmp_path, backend):
    config = SMALL + backend
    whole = train("cartpole", tmp_path / "w.npz", seed=4, overrides=config, episodes=7)
    train("cartpole", tmp_path / "p.npz", seed=4, overrides=config, episodes=4)
    train("cartpole", tmp_path / "p.npz", seed=4, overrides=config, episodes=7)
    with np.load(tmp_path / "w.npz") as a, np.load(tmp_path / "p.npz") as b:
        assert a.files == b.files and any(k.startswith("synapse/") for k in a.files)
        assert all(np.array_equal(a[k], b[k]) for k in a.files)
    log = np.loadtxt(tmp_path / "w.log.csv", delimiter=",", skiprows=1)
    assert (whole["write_pulses"] > 0) == ("pulse" in backend[0])
    assert log[-1, -1] == whole["write_pulses"]
    agent, _, _ = load_policy(tmp_path / "w.npz")
    kind = "PulseSynapses" if "pulse" in backend[0] else "DigitalSynapses"
    assert type(agent.syn["w_rec"]).__name__ == kind      # noise belongs to training only


def test_init_continues_from_a_saved_policy(tmp_path):
    train("cartpole", tmp_path / "a.npz", seed=1, overrides=SMALL, episodes=3)
    meta = train("cartpole", tmp_path / "b.npz", seed=2, init=tmp_path / "a.npz",
                 overrides=SMALL + ["training.stop_at_target=false"], episodes=1)
    assert meta["init"] == str(tmp_path / "a.npz")
    a, _, _ = load_policy(tmp_path / "a.npz")
    agent, _, _ = load_policy(tmp_path / "b.npz")
    np.testing.assert_array_equal(agent.b_random, a.b_random)   # same feedback weights
    with pytest.raises(ValueError, match="has shape"):
        train("cartpole", tmp_path / "c.npz", seed=2, init=tmp_path / "a.npz", episodes=1)


def test_evaluate_reports_activity(tmp_path):
    """The events evaluate counts are the network's: per decision, 5 steps of dense analog
    input (Gaussian fields are never exactly 0) into 16 neurons, every spike into the 3
    readouts, and the spikes of the step before into the 16 recurrent synapses (an
    episode's last spikes never get there)."""
    train("cartpole", tmp_path / "p.npz", seed=1, overrides=SMALL, episodes=3)
    stats = evaluate(tmp_path / "p.npz", episodes=4, seed=9)
    _, encoder, _ = load_policy(tmp_path / "p.npz")
    steps, n_rec, n_readout = 5, 16, 3
    decisions = sum(stats["returns"])                 # CartPole pays 1 per decision
    spikes = stats["spikes_per_decision"]
    recurrent = (stats["synaptic_events_per_decision"] - steps * encoder.n_inputs * n_rec
                 - spikes * n_readout)
    assert (spikes * decisions - 4 * n_rec) * n_rec / decisions <= recurrent \
        <= spikes * n_rec
    assert 0 < stats["mean_rate"] <= 1 / 3          # refractory period of 2 steps
    assert evaluate(tmp_path / "p.npz", episodes=4, seed=9) == stats   # same seed, same result


def test_spike_inputs_and_alif_train(tmp_path):
    """Spike inputs are sparse (fewer input events than dense analog inputs) and ALIF
    neurons adapt (thresholds rise after spikes)."""
    train("cartpole-positions", tmp_path / "s.npz", seed=2, episodes=2,
          overrides=SMALL + ["encoder.mode=\"spikes\"", "neuron.beta=0.5"])
    stats = evaluate(tmp_path / "s.npz", episodes=2, seed=3)
    agent, encoder, _ = load_policy(tmp_path / "s.npz")
    dense = 5 * encoder.n_inputs * 16
    assert stats["synaptic_events_per_decision"] < dense
    agent.reset()
    x = np.zeros(encoder.n_inputs)
    x[:4] = 1.0
    for _ in range(10):
        agent.decide(x, greedy=True, learn=False)
    assert agent.spikes > 0 and agent.state.a.max() > 0


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="environment must be one of"):
        train("pong", tmp_path / "x.npz", seed=0)
    with pytest.raises(ValueError, match="rule must be one of"):
        train("cartpole", tmp_path / "x.npz", seed=0, rule="backprop")
    with pytest.raises(ValueError, match="synapses.backend"):
        train("cartpole", tmp_path / "x.npz", seed=0, overrides=['synapses.backend="x"'])
    with pytest.raises(ValueError, match="synapses.device must be a pulse"):
        train("cartpole", tmp_path / "x.npz", seed=0,
              overrides=['synapses.backend="pulse"', 'synapses.device="pcm"'])
    with pytest.raises(ValueError, match="unknown key 'eprop.size'"):
        train("cartpole", tmp_path / "x.npz", seed=0, overrides=["eprop.size=3"])
    train("cartpole", tmp_path / "r.npz", seed=0, overrides=SMALL, episodes=3)
    with pytest.raises(ValueError, match="different training run"):
        train("cartpole", tmp_path / "r.npz", seed=1, overrides=SMALL, episodes=3)
    meta = json.loads((tmp_path / "r.json").read_text())
    meta["format"] = 99
    with np.load(tmp_path / "r.npz") as saved:
        arrays = dict(saved)
    description = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(json.dumps({**description, "format": 99}))
    np.savez(tmp_path / "future.npz", **arrays)
    (tmp_path / "future.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="policy format 99"):
        load_policy(tmp_path / "future.npz")
    (tmp_path / "r.json").write_text(json.dumps(meta))     # no longer says what r.npz is
    with pytest.raises(ValueError, match="r.json does not describe"):
        load_policy(tmp_path / "r.npz")
    env = Environment("cartpole")
    with pytest.raises(ValueError, match="observation must be a finite vector"):
        env._check(np.array([np.nan, 0, 0, 0]))


def test_rstdp_trains_and_evaluates(tmp_path):
    meta = train("cartpole", tmp_path / "r.npz", seed=0, rule="rstdp", episodes=3,
                 overrides=["rstdp.n_rec=16"])
    assert meta["rule"] == "rstdp" and meta["episodes"] == 3
    stats = evaluate(tmp_path / "r.npz", episodes=2, seed=0)
    assert stats["synaptic_events_per_decision"] > 0


def test_task_defaults_apply_under_overrides(tmp_path):
    from memsim.rl.train import TASK_DEFAULTS, TRAIN_DEFAULTS, task_defaults
    assert set(TASK_DEFAULTS) == {"cartpole", "cartpole-positions", "acrobot"}
    assert task_defaults("cartpole") == TRAIN_DEFAULTS
    assert task_defaults("acrobot")["eprop"]["reward_scale"] == 0.01
    positions = task_defaults("cartpole-positions")
    assert positions["training"]["greedy_check"] == 100 and positions["neuron"]["beta"] == 0.5
    assert positions["encoder"] == {**TRAIN_DEFAULTS["encoder"], "n_fields": 16}
    assert TRAIN_DEFAULTS["eprop"]["reward_scale"] == 1.0          # the table is not mutated
    meta = train("acrobot", tmp_path / "a.npz", seed=0, episodes=1,
                 overrides=SMALL + ["eprop.reward_scale=0.5"])
    assert meta["config"]["eprop"]["reward_scale"] == 0.5
    agent, _, _ = load_policy(tmp_path / "a.npz")
    assert agent.config.reward_scale == 0.5


def test_greedy_check_gates_the_criterion(tmp_path, monkeypatch):

    from memsim.rl import envs
    monkeypatch.setitem(envs.TASKS, "cartpole", replace(envs.TASKS["cartpole"], target=0.0))
    over = SMALL + ["training.window=2", "training.greedy_check=2"]
    meta = train("cartpole", tmp_path / "g.npz", seed=0, overrides=over, episodes=6)
    assert meta["criterion_met"] and meta["episodes"] == 2          # any return is >= 0
    assert len(meta["greedy_checks"]) == 1 and meta["greedy_checks"][0][0] == 2
    assert meta["greedy_checks"][0][2] == 2                          # every episode ran
    monkeypatch.setitem(envs.TASKS, "cartpole", replace(envs.TASKS["cartpole"], target=10.0))
    train_module = importlib.import_module("memsim.rl.train")
    monkeypatch.setattr(train_module, "greedy_check", lambda *args: (5.0, 1))   # fails
    meta = train("cartpole", tmp_path / "f.npz", seed=0, overrides=over, episodes=12)
    assert not meta["criterion_met"] and meta["episodes"] == 12
    done = [c[0] for c in meta["greedy_checks"]]
    assert all(b - a >= 2 for a, b in zip(done, done[1:]))          # one check per window
    with pytest.raises(ValueError, match="greedy_check"):
        train("cartpole", tmp_path / "x.npz", seed=0, overrides=["training.greedy_check=-1"])


def test_greedy_margin_raises_the_bar_of_the_check(tmp_path, monkeypatch):
    """The greedy check asks target + greedy_margin; a mean between the two fails."""

    from memsim.rl import envs
    monkeypatch.setitem(envs.TASKS, "cartpole", replace(envs.TASKS["cartpole"], target=0.0))
    train_module = importlib.import_module("memsim.rl.train")
    bars = []

    def check(env, encoder, agent, seed, episode, episodes, bar):
        bars.append(bar)
        return 3.0, episodes                          # above the target, below the bar

    monkeypatch.setattr(train_module, "greedy_check", check)
    over = SMALL + ["training.window=2", "training.greedy_check=2",
                    "training.greedy_margin=5"]
    meta = train("cartpole", tmp_path / "m.npz", seed=0, overrides=over, episodes=6)
    assert not meta["criterion_met"] and bars and set(bars) == {5.0}
    meta = train("cartpole", tmp_path / "n.npz", seed=0, overrides=over[:-1], episodes=6)
    assert meta["criterion_met"] and meta["episodes"] == 2
    with pytest.raises(ValueError, match="greedy_margin"):
        train("cartpole", tmp_path / "x.npz", seed=0, overrides=["training.greedy_margin=-1"])


def test_greedy_check_stops_after_the_first_block_below_target():
    from memsim.rl.train import TRAIN_DEFAULTS, build_agent, greedy_check
    encoder, agent = build_agent("cartpole", TRAIN_DEFAULTS, np.random.default_rng(0))
    env = Environment("cartpole")
    rate = agent.rate.copy()
    mean, ran = greedy_check(env, encoder, agent, 0, 5, 30, target=1e9)
    assert ran == 10 and 0 < mean < 500
    assert np.array_equal(agent.rate, rate)     # the learner's running rate is untouched
    assert greedy_check(env, encoder, agent, 0, 5, 30, target=0.0)[1] == 30
    assert greedy_check(env, encoder, agent, 0, 5, 10, target=0.0)[0] == mean   # same seeds
    env.close()


def test_in_situ_learning_counts_cycles_and_failures_and_resumes(tmp_path):
    """A pulse device that wears out fast and forgets fast: train reports the cycles per
    device and the failed devices, which equal a recount from the saved device states,
    the devices age by the network time of every episode at the configured temperature,
    and a resumed run ends exactly where an uninterrupted one does."""
    epiram = load_preset("epiram")
    worn = replace(epiram, name="epiram-worn", params=replace(
        epiram.params, endurance_cycles=20.0, endurance_exp_on=0.1, endurance_exp_off=-0.1,
        failure_cycles=40.0, failure_spread=0.3, retention_p0=1e-16, retention_p2=63.43,
        retention_p3=0.04))
    save_preset(worn, tmp_path / "worn.toml")
    config = SMALL + ['synapses.backend="pulse"', f'synapses.device="{tmp_path / "worn.toml"}"',
                      "eprop.lr=0.05", "synapses.temperature=573.0"]
    whole = train("cartpole", tmp_path / "w.npz", seed=4, overrides=config, episodes=6)
    train("cartpole", tmp_path / "p.npz", seed=4, overrides=config, episodes=3)
    train("cartpole", tmp_path / "p.npz", seed=4, overrides=config, episodes=6)
    with np.load(tmp_path / "w.npz") as a, np.load(tmp_path / "p.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files)
        cycles = np.concatenate([a[k].ravel() for k in a.files if k.endswith("/cycles")])
        budget = np.concatenate([a[k].ravel() for k in a.files if k.endswith("/budget")])
        clocks = {a[k].item() for k in a.files if k.endswith("/clock")}
        written = np.concatenate([a[k].ravel() for k in a.files if k.endswith("/written")])
    # 6 episodes of network time, 5 steps of 1 ms per decision; the onset at 573 K is
    # 1e-16 exp(63.43 x 298/573) = 0.021 s, so devices left alone have aged past it
    steps = np.loadtxt(tmp_path / "w.log.csv", delimiter=",", skiprows=1)[:, 2].sum()
    assert len(clocks) == 1 and clocks.pop() == pytest.approx(steps * 5 * 1e-3, rel=1e-12)
    assert written.min() < steps * 5e-3 - 1e-16 * np.exp(63.43 * 298 / 573)
    wear = whole["device_wear"]
    assert wear["devices"] == cycles.size and wear["max_cycles"] == cycles.max()
    assert wear["mean_cycles"] == pytest.approx(cycles.mean())
    assert wear["failed_devices"] == np.count_nonzero(cycles >= budget) > 0
    digital = train("cartpole", tmp_path / "d.npz", seed=4, overrides=SMALL, episodes=1)
    assert digital["device_wear"] is None
