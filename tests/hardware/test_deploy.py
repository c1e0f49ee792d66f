"""A trained spiking agent on simulated tiles: deployment, closed loop, energy per decision."""


import numpy as np
import pytest

from memsim.devices import PCM, PCMParams
from memsim.energy import load_technology
from memsim.hardware import (AnalogSynapses, HardwareConfig, decision_cost, deploy,
                             record_inputs)
from memsim.rl.train import load_policy, policy_path, run_episodes

CIM = load_technology("cim-22nm")
IDEAL_PCM = PCM(PCMParams(prog_noise_scale=0.0, drift_scale=0.0, read_noise_scale=0.0))
SEEDS = [11, 12, 13, 14]


def _episodes(agent, encoder, meta, seeds=SEEDS, input_seed=5):
    return run_episodes(meta["env"], encoder, agent, seeds, np.random.default_rng(input_seed))


def _hardware(device=IDEAL_PCM, **kw):
    options = dict(dac_bits=0, adc_bits=0, r_row=0.0, r_col=0.0)
    options.update(kw)
    return HardwareConfig(device, CIM, **options)


def _ideal_deploy(agent, encoder, device=IDEAL_PCM, seed=0, **kw):
    return deploy(agent, encoder, _hardware(device, **kw), seed=np.random.default_rng(seed))


def test_analog_synapses_compute_the_weights_with_an_ideal_device():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.3, (12, 7))
    syn = AnalogSynapses(w, _hardware(rows=8, cols=6), seed=1, read_seed=2, spikes=True)
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


def test_decision_cost_counts_the_network_it_ran():
    agent, encoder, meta = load_policy(policy_path("cartpole-spikes"))
    digital = load_technology("digital-45nm")
    inputs = record_inputs(meta["env"], encoder, agent, [3], np.random.default_rng(0))
    hardware = _hardware(adc_bits=8)
    backends = _ideal_deploy(agent, encoder, adc_bits=8)
    for name, b in backends.items():
        b.calibrate_adc(inputs[name], 0.0, 100.0)
    returns, decisions, spikes = _episodes(agent, encoder, meta, seeds=[31, 32])
    e = decision_cost(agent, encoder, backends, decisions, spikes, hardware, digital)
    comps = e["analog"]["components"]
    steps = agent.config.steps_per_decision
    n_in, n_rec, n_out = agent.n_in, agent.config.n_rec, agent.n_actions + 1
    assert comps["neuron_update"]["events"] == pytest.approx(steps * (n_rec + n_out))
    # only active rows are driven: every spike drives one row of w_out and of w_value,
    # and, one step later, of w_rec (not the spikes of an episode's last step); every
    # input spike one row of w_in
    in_spikes = backends["w_in"].counts["synaptic_events"] / n_rec
    rec_spikes = backends["w_rec"].counts["synaptic_events"] / n_rec
    assert spikes - 2 * n_rec <= rec_spikes <= spikes
    assert comps["driver"]["events"] == pytest.approx(
        (2 * spikes + rec_spikes + in_spikes) / decisions)
    assert comps["spike_routing"]["events"] == pytest.approx((spikes + in_spikes) / decisions)
    assert e["activity"]["spikes_per_decision"] == pytest.approx(spikes / decisions)
    # the baselines run the same network: a dense int8 chip every MAC of every step, a GPU
    # two operations per MAC, a Loihi-like chip every synaptic event the tiles saw
    macs = steps * ((n_in + n_rec) * n_rec + n_rec * n_out)
    events = sum(b.counts["synaptic_events"] for b in backends.values()) / decisions
    base = e["baselines"]
    assert base["int8-dense"]["components"]["mac"]["events"] == pytest.approx(macs)
    # the event-driven design: one accumulate per synaptic event (spike inputs: no multiply)
    assert base["int8-event"]["components"]["synaptic_add"]["events"] == pytest.approx(events)
    for name in ("int8-dense", "int8-event"):
        for part in ("neuron_update", "spike_routing", "sram"):
            assert base[name]["components"][part] == comps[part], (name, part)
    assert base["a100-fp32"]["components"]["flop"]["events"] == pytest.approx(2 * macs)
    assert base["loihi"]["components"]["synaptic_op"]["events"] == pytest.approx(events)
    assert e["area"]["tiles"] == sum(b.matrix.n_tiles for b in backends.values())


def test_sliced_weights_and_serial_inputs_through_the_hardware_description():
    rng = np.random.default_rng(3)
    w = rng.normal(0, 0.3, (12, 7))
    hardware = _hardware(rows=8, cols=6, dac_bits=3, bit_serial=True, weight_slices=2,
                         slice_bits=2)
    syn = AnalogSynapses(w, hardware, seed=1, read_seed=2, spikes=False, x_max=2.0)
    assert type(syn.matrix).__name__ == "BitSlicedMatrix" and syn.matrix.pulses == 3
    # 4-bit weight magnitudes, 3-bit inputs on [0, 2], quantised here independently
    w_max = np.abs(w).max()
    w_q = np.sign(w) * np.round(np.abs(w) / w_max * 15) * w_max / 15
    x = rng.uniform(0.0, 2.0, (5, 12))
    x_q = np.round(x / 2.0 * 7) * 2.0 / 7
    np.testing.assert_allclose(syn.propagate(x), x_q @ w_q, rtol=1e-9, atol=1e-12)
    # spikes are one pulse already: bit_serial leaves them alone
    spiking = AnalogSynapses(w, hardware, seed=1, read_seed=2, spikes=True)
    assert spiking.matrix.pulses == 1
    shape = hardware.layer_shape(syn.matrix, spiking.matrix, outputs=7, spikes=0.0)
    assert shape.pulses == 3
    # 12 rows on 8-row tiles, 14 slice columns on 3-pair tiles: 2 x 5 tiles
    assert hardware.chip_area([((syn.matrix,), 7)])["tiles"] == 10


