"""Spiking networks as graphs of nodes stepped in discrete time (the NIR primitives).

A :class:`Network` is a set of named nodes joined by edges; every node has one
input, the sum of what its incoming edges carry, and one output. Nodes are
the primitives of the Neuromorphic Intermediate Representation (NIR; Pedersen
et al., Nat. Commun. 15:8122, 2024), each with the continuous-time equation
its documentation states (``u`` the node's input, ``dt`` the time step, all
quantities in the graph's own units, time in seconds)::

    Affine     y = W u + b                 Linear   y = W u       Scale  y = s * u
    Conv1d/2d  y = conv(W, u) + b          (stride, padding, dilation, groups)
    Flatten    y = u reshaped              SumPool2d / AvgPool2d   window sums / means
    Threshold  z = H(u - theta)            (H(0) = 0: ``u > theta`` fires)
    I          dv/dt = R u
    IF         dv/dt = R u;                z = H(v - v_th), then v = v_reset where z
    LI         tau dv/dt = (v_leak - v) + R u
    LIF        LI, then z and the reset as IF
    CubaLI     tau_syn dI/dt = -I + w_in u;   tau_mem dv/dt = (v_leak - v) + R I
    CubaLIF    CubaLI, then z and the reset as IF

Discrete time. Every signal is held constant over a step (zero-order hold)
and the state advances by one of two integrators:

* ``"euler"`` (forward Euler, as most NIR frameworks step):
  ``x[t+1] = x[t] + dt f(x[t], u[t])``, every state from its values at the
  start of the step (so in CubaLI/CubaLIF an input reaches ``v`` one step
  after it reaches ``I``);
* ``"exact"``: the exact solution of the linear equations over the step for
  the held input, e.g. LI ``v[t+1] = v_inf + (v[t] - v_inf) exp(-dt/tau)``
  with ``v_inf = v_leak + R u``; CubaLI's two-exponential solution.

Spiking nodes threshold the state after the step (``v > v_th``), emit the
spike in that same step and reset. A spike is represented downstream as the
value 1 held for its step (``spikes="step"``, the convention of graphs
exported by snnTorch, Norse and nirtorch, whose ``r`` absorbs ``tau/dt``), or
as ``1/dt``, a Dirac delta's unit area spread over the step
(``spikes="dirac"``, the specification's continuous-time reading). Outputs of
spiking nodes in traces and counts are the 0/1 indicators either way, and
so is what reaches the output through Flatten, Identity or Delay nodes with
one source each (carriers): the ``1/dt`` applies where a spike enters any
other node.

Recurrent loops. Nodes are stepped in the order of a depth-first search from
the inputs; an edge that closes a cycle (to a node already being visited)
carries its source's output of the previous step: one step of delay on every
loop, and on no other edge.

Weight nodes (Affine, Linear, Conv) multiply through a synapse backend (an
object with ``propagate(x)``, ``x`` of shape (rows, n_in), returning
``x @ M`` of shape (rows, n_out)): float weights by default, memristor tiles
when the caller supplies them (:mod:`memsim.hardware`). ``M`` is the node's
matrix (:meth:`Network.matrices`): ``W^T`` for Affine and Linear, and for a
convolution its kernel unrolled to (C_in/groups * k..., C_out/groups), one
per group, read once per output position (im2col): the kernel is stored once
and reused at every position, never replicated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import check_array, check_choice, check_scalar
from ..errors import InputError
from .synapses import DigitalSynapses

INTEGRATORS = ("euler", "exact")
SPIKE_MODES = ("step", "dirac")


# ------------------------------------------------------------------------- nodes

@dataclass
class Node:
    """A node: its input and output shapes (without batch). Subclasses step."""

    in_shape: tuple = field(default=(), init=False)
    out_shape: tuple = field(default=(), init=False)

    #: Whether the output is spikes (0/1 events).
    spiking = False
    #: Whether the node multiplies by a weight matrix (a synapse backend).
    weighted = False

    def infer(self, in_shape):
        """Set the shapes from the input shape; returns the output shape."""
        self.in_shape = tuple(int(s) for s in in_shape)
        self.out_shape = self._out(self.in_shape)
        return self.out_shape

    def _out(self, in_shape):
        return in_shape

    def init_state(self, batch):
        """The state at t = 0 for ``batch`` inputs (None for stateless nodes)."""
        return None


@dataclass
class Input(Node):
    """Where the graph's input enters; ``shape`` without batch or time."""

    shape: tuple = ()

    def _out(self, in_shape):
        return tuple(self.shape)


