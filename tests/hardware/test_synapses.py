"""Synapse backends: noisy float weights (hardware-aware training) and pulse-device pairs
(in-situ learning), each inside the e-prop network."""

import numpy as np
import pytest

from memsim.devices import PulseDevice, PulseParams
from memsim.devices.presets import load_preset
from memsim.snn import EpropActorCritic, EpropConfig, NeuronParams
from memsim.snn._reference import ReferenceEprop
from memsim.hardware import NoisySynapses, PulseSynapses

LINEAR = PulseDevice(PulseParams(g_min=1e-6, g_max=11e-6, levels=1000, nl_ltp=0.01,
                                 nl_ltd=-0.01))


def test_noisy_synapses_statistics_and_clean_updates():
    w = np.random.default_rng(0).normal(0, 0.5, (200, 150))
    syn = NoisySynapses(w, seed=3, relative=0.2, absolute=0.05)
    np.testing.assert_array_equal(syn.forward, w)          # no draw before an episode
    syn.new_episode()
    residual = syn.forward - w
    expected = np.sqrt((0.2 * w) ** 2 + (0.05 * np.abs(w).max()) ** 2)
    z = residual / expected
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02
    first = syn.forward.copy()
    syn.update(np.full(w.shape, 0.1))                       # the episode's draw stays
    np.testing.assert_allclose(syn.weights, w + 0.1)
    w_max = np.abs(syn.weights).max()
    np.testing.assert_allclose(syn.forward, syn.weights * (1 + 0.2 * syn._xi)
                               + 0.05 * w_max * syn._zeta)
    again = NoisySynapses(w, seed=3, relative=0.2, absolute=0.05)
    again.new_episode()
    np.testing.assert_array_equal(again.forward, first)     # same seed, same draw
    restored = NoisySynapses(syn.weights, seed=3, relative=0.2, absolute=0.05)
    restored.load_state_arrays(syn.state_arrays())
    np.testing.assert_array_equal(restored.forward, syn.forward)


def test_noiseless_noisy_synapses_learn_as_digital_ones():
    config = EpropConfig(n_rec=16, update_every=2)
    nets = [EpropActorCritic(6, 2, config, seed=1),
            EpropActorCritic(6, 2, config, seed=1,
                             synapses=lambda name, w: NoisySynapses(w, seed=0))]
    assert all(net._fused is not None for net in nets)
    rng = np.random.default_rng(2)
    x, r = rng.uniform(0, 1, (40, 6)), rng.normal(size=40)
    for net in nets:
        for t in range(40):
            net.decide(x[t])
            net.observe(r[t], terminal=False)
    for name in nets[0].PARAMS:
        np.testing.assert_array_equal(nets[0].weights(name), nets[1].weights(name))


def test_pulse_synapses_program_accumulate_and_fire():
    w = np.array([[0.5, -0.25], [0.0, 1.0]])
    syn = PulseSynapses(w, LINEAR, seed=0, w_max=2.0)
    np.testing.assert_allclose(syn.weights, w, atol=2.0 / 1000)   # one level
    assert syn.dw == pytest.approx(2.0 / 1000)
    before = syn.weights.copy()
    syn.update(np.full(w.shape, 0.4 * syn.dw))                    # below one pulse pair
    np.testing.assert_array_equal(syn.weights, before)
    assert syn.counts["write_pulses"] == 0
    syn.update(np.full(w.shape, 0.7 * syn.dw))                    # crosses it: one pulse each
    assert syn.counts["write_pulses"] == w.size
    # the negative weight shrinks by depressing G-, the others grow by potentiating G+
    assert syn.counts["ltp_pulses"] == w.size - 1 and syn.counts["ltd_pulses"] == 1
    np.testing.assert_allclose(syn.accumulator, 0.1 * syn.dw, atol=1e-15)
    np.testing.assert_allclose(syn.weights - before, syn.dw, rtol=0.05)
    syn.update(np.full(w.shape, -10.2 * syn.dw))                  # ten pulses down
    # w[1, 0] crosses zero: G+ back to its floor, then G- up; a pulse may be spent at
    # the floor (the nominal pulse count to the floor is rounded up)
    np.testing.assert_allclose(syn.weights - before, -9 * syn.dw, atol=1.01 * syn.dw)
    assert syn.weights[1, 0] < -7 * syn.dw
    assert syn.counts["write_pulses"] == 11 * w.size
    big = PulseSynapses(w, LINEAR, seed=0, w_max=2.0)
    big.update(np.full(w.shape, 100.0))                           # saturates at the bounds
    np.testing.assert_allclose(big.weights, 2.0, rtol=1e-9)


