"""Read a NIR graph into a memsim network, refusing what memsim cannot run before it runs.

Every node of the graph, nested subgraphs included, is translated to its
:mod:`memsim.snn.graph` counterpart; a node of another type stops the reading
with an error that names the node and its type, so that nothing runs on half
a graph. Nested subgraphs are inlined: their nodes are renamed
``outer.inner``, edges into the subgraph enter its Input node and edges out
of it leave its Output node (a subgraph with several inputs or outputs is
refused). Points where the NIR documentation leaves room, and memsim's
reading of each:

* Flatten's ``start_dim``/``end_dim`` index the node's unbatched input, as
  the nir package computes the output type.
* Convolution weights are (C_out, C_in/groups, k...); padding ``"same"``
  pads as PyTorch does (total ``dilation (k - 1)``, the extra one at the
  end) and needs stride 1; ``"valid"`` is no padding.
* AvgPool2d divides by the window's area, padding included (PyTorch's
  default); padding is zeros for both pools.
* A neuron's ``v_reset`` defaults to 0 (the nir package's default).
* Scalars given for per-neuron parameters are broadcast to the node's shape.
* A Delay of ``tau`` shifts by ``tau / dt`` steps, which must be whole; on a
  loop it adds to the loop's own step of delay.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..snn import graph as g

#: NIR node types memsim runs.
SUPPORTED = ("Input", "Output", "Identity", "Affine", "Linear", "Scale", "Conv1d", "Conv2d",
             "Flatten", "SumPool2d", "AvgPool2d", "Threshold", "Delay", "I", "IF", "LI",
             "LIF", "CubaLI", "CubaLIF", "NIRGraph")


def _nir():
    try:
        import nir
    except ImportError:
        raise InputError("reading NIR graphs needs the nir package: pip install "
                         "'memsim[nir]'") from None
    return nir


def load_graph(source):
    """A ``nir.NIRGraph`` from a file path or the graph itself."""
    nir = _nir()
    if isinstance(source, nir.NIRGraph):
        return source
    from pathlib import Path
    path = Path(source)
    if not path.is_file():
        raise InputError(f"NIR graph file {str(path)!r} does not exist")
    try:
        # memsim checks shapes itself (Network); the nir package's own check takes a
        # grouped convolution's input channels from its weight (C_in / groups) and refuses it
        return nir.read(str(path), type_check=False)
    except Exception as exc:     # h5py and nir raise many kinds on a malformed file
        raise InputError(f"{str(path)!r} is not a NIR graph the nir package can read: "
                         f"{type(exc).__name__}: {exc}") from None


def _arr(value, name, node):
    a = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(a)):
        raise InputError(f"node {node!r}: parameter {name} has non-finite values")
    return a


def _pair(value, ndim, name, node):
    a = np.atleast_1d(np.asarray(value)).astype(int).ravel()
    if a.size == 1:
        a = np.repeat(a, ndim)
    if a.size != ndim:
        raise InputError(f"node {node!r}: {name} {value!r} needs {ndim} value(s)")
    return tuple(int(v) for v in a)


def _conv(node, name, ndim):
    w = _arr(node.weight, "weight", name)
    if w.ndim != ndim + 2:
        raise InputError(f"node {name!r} (Conv{ndim}d): weight of shape {w.shape} is not "
                         f"(C_out, C_in/groups, {ndim} kernel dims)")
    ks = w.shape[2:]
    stride = _pair(node.stride, ndim, "stride", name)
    dilation = _pair(node.dilation, ndim, "dilation", name)
    if isinstance(node.padding, str):
        if node.padding == "valid":
            padding = (0,) * ndim
        elif node.padding == "same":
            if any(s != 1 for s in stride):
                raise InputError(f"node {name!r}: padding 'same' needs stride 1, got {stride}")
            totals = [d * (k - 1) for d, k in zip(dilation, ks)]
            if any(t % 2 for t in totals):
                raise InputError(f"node {name!r}: padding 'same' with an even kernel {ks} pads "
                                 f"unevenly, which memsim's convolution does not do")
            padding = tuple(t // 2 for t in totals)
        else:
            raise InputError(f"node {name!r}: padding {node.padding!r} is not 'same', 'valid' "
                             f"or integers")
    else:
        padding = _pair(node.padding, ndim, "padding", name)
    groups = int(node.groups)
    bias = _arr(node.bias, "bias", name) if node.bias is not None else None
    if bias is not None and bias.size == 1 and w.shape[0] > 1:
        bias = np.full(w.shape[0], float(bias.ravel()[0]))
    if bias is not None and bias.shape != (w.shape[0],):
        raise InputError(f"node {name!r}: bias of shape {bias.shape} is not (C_out,) = "
                         f"({w.shape[0]},)")
    return g.Conv(weight=w, bias=bias, stride=stride, padding=padding, dilation=dilation,
                  groups=groups)


def _neuron(node, name, kind):
    fields = {"I": ("r",), "IF": ("r", "v_threshold", "v_reset"),
              "LI": ("tau", "r", "v_leak"), "LIF": ("tau", "r", "v_leak", "v_threshold",
                                                     "v_reset"),
              "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
              "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "w_in", "v_threshold",
                          "v_reset")}[kind]
    values = {}
    for f in fields:
        v = getattr(node, f, None)
        values[f] = None if v is None else _arr(v, f, name)
    shape = np.broadcast_shapes(*(v.shape for v in values.values() if v is not None))
    for f, v in values.items():
        default = 0.0 if f == "v_reset" else 1.0 if f == "w_in" else None
        values[f] = np.broadcast_to(v if v is not None else default, shape).astype(float)
    for f in ("tau", "tau_syn", "tau_mem"):
        if f in values and np.any(values[f] <= 0):
            raise InputError(f"node {name!r} ({kind}): {f} must be > 0 s everywhere")
    return getattr(g, kind)(**values)


def translate(node, name):
    """The memsim node of one NIR node (not a subgraph)."""
    nir = _nir()
    kind = type(node).__name__
    if kind not in SUPPORTED:
        raise InputError(f"node {name!r} is a NIR {kind}, which memsim cannot run (it runs "
                         f"{', '.join(SUPPORTED[:-1])} and nested graphs); nothing was run")
    if isinstance(node, nir.Input):
        return g.Input(shape=tuple(int(s) for s in np.atleast_1d(node.input_type["input"])))
    if isinstance(node, nir.Output):
        return g.Output()
    if kind == "Identity":
        return g.Identity()
    if isinstance(node, nir.Affine):
        w = _arr(node.weight, "weight", name)
        if w.ndim != 2:
            raise InputError(f"node {name!r} (Affine): weight of shape {w.shape} is not 2-D")
        b = _arr(node.bias, "bias", name)
        return g.Affine(weight=w, bias=np.broadcast_to(b, (w.shape[0],)).copy())
    if isinstance(node, nir.Linear):
        w = _arr(node.weight, "weight", name)
        if w.ndim != 2:
            raise InputError(f"node {name!r} (Linear): weight of shape {w.shape} is not 2-D")
        return g.Linear(weight=w)
    if isinstance(node, nir.Scale):
        return g.Scale(scale=_arr(node.scale, "scale", name))
    if isinstance(node, nir.Conv1d):
        return _conv(node, name, 1)
    if isinstance(node, nir.Conv2d):
        return _conv(node, name, 2)
    if isinstance(node, nir.Flatten):
        return g.Flatten(start_dim=int(node.start_dim), end_dim=int(node.end_dim))
    if isinstance(node, (nir.SumPool2d, nir.AvgPool2d)):
        return g.Pool2d(kernel_size=_pair(node.kernel_size, 2, "kernel_size", name),
                        stride=_pair(node.stride, 2, "stride", name),
                        padding=_pair(node.padding, 2, "padding", name),
                        mean=isinstance(node, nir.AvgPool2d))
    if isinstance(node, nir.Threshold):
        return g.Threshold(threshold=_arr(node.threshold, "threshold", name))
    if isinstance(node, nir.Delay):
        return g.Delay(delay=_arr(node.delay, "delay", name))
    return _neuron(node, name, kind)


def _inline(graph, prefix=""):
    """Nodes and edges of ``graph`` with nested subgraphs inlined (module notes)."""
    nir = _nir()
    nodes, edges, ports = {}, [], {}
    for name, node in graph.nodes.items():
        full = prefix + name
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges, _ = _inline(node, full + ".")
            ins = [n for n, v in node.nodes.items() if isinstance(v, nir.Input)]
            outs = [n for n, v in node.nodes.items() if isinstance(v, nir.Output)]
            if len(ins) != 1 or len(outs) != 1:
                raise InputError(f"subgraph {full!r} has {len(ins)} Input and {len(outs)} "
                                 f"Output nodes; memsim inlines subgraphs with one of each")
            # the subgraph's ports become identities inside the outer graph
            for port in (ins[0], outs[0]):
                sub_nodes[f"{full}.{port}"] = g.Identity()
            nodes.update(sub_nodes)
            edges += sub_edges
            ports[name] = (f"{full}.{ins[0]}", f"{full}.{outs[0]}")
        else:
            nodes[full] = translate(node, full)
    for src, dst in graph.edges:
        s = ports[src][1] if src in ports else prefix + src
        d = ports[dst][0] if dst in ports else prefix + dst
        edges.append((s, d))
    return nodes, edges, ports


def from_nir(source):
    """A :class:`memsim.snn.graph.Network` from a NIR graph (file path or
    ``nir.NIRGraph``), every node checked before anything runs.

    Raises
    ------
    InputError
        A node memsim cannot run (named, with its type), a malformed graph, or
        inconsistent shapes.
    """
    nir = _nir()
    graph = load_graph(source)
    nodes, edges, _ = _inline(graph)
    network = g.Network(nodes, edges)
    # the file is read without the nir package's type check (module notes on
    # load_graph): the output's declared shape is checked here instead
    for name, node in graph.nodes.items():
        if isinstance(node, nir.Output):
            declared = tuple(int(v) for v in np.atleast_1d(
                next(iter(node.output_type.values()), [])))
            if declared and declared != network.out_shape:
                raise InputError(f"the Output node {name!r} declares shape {declared}, but the "
                                 f"graph gives it {network.out_shape}")
    return network
