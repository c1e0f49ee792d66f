"""R-STDP (MSTDPET): sign and timing of the eligibility, reward modulation, the agent."""

import numpy as np
import pytest

from memsim.snn import NeuronParams, RstdpAgent, RstdpConfig
from memsim.snn.rstdp import StdpTrace

CONFIG = RstdpConfig(neuron=NeuronParams(dt=1e-3))


def pair(delay):
    """Eligibility after one presynaptic and one postsynaptic spike ``delay`` steps apart
    (delay > 0: pre first)."""
    trace = StdpTrace(1, 1, CONFIG)
    t_pre, t_post = (0, delay) if delay > 0 else (-delay, 0)
    for t in range(max(t_pre, t_post) + 1):
        trace.step(np.array([float(t == t_pre)]), np.array([float(t == t_post)]))
    return trace.z[0, 0]


def test_stdp_sign_and_timing():
    """Pre before post potentiates, post before pre depresses, both decay with the
    interval as A exp(-|dt| / tau) (Florian 2007, Eq. 16)."""
    for delay in (1, 3, 10, 30):
        expected = CONFIG.a_plus * np.exp(-delay * 1e-3 / CONFIG.tau_plus)
        assert pair(delay) == pytest.approx(expected, rel=1e-12)
        assert pair(-delay) == pytest.approx(CONFIG.a_minus * np.exp(-delay * 1e-3 /
                                                                     CONFIG.tau_minus))
    assert pair(1) > pair(10) > 0 > pair(-10) > pair(-1)


@pytest.mark.parametrize("reward", [1.0, -1.0])
def test_reward_sign_sets_the_direction_of_the_change(reward):
    agent = RstdpAgent(4, 2, RstdpConfig(n_rec=10, lr=0.1, w_in_scale=20.0, epsilon=0.0),
                       seed=0)
    before = agent.state_dict()["weights/w_in"]
    agent.decide(np.array([1.0, 0.0, 0.0, 0.0]))
    eligibility = agent.traces["w_in"].z.copy()
    agent.observe(reward, terminal=True)
    change = agent.state_dict()["weights/w_in"] - before
    assert np.any(eligibility != 0)
    assert np.allclose(change, 0.1 * reward * eligibility)   # first reward: baseline 0


def test_agent_is_deterministic_and_round_trips():
    def run(seed):
        agent = RstdpAgent(6, 3, RstdpConfig(n_rec=12, w_in_scale=5.0), seed=seed)
        rng = np.random.default_rng(1)
        for _ in range(40):
            agent.decide(rng.uniform(0, 1, 6))
            agent.observe(rng.normal(), terminal=False)
        return agent

    a, b = run(3), run(3)
    assert all(np.array_equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    c = RstdpAgent(6, 3, RstdpConfig(n_rec=12, w_in_scale=5.0), seed=9)
    c.load_state_dict(a.state_dict())
    assert all(np.array_equal(a.state_dict()[k], c.state_dict()[k]) for k in a.state_dict())
    assert RstdpConfig.from_dict(a.config.to_dict()) == a.config
    with pytest.raises(ValueError, match="a_minus must be <= 0"):
        RstdpConfig(a_minus=1.0)


def test_td_modulator_applies_the_td_error_to_the_eligibility_of_the_rewarded_decision():
    """``modulator="td"``: the reward of decision t waits for V(s_{t+1}); then
    ``w += lr delta z_t`` with z_t the eligibility when the reward came, and the
    critic takes the TD(0) step ``w_V += lr_value delta h_t``."""
    config = RstdpConfig(n_rec=10, lr=0.1, lr_value=0.05, gamma=0.9, w_in_scale=20.0,
                         epsilon=0.0, modulator="td")
    agent = RstdpAgent(4, 2, config, seed=0)
    w0 = agent.state_dict()["weights/w_in"]
    agent.decide(np.array([1.0, 0.0, 0.0, 0.0]))
    z1, h1 = agent.traces["w_in"].z.copy(), agent.hidden_counts.copy()
    assert np.any(z1 != 0) and h1.sum() > 0
    agent.observe(2.0, terminal=False)
    assert np.array_equal(agent.state_dict()["weights/w_in"], w0)     # waits for V(s')
    agent.decide(np.array([0.0, 1.0, 0.0, 0.0]))
    delta = 2.0                                       # critic still 0: V(s) = V(s') = 0
    assert np.allclose(agent.state_dict()["weights/w_in"] - w0, 0.1 * delta * z1)
    assert np.allclose(agent.w_value, 0.05 * delta * h1)
    # terminal: delta = r - V(s), applied at once with the traces of now
    h2, z2 = agent.hidden_counts.copy(), agent.traces["w_in"].z.copy()
    w1, v2 = agent.state_dict()["weights/w_in"], agent.w_value @ h2
    agent.observe(-1.0, terminal=True)
    assert np.allclose(agent.state_dict()["weights/w_in"] - w1, 0.1 * (-1.0 - v2) * z2)
    with pytest.raises(ValueError, match="modulator"):
        RstdpConfig(modulator="dopamine")
