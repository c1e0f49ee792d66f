"""Speed of NIR graph networks: memsim's graph stepping against plain NumPy of the same step.

What is measured
----------------
Two graphs, built in memory (no nir package needed) with fixed seeds:

* recurrent LIF: 64 inputs -> Affine -> 256 LIF with a recurrent Linear -> Linear -> 10 LI,
  batch 32, 200 steps of forward Euler;
* spiking CNN: 2 x 34 x 34 events -> Conv2d 8 (3x3, stride 2, pad 1) -> LIF -> Conv2d 16
  -> LIF -> SumPool2d 3 -> Flatten -> Affine 10 -> LIF, batch 8, 30 steps.

Each is run with float weights by :meth:`memsim.snn.graph.Network.run` (the graph
interpreter: node order, edge sums, per-node steps; convolutions by im2col and one matrix
product per group) and by a plain NumPy loop of the same equations written here for that
one network (convolutions by the same im2col in NumPy strides). Printed: wall times (best
of 3), the ratio (graph time / plain time: the interpreter's overhead), steps per second,
and the largest difference of the two outputs (0 expected: the same arithmetic). The CNN is
also run on PCM tiles (1 s after programming, :func:`memsim.nir.run_nir`), timed against
its digital run. Nothing is asserted.

Usage
-----
::

    python benchmarks/bench_nir.py [--quick] [--json]

``--quick`` runs a tenth of the steps.
"""

from __future__ import annotations

import copy

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import _common  # benchmarks/ is on sys.path when run as a script
from _common import best_time
from memsim.nir.run import NIR_DEFAULTS, run_nir
from memsim.snn import graph as g

DT, TAU, R = 1e-3, 0.02, 20.0


def _lif(*shape):
    return g.LIF(tau=np.full(shape, TAU), r=np.full(shape, R), v_leak=np.zeros(shape),
                 v_threshold=np.ones(shape), v_reset=np.zeros(shape))


def recurrent(rng):
    w_in, w_rec = rng.normal(0, 0.25, (256, 64)), rng.normal(0, 0.06, (256, 256))
    w_out = rng.normal(0, 0.06, (10, 256))
    nodes = {"in": g.Input(shape=(64,)), "fc": g.Affine(weight=w_in, bias=np.zeros(256)),
             "lif": _lif(256), "rec": g.Linear(weight=w_rec), "ro": g.Linear(weight=w_out),
             "li": g.LI(tau=np.full(10, 0.01), r=np.ones(10), v_leak=np.zeros(10)),
             "out": g.Output()}
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "ro"),
             ("ro", "li"), ("li", "out")]

    def plain(x):
        b, steps = x.shape[:2]
        v, z, vo = np.zeros((b, 256)), np.zeros((b, 256)), np.zeros((b, 10))
        out = np.empty((b, steps, 10))
        for t in range(steps):
            u = x[:, t] @ w_in.T + z @ w_rec.T
            v = v + DT / TAU * (-v + R * u)
            z = (v > 1.0).astype(float)
            v = np.where(z > 0, 0.0, v)
            vo = vo + DT / 0.01 * (-vo + z @ w_out.T)
            out[:, t] = vo
        return out

    return g.Network(nodes, edges), plain


