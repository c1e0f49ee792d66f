"""Reward-modulated STDP with an eligibility trace (Florian 2007, MSTDPET): the baseline rule.

Florian, "Reinforcement learning through modulation of spike-timing-dependent
synaptic plasticity", Neural Computation 19:1468 (2007), Eqs. 14-18. For a
synapse from presynaptic spike train ``f_i`` to postsynaptic ``f_j``, per step::

    P+_i = P+_i exp(-dt / tau_plus)  + A_plus  f_i        (presynaptic trace)
    P-_j = P-_j exp(-dt / tau_minus) + A_minus f_j        (postsynaptic trace, A_minus < 0)
    xi_ij = P+_i f_j + P-_j f_i                            (STDP: pre before post > 0)
    z_ij  = z_ij exp(-dt / tau_z) + xi_ij                  (eligibility trace)
    w_ij += lr M z_ij                                       (at each reward)

The network: Gaussian-field inputs drive recurrent LIF neurons, which drive
``n_actions`` spiking action neurons; the action is the one whose neuron
spiked most during the decision (ties broken at random), with probability
``epsilon`` of a random action while learning.

The modulator ``M`` (``modulator``):

``"reward"``  ``M = r - rbar``, Florian's reward with ``rbar`` a running mean
              of the reward (time constant ``reward_tau`` decisions). On
              CartPole every step pays +1, the last one included, so ``M`` is
              0 up to float noise and nothing is learned (measured: mean return
              about 23, as a random policy).
``"td"``      ``M = delta = r + gamma V(s') - V(s)``, the TD error of a critic
              (TD-modulated STDP: Fremaux, Sprekeler & Gerstner, PLoS Comput.
              Biol. 9:e1003024, 2013, whose critic is itself spiking). Here the
              critic is a linear readout of the hidden spike counts ``h`` of a
              decision, ``V = w_V . h``, learned by TD(0) with a local rule:
              ``w_V += lr_value delta h``. ``delta`` of a decision is known
              once the next decision has run, so the eligibility it multiplies
              is the one saved when the reward came (MSTDPET applies ``r`` to
              ``z`` at reward time); at a terminal step ``delta = r - V(s)``.
              Measured on CartPole (seed 0, 3000 episodes, defaults otherwise):
              it does not learn either (mean return 23.7 in the first 100
              episodes, 21.5 in the last 100); the critic lags, ``delta`` stays
              mostly positive and the hidden layer falls silent (5.8 spikes per
              decision in the first 100 episodes, 0.05 in the last 100).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import as_generator, check_choice, check_scalar
from ..errors import InputError
from ._agent import AgentConfig, initial_weights, restore_synapses, synapse_state
from .neurons import NeuronParams, NeuronState, neuron_step
from .synapses import digital

MODULATORS = ("reward", "td")


@dataclass(frozen=True)
class RstdpConfig(AgentConfig):
    """Hyper-parameters of the R-STDP agent (every one is saved with a policy)."""

    n_rec: int = 100
    neuron: NeuronParams = field(default_factory=NeuronParams)
    steps_per_decision: int = 5
    tau_plus: float = 20e-3
    tau_minus: float = 20e-3
    tau_z: float = 25e-3
    a_plus: float = 1.0
    a_minus: float = -1.0
    lr: float = 1e-3
    epsilon: float = 0.05
    reward_tau: float = 100.0
    modulator: str = "reward"
    gamma: float = 0.99
    lr_value: float = 1e-3
    w_in_scale: float = 1.0
    w_rec_scale: float = 1.0
    w_out_scale: float = 1.0

    def __post_init__(self):
        for name in ("n_rec", "steps_per_decision"):
            check_scalar(name, getattr(self, name), low=1, integer=True)
        for name in ("tau_plus", "tau_minus", "tau_z", "reward_tau"):
            check_scalar(name, getattr(self, name), low=0.0, low_inclusive=False)
        check_scalar("a_plus", self.a_plus, low=0.0)
        check_scalar("a_minus", self.a_minus, high=0.0)
        check_scalar("epsilon", self.epsilon, low=0.0, high=1.0)
        check_choice("modulator", self.modulator, MODULATORS)
        check_scalar("gamma", self.gamma, low=0.0, high=1.0)
        for name in ("lr", "lr_value", "w_in_scale", "w_rec_scale", "w_out_scale"):
            check_scalar(name, getattr(self, name), low=0.0)



class StdpTrace:
    """MSTDPET traces of one weight matrix (n_pre, n_post)."""

    def __init__(self, n_pre, n_post, config):
        dt = config.neuron.dt
        self.decay_plus = np.exp(-dt / config.tau_plus)
        self.decay_minus = np.exp(-dt / config.tau_minus)
        self.decay_z = np.exp(-dt / config.tau_z)
        self.a_plus, self.a_minus = config.a_plus, config.a_minus
        self.p_plus = np.zeros(n_pre)
        self.p_minus = np.zeros(n_post)
        self.z = np.zeros((n_pre, n_post))

    def step(self, pre, post):
        """Advance by one step with presynaptic spikes ``pre`` and postsynaptic ``post``."""
        self.p_plus *= self.decay_plus
        self.p_plus += self.a_plus * pre
        self.p_minus *= self.decay_minus
        self.p_minus += self.a_minus * post
        self.z *= self.decay_z
        self.z += self.p_plus[:, None] * post[None, :] + pre[:, None] * self.p_minus[None, :]


class RstdpAgent:
    """Recurrent spiking network with spiking action neurons, trained by MSTDPET.

    Same interface as :class:`memsim.snn.EpropActorCritic` (``reset``,
    ``decide``, ``observe``, ``state_dict``, ``load_state_dict``, ``syn``).
    """

    PARAMS = ("w_in", "w_rec", "w_out")

    def __init__(self, n_in, n_actions, config=None, seed=None, synapses=digital):
        self.config = RstdpConfig() if config is None else config
        c = self.config
        self.n_in = check_scalar("n_in", n_in, low=1, integer=True)
        self.n_actions = check_scalar("n_actions", n_actions, low=2, integer=True)
        self.rng = as_generator(seed)
        self._synapses = synapses
        w_in, w_rec, w_out = initial_weights(self.rng, n_in, c.n_rec, n_actions, c)
        # excitatory output: every action neuron can be driven from the start
        self.syn = {"w_in": synapses("w_in", w_in), "w_rec": synapses("w_rec", w_rec),
                    "w_out": synapses("w_out", np.abs(w_out))}
        self.reward_mean = 0.0
        self.w_value = np.zeros(c.n_rec)
        self.rate = np.zeros(c.n_rec)
        self.reset()

    def reset(self):
        """Start an episode: neurons at rest, traces cleared."""
        c = self.config
        self.hidden = NeuronState.rest(c.n_rec)
        self.action_neurons = NeuronState.rest(self.n_actions)
        self.traces = {"w_in": StdpTrace(self.n_in, c.n_rec, c),
                       "w_rec": StdpTrace(c.n_rec, c.n_rec, c),
                       "w_out": StdpTrace(c.n_rec, self.n_actions, c)}
        self.spikes = 0.0
        self.hidden_counts = np.zeros(c.n_rec)     # h of the last decision (critic input)
        self._pending = None                       # (r, V(s), h, eligibility) awaiting V(s')

    def decide(self, inputs, greedy=False, learn=True):
        """Run ``steps_per_decision`` network steps; the action neuron that spiked most wins."""
        c = self.config
        counts = np.zeros(self.n_actions)
        self.hidden_counts = np.zeros(c.n_rec)
        for k in range(c.steps_per_decision):
            x = inputs(k) if callable(inputs) else inputs
            z_prev = self.hidden.z.copy()
            current = self.syn["w_in"].propagate(x) + self.syn["w_rec"].propagate(z_prev)
            neuron_step(c.neuron, self.hidden, current)
            z = self.hidden.z
            neuron_step(c.neuron, self.action_neurons, self.syn["w_out"].propagate(z))
            if learn:
                self.traces["w_in"].step(x, z)
                self.traces["w_rec"].step(z_prev, z)
                self.traces["w_out"].step(z, self.action_neurons.z)
            counts += self.action_neurons.z
            self.hidden_counts += z
            self.spikes += z.sum()
            self.rate += 1e-3 * (z - self.rate)
        if learn and self._pending is not None:         # TD error of the previous decision
            reward, v_prev, h_prev, eligibility = self._pending
            self._pending = None
            self._learn(reward + c.gamma * self.w_value @ self.hidden_counts - v_prev,
                        h_prev, eligibility)
        best = np.flatnonzero(counts == counts.max())
        if learn and not greedy and self.rng.random() < c.epsilon:
            return int(self.rng.integers(self.n_actions))
        return int(best[0] if greedy else self.rng.choice(best))

    def observe(self, reward, terminal):
        """The reward of the last decision: ``lr M z`` on every synapse (``"td"``: once
        ``V(s')`` is known, at the next decision, or now if ``terminal``)."""
        reward = float(reward)
        if not np.isfinite(reward):
            raise InputError(f"reward must be finite, got {reward!r}")
        c = self.config
        if c.modulator == "reward":
            modulation = reward - self.reward_mean
            self.reward_mean += (reward - self.reward_mean) / c.reward_tau
            self._learn(modulation)
            return
        value = self.w_value @ self.hidden_counts
        if terminal:
            self._learn(reward - value, self.hidden_counts)
        else:
            self._pending = (reward, value, self.hidden_counts,
                             {k: t.z.copy() for k, t in self.traces.items()})

    def _learn(self, modulation, h=None, eligibility=None):
        """``w += lr M z`` (z: the traces now, or ``eligibility``); the critic's TD(0)
        step ``w_V += lr_value M h`` when ``h`` is given."""
        c = self.config
        for name in self.PARAMS:
            z = self.traces[name].z if eligibility is None else eligibility[name]
            step = c.lr * modulation * z
            if name == "w_rec":
                np.fill_diagonal(step, 0.0)
            self.syn[name].update(step)
        if h is not None:
            self.w_value += c.lr_value * modulation * h

    def state_dict(self):
        out = {f"weights/{k}": s.weights.copy() for k, s in self.syn.items()}
        out.update({"reward_mean": np.array(self.reward_mean), "rate": self.rate.copy(),
                    "critic/w_value": self.w_value.copy()})
        out.update(synapse_state(self.syn))
        return out

    def load_state_dict(self, arrays):
        restore_synapses(self.syn, arrays, self._synapses)
        self.reward_mean = float(arrays["reward_mean"])
        self.w_value = np.array(arrays.get("critic/w_value", np.zeros(self.config.n_rec)),
                                float)
        self.rate = np.array(arrays["rate"], float)