def test_pulse_synapses_price_their_writes():
    device = load_preset("ag-si").device()          # 3.2 V / -2.8 V, 300 us pulses
    p = device.params
    syn = PulseSynapses(np.array([[0.5, -0.5]]), device, seed=0, w_max=1.0)
    g = syn.state.g.copy()
    syn.update(np.array([[2.5, 1.5]]) * syn.dw)      # G+ of w00 up 2, G- of w01 down 1
    assert syn.counts["ltp_pulses"] == 2 and syn.counts["ltd_pulses"] == 1
    expected = 2 * p.v_ltp ** 2 * p.t_ltp * g[0] + 1 * p.v_ltd ** 2 * p.t_ltd * g[3]
    assert syn.counts["write_joules"] == pytest.approx(expected, rel=1e-12)
    assert "write_joules" not in PulseSynapses(np.ones((1, 1)), LINEAR, seed=0,
                                               w_max=2.0).counts     # no pulse data


def test_pulse_synapses_state_round_trip_continues_identically():
    device = load_preset("ag-si").device()
    rng = np.random.default_rng(4)
    w = rng.normal(0, 0.3, (10, 6))
    a = PulseSynapses(w, device, seed=5, w_max=1.0)
    for _ in range(3):
        a.update(rng.normal(0, 0.05, w.shape))
    b = PulseSynapses(a.weights, device, seed=99, w_max=0.7)
    b.load_state_arrays(a.state_arrays())
    np.testing.assert_array_equal(b.weights, a.weights)
    delta = rng.normal(0, 0.05, w.shape)
    a.update(delta)
    b.update(delta)
    np.testing.assert_array_equal(b.weights, a.weights)


def test_pulse_synapses_in_the_network_fused_equals_numpy():
    config = EpropConfig(n_rec=12, neuron=NeuronParams(beta=0.3), update_every=2, lr=0.05)
    device = load_preset("epiram").device()

    def pulse(name, w):
        return PulseSynapses(w, device, seed=7, w_max=1.0)
    nets = [cls(5, 2, config, seed=3, synapses=pulse) for cls in (EpropActorCritic,
                                                                   ReferenceEprop)]
    assert nets[0]._fused is not None and nets[1]._fused is None
    rng = np.random.default_rng(1)
    x, r = rng.uniform(0, 1, (30, 5)), rng.normal(size=30)
    for net in nets:
        for t in range(30):
            net.decide(x[t])
            net.observe(r[t], terminal=t == 29)
    pulses = [sum(s.counts["write_pulses"] for s in net.syn.values()) for net in nets]
    assert pulses[0] == pulses[1] > 0
    for name in nets[0].PARAMS:
        np.testing.assert_allclose(nets[0].weights(name), nets[1].weights(name), atol=1e-12)


def test_pulse_synapses_need_a_pulse_device():
    with pytest.raises(TypeError, match="PulseDevice"):
        PulseSynapses(np.ones((2, 2)), load_preset("pcm").device(), seed=0, w_max=1.0)
    with pytest.raises(ValueError, match="w_max"):
        PulseSynapses(np.ones((2, 2)), LINEAR, seed=0, w_max=0.0)


@pytest.mark.parametrize("rule", ["eprop", "rstdp"])
def test_every_matrix_keeps_its_seed_and_bound_when_weights_are_restored(rule):
    """A factory gives matrix w_in seed + 0 and w_max_in, w_rec seed + 1 and w_max_rec, ...
    on the first build and on every restore (R-STDP has three matrices, e-prop four)."""
    from memsim.hardware import backend_factory
    from memsim.rl.train import TRAIN_DEFAULTS, build_agent
    config = {**TRAIN_DEFAULTS, "synapses": {**TRAIN_DEFAULTS["synapses"], "backend": "pulse",
                                             "device": "epiram", "w_max_in": 0.9,
                                             "w_max_rec": 0.5, "w_max_out": 1.1}}
    config[rule] = {**config[rule], "n_rec": 8}
    _, agent = build_agent("cartpole", config, np.random.default_rng(0), rule, 40,
                           backends=backend_factory)
    for _ in range(2):       # built, then restored twice from weights alone (as --init is)
        agent.load_state_dict({k: v for k, v in agent.state_dict().items()
                               if not k.startswith("synapse/")})
    expected = {"w_in": (40, 0.9), "w_rec": (41, 0.5), "w_out": (42, 1.1), "w_value": (43, 2.0)}
    for name, syn in agent.syn.items():
        assert (syn.seed, syn.w_max) == expected[name], name


