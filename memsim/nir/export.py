"""Export a trained e-prop LIF policy as a NIR graph, and run a NIR policy in closed loop.

memsim's LIF neurons (:mod:`memsim.snn.neurons`, Bellec et al. 2020) step as::

    v_t = alpha v_{t-1} + I_t - v_th z_{t-1},    I_t = W_in x_t + W_rec z_{t-1}
    z_t = H(v_t - v_th), held at 0 for n_ref steps after a spike
    y_t = kappa y_{t-1} + W_out z_t              (policy logits)

NIR's LIF resets to a potential rather than by subtraction and has no
refractory period, so the export builds the neuron from NIR primitives whose
forward-Euler step at the policy's ``dt`` is exactly this (metadata: ``dt``,
``integrator = "euler"``, ``spikes = "step"``)::

    input --Linear(W_in^T)--> membrane LI --> Threshold(v_th) = z
    z --Linear(W_rec^T)--> membrane,   z --Scale(-v_th)--> membrane     (loops: z_{t-1})
    z --Delay(k dt), k = 0..n_ref-1 --> Scale(-M) --> Threshold      (loops: z_{t-1-k})
    z --Linear(W_out^T)--> LI readout --> output

(a node's input is the sum of its incoming edges)

with the membrane LI's ``tau = dt / (1 - alpha)``, ``R = 1 / (1 - alpha)``,
``v_leak = 0`` (its Euler step is then ``alpha v + u``), the readout's the
same with ``kappa``, and ``M = 1e12`` v_th, which holds every neuron that
spiked in the last ``n_ref`` steps below threshold (exact while ``|v| < M``).
The recurrent and refractory loops each carry the one step of delay memsim
gives every loop (:mod:`memsim.snn.graph`). ALIF policies (an adaptive
threshold) are refused: NIR has no such primitive, and memsim does not
compose one. The value readout is not exported (it does not act).

:class:`NirPolicy` runs a graph whose output is the policy logits as an
agent of :func:`memsim.rl.train.run_episodes`: ``steps_per_decision``
network steps per decision, then the most probable action.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_scalar
from ..errors import InputError
from ..snn.graph import Network
from .read import _nir, from_nir

#: Refractory hold, in units of the threshold: large enough that no membrane
#: potential outweighs it.
REFRACTORY_HOLD = 1e12


def policy_graph(agent):
    """The NIR graph of a trained e-prop LIF policy (module notes).

    Parameters
    ----------
    agent : memsim.snn.EpropActorCritic

    Returns
    -------
    nir.NIRGraph

    Raises
    ------
    InputError
        If the policy's neurons adapt (ALIF).
    """
    nir = _nir()
    p, c = agent.config.neuron, agent.config
    if p.beta > 0:
        raise InputError(f"this policy's neurons are ALIF (neuron.beta = {p.beta}): NIR has "
                         f"no adaptive threshold and memsim does not compose one from its "
                         f"primitives, so only LIF policies (beta = 0) export")
    n, dt = c.n_rec, p.dt
    alpha, kappa = p.alpha, agent.kappa
    ones = np.ones(n)

    def leaky(decay, size):
        return nir.LI(tau=np.full(size, dt / (1.0 - decay)), r=np.full(size, 1.0 / (1.0 - decay)),
                      v_leak=np.zeros(size))

    nodes = {
        "input": nir.Input(np.array([agent.n_in])),
        "w_in": nir.Linear(np.ascontiguousarray(agent.weights("w_in").T)),
        "membrane": leaky(alpha, n),
        "spike": nir.Threshold(p.v_th * ones),
        "w_rec": nir.Linear(np.ascontiguousarray(agent.weights("w_rec").T)),
        "reset": nir.Scale(-p.v_th * ones),
        "w_out": nir.Linear(np.ascontiguousarray(agent.weights("w_out").T)),
        "readout": leaky(kappa, agent.n_actions),
        "output": nir.Output(np.array([agent.n_actions])),
    }
    edges = [("input", "w_in"), ("w_in", "membrane"), ("membrane", "spike"),
             ("spike", "w_rec"), ("w_rec", "membrane"), ("spike", "reset"),
             ("reset", "membrane"), ("spike", "w_out"), ("w_out", "readout"),
             ("readout", "output")]
    if p.n_ref > 0:
        nodes["hold"] = nir.Scale(-REFRACTORY_HOLD * p.v_th * ones)
        for k in range(p.n_ref):
            nodes[f"delay_{k}"] = nir.Delay(np.full(n, k * dt))
            edges += [("spike", f"delay_{k}"), (f"delay_{k}", "hold")]
        edges.append(("hold", "spike"))
    metadata = {"dt": dt, "integrator": "euler", "spikes": "step",
                "steps_per_decision": c.steps_per_decision,
                "source": "memsim e-prop LIF policy (memsim.nir.export)"}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)


def export_policy(agent, path):
    """Write :func:`policy_graph` of ``agent`` to ``path`` (HDF5, atomically)."""
    nir = _nir()
    from .._io import atomic_path
    graph = policy_graph(agent)
    with atomic_path(path) as tmp:
        nir.write(str(tmp), graph)
    return graph


class NirPolicy:
    """A graph whose output is policy logits, as an agent of
    :func:`memsim.rl.train.run_episodes` (evaluation only).

    Parameters
    ----------
    graph : str, Path, nir.NIRGraph or Network
    dt : float
        Time step (s).
    steps_per_decision : int
    integrator, spikes : str
        As :meth:`memsim.snn.graph.Network.run`.
    synapses : dict or None
        Weight-node backends (tiles), default float weights.
    seed : int or Generator
        Source of sampled (non-greedy) actions.
    """

    def __init__(self, graph, dt, steps_per_decision, *, integrator="euler", spikes="step",
                 synapses=None, seed=0):
        self.network = graph if isinstance(graph, Network) else from_nir(graph)
        self.dt = check_scalar("dt", dt, low=0.0, low_inclusive=False)
        self.steps = check_scalar("steps_per_decision", steps_per_decision, low=1,
                                  integer=True)
        self.options = dict(integrator=integrator, spikes=spikes, synapses=synapses)
        self.rng = as_generator(seed)
        self.n_actions = int(np.prod(self.network.out_shape))
        self.spikes = 0.0

    def reset(self, batch=None):
        """Start ``batch`` episodes (one when None) at rest."""
        self.single = batch is None
        self.network.start(1 if batch is None else batch, self.dt, **self.options)
        self.spikes = 0.0

    def select(self, rows):
        """Keep the episodes ``rows``."""
        self.network.select(rows)

    def decide(self, inputs, greedy=True, learn=False):
        """``steps_per_decision`` steps, then the most probable (or a sampled) action."""
        if learn:
            raise InputError("a NIR policy is evaluated, not trained (learn=False)")
        for k in range(self.steps):
            x = inputs(k) if callable(inputs) else inputs
            x = np.asarray(x, float)
            y = self.network.step(x[None] if self.single else x)
        before = sum(self.network.spike_counts.values())
        self.spikes = float(before)
        logits = y.reshape(len(y), -1)
        if greedy:
            actions = np.argmax(logits, axis=1)
        else:
            z = np.exp(logits - logits.max(axis=1, keepdims=True))
            pi = z / z.sum(axis=1, keepdims=True)
            u = self.rng.random(len(pi))
            actions = np.minimum((np.cumsum(pi, axis=1) < u[:, None]).sum(axis=1),
                                 self.n_actions - 1)
        return int(actions[0]) if self.single else actions