@pytest.mark.parametrize("options, match", [
    (dict(weight_slices=2), "tile.slice_bits"),
    (dict(weight_slices=4, slice_bits=5), "<= 16 bits"),
    (dict(columns_per_adc=0), "tile.columns_per_adc"),
    (dict(bit_serial="yes"), "tile.bit_serial"),
    (dict(bit_serial=True, dac_bits=0), "tile.dac_bits=0"),
])
def test_precision_keys_are_checked(options, match):
    with pytest.raises((ValueError, TypeError), match=match):
        _hardware(**options)


def test_a_cell_the_technology_cannot_hold_is_refused_at_configuration():
    """Milo et al.'s 225 uS devices need a wider access transistor than a 1T1R cell has:
    the hardware description refuses them before anything runs, and takes them passive."""
    from memsim.devices import load_preset
    from memsim.errors import InputError
    milo = load_preset("rram-milo2021").device()
    with pytest.raises(InputError, match="passive"):
        HardwareConfig(milo, CIM)
    assert HardwareConfig(milo, CIM, cell="passive").cell == "passive"


def test_tile_v_gate_puts_the_access_transistor_in_every_read():
    from memsim.crossbar import AccessTransistor, Crossbar
    from memsim.crossbar._reference import one_t_one_r_solve
    from memsim.errors import ConfigError, InputError
    rng = np.random.default_rng(3)
    w, x = rng.normal(size=(6, 3)), rng.uniform(0, 1, (4, 6))
    hw = _hardware(rows=8, cols=8, r_row=1.0, r_col=1.0, v_gate=1.2, vth=0.4, kp=2e-4,
                   w_over_l=2.0)
    assert hw.access == AccessTransistor(1.2, 0.4, 2e-4, 2.0)
    tile = hw.tiled_matrix(w, 0, spikes=False).tiles[0][0]
    xb = tile.circuit(0.0)
    assert xb.access == hw.access
    v = tile.dac._convert(x)
    ref = one_t_one_r_solve(xb.g, v, hw.wires, xb.iv, 1.2, 0.4, 2e-4, 2.0)[0]
    np.testing.assert_allclose(tile.column_currents(x, read_noise=False), ref, rtol=1e-9,
                               atol=1e-9 * np.abs(ref).max())
    # the channel's drop lowers every column current against the same tile without it
    bare = _hardware(rows=8, cols=8, r_row=1.0, r_col=1.0).tiled_matrix(w, 0, spikes=False)
    passive = bare.tiles[0][0].column_currents(x, read_noise=False)
    assert np.all(ref < passive)
    assert _hardware().access is None
    with pytest.raises(ConfigError, match="tile.cell"):
        _hardware(cell="passive", v_gate=1.2, vth=0.4, kp=2e-4, w_over_l=2.0)
    with pytest.raises(InputError, match="tile.kp"):
        _hardware(v_gate=1.2, vth=0.4, w_over_l=2.0)


@pytest.mark.parametrize("spikes", ["step", "dirac"])
def test_graph_weight_node_fed_by_two_spike_trains_reads_their_sum(spikes):
    # two Threshold nodes firing together into one Linear: its input is 2 (or 2/dt), which
    # a 1-bit row pulse cannot carry; it goes through the DAC and the tiles read the sum
    from memsim.hardware import deploy_graph
    from memsim.snn import graph as g
    w = np.array([[0.3, -0.2, 0.5]])
    net = g.Network({"in": g.Input(shape=(3,)), "a": g.Threshold(threshold=np.zeros(3)),
                     "b": g.Threshold(threshold=np.full(3, 0.5)),
                     "lin": g.Linear(weight=w), "out": g.Output()},
                    [("in", "a"), ("in", "b"), ("a", "lin"), ("b", "lin"), ("lin", "out")])
    x = np.random.default_rng(3).uniform(0.0, 1.0, (2, 6, 3))
    recorded = {}
    digital, _ = net.run(x, 1e-3, spikes=spikes, record=recorded)
    assert np.any(np.concatenate(recorded[("lin", 0)]) > 1.5)     # both fired somewhere
    backends = deploy_graph(net, _hardware(), recorded, seed=0, dt=1e-3, spikes=spikes)
    analog, _ = net.run(x, 1e-3, spikes=spikes, synapses=backends)
    np.testing.assert_allclose(analog, digital, rtol=1e-6, atol=1e-9 * np.abs(digital).max())


def test_the_compensation_method_reaches_every_tile():
    from memsim.errors import InputError
    hw = _hardware(compensation="least-squares", rows=8, cols=6)
    m = hw.tiled_matrix(np.ones((12, 7)), seed=0, spikes=True, x_max=1.0)
    assert {t.compensation_method for row in m.tiles for t in row} == {"least-squares"}
    with pytest.raises(InputError, match="tile.compensation"):
        _hardware(compensation="median")
