"""e-prop: eligibility against a numerical truncated gradient, supervised learning with
symmetric feedback, reward learning on a small task, determinism, persistence."""

import numpy as np
import pytest

from memsim.snn import DigitalSynapses, EpropActorCritic, EpropConfig, NeuronParams
from memsim.snn._reference import ReferenceEprop, eligibility_step


@pytest.mark.parametrize("beta", [0.0, 0.7])
def test_eligibility_equals_the_truncated_gradient(beta):
    """With a smooth spike function z = f(v - A) and psi = f', e-prop's eligibility is
    exactly dz_t/dW of the dynamics whose reset term is held fixed (the truncation
    e-prop makes); checked by central finite differences."""
    rng = np.random.default_rng(0)
    p = NeuronParams(beta=beta, tau_a=50e-3)
    x = rng.uniform(0, 1, (40, 3))
    w = np.array([0.4, -0.2, 0.3])
    f = lambda u: 1.0 / (1.0 + np.exp(-u / 0.2))            # noqa: E731
    df = lambda u: f(u) * (1.0 - f(u)) / 0.2               # noqa: E731

    def trajectory(w, reset=None):
        v = a = z_prev = 0.0
        zs, psis = [], []
        for t in range(len(x)):
            a = p.rho * a + z_prev
            r = z_prev if reset is None else reset[t - 1] if t else 0.0
            v = p.alpha * v + x[t] @ w - p.v_th * r
            u = v - (p.v_th + p.beta * a)
            z_prev = f(u)
            zs.append(z_prev)
            psis.append(df(u))
        return np.array(zs), np.array(psis)

    z0, psi = trajectory(w)
    h = 1e-6
    numeric = np.empty((len(x), 3))
    for i in range(3):
        dw = np.zeros(3)
        dw[i] = h
        numeric[:, i] = (trajectory(w + dw, reset=z0)[0] - trajectory(w - dw, reset=z0)[0]) / (2 * h)
    zbar = np.zeros(3)
    eps = np.zeros((3, 1)) if beta else None
    for t in range(len(x)):
        zbar = p.alpha * zbar + x[t]
        e = eligibility_step(psi[t:t + 1], zbar, eps, p.beta, p.rho)[:, 0]
        assert e == pytest.approx(numeric[t], rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("train_readout", [True, False], ids=["all", "hidden-only"])
def test_supervised_eprop_with_symmetric_feedback_learns(train_readout):
    """Regression of two readouts onto fixed targets: L_j = sum_k W_out_jk (y_k - y*_k).
    With the readout frozen, the loss falls through the e-prop input-weight updates alone.
    (Step by step, so on the NumPy twin: the kernel learns a whole decision at a time.)"""
    config = EpropConfig(n_rec=40, feedback="symmetric", w_in_scale=3.0, w_out_scale=1.0)
    net = ReferenceEprop(6, 2, config, seed=1)
    rng = np.random.default_rng(2)
    x = (rng.random((30, 6)) < 0.3).astype(float)
    target = np.array([0.5, -0.3])

    def episode(learn):
        net.reset()
        loss, g_in, g_out = 0.0, 0.0, 0.0
        for t in range(len(x)):
            net.network_step(x[t], learn=True)
            err = net.y - target
            loss += 0.5 * np.sum(err**2)
            signal = net.weights("w_out") @ err
            g_in = g_in + signal[None, :] * net.ebar["w_in"]
            g_out = g_out + net.zbar_out[:, None] * err[None, :]
        if learn:
            net.syn["w_in"].update(-2e-3 * g_in)
            if train_readout:
                net.syn["w_out"].update(-2e-3 * g_out)
        return loss

    first = episode(learn=False)
    for _ in range(150):
        episode(learn=True)
    assert episode(learn=False) < (0.05 if train_readout else 0.7) * first


def bandit(net, rng, decisions, learn=True):
    """Input pattern k is rewarded for action k (a one-step episode each time)."""
    patterns = np.eye(2).repeat(4, axis=1) * 2.0
    correct = 0
    for _ in range(decisions):
        k = int(rng.integers(2))
        net.reset()
        a = net.decide(patterns[k], greedy=not learn, learn=learn)
        correct += a == k
        if learn:
            net.observe(1.0 if a == k else 0.0, terminal=True)
    return correct / decisions


def test_reward_learning_on_a_contextual_bandit():
    config = EpropConfig(n_rec=30, update_every=5, lr=0.02, w_in_scale=3.0)
    net = EpropActorCritic(8, 2, config, seed=3)
    rng = np.random.default_rng(4)
    before = bandit(net, np.random.default_rng(5), 200, learn=False)
    bandit(net, rng, 600)
    after = bandit(net, np.random.default_rng(5), 200, learn=False)
    assert after >= 0.95 and after > before


def test_same_seed_same_learning():
    def train(seed):
        net = EpropActorCritic(8, 2, EpropConfig(n_rec=20, neuron=NeuronParams(beta=0.3)),
                               seed=seed)
        bandit(net, np.random.default_rng(7), 50)
        return net.state_dict()

    a, b, c = train(6), train(6), train(8)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["weights/w_in"], c["weights/w_in"])