@dataclass
class Output(Node):
    """The graph's output: its input, passed on."""


@dataclass
class Identity(Node):
    """``y = u``."""


@dataclass
class Affine(Node):
    """``y = W u + b``; ``weight`` (out, in), ``bias`` (out,)."""

    weight: np.ndarray = None
    bias: np.ndarray = None
    weighted = True

    def _out(self, in_shape):
        if in_shape != (self.weight.shape[1],):
            raise InputError(f"takes input of shape ({self.weight.shape[1]},), gets {in_shape}")
        return (self.weight.shape[0],)

    def matrices(self):
        return [np.ascontiguousarray(self.weight.T)]


@dataclass
class Linear(Affine):
    """``y = W u``."""


@dataclass
class Scale(Node):
    """``y = s * u`` elementwise."""

    scale: np.ndarray = None

    def _out(self, in_shape):
        return tuple(np.broadcast_shapes(in_shape, self.scale.shape))


@dataclass
class Conv(Node):
    """``y = conv(W, u) + b`` in ``ndim`` = 1 or 2 spatial dimensions.

    ``weight`` (C_out, C_in/groups, k...), ``stride``, ``padding`` (per side),
    ``dilation`` tuples of ``ndim``; input (C_in, spatial...).
    """

    weight: np.ndarray = None
    bias: np.ndarray = None
    stride: tuple = (1,)
    padding: tuple = (0,)
    dilation: tuple = (1,)
    groups: int = 1
    weighted = True

    @property
    def ndim(self):
        return self.weight.ndim - 2

    def _out(self, in_shape):
        c_out, c_g = self.weight.shape[:2]
        if len(in_shape) != self.ndim + 1 or in_shape[0] != c_g * self.groups:
            raise InputError(f"takes input (C_in = {c_g * self.groups}, {self.ndim} spatial "
                             f"dimensions), gets {in_shape}")
        if c_out % self.groups:
            raise InputError(f"C_out = {c_out} is not a multiple of groups = {self.groups}")
        spatial = []
        for n, k, s, p, d in zip(in_shape[1:], self.weight.shape[2:], self.stride,
                                 self.padding, self.dilation):
            size = (n + 2 * p - d * (k - 1) - 1) // s + 1
            if size < 1:
                raise InputError(f"kernel {self.weight.shape[2:]} (dilation {self.dilation}) "
                                 f"does not fit input {in_shape[1:]} with padding "
                                 f"{self.padding}")
            spatial.append(size)
        return (c_out, *spatial)

    @property
    def positions(self):
        """Output positions: how often the kernel matrix is read per step."""
        return int(np.prod(self.out_shape[1:]))

    def matrices(self):
        c_out = self.weight.shape[0]
        per = c_out // self.groups
        return [np.ascontiguousarray(self.weight[g * per:(g + 1) * per].reshape(per, -1).T)
                for g in range(self.groups)]

    def patches(self, u):
        """im2col: ``u`` (B, C_in, spatial...) -> per group (B * positions, C_g * k...)."""
        b = u.shape[0]
        pad = [(0, 0), (0, 0)] + [(p, p) for p in self.padding]
        up = np.pad(u, pad)
        c_g = self.weight.shape[1]
        ks = self.weight.shape[2:]
        out = self.out_shape[1:]
        cols = []
        for offs in np.ndindex(*ks):
            idx = tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                        for o, d, n, s in zip(offs, self.dilation, out, self.stride))
            cols.append(up[(slice(None), slice(None)) + idx])       # (B, C_in, out...)
        stack = np.stack(cols, axis=2)                               # (B, C_in, K, out...)
        stack = stack.reshape(b, self.groups, c_g, len(cols), -1)    # (B, G, C_g, K, P)
        return [np.moveaxis(stack[:, g], -1, 1).reshape(b * stack.shape[-1], c_g * len(cols))
                for g in range(self.groups)]