def test_pulse_synapses_age_by_retention_between_writes_and_resume_the_clock():
    # HfOx retention at 523 K: onset t_th = p0 exp(p2 298/523); a device last written
    # t ago reads G (t / t_th)^(-p3 p2 298/523) once t > t_th (low-resistance states)
    from dataclasses import replace

    from memsim.devices.pulse import HFOX_RETENTION
    hot = PulseDevice(replace(LINEAR.params, temperature=523.0, **HFOX_RETENTION))
    onset = hot.retention_onset()
    w = np.array([[0.9, -0.8], [0.1, 0.0]])
    syn = PulseSynapses(w, hot, seed=2, w_max=1.0)
    fresh = syn.weights.copy()
    syn.advance(0.5 * onset)
    np.testing.assert_array_equal(syn.weights, fresh)                # before the onset
    syn.advance(9.5 * onset)                                         # t = 10 t_th
    g = syn.state.g
    lo, hi = syn.state.g_min, syn.state.g_max
    lrs = g > 2 * lo * hi / (lo + hi)
    k = 0.04 * 63.43 * 298.0 / 523.0
    aged = np.where(lrs, np.maximum(g * 10.0 ** -k, lo), g)
    expected = syn.map.weights_from_conductances(aged.reshape(syn.map.g_target.shape))
    np.testing.assert_allclose(syn.weights, expected, rtol=1e-12)
    assert abs(syn.weights[0, 0]) < abs(fresh[0, 0])                 # held weights shrink
    # a write is chosen from and acts on the aged conductance, and restarts the clock of
    # the devices it pulses: an update across zero lands there (within a pulse's step)
    target = -0.3
    syn.update(np.array([[target - syn.weights[0, 0], 0.0], [0.0, 0.0]]))
    assert syn.weights[0, 0] == pytest.approx(target, abs=3 * syn.dw)
    # (at 10 t_th G+ has decayed to its floor: only G- is pulsed)
    hit = syn.written == syn.clock
    assert hit.sum() == 1 and np.all(syn.written[~hit] == 0.0)
    # a checkpoint carries the clock and the write times
    again = PulseSynapses(w, hot, seed=2, w_max=1.0)
    again.load_state_arrays(syn.state_arrays())
    np.testing.assert_array_equal(again.weights, syn.weights)
    assert again.clock == syn.clock
    # without a retention model nothing ages
    plain = PulseSynapses(w, LINEAR, seed=2, w_max=1.0)
    before = plain.weights.copy()
    plain.advance(1e12)
    np.testing.assert_array_equal(plain.weights, before)


def test_synapse_temperature_sets_the_devices_operating_temperature(tmp_path):
    from memsim.hardware import backend_factory
    from memsim.snn import SynapseConfig
    toml = tmp_path / "hot.toml"
    toml.write_text('name = "hfox-test"\nmodel = "pulse"\ndescription = "test"\n'
                    'source = "test: HfOx retention of Lammie et al. 2021"\n[parameters]\n'
                    "r_on = 100e3\non_off = 10.0\nlevels = 64\nnl_ltp = 1.0\nnl_ltd = -1.0\n"
                    "retention_p0 = 1.541e-13\nretention_p2 = 63.43\nretention_p3 = 0.04\n")
    hot = backend_factory(SynapseConfig(backend="pulse", device=str(toml), temperature=523.0),
                          seed=0)("w_in", np.zeros((3, 2)))
    assert hot.device.params.temperature == 523.0 and hot.device.drifts
    room = backend_factory(SynapseConfig(backend="pulse", device=str(toml)), seed=0)(
        "w_in", np.zeros((3, 2)))
    assert room.device.params.temperature == 298.0
    assert hot.device.retention_onset() < 1e5 < 1e14 < room.device.retention_onset()
    with pytest.raises(Exception, match="temperature"):
        SynapseConfig(backend="pulse", temperature=-1.0)
