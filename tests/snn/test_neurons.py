"""LIF/ALIF neurons against closed forms; encoders and synapses."""

import math

import numpy as np
import pytest

from memsim.snn import DigitalSynapses, GaussianFields, NeuronParams, NeuronState, neuron_step


def run(params, current, steps, n=1):
    state = NeuronState.rest(n)
    v, z, a = [], [], []
    for _ in range(steps):
        neuron_step(params, state, np.full(n, current))
        v.append(state.v.copy())
        z.append(state.z.copy())
        a.append(state.a.copy())
    return np.array(v)[:, 0], np.array(z)[:, 0], np.array(a)[:, 0]


@pytest.mark.parametrize("current", [0.06, 0.1, 0.3, 1.5])
def test_lif_spike_times_for_constant_input(current):
    """From rest, v_t = I (1 - alpha^t) / (1 - alpha) until the first spike; after a
    spike at t1, v_{t1+k} = alpha^k v_t1 + I (1 - alpha^k)/(1 - alpha) - v_th alpha^(k-1)."""
    p = NeuronParams(dt=1e-3, tau_m=20e-3, v_th=1.0, t_ref=3e-3)
    alpha = p.alpha
    t = np.arange(1, 400)
    v_free = current * (1 - alpha**t) / (1 - alpha)
    v, z, _ = run(p, current, 400)
    if v_free.max() <= 1.0:        # below rheobase: never fires
        assert not z.any()
        assert np.allclose(v, current * (1 - alpha ** np.arange(1, 401)) / (1 - alpha))
        return
    t1 = int(t[np.argmax(v_free > 1.0)])           # first step above threshold (1-based)
    spikes = np.flatnonzero(z) + 1
    assert spikes[0] == t1
    k = np.arange(1, 200)
    v_after = alpha**k * v_free[t1 - 1] + current * (1 - alpha**k) / (1 - alpha) \
        - p.v_th * alpha ** (k - 1)
    allowed = k > p.n_ref                          # refractory steps cannot fire
    t2 = t1 + int(k[np.argmax((v_after > 1.0) & allowed)])
    assert spikes[1] == t2
    assert np.allclose(v[t1:t2], v_after[:t2 - t1])  # the form holds until the next reset


def test_refractory_period_blocks_spikes():
    p = NeuronParams(t_ref=5e-3)
    _, z, _ = run(p, 5.0, 60)                      # strong drive: fires whenever allowed
    isi = np.diff(np.flatnonzero(z))
    assert np.all(isi == p.n_ref + 1)


def test_alif_threshold_follows_its_closed_form():
    """a_t = sum_{s<t} rho^(t-1-s) z_s and the neuron fires only above v_th + beta a_t."""
    p = NeuronParams(beta=0.5, tau_a=100e-3, t_ref=0.0)
    state = NeuronState.rest(1)
    zs, a_values, v_values = [], [], []
    for _ in range(300):
        neuron_step(p, state, np.array([0.3]))
        zs.append(state.z[0])
        a_values.append(state.a[0])
        v_values.append(state.v[0])
    zs = np.array(zs)
    for t in range(1, 300):
        expected = sum(p.rho ** (t - 1 - s) * zs[s] for s in range(t))
        assert a_values[t] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    threshold = p.v_th + p.beta * np.array(a_values)
    assert np.all((np.array(v_values) > threshold) == (zs > 0))
    lif = run(NeuronParams(t_ref=0.0), 0.3, 300)[1]
    assert zs.sum() < lif.sum()                     # adaptation lowers the rate


def test_neuron_params_validation():
    with pytest.raises(ValueError, match="tau_m must be > 0"):
        NeuronParams(tau_m=0.0)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        NeuronParams(beta=-1.0)
    assert NeuronParams(dt=1e-3, tau_m=20e-3).alpha == pytest.approx(math.exp(-0.05))


def test_gaussian_fields():
    enc = GaussianFields([-1.0, 0.0], [1.0, 10.0], n_fields=5)
    r = enc.responses([0.5, 10.0])
    assert r.shape == (10,) and enc.n_inputs == 10
    assert r[2 + 0] == pytest.approx(math.exp(-0.5 * (0.5 / 0.5) ** 2))
    assert r[5 + 4] == 1.0                           # at a centre
    spikes = GaussianFields([-1.0], [1.0], n_fields=3, mode="spikes", p_max=1.0)
    rng = np.random.default_rng(0)
    draws = np.array([spikes.encode(spikes.responses([0.0]), rng) for _ in range(4000)])
    assert draws.mean(axis=0) == pytest.approx(spikes.responses([0.0]), abs=0.03)
    with pytest.raises(ValueError, match=r"observation must have shape \(2,\)"):
        enc.responses([0.0])
    with pytest.raises(ValueError, match="observation must be finite"):
        enc.responses([np.nan, 1.0])
    with pytest.raises(ValueError, match="mode must be one of"):
        GaussianFields([0.0], [1.0], mode="binary")


def test_digital_synapses_count_events():
    syn = DigitalSynapses(np.ones((4, 3)))
    out = syn.propagate(np.array([0.0, 1.0, 0.0, 2.0]))
    assert out.tolist() == [3.0, 3.0, 3.0]
    assert syn.counts == {"synaptic_events": 6, "propagations": 1}
    syn.update(np.full((4, 3), 0.5))
    assert np.all(syn.weights == 1.5)