def test_state_dict_round_trip_and_config_round_trip():
    config = EpropConfig(n_rec=12, neuron=NeuronParams(beta=0.2), feedback="symmetric")
    assert EpropConfig.from_dict(config.to_dict()) == config
    net = EpropActorCritic(5, 3, config, seed=0)
    bandit_like = np.ones(5)
    for _ in range(30):
        net.decide(bandit_like)
        net.observe(1.0, terminal=False)
    other = EpropActorCritic(5, 3, config, seed=99)
    other.load_state_dict(net.state_dict())
    assert all(np.array_equal(net.state_dict()[k], other.state_dict()[k])
               for k in net.state_dict())
    with pytest.raises(ValueError, match="unknown EpropConfig parameter"):
        EpropConfig.from_dict({"n_rec": 5, "learning_rate": 1.0})
    with pytest.raises(ValueError, match="has shape"):
        EpropActorCritic(4, 3, config, seed=0).load_state_dict(net.state_dict())
    with pytest.raises(ValueError, match="reward must be finite"):
        net.observe(float("nan"), terminal=True)


class OtherSynapses:
    """A backend with no float matrix to read (no ``forward``), as crossbar tiles."""

    def __init__(self, weights):
        self.inner = DigitalSynapses(weights)

    def __getattr__(self, name):
        if name == "forward":
            raise AttributeError(name)
        return getattr(self.inner, name)


@pytest.mark.parametrize("input_kind", ["analog", "spikes"])
@pytest.mark.parametrize("beta", [0.0, 0.4], ids=["LIF", "ALIF"])
def test_cython_step_equals_numpy_step(beta, input_kind):
    """The fused kernel and its NumPy twin reach the same weights, traces, spikes and
    synaptic-event counts."""
    config = EpropConfig(n_rec=24, neuron=NeuronParams(beta=beta), update_every=3,
                         w_in_scale=3.0)
    nets = [EpropActorCritic(8, 3, config, seed=4), ReferenceEprop(8, 3, config, seed=4)]
    assert nets[0]._fused is not None and nets[1]._fused is None
    rng = np.random.default_rng(0)
    inputs = rng.uniform(0, 1, (60, 5, 8)) * (rng.random((60, 5, 8)) < 0.4)
    rewards = rng.normal(size=60)
    for net in nets:
        for t in range(60):
            x = (lambda k, t=t: inputs[t, k]) if input_kind == "spikes" else inputs[t, 0]
            net.decide(x)
            net.observe(rewards[t], terminal=t % 20 == 19)
            if t % 20 == 19:
                net.reset()
    fused, reference = nets[0].state_dict(), nets[1].state_dict()
    for key in reference:
        assert np.allclose(fused[key], reference[key], rtol=1e-12, atol=1e-14), key
    assert nets[0].spikes == nets[1].spikes
    for name in EpropActorCritic.PARAMS:
        assert nets[0].syn[name].counts == nets[1].syn[name].counts, name