def _conv(u, w, stride, pad):
    """Plain NumPy convolution (C_out, C_in, 3, 3): windows by strides, one einsum."""
    up = np.pad(u, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    win = sliding_window_view(up, (3, 3), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("bchwij,ocij->bohw", win, w, optimize=True)


def cnn(rng):
    k1, k2 = rng.normal(0, 0.5, (8, 2, 3, 3)), rng.normal(0, 0.5, (16, 8, 3, 3))
    w_fc = rng.normal(0, 0.3, (10, 144))
    names = ["c1", "l1", "c2", "l2", "pool", "flat", "fc", "l3"]
    conv = dict(bias=None, stride=(2, 2), padding=(1, 1), dilation=(1, 1))
    nodes = dict(zip(names, [
        g.Conv(weight=k1, **conv), _lif(8, 17, 17), g.Conv(weight=k2, **conv), _lif(16, 9, 9),
        g.Pool2d(kernel_size=(3, 3), stride=(3, 3), padding=(0, 0)), g.Flatten(),
        g.Affine(weight=w_fc, bias=np.zeros(10)), _lif(10)]))
    order = ["in", *names, "out"]
    network = g.Network({"in": g.Input(shape=(2, 34, 34)), **nodes, "out": g.Output()},
                        list(zip(order[:-1], order[1:])))

    def plain(x):
        b, steps = x.shape[:2]
        v1, v2, v3 = np.zeros((b, 8, 17, 17)), np.zeros((b, 16, 9, 9)), np.zeros((b, 10))
        out = np.empty((b, steps, 10))

        def lif(v, u):
            v = v + DT / TAU * (-v + R * u)
            z = (v > 1.0).astype(float)
            return np.where(z > 0, 0.0, v), z

        for t in range(steps):
            v1, z1 = lif(v1, _conv(x[:, t], k1, 2, 1))
            v2, z2 = lif(v2, _conv(z1, k2, 2, 1))
            pooled = z2.reshape(b, 16, 3, 3, 3, 3).sum(axis=(3, 5))
            v3, out[:, t] = lif(v3, pooled.reshape(b, 144) @ w_fc.T)
        return out

    return network, plain


def run(quick=False):
    rng = np.random.default_rng(0)
    out = {"graphs": {}}
    cases = {"recurrent LIF 64-256-10": (recurrent(rng), rng.uniform(0, 2, (32, 200, 64))),
             "spiking CNN 2x34x34": (cnn(rng),
                                     (rng.uniform(size=(8, 30, 2, 34, 34)) < 0.1) * 1.0)}
    for name, ((network, plain), x) in cases.items():
        if quick:
            x = x[:, :max(x.shape[1] // 10, 3)]
        t_graph, (y_graph, _) = best_time(lambda: network.run(x, DT), 3)
        t_plain, y_plain = best_time(lambda: plain(x), 3)
        steps = x.shape[0] * x.shape[1]
        out["graphs"][name] = {"batch": x.shape[0], "steps": x.shape[1], "graph_s": t_graph,
                               "plain_numpy_s": t_plain, "ratio": t_graph / t_plain,
                               "sequence_steps_per_s": steps / t_graph,
                               "max_abs_diff": float(np.abs(y_graph - y_plain).max())}
    network, _ = cnn(np.random.default_rng(0))
    x = cases["spiking CNN 2x34x34"][1][:, :3 if quick else 30]
    t_tiles, _ = best_time(lambda: run_nir(network, x, DT, copy.deepcopy(NIR_DEFAULTS)), 1)
    t_dig, _ = best_time(lambda: run_nir(network, x, DT, copy.deepcopy(NIR_DEFAULTS),
                                         digital_only=True), 1)
    out["cnn_on_tiles"] = {"tiles_and_digital_s": t_tiles, "digital_s": t_dig,
                           "ratio": t_tiles / t_dig}
    return out


def format_report(res):
    lines = [f"{'graph':26s} {'batch x T':>10s} {'graph s':>8s} {'numpy s':>8s} "
             f"{'ratio':>6s} {'steps/s':>9s} {'max diff':>9s}"]
    for name, r in res["graphs"].items():
        lines.append(f"{name:26s} {r['batch']:>4d} x {r['steps']:<4d} {r['graph_s']:8.3f} "
                     f"{r['plain_numpy_s']:8.3f} {r['ratio']:6.2f} "
                     f"{r['sequence_steps_per_s']:9.3g} {r['max_abs_diff']:9.1e}")
    c = res["cnn_on_tiles"]
    lines.append(f"spiking CNN, run_nir on PCM tiles (with its digital run and calibration): "
                 f"{c['tiles_and_digital_s']:.2f} s against {c['digital_s']:.2f} s digital "
                 f"alone ({c['ratio']:.1f}x)")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(_common.main(__doc__, run, format_report, "a tenth of the steps"))
