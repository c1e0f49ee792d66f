"""A trained spiking agent on simulated tiles: deployment, closed loop, energy, the main job."""

import json
import math

import numpy as np
import pytest

from memsim.config import ConfigError, load_config
from memsim.devices import PCM, PCMParams
from memsim.energy import load_technology
from memsim.errors import OutputError
from memsim.experiment import RUN_DEFAULTS, plan, run_experiment
from memsim.hardware import AnalogSynapses, decision_energy, deploy, record_inputs
from memsim.crossbar import ADC, DAC
from memsim.rl.train import load_policy, policy_path, run_episodes

IDEAL_PCM = PCM(PCMParams(prog_noise_scale=0.0, drift_scale=0.0, read_noise_scale=0.0))
SEEDS = [11, 12, 13, 14]


def _episodes(agent, encoder, meta, seeds=SEEDS, input_seed=5):
    return run_episodes(meta["env"], encoder, agent, seeds, np.random.default_rng(input_seed))


def _ideal_deploy(agent, encoder, device=IDEAL_PCM, seed=0, **kw):
    options = dict(dac_bits=0, adc_bits=0, wires=None)
    options.update(kw)
    return deploy(agent, encoder, device, seed=np.random.default_rng(seed), **options)


def test_analog_synapses_compute_the_weights_with_an_ideal_device():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.3, (12, 7))
    syn = AnalogSynapses(w, IDEAL_PCM, seed=1, read_seed=2, dac=DAC(bits=1, signed=False),
                         adc=ADC(bits=0), tile_shape=(8, 6))
    assert syn.matrix.n_tiles == 2 * 3
    x = (rng.random((5, 12)) < 0.4).astype(float)
    np.testing.assert_allclose(syn.propagate(x), x @ w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(syn.propagate(x[0]), x[0] @ w, rtol=1e-12, atol=1e-12)
    assert syn.counts["synaptic_events"] == (np.count_nonzero(x) + np.count_nonzero(x[0])) * 7
    with pytest.raises(NotImplementedError, match="read-only"):
        syn.update(np.zeros_like(w))


@pytest.mark.parametrize("policy", ["cartpole", "cartpole-spikes"])
def test_ideal_hardware_takes_the_digital_actions(policy):
    agent, encoder, meta = load_policy(policy_path(policy))
    digital = _episodes(agent, encoder, meta)
    _ideal_deploy(agent, encoder)
    assert all(type(s).__name__ == "AnalogSynapses" for s in agent.syn.values())
    analog = _episodes(agent, encoder, meta)
    np.testing.assert_array_equal(analog[0], digital[0])
    assert analog[1:] == digital[1:]           # same decisions, same spikes


def _mean_return(noise_scale, instance):
    agent, encoder, meta = load_policy(policy_path("cartpole"))
    device = PCM(PCMParams(prog_noise_scale=noise_scale, drift_scale=0.0,
                           read_noise_scale=0.0))
    _ideal_deploy(agent, encoder, device, seed=instance)
    return _episodes(agent, encoder, meta, seeds=[21, 22])[0].mean()


def test_return_falls_as_programming_noise_grows():
    means = {scale: np.mean([_mean_return(scale, k) for k in range(3)])
             for scale in (0.0, 6.0, 30.0)}
    assert means[0.0] == 500.0
    assert means[30.0] < means[6.0] <= means[0.0]
    assert means[30.0] < 250.0


def test_decision_energy_ledgers_add_up_and_count_the_network():
    agent, encoder, meta = load_policy(policy_path("cartpole-spikes"))
    tech, digital = load_technology("cim-22nm"), load_technology("digital-45nm")
    inputs = record_inputs(meta["env"], encoder, agent, [3], np.random.default_rng(0))
    backends = _ideal_deploy(agent, encoder, adc_bits=8, v_read=tech["v_read"],
                             t_read=tech["t_read"])
    for name, b in backends.items():
        b.calibrate_adc(inputs[name], 0.0, 100.0)
    returns, decisions, spikes = _episodes(agent, encoder, meta, seeds=[31, 32])
    e = decision_energy(agent, encoder, backends, decisions, spikes, tech, digital,
                        adc_bits=8, adc_model="walden")
    for ledger in [e["analog"]] + list(e["baselines"].values()):
        parts = [c["joules"] for c in ledger["components"].values()]
        assert ledger["total_joules"] == pytest.approx(math.fsum(parts), rel=1e-12)
    comps = e["analog"]["components"]
    steps = agent.config.steps_per_decision
    assert comps["neuron_update"]["events"] == pytest.approx(
        steps * (agent.config.n_rec + agent.n_actions + 1))
    # only active rows are driven: every spike drives one row of w_out and of w_value,
    # and, one step later, of w_rec (not the spikes of an episode's last step); every
    # input spike one row of w_in
    n_rec = agent.config.n_rec
    in_spikes = backends["w_in"].counts["synaptic_events"] / n_rec
    rec_spikes = backends["w_rec"].counts["synaptic_events"] / n_rec
    assert spikes - 2 * n_rec <= rec_spikes <= spikes
    assert comps["driver"]["events"] == pytest.approx(
        (2 * spikes + rec_spikes + in_spikes) / decisions)
    assert comps["spike_routing"]["events"] == pytest.approx((spikes + in_spikes) / decisions)
    assert e["activity"]["spikes_per_decision"] == pytest.approx(spikes / decisions)
    for b in e["baselines"].values():
        assert b["ratio_to_analog"] == pytest.approx(b["total_joules"]
                                                     / e["analog"]["total_joules"])


def _small(devices='["pcm"]', **evaluation):
    overrides = ['policies=["cartpole-spikes"]', f"devices={devices}",
                 "evaluation.times=[1.0, 3600.0]", "evaluation.compensate=[false]",
                 "evaluation.instances=1", "evaluation.episodes=2",
                 "tile.calibration_episodes=1"]
    overrides += [f"evaluation.{k}={v}" for k, v in evaluation.items()]
    return load_config(RUN_DEFAULTS, None, overrides)


def _strip(points):
    return [{k: v for k, v in p.items() if k != "seconds"} for p in points]


def test_plan_skips_time_and_compensation_for_devices_without_drift():
    points = plan(_small('["pcm", "taox-hfox"]', compensate="[false, true]"))
    pcm = [p for p in points if p["device"] == "pcm"]
    rram = [p for p in points if p["device"] == "taox-hfox"]
    assert len(pcm) == 2 * 2 and len(rram) == 1 and rram[0]["compensate"] is False


def test_same_seed_same_report_and_resume_after_interrupt(tmp_path):
    config = _small()
    full = run_experiment(config, tmp_path / "a")
    first = _strip(json.loads((tmp_path / "a" / "points.json").read_text()))

    class Stop(Exception):
        pass

    def stop_after_two(done, total, point):
        if done == 2:
            raise Stop
    with pytest.raises(Stop):
        run_experiment(config, tmp_path / "b", progress=stop_after_two)
    partial = json.loads((tmp_path / "b" / "points.json").read_text())
    assert len(partial) == 2
    ran = []
    resumed = run_experiment(config, tmp_path / "b",
                             progress=lambda d, n, p: ran.append(p["seconds"]))
    assert ran[:2] == [p["seconds"] for p in partial]      # kept, not recomputed
    assert _strip(json.loads((tmp_path / "b" / "points.json").read_text())) == first
    assert resumed["table"] == full["table"]


def test_a_folder_of_another_config_is_refused_and_untouched(tmp_path):
    run_experiment(_small(times="[1.0]"), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(OutputError, match="different config"):
        run_experiment(_small(times="[1.0]", seed=3), tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("override, message", [
    ("policies=[]", "policies"),
    ('policies=["no-such-policy"]', "no-such-policy"),
    ('devices=["no-such-device"]', "no-such-device"),
    ("evaluation.times=[-1.0]", "evaluation.times"),
    ("evaluation.times=[]", "evaluation.times"),
    ("evaluation.compensate=[1]", "evaluation.compensate"),
    ("evaluation.instances=0", "evaluation.instances"),
    ("tile.adc_percentile=0.0", "tile.adc_percentile"),
    ('tile.adc_model="flash"', "tile.adc_model"),
    ("device.drift_scale=-1.0", "device.drift_scale"),
])
def test_bad_config_names_the_key(tmp_path, override, message):
    config = load_config(RUN_DEFAULTS, None, [override])
    with pytest.raises(ValueError, match=message):
        run_experiment(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_device_scales_apply_to_pcm_only(tmp_path):
    from memsim.experiment import device_model
    config = load_config(RUN_DEFAULTS, None, ["device.prog_noise_scale=3.0"])
    assert device_model("pcm", config).params.prog_noise_scale == 3.0
    with pytest.raises(ConfigError, match="apply to PCM presets"):
        device_model("taox-hfox", config)
    with pytest.raises(ConfigError, match="apply to PCM presets"):
        run_experiment(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_shipped_example_config_is_the_default():
    from pathlib import Path
    example = Path(__file__).resolve().parents[1] / "data" / "experiments" / "run.toml"
    assert load_config(RUN_DEFAULTS, example) == RUN_DEFAULTS