@dataclass
class Flatten(Node):
    """Dimensions ``start_dim..end_dim`` of the (unbatched) input merged into one."""

    start_dim: int = 0
    end_dim: int = -1

    def _out(self, in_shape):
        n = len(in_shape)
        lo = self.start_dim + n if self.start_dim < 0 else self.start_dim
        hi = self.end_dim + n if self.end_dim < 0 else self.end_dim
        if not 0 <= lo <= hi < n:
            raise InputError(f"start_dim {self.start_dim} / end_dim {self.end_dim} do not fit "
                             f"an input of shape {in_shape}")
        return (*in_shape[:lo], int(np.prod(in_shape[lo:hi + 1])), *in_shape[hi + 1:])


@dataclass
class Pool2d(Node):
    """Window sums (``mean=False``) or means over (C, H, W); zero padding, and a mean
    divides by the window's area, padding included."""

    kernel_size: tuple = (1, 1)
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    mean: bool = False

    def _out(self, in_shape):
        if len(in_shape) != 3:
            raise InputError(f"takes input (C, H, W), gets {in_shape}")
        spatial = [(n + 2 * p - k) // s + 1 for n, k, s, p in
                   zip(in_shape[1:], self.kernel_size, self.stride, self.padding)]
        if min(spatial) < 1:
            raise InputError(f"window {self.kernel_size} does not fit input {in_shape[1:]}")
        return (in_shape[0], *spatial)

    def apply(self, u):
        pad = [(0, 0), (0, 0)] + [(p, p) for p in self.padding]
        up = np.pad(u, pad)
        (oh, ow), (sh, sw) = self.out_shape[1:], self.stride
        y = np.zeros((u.shape[0], *self.out_shape))
        for i, j in np.ndindex(*self.kernel_size):
            y += up[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
        return y / np.prod(self.kernel_size) if self.mean else y


@dataclass
class Delay(Node):
    """``y(t) = u(t - tau)``: in discrete time ``u`` of ``round(tau / dt)`` steps before
    (0 before the first), ``tau`` a whole number of steps per element."""

    delay: np.ndarray = None

    def _out(self, in_shape):
        return tuple(np.broadcast_shapes(in_shape, np.shape(self.delay)))

    def start(self, batch, dt):
        """A delay line of ``batch`` rows: (buffer, per-element step counts)."""
        steps = np.broadcast_to(np.asarray(self.delay, float) / dt, self.out_shape)
        n = np.rint(steps)
        if np.any(np.abs(steps - n) > 1e-9 * np.maximum(n, 1)) or np.any(n < 0):
            raise InputError(f"a Delay of {np.unique(self.delay)} s is not a whole number of "
                             f"steps of dt = {dt} s")
        n = n.astype(int)
        return np.zeros((int(n.max()) + 1, batch, *self.out_shape)), n

    def advance(self, states, name, u):
        buffer, n = states[name]
        buffer = np.roll(buffer, 1, axis=0)
        buffer[0] = u
        states[name] = (buffer, n)
        index = np.broadcast_to(n[None, None], (1, *buffer.shape[1:]))
        return np.take_along_axis(buffer, index, axis=0)[0]


@dataclass
class Threshold(Node):
    """``z = H(u - theta)``, ``u > theta`` fires."""

    threshold: np.ndarray = None
    spiking = True


@dataclass
class Neuron(Node):
    """Neurons with state; parameters are arrays of the node's shape."""

    def _out(self, in_shape):
        shape = tuple(np.shape(self.shape_param))
        if tuple(in_shape) != shape:
            raise InputError(f"has parameters of shape {shape}, gets input {in_shape}")
        return shape


@dataclass
class I(Neuron):  # noqa: E742 (NIR's name)
    """``dv/dt = R u``; output v."""

    r: np.ndarray = None

    @property
    def shape_param(self):
        return self.r

    def init_state(self, batch):
        return {"v": np.zeros((batch, *self.out_shape))}


@dataclass
class IF(I):
    """``dv/dt = R u``, spike above ``v_threshold`` and reset to ``v_reset``."""

    v_threshold: np.ndarray = None
    v_reset: np.ndarray = None
    spiking = True


@dataclass
class LI(Neuron):
    """``tau dv/dt = (v_leak - v) + R u``; output v."""

    tau: np.ndarray = None
    r: np.ndarray = None
    v_leak: np.ndarray = None

    @property
    def shape_param(self):
        return self.tau

    def init_state(self, batch):
        return {"v": np.zeros((batch, *self.out_shape))}


@dataclass
class LIF(LI):
    """LI with a spike above ``v_threshold`` and reset to ``v_reset``."""

    v_threshold: np.ndarray = None
    v_reset: np.ndarray = None
    spiking = True


@dataclass
class CubaLI(Neuron):
    """``tau_syn dI/dt = -I + w_in u``, ``tau_mem dv/dt = (v_leak - v) + R I``; output v."""

    tau_syn: np.ndarray = None
    tau_mem: np.ndarray = None
    r: np.ndarray = None
    v_leak: np.ndarray = None
    w_in: np.ndarray = None

    @property
    def shape_param(self):
        return self.tau_mem

    def init_state(self, batch):
        zeros = np.zeros((batch, *self.out_shape))
        return {"i": zeros, "v": zeros.copy()}


@dataclass
class CubaLIF(CubaLI):
    """CubaLI with a spike above ``v_threshold`` and reset to ``v_reset``."""

    v_threshold: np.ndarray = None
    v_reset: np.ndarray = None
    spiking = True


# -------------------------------------------------------------------- one step each

def _fire(node, state):
    """Threshold ``state["v"]`` in place: the 0/1 spikes, and the reset."""
    z = state["v"] > node.v_threshold
    state["v"] = np.where(z, node.v_reset, state["v"])
    return z.astype(float)


def node_step(node, state, u, dt, integrator):
    """Advance a neuron node's ``state`` (dict of arrays) by ``dt`` for held input ``u``;
    returns its output (v, or the 0/1 spikes) and the new state."""
    if isinstance(node, I):
        state = {"v": state["v"] + dt * node.r * u}
    elif isinstance(node, LI):
        drive = node.v_leak + node.r * u
        if integrator == "exact":
            state = {"v": drive + (state["v"] - drive) * np.exp(-dt / node.tau)}
        else:
            state = {"v": state["v"] + dt / node.tau * (drive - state["v"])}
    else:                                                     # CubaLI, CubaLIF
        i, v = state["i"], state["v"]
        i_inf = node.w_in * u
        if integrator == "exact":
            a, b = np.exp(-dt / node.tau_syn), np.exp(-dt / node.tau_mem)
            diff = node.tau_syn - node.tau_mem
            with np.errstate(divide="ignore", invalid="ignore"):
                # tau_syn (a - b) / (tau_syn - tau_mem), and its limit (dt / tau) a
                kernel = np.where(np.abs(diff) > 1e-9 * node.tau_syn,
                                  node.tau_syn * (a - b) / np.where(diff == 0, 1.0, diff),
                                  dt / node.tau_syn * a)
            w = v - node.v_leak - node.r * i_inf
            v = node.v_leak + node.r * i_inf + w * b + node.r * (i - i_inf) * kernel
            i = i_inf + (i - i_inf) * a
        else:
            i, v = (i + dt / node.tau_syn * (i_inf - i),
                    v + dt / node.tau_mem * (node.v_leak - v + node.r * i))
        state = {"i": i, "v": v}
    if node.spiking:
        return _fire(node, state), state
    return state["v"], state


# ----------------------------------------------------------------------- the graph

#: Nodes that pass a lone source's spikes on as the same 0/1 events.
_CARRIERS = (Flatten, Identity, Delay, Output)

class Network:
    """A graph of nodes stepped in discrete time (module notes).

    Parameters
    ----------
    nodes : dict of str to Node
        Exactly one :class:`Input` and one :class:`Output`.
    edges : sequence of (str, str)
        (source, destination) names; a node's input is the sum over its edges.
    """

    def __init__(self, nodes, edges):
        self.nodes = dict(nodes)
        self.edges = [tuple(e) for e in edges]
        for src, dst in self.edges:
            for name in (src, dst):
                if name not in self.nodes:
                    raise InputError(f"edge ({src!r}, {dst!r}) names node {name!r}, which the "
                                     f"graph does not have")
        ins = [n for n, node in self.nodes.items() if isinstance(node, Input)]
        outs = [n for n, node in self.nodes.items() if isinstance(node, Output)]
        if len(ins) != 1 or len(outs) != 1:
            raise InputError(f"the graph needs exactly one Input and one Output node, has "
                             f"{len(ins)} ({ins}) and {len(outs)} ({outs})")
        self.input, self.output = ins[0], outs[0]
        self.pred = {n: [] for n in self.nodes}     # each node's sources, in edge order
        for src, dst in self.edges:
            self.pred[dst].append(src)
        self.order, self.delayed = self._schedule()
        self._infer_shapes()

    def _schedule(self):
        """Step order (reverse postorder of a depth-first search from the input) and
        the edges that close a cycle (delayed by one step)."""
        succ = {n: [] for n in self.nodes}
        for src, dst in self.edges:
            succ[src].append(dst)
        seen, active, post, delayed = set(), set(), [], set()

        def visit(n):                           # iterative: graphs may be deep
            stack = [(n, iter(succ[n]))]
            seen.add(n)
            active.add(n)
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    stack.pop()
                    active.discard(node)
                    post.append(node)
                elif nxt in active:
                    delayed.add((node, nxt))
                elif nxt not in seen:
                    seen.add(nxt)
                    active.add(nxt)
                    stack.append((nxt, iter(succ[nxt])))

        visit(self.input)
        unreached = [n for n in self.nodes if n not in seen]
        if unreached:
            raise InputError(f"nodes {unreached} cannot be reached from the input "
                             f"{self.input!r}")
        if self.output not in seen:
            raise InputError(f"the output {self.output!r} cannot be reached from the input")
        return post[::-1], delayed

    def _infer_shapes(self):
        pred = self.pred
        for name in self.order:
            node = self.nodes[name]
            if isinstance(node, Input):
                node.infer(node.shape)
                continue
            shapes = {self.nodes[s].out_shape for s in pred[name]
                      if (s, name) not in self.delayed}
            if len(shapes) != 1:
                raise InputError(f"node {name!r} ({type(node).__name__}) gets inputs of shapes "
                                 f"{sorted(shapes)}; a node's inputs must share one shape")
            try:
                node.infer(shapes.pop())
            except InputError as exc:
                raise InputError(f"node {name!r} ({type(node).__name__}) {exc}") from None
        for src, dst in self.delayed:
            if self.nodes[src].out_shape != self.nodes[dst].in_shape:
                raise InputError(f"the recurrent edge ({src!r}, {dst!r}) carries shape "
                                 f"{self.nodes[src].out_shape} into an input of shape "
                                 f"{self.nodes[dst].in_shape}")

    @property
    def in_shape(self):
        return self.nodes[self.input].out_shape

    @property
    def out_shape(self):
        return self.nodes[self.output].out_shape

    def matrices(self):
        """``{(node, group): matrix (n_in, n_out)}`` of every weight node."""
        return {(name, g): m for name, node in self.nodes.items() if node.weighted
                for g, m in enumerate(node.matrices())}

    def spike_source(self, name, input_spikes=False):
        """The node whose 0/1 events are the whole input of node ``name``, or None.

        That is a spiking node (or, with ``input_spikes``, the graph's input)
        reached through carriers (Flatten, Identity, Delay, Output), every node on
        the way with exactly one source: two spike trains summed are no longer
        0/1 events (a 1-bit row pulse cannot carry their 2).
        """
        seen = set()
        sources = self.pred[name]
        while len(sources) == 1 and sources[0] not in seen:
            p = sources[0]
            seen.add(p)
            node = self.nodes[p]
            if node.spiking or (input_spikes and isinstance(node, Input)):
                return p
            if not isinstance(node, _CARRIERS):
                return None
            sources = self.pred[p]
        return None

    def spike_driven(self, input_spikes=False):
        """Names of the weight nodes whose input is one source's spikes (1-bit row
        pulses; :meth:`spike_source`); ``input_spikes``: the graph's input is 0/1
        events too."""
        return {name for name, node in self.nodes.items()
                if node.weighted and self.spike_source(name, input_spikes) is not None}

    def _dirac_edges(self):
        """Edges on which a spiking node's events become ``1/dt`` in Dirac mode: every
        edge out of a node carrying them, except into a carrier that passes them on
        alone and into the output (which shows them as 0/1 events)."""
        carries = {n for n in self.nodes
                   if self.nodes[n].spiking or (isinstance(self.nodes[n], _CARRIERS)
                                                and self.spike_source(n) is not None)}
        return {(p, n) for n in self.nodes for p in self.pred[n] if p in carries
                and not isinstance(self.nodes[n], Output)
                and not (isinstance(self.nodes[n], _CARRIERS) and len(self.pred[n]) == 1)}

    def start(self, batch, dt, *, integrator="euler", spikes="step", synapses=None,
              record=None):
        """Put ``batch`` copies of the network at rest, to be advanced by :meth:`step`.

        Parameters are those of :meth:`run`; ``batch`` is the number of
        independent input sequences stepped together.
        """
        self._dt = check_scalar("dt", dt, low=0.0, low_inclusive=False)
        self._integrator = check_choice("integrator", integrator, INTEGRATORS)
        check_choice("spikes", spikes, SPIKE_MODES)
        batch = check_scalar("batch", batch, low=1, integer=True)
        self._backends = {key: DigitalSynapses(m) for key, m in self.matrices().items()}
        self._backends.update(synapses or {})
        self._record = record
        self._states = {n: node.init_state(batch) for n, node in self.nodes.items()}
        for name, node in self.nodes.items():
            if isinstance(node, Delay):
                self._states[name] = node.start(batch, self._dt)
        self._out = {n: np.zeros((batch, *node.out_shape)) for n, node in self.nodes.items()}
        self._dirac = self._dirac_edges() if spikes == "dirac" else set()
        self.spike_counts = {n: 0 for n, node in self.nodes.items() if node.spiking}
        self.input_events = dict.fromkeys(self._backends, 0)
        self.batch = batch

    def select(self, rows):
        """Keep only the sequences ``rows`` of the batch (e.g. episodes still running):
        their indices or a boolean mask over the batch."""
        self._check_started()
        rows = np.asarray(rows)
        if rows.size == 0:
            rows = rows.astype(int)
        if rows.dtype == bool:
            if rows.shape != (self.batch,):
                raise InputError(f"rows as a mask must have shape ({self.batch},), "
                                 f"got {rows.shape}")
            rows = np.flatnonzero(rows)
        elif rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer) or (
                rows.size and (rows.min() < 0 or rows.max() >= self.batch)):
            raise InputError(f"rows must be indices in [0, {self.batch - 1}] or a boolean mask "
                             f"of length {self.batch}, got {rows!r}")
        self._out = {n: v[rows] for n, v in self._out.items()}
        for name, state in self._states.items():
            if isinstance(state, dict):
                self._states[name] = {k: v[rows] for k, v in state.items()}
            elif state is not None:                                # a delay line
                self._states[name] = (state[0][:, rows], state[1])
        self.batch = len(rows)

    def step(self, x):
        """Advance the started network by one step under input ``x`` (batch, *in_shape);
        returns the output node's value (batch, *out_shape)."""
        self._check_started()
        x = check_array("x", x)
        if x.shape != (self.batch, *self.in_shape):
            raise InputError(f"x must have shape ({self.batch}, "
                             f"{', '.join(map(str, self.in_shape))}), got {x.shape}")
        prev = dict(self._out)                          # what delayed edges carry
        out = self._out
        for name in self.order:
            node = self.nodes[name]
            if isinstance(node, Input):
                out[name] = x
                continue
            u = 0.0
            for p in self.pred[name]:
                src = prev[p] if (p, name) in self.delayed else out[p]
                u = u + (src / self._dt if (p, name) in self._dirac else src)
            u = np.broadcast_to(u, (self.batch, *node.in_shape))
            if node.weighted:
                # nonzero inputs delivered to each matrix, once however often it is read
                parts = np.split(u, node.groups, axis=1) if isinstance(node, Conv) else (u,)
                for g, part in enumerate(parts):
                    self.input_events[(name, g)] += int(np.count_nonzero(part))
            out[name] = self._step(name, node, u, self._states, self._dt, self._integrator,
                                   self._backends, self._record)
            if node.spiking:
                self.spike_counts[name] += int(out[name].sum())
        return out[self.output]

    def _check_started(self):
        if getattr(self, "_states", None) is None:
            raise InputError("the network has not been started: call start(batch, dt) "
                             "before step or select")

    def run(self, x, dt, *, integrator="euler", spikes="step", synapses=None, record=None):
        """Step the network over an input sequence.

        Parameters
        ----------
        x : array_like, shape (batch, T, *in_shape)
        dt : float
            Time step (s), > 0.
        integrator : {"euler", "exact"}, default="euler"
        spikes : {"step", "dirac"}, default="step"
            A spike downstream is 1 for its step or ``1/dt`` (module notes).
        synapses : dict or None
            ``{(node, group): backend}`` for weight nodes; missing ones are float
            weights (:class:`memsim.snn.synapses.DigitalSynapses`).
        record : dict or None
            If given, filled with ``{(node, group): list of input arrays}``: what
            every weight node's matrix was read with (for calibration).

        Returns
        -------
        outputs : ndarray, shape (batch, T, *out_shape)
        spike_counts : dict of str to int
            Spikes emitted by every spiking node over the run.

        After the run, ``input_events`` holds ``{(node, group): count}``: the
        nonzero inputs delivered to every weight matrix, each once however many
        output positions read it.
        """
        x = check_array("x", x)
        if x.ndim < 2 or tuple(x.shape[2:]) != self.in_shape:
            raise InputError(f"x must have shape (batch, T, {', '.join(map(str, self.in_shape))}"
                             f"), got {x.shape}")
        self.start(len(x), dt, integrator=integrator, spikes=spikes, synapses=synapses,
                   record=record)
        trace = np.zeros((len(x), x.shape[1], *self.out_shape))
        for t in range(x.shape[1]):
            trace[:, t] = self.step(x[:, t])
        return trace, dict(self.spike_counts)

    def _step(self, name, node, u, states, dt, integrator, backends, record):
        if isinstance(node, (Output, Identity)):
            return u
        if isinstance(node, Affine):          # Linear too (its bias is None)
            if record is not None:
                record.setdefault((name, 0), []).append(u)
            y = backends[(name, 0)].propagate(u)
            return y + node.bias if node.bias is not None else y
        if isinstance(node, Conv):
            b = u.shape[0]
            per = node.weight.shape[0] // node.groups
            pos = node.positions
            y = np.empty((b, node.out_shape[0], pos))
            for g, cols in enumerate(node.patches(u)):
                if record is not None:
                    record.setdefault((name, g), []).append(cols)
                part = backends[(name, g)].propagate(cols)           # (B * P, per)
                y[:, g * per:(g + 1) * per] = part.reshape(b, pos, per).transpose(0, 2, 1)
            y = y.reshape(b, *node.out_shape)
            if node.bias is not None:
                y = y + node.bias.reshape(-1, *([1] * node.ndim))
            return y
        if isinstance(node, Scale):
            return u * node.scale
        if isinstance(node, Flatten):
            return u.reshape(u.shape[0], *node.out_shape)
        if isinstance(node, Pool2d):
            return node.apply(u)
        if isinstance(node, Threshold):
            return (u > node.threshold).astype(float)
        if isinstance(node, Delay):
            return node.advance(states, name, u)
        y, states[name] = node_step(node, states[name], u, dt, integrator)
        return y