def test_backends_without_forward_evaluate_the_same_network_and_do_not_learn():
    """The NumPy step of backends without ``forward`` (crossbar tiles) takes the fused
    kernel's greedy actions and spikes; learning on them is refused, naming them."""
    config = EpropConfig(n_rec=20, neuron=NeuronParams(beta=0.3), w_in_scale=3.0)
    nets = [EpropActorCritic(6, 3, config, seed=5),
            EpropActorCritic(6, 3, config, seed=5,
                             synapses=lambda name, w: OtherSynapses(w))]
    assert nets[0]._fused is not None and nets[1]._fused is None
    x = np.random.default_rng(1).uniform(0, 1, (25, 6))
    actions = [[net.decide(x[t], greedy=True, learn=False) for t in range(25)] for net in nets]
    assert actions[0] == actions[1] and nets[0].spikes == nets[1].spikes > 0
    with pytest.raises(ValueError, match="OtherSynapses.*learn=False"):
        nets[1].decide(x[0])


def test_reward_scale_multiplies_the_reward_of_the_td_error():
    """``reward_scale`` scales the reward in the TD error (both paths), nothing else."""
    def grads(scale, cls):
        net = cls(4, 2, EpropConfig(n_rec=10, reward_scale=scale, update_every=1000), seed=1)
        x = np.ones(4)
        for t in range(6):
            net.decide(x)
            net.observe(-1.0, terminal=t == 5)
        return net.grad

    for cls in (EpropActorCritic, ReferenceEprop):
        ref, scaled = grads(1.0, cls), grads(0.01, cls)
        # the value readout is still 0, so every TD error is the (scaled) reward; the
        # entropy and rate terms do not scale, so compare the value readout only
        assert np.allclose(scaled["w_value"], 0.01 * ref["w_value"], rtol=1e-12, atol=0)
        assert np.any(ref["w_value"] != 0)
    assert all(np.allclose(grads(0.01, EpropActorCritic)[k], grads(0.01, ReferenceEprop)[k],
                           rtol=0, atol=1e-12) for k in EpropActorCritic.PARAMS)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="reward_scale"):
            EpropConfig(reward_scale=bad)


def test_switching_backends_mid_episode_keeps_the_lazily_decayed_traces():
    """The fused kernel keeps eligibility traces lazily decayed between calls; a switch
    of backends mid-episode (a new kernel) must hand over their true values."""
    config = EpropConfig(n_rec=16, neuron=NeuronParams(beta=0.4), update_every=4,
                         w_in_scale=3.0)
    rng = np.random.default_rng(3)
    inputs = rng.uniform(0, 1, (30, 6))
    nets = [EpropActorCritic(6, 2, config, seed=2), ReferenceEprop(6, 2, config, seed=2)]
    for net in nets:
        for t in range(30):
            if t == 11 and net._fused is not None:
                old = net._fused
                net.use_synapses({k: DigitalSynapses(net.weights(k)) for k in net.PARAMS})
                assert net._fused is not None and net._fused is not old
            net.decide(inputs[t])
            net.observe(0.5 - t % 3, terminal=False)
    nets[0]._fused.sync()
    for name in ("w_in", "w_rec"):
        assert np.allclose(nets[0].eps[name], nets[1].eps[name], rtol=1e-12, atol=1e-14)
        assert np.allclose(nets[0].ebar[name], nets[1].ebar[name], rtol=1e-12, atol=1e-14)
    for key, ref in nets[1].state_dict().items():
        assert np.allclose(nets[0].state_dict()[key], ref, rtol=1e-12, atol=1e-14), key
