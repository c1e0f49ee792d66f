"""Reward-based e-prop: a recurrent spiking actor-critic that learns online.

Bellec et al., "A solution to the learning dilemma for recurrent networks of
spiking neurons", Nature Communications 11:3625 (2020). Network: inputs ``x``
drive ``n_rec`` LIF/ALIF neurons (:mod:`memsim.snn.neurons`) through ``W_in``
and their own spikes through ``W_rec`` (no self-connections); leaky readouts
``y_t = kappa y_{t-1} + z_t W_out`` (policy logits, softmax over actions) and
``V_t = kappa V_{t-1} + z_t w_V`` (value), ``kappa = exp(-dt / tau_out)``.

Eligibility of synapse ``i -> j`` (local to the synapse), per network step::

    zbar_i^t = alpha zbar_i^{t-1} + x_i^t                 (presynaptic trace)
    e_ij^t   = psi_j^t (zbar_i^t - beta eps_ij^t)
    eps_ij^{t+1} = psi_j^t zbar_i^t + (rho - psi_j^t beta) eps_ij^t   (ALIF only)
    ebar_ij^t = kappa ebar_ij^{t-1} + e_ij^t               (readout filter)

Learning signals, broadcast to neuron ``j`` through fixed feedback weights
``B`` (random, or ``W_out`` itself when ``feedback="symmetric"``), at each
environment step with action ``a`` and policy ``pi``::

    L_j = sum_k B_jk (1[a = k] - pi_k) + c_V B^V_j

A per-synapse lambda-trace carries them to the TD error (eligibility traces
of TD(lambda)), and the gradient is accumulated over ``update_every``
environment steps before an Adam step (ascent)::

    E_ij <- gamma lambda E_ij + L_j ebar_ij,     delta = r + gamma V' - V,
    G_ij += delta E_ij + c_H LH_j ebar_ij - c_f (f_j - f*) sum_t e_ij^t

with ``LH_j = sum_k B_jk dH/dy_k`` the entropy signal and ``f_j`` a running
firing rate (spikes per step, over the steps that learn: evaluation and
greedy episodes leave it alone). Readout weights follow the same rule with
their exact local gradients (``zbar_out`` for ``W_out`` and ``w_V``). Online:
no backpropagation through time, no replay, no stored trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._kernels import _snn
from .._validation import as_generator, check_choice, check_scalar
from ..errors import InputError, InputTypeError
from ._agent import AgentConfig, initial_weights, restore_synapses, synapse_state
from .neurons import NeuronParams, NeuronState, neuron_step
from .synapses import digital


@dataclass(frozen=True)
class EpropConfig(AgentConfig):
    """Hyper-parameters of the e-prop actor-critic (every one is saved with a policy).

    Parameters
    ----------
    n_rec : int, default=100
        Recurrent neurons.
    neuron : NeuronParams
        Neuron model (``beta > 0``: ALIF).
    steps_per_decision : int, default=5
        Network steps per environment step.
    tau_out : float, default=5e-3
        Readout time constant (s).
    lr : float, default=3e-3
        Adam step size of the readouts.
    hidden_lr_scale : float, default=0.1
        Step size of input and recurrent weights relative to ``lr``.
    gamma, lam : float, default=0.99, 0.9
        Discount and eligibility-trace decay of TD(lambda).
    c_value, c_entropy, c_rate : float
        Weights of the critic, entropy and firing-rate terms.
    rate_target : float, default=0.05
        Target firing rate (spikes per network step).
    update_every : int, default=10
        Environment steps per Adam step.
    feedback : {"random", "symmetric"}
        Fixed random feedback weights, or the readout weights themselves.
    w_in_scale, w_rec_scale, w_out_scale : float
        Initial weight scales (times ``1/sqrt(fan_in)``).
    reward_scale : float, default=1.0
        Factor (> 0) on every reward before it enters the TD error; the
        returns a caller reports are unchanged. The value readout starts at 0
        and moves by about ``lr`` per Adam step, so a task whose values are
        far from 0 (Acrobot: -1 per step, ``V`` near ``-1/(1 - gamma)`` =
        -100) gives TD errors of one sign for thousands of steps; measured on
        Acrobot, a TD error held at -1 collapses the softmax policy to one
        action within 1-3 episodes, and the agent then never reaches the
        goal. Scaling by ``1 - gamma`` keeps values in the range of one
        reward, so the critic tracks them within tens of Adam steps (the same
        motive as return normalisation in common actor-critic setups). It
        also weights the entropy and rate terms more relative to the TD term.
    """

    n_rec: int = 100
    neuron: NeuronParams = field(default_factory=NeuronParams)
    steps_per_decision: int = 5
    tau_out: float = 5e-3
    lr: float = 3e-3
    hidden_lr_scale: float = 0.1
    gamma: float = 0.99
    lam: float = 0.9
    c_value: float = 0.5
    c_entropy: float = 0.003
    c_rate: float = 0.1
    rate_target: float = 0.05
    update_every: int = 10
    feedback: str = "random"
    w_in_scale: float = 1.0
    w_rec_scale: float = 1.0
    w_out_scale: float = 0.1
    reward_scale: float = 1.0

    def __post_init__(self):
        for name in ("n_rec", "steps_per_decision", "update_every"):
            check_scalar(name, getattr(self, name), low=1, integer=True)
        for name in ("tau_out", "lr", "reward_scale"):
            check_scalar(name, getattr(self, name), low=0.0, low_inclusive=False)
        for name in ("gamma", "lam"):
            check_scalar(name, getattr(self, name), low=0.0, high=1.0)
        for name in ("hidden_lr_scale", "c_value", "c_entropy", "c_rate", "rate_target",
                     "w_in_scale", "w_rec_scale", "w_out_scale"):
            check_scalar(name, getattr(self, name), low=0.0)
        check_choice("feedback", self.feedback, ("random", "symmetric"))
        if not isinstance(self.neuron, NeuronParams):
            raise InputTypeError(f"neuron must be NeuronParams, got {self.neuron!r}")



_ADAM = (0.9, 0.999, 1e-8)
_NO_EPS = np.zeros((0, 0))          # the kernel's "LIF: no adaptation eligibility"


_RATE_STEP = 1e-3                   # running rate over learning steps: 1000-step memory


class EpropActorCritic:
    """A recurrent spiking actor-critic trained online by reward-based e-prop.

    Parameters
    ----------
    n_in : int
        Network inputs.
    n_actions : int
        Discrete actions (softmax policy).
    config : EpropConfig
    seed : int or numpy.random.Generator
        Initial weights, feedback weights and action sampling.
    synapses : callable, default=memsim.snn.synapses.digital
        Backend factory ``synapses(name, weights)``, called with each matrix's
        name and initial weights (:mod:`memsim.snn.synapses`).

    Notes
    -----
    A single episode whose backends expose their float matrix (``forward``)
    runs and learns in one Cython call per decision (memsim._kernels._snn).
    Batches of episodes, and backends without ``forward`` (crossbar tiles),
    run the same network step in NumPy, without learning. The NumPy twin of
    the learning step, which the tests compare with the kernel, is
    :class:`memsim.snn._reference.ReferenceEprop`.
    """

    PARAMS = ("w_in", "w_rec", "w_out", "w_value")
    #: Memory order of the per-synapse learning arrays: column-major, so that the
    #: kernel's loops over one postsynaptic neuron's synapses run through
    #: contiguous memory.
    ORDER = "F"

    def __init__(self, n_in, n_actions, config=None, seed=None, synapses=digital):
        self.config = EpropConfig() if config is None else config
        c = self.config
        self.n_in = check_scalar("n_in", n_in, low=1, integer=True)
        self.n_actions = check_scalar("n_actions", n_actions, low=2, integer=True)
        self.rng = as_generator(seed)
        n = c.n_rec
        w_in, w_rec, w_out = initial_weights(self.rng, n_in, n, n_actions, c)
        self._synapses = synapses
        self.syn = {name: synapses(name, w) for name, w in (
            ("w_in", w_in), ("w_rec", w_rec), ("w_out", w_out), ("w_value", np.zeros((n, 1))))}
        self.b_random = self.rng.normal(0.0, 1.0 / np.sqrt(n_actions), (n, n_actions))
        self.b_value = self.rng.normal(0.0, 1.0, n)
        self.kappa = np.exp(-c.neuron.dt / c.tau_out)
        self.adam_m = {k: self._zeros(s.shape) for k, s in self.syn.items()}
        self.adam_v = {k: self._zeros(s.shape) for k, s in self.syn.items()}
        self.adam_t = 0
        self.grad = {k: self._zeros(s.shape) for k, s in self.syn.items()}
        self.rate = np.full(n, c.rate_target)
        self.env_steps = 0
        self.reset()

    # ------------------------------------------------------------------ state
    def _zeros(self, shape):
        return np.zeros(shape, order=self.ORDER)

    def reset(self, batch=None):
        """Start an episode: neurons at rest, every trace cleared.

        Parameters
        ----------
        batch : int, optional
            Run ``batch`` independent episodes in lockstep: states, readouts
            and inputs gain a leading batch axis and :meth:`decide` returns
            one action per episode. Evaluation only (``learn=False``): the
            learning traces belong to one episode.
        """
        c, n = self.config, self.config.n_rec
        self.batch = None if batch is None else check_scalar("batch", batch, low=1, integer=True)
        lead = () if batch is None else (self.batch,)
        self.state = NeuronState.rest(lead + (n,))
        self.y = np.zeros(lead + (self.n_actions,))
        self._value = np.zeros(lead + (1,))
        self.zbar_in = np.zeros(lead + (self.n_in,))
        self.zbar_rec = np.zeros(lead + (n,))
        self.zbar_out = np.zeros(lead + (n,))
        alif = c.neuron.beta > 0
        self.eps = {"w_in": self._zeros((self.n_in, n)) if alif else None,
                    "w_rec": self._zeros((n, n)) if alif else None}
        self._psi = np.zeros(n)
        self.ebar = {"w_in": self._zeros((self.n_in, n)), "w_rec": self._zeros((n, n))}
        self.e_sum = {"w_in": self._zeros((self.n_in, n)), "w_rec": self._zeros((n, n))}
        self.trace = {k: self._zeros(s.shape) for k, s in self.syn.items()}
        self._pending = None
        self.spikes = 0.0
        for s in self.syn.values():
            if hasattr(s, "new_episode"):
                s.new_episode()
        self._fused = self._build_fused()

    def select(self, rows):
        """Keep only the episodes ``rows`` of a batch (the others have ended)."""
        if self.batch is None:
            raise InputError("select needs a batch of episodes: reset(batch=...) first")
        rows = np.asarray(rows)
        st = self.state
        st.v, st.a, st.z, st.ref = st.v[rows], st.a[rows], st.z[rows], st.ref[rows]
        for name in ("y", "_value", "zbar_in", "zbar_rec", "zbar_out"):
            setattr(self, name, getattr(self, name)[rows])
        self.batch = len(self.y)

    def use_synapses(self, backends):
        """Replace synapse backends, e.g. by analog tiles (:mod:`memsim.hardware`).

        Parameters
        ----------
        backends : dict
            ``{name: backend}`` for names in :attr:`PARAMS`; each backend has
            ``shape``, ``weights``, ``counts``, ``propagate`` and ``update``.
        """
        for name, backend in backends.items():
            if name not in self.syn:
                raise InputError(f"unknown synapse matrix {name!r}; known: {self.PARAMS}")
            if tuple(backend.shape) != tuple(self.syn[name].shape):
                raise InputError(f"backend for {name} has shape {tuple(backend.shape)}, the "
                                 f"network needs {tuple(self.syn[name].shape)}")
        self.syn.update(backends)
        self._fused = self._build_fused()

    @property
    def value(self):
        """Current output of the value readout (one per episode of a batch)."""
        return float(self._value[0]) if self.batch is None else self._value[:, 0].copy()

    def _build_fused(self):
        """The one-call Cython step, when every synapse backend reads a float matrix
        (``forward``) that it keeps up to date in place."""
        if getattr(self, "_fused", None) is not None:
            self._fused.sync()          # its lazily decayed traces become true values
        if self.batch is not None or not all(isinstance(getattr(s, "forward", None), np.ndarray)
                                             for s in self.syn.values()):
            return None
        p = self.config.neuron
        st = self.state
        state = {"v": st.v, "a": st.a, "z": st.z, "ref": st.ref, "psi": self._psi,
                 "y": self.y, "value": self._value, "rate": self.rate}
        traces = {"zbar_in": self.zbar_in, "zbar_rec": self.zbar_rec,
                  "zbar_out": self.zbar_out,
                  "eps_in": _NO_EPS if self.eps["w_in"] is None else self.eps["w_in"],
                  "eps_rec": _NO_EPS if self.eps["w_rec"] is None else self.eps["w_rec"],
                  "ebar_in": self.ebar["w_in"], "ebar_rec": self.ebar["w_rec"],
                  "esum_in": self.e_sum["w_in"], "esum_rec": self.e_sum["w_rec"]}
        weights = {k: s.forward for k, s in self.syn.items()}
        params = (p.alpha, p.rho, p.v_th, p.beta, p.gamma_pd, p.n_ref, self.kappa, _RATE_STEP)
        return _snn.FusedNetwork(state, traces, weights, params, self.trace, self.grad)

    def weights(self, name):
        """Current weights of ``name`` (one of :attr:`PARAMS`)."""
        return self.syn[name].weights

    # ---------------------------------------------------------------- dynamics
    def network_step(self, x, learn=True):
        """One network step under input ``x`` (n_in,) or (batch, n_in); returns the spikes.

        This is the NumPy step of batches and of backends without ``forward``;
        learning runs in the fused kernel (:meth:`decide`).
        """
        if learn and self.batch is not None:
            raise InputError("learning runs one episode at a time: reset() without batch, "
                             "or learn=False")
        p = self.config.neuron
        z_prev = self.state.z
        current = self.syn["w_in"].propagate(x) + self.syn["w_rec"].propagate(z_prev)
        self.zbar_in *= p.alpha
        self.zbar_in += x
        self.zbar_rec *= p.alpha
        self.zbar_rec += z_prev
        psi = neuron_step(p, self.state, current)
        z = self.state.z
        if learn:
            self._eligibility(psi)
            self.rate += _RATE_STEP * (z - self.rate)   # the regulariser's: learning only
        self.y *= self.kappa
        self.y += self.syn["w_out"].propagate(z)
        self._value *= self.kappa
        self._value += self.syn["w_value"].propagate(z)
        self.zbar_out *= self.kappa
        self.zbar_out += z
        self.spikes += z.sum()
        return z

    def _eligibility(self, psi):
        raise InputError("e-prop learns in its fused kernel, on synapse backends that expose "
                         "their float matrix (forward); these backends "
                         f"({', '.join(sorted({type(s).__name__ for s in self.syn.values()}))}) "
                         "can only be evaluated (learn=False)")

    def policy(self):
        """Action probabilities from the policy readout (softmax of ``y`` over actions)."""
        y = self.y - self.y.max(axis=-1, keepdims=True)
        p = np.exp(y)
        return p / p.sum(axis=-1, keepdims=True)

    def decide(self, inputs, greedy=False, learn=True):
        """Run one decision: ``steps_per_decision`` network steps, then act.

        Parameters
        ----------
        inputs : callable or ndarray
            ``inputs(k)`` returns the input of network step ``k``, or one
            array used at every step.
        greedy : bool
            Take the most probable action instead of sampling.
        learn : bool
            Update eligibility traces and gradients.

        Returns
        -------
        int, or ndarray of int with one action per episode of a batch
        """
        steps = self.config.steps_per_decision
        if self._fused is not None:
            xs = (np.array([inputs(k) for k in range(steps)]) if callable(inputs)
                  else np.ascontiguousarray(inputs, dtype=float)[None, :])
            spikes, *events = self._fused.run(xs, steps, learn)
            self.spikes += spikes
            for name, count in zip(self.PARAMS, events):
                self.syn[name].counts["synaptic_events"] += int(count)
            for syn in self.syn.values():
                syn.counts["propagations"] += steps
        else:
            for k in range(steps):
                self.network_step(inputs(k) if callable(inputs) else inputs, learn)
        if self._fused is not None:
            pi = np.empty(self.n_actions)
            action = self._fused.act(pi, 0.0 if greedy else self.rng.random(), greedy)
            if learn:
                self._learn_decision(action, pi)
            return action
        pi = self.policy()
        if self.batch is not None:
            if greedy:
                return np.argmax(pi, axis=1)
            u = self.rng.random(self.batch)
            return np.minimum((np.cumsum(pi, axis=1) < u[:, None]).sum(axis=1),
                              self.n_actions - 1)
        # inverse-CDF draw: one uniform per decision (Generator.choice with p costs ~10x)
        action = (int(np.argmax(pi)) if greedy else
                  min(int(np.searchsorted(np.cumsum(pi), self.rng.random())), self.n_actions - 1))
        if learn:
            self._learn_decision(action, pi)
        return action

    # ---------------------------------------------------------------- learning
    def _feedback(self):
        if self.config.feedback == "symmetric":
            return self.syn["w_out"].weights, self.syn["w_value"].weights[:, 0]
        return self.b_random, self.b_value

    def _learn_decision(self, action, pi):
        c = self.config
        self._fused.learn(action, pi, *self._feedback_arrays(), c.rate_target,
                          c.gamma * c.lam, c.c_value, c.c_entropy, c.c_rate,
                          self._td_error())
        self._count_step()

    def _feedback_arrays(self):
        b, b_v = self._feedback()
        return np.ascontiguousarray(b), np.ascontiguousarray(b_v)

    def _td_error(self):
        """TD error of the previous decision, now that ``V(s')`` is known (0 at the start)."""
        if self._pending is None:
            return 0.0
        reward, v_prev = self._pending
        return reward + self.config.gamma * self.value - v_prev

    def _count_step(self):
        self.env_steps += 1
        if self.env_steps % self.config.update_every == 0:
            self._adam()

    def _apply_td(self, delta, names=PARAMS):
        for name in names:
            self.grad[name] += delta * self.trace[name]

    def observe(self, reward, terminal):
        """The reward of the last decision (times ``reward_scale``); ``terminal``
        ends the bootstrap."""
        reward = float(reward)
        if not np.isfinite(reward):
            raise InputError(f"reward must be finite, got {reward!r}")
        reward *= self.config.reward_scale
        if terminal:
            self._apply_td(reward - self.value)
            self._pending = None
        else:
            self._pending = (reward, self.value)

    def _adam(self):
        """One Adam ascent step of every matrix on the accumulated gradient (cleared)."""
        b1, b2, eps = _ADAM
        self.adam_t += 1
        c1, c2 = 1 - b1 ** self.adam_t, 1 - b2 ** self.adam_t
        for name in self.PARAMS:
            lr = self._lr(name)
            step = np.empty(self.grad[name].shape)        # in the weights' (C) order
            _snn.adam_step(self.adam_m[name], self.adam_v[name], self.grad[name], step, lr,
                           b1, b2, eps, c1, c2, name == "w_rec")
            if lr > 0:
                self.syn[name].update(step)

    def _lr(self, name):
        c = self.config
        return c.lr * (c.hidden_lr_scale if name in ("w_in", "w_rec") else 1.0)

    # ------------------------------------------------------------ persistence
    def state_dict(self):
        """Arrays that define the learner: weights, feedback, Adam state."""
        out = {f"weights/{k}": s.weights.copy() for k, s in self.syn.items()}
        out.update({"feedback/random": self.b_random, "feedback/value": self.b_value,
                    "rate": self.rate, "adam/t": np.array(self.adam_t),
                    "env_steps": np.array(self.env_steps)})
        out.update({f"adam/m/{k}": v for k, v in self.adam_m.items()})
        out.update({f"adam/v/{k}": v for k, v in self.adam_v.items()})
        out.update({f"grad/{k}": v for k, v in self.grad.items()})
        out.update(synapse_state(self.syn))
        return out

    def load_state_dict(self, arrays):
        """Restore :meth:`state_dict` (shapes must match this network)."""
        restore_synapses(self.syn, arrays, self._synapses)
        for k in self.syn:
            for store, prefix in ((self.adam_m, "adam/m"), (self.adam_v, "adam/v"),
                                  (self.grad, "grad")):
                store[k] = np.array(arrays[f"{prefix}/{k}"], dtype=float, order=self.ORDER)
        self.b_random = np.array(arrays["feedback/random"], float)
        self.b_value = np.array(arrays["feedback/value"], float)
        self.rate = np.array(arrays["rate"], float)
        self.adam_t = int(arrays["adam/t"])
        self.env_steps = int(arrays["env_steps"])
        self._fused = self._build_fused()
