"""Graph networks (the NIR primitives): every node's step against a NumPy reference
written here apart from memsim.snn.graph, the exact integrator against a matrix
exponential, LIF and CubaLIF against the analytic solution of their equations, and
the one-step delay of a recurrent loop."""

import numpy as np
import pytest
from scipy.linalg import expm

from memsim.errors import InputError
from memsim.snn import graph as g

RNG = np.random.default_rng(0)


def chain(*nodes, in_shape):
    """Input -> nodes... -> Output."""
    names = [f"n{k}" for k in range(len(nodes))]
    all_nodes = {"in": g.Input(shape=in_shape), **dict(zip(names, nodes)), "out": g.Output()}
    order = ["in", *names, "out"]
    return g.Network(all_nodes, list(zip(order[:-1], order[1:])))


def conv_reference(u, w, b, stride, padding, dilation, groups):
    """Direct sum over output positions, channels and kernel taps (any 1 or 2 spatial dims)."""
    nd = w.ndim - 2
    c_out, c_g = w.shape[:2]
    up = np.pad(u, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    out_sz = [(n + 2 * p - d * (k - 1) - 1) // s + 1
              for n, k, s, p, d in zip(u.shape[2:], w.shape[2:], stride, padding, dilation)]
    y = np.zeros((u.shape[0], c_out, *out_sz))
    per = c_out // groups
    for o in range(c_out):
        grp = o // per
        for pos in np.ndindex(*out_sz):
            acc = np.zeros(u.shape[0]) + (b[o] if b is not None else 0.0)
            for c in range(c_g):
                for tap in np.ndindex(*w.shape[2:]):
                    idx = tuple(pp * s + t * d for pp, s, t, d in zip(pos, stride, tap, dilation))
                    acc += w[(o, c) + tap] * up[(slice(None), grp * c_g + c) + idx]
            y[(slice(None), o) + pos] = acc
    return y


@pytest.mark.parametrize("case", [
    dict(c_in=2, c_out=4, k=(3, 3), n=(9, 8), stride=(2, 1), padding=(1, 0), dilation=(1, 1),
         groups=1),
    dict(c_in=4, c_out=6, k=(2, 3), n=(7, 7), stride=(1, 2), padding=(0, 2), dilation=(2, 1),
         groups=2),
    dict(c_in=3, c_out=3, k=(3,), n=(11,), stride=(2,), padding=(2,), dilation=(2,), groups=3),
], ids=["conv2d", "conv2d-groups-dilation", "conv1d-depthwise"])
def test_conv_equals_the_direct_sum(case):
    w = RNG.normal(size=(case["c_out"], case["c_in"] // case["groups"], *case["k"]))
    b = RNG.normal(size=case["c_out"])
    node = g.Conv(weight=w, bias=b, stride=case["stride"], padding=case["padding"],
                  dilation=case["dilation"], groups=case["groups"])
    u = RNG.normal(size=(2, 1, case["c_in"], *case["n"]))
    y, _ = chain(node, in_shape=(case["c_in"], *case["n"])).run(u, 1e-3)
    ref = conv_reference(u[:, 0], w, b, case["stride"], case["padding"], case["dilation"],
                         case["groups"])
    np.testing.assert_allclose(y[:, 0], ref, rtol=1e-12, atol=1e-12)
    # the kernel is stored once per group and read once per output position
    assert sum(m.size for m in node.matrices()) == w.size
    assert node.positions == int(np.prod(ref.shape[2:]))


@pytest.mark.parametrize("mean", [False, True])
def test_pools_flatten_scale_threshold_affine(mean):
    u = RNG.normal(size=(3, 1, 2, 7, 6))
    pool = g.Pool2d(kernel_size=(3, 2), stride=(2, 2), padding=(1, 0), mean=mean)
    y, _ = chain(pool, in_shape=(2, 7, 6)).run(u, 1e-3)
    up = np.pad(u[:, 0], [(0, 0), (0, 0), (1, 1), (0, 0)])
    ref = np.zeros((3, 2, 4, 3))
    for i in range(4):
        for j in range(3):
            ref[:, :, i, j] = up[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 2].sum(axis=(2, 3))
    np.testing.assert_allclose(y[:, 0], ref / 6 if mean else ref, rtol=1e-12)
    w, b, s = RNG.normal(size=(5, 12)), RNG.normal(size=5), RNG.normal(size=5)
    net = chain(g.Flatten(start_dim=0, end_dim=-1), g.Affine(weight=w, bias=b), g.Scale(scale=s),
                g.Threshold(threshold=np.full(5, 0.1)), in_shape=(3, 4))
    x = RNG.normal(size=(4, 2, 3, 4))
    y, counts = net.run(x, 1e-3)
    ref = ((x.reshape(4, 2, 12) @ w.T + b) * s > 0.1).astype(float)
    np.testing.assert_array_equal(y, ref)
    assert counts["n3"] == ref.sum()


def _lif(shape, **kw):
    p = dict(tau=np.full(shape, 0.02), r=np.full(shape, 2.0), v_leak=np.full(shape, 0.1),
             v_threshold=np.full(shape, 1e9), v_reset=np.zeros(shape))
    p.update(kw)
    return p


def test_neuron_steps_equal_their_reference_formulas():
    dt, n, steps = 1e-3, 4, 30
    u = RNG.uniform(-1, 2, (1, steps, n))
    tau, r, vl = RNG.uniform(0.005, 0.05, n), RNG.uniform(0.5, 2, n), RNG.normal(size=n)
    ts, tm, w_in = RNG.uniform(0.002, 0.01, n), RNG.uniform(0.01, 0.04, n), RNG.normal(size=n)
    for integrator in ("euler", "exact"):
        # LI / I
        y, _ = chain(g.LI(tau=tau, r=r, v_leak=vl), in_shape=(n,)).run(u, dt,
                                                                       integrator=integrator)
        yi, _ = chain(g.I(r=r), in_shape=(n,)).run(u, dt, integrator=integrator)
        yc, _ = chain(g.CubaLI(tau_syn=ts, tau_mem=tm, r=r, v_leak=vl, w_in=w_in),
                      in_shape=(n,)).run(u, dt, integrator=integrator)
        v, vi, x = np.zeros(n), np.zeros(n), np.zeros((n, 2))        # x = (I, v)
        for t in range(steps):
            ut = u[0, t]
            vi = vi + dt * r * ut
            if integrator == "euler":
                v = v + dt / tau * (vl - v + r * ut)
                x = np.stack([x[:, 0] + dt / ts * (-x[:, 0] + w_in * ut),
                              x[:, 1] + dt / tm * (vl - x[:, 1] + r * x[:, 0])], axis=1)
            else:
                v = vl + r * ut + (v - vl - r * ut) * np.exp(-dt / tau)
                for k in range(n):      # d(I, v)/dt = A (I, v) + c, held input: expm
                    a = np.array([[-1 / ts[k], 0.0], [r[k] / tm[k], -1 / tm[k]]])
                    c = np.array([w_in[k] * ut[k] / ts[k], vl[k] / tm[k]])
                    e = expm(a * dt)
                    x[k] = e @ x[k] + np.linalg.solve(a, (e - np.eye(2)) @ c)
            np.testing.assert_allclose(y[0, t], v, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(yi[0, t], vi, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(yc[0, t], x[:, 1], rtol=1e-10, atol=1e-12)
    # spiking versions emit where the state crossed and reset: IF by hand
    yf, counts = chain(g.IF(r=np.ones(2), v_threshold=np.array([1.0, 0.5]),
                            v_reset=np.array([0.0, -0.2])),
                       in_shape=(2,)).run(np.full((1, 10, 2), 300.0), dt)
    v, spikes = np.zeros(2), []
    for _ in range(10):
        v = v + dt * 300.0
        z = v > np.array([1.0, 0.5])
        v = np.where(z, np.array([0.0, -0.2]), v)
        spikes.append(z.astype(float))
    np.testing.assert_array_equal(yf[0], spikes)
    assert counts["n0"] == np.sum(spikes)


def test_lif_and_cubalif_follow_the_analytic_solution_within_the_integrators_order():
    # constant input below threshold: tau dv/dt = v_leak - v + R u, v(0) = 0
    tau, r, vl, u, t_end = 0.02, 2.0, 0.1, 0.3, 0.05
    v_inf = vl + r * u
    analytic = v_inf * (1 - np.exp(-t_end / tau))
    errors = []
    for dt in (1e-3, 5e-4, 2.5e-4):
        steps = int(round(t_end / dt))
        y_exact, _ = chain(g.LI(tau=np.array([tau]), r=np.array([r]), v_leak=np.array([vl])),
                           in_shape=(1,)).run(np.full((1, steps, 1), u), dt, integrator="exact")
        y_euler, _ = chain(g.LI(tau=np.array([tau]), r=np.array([r]), v_leak=np.array([vl])),
                           in_shape=(1,)).run(np.full((1, steps, 1), u), dt)
        assert y_exact[0, -1, 0] == pytest.approx(analytic, rel=1e-12)
        errors.append(abs(y_euler[0, -1, 0] - analytic))
    # forward Euler is first order: halving dt halves the error
    assert errors[0] / errors[1] == pytest.approx(2.0, rel=0.05)
    assert errors[1] / errors[2] == pytest.approx(2.0, rel=0.05)
    # CubaLI: tau_s dI/dt = -I + w u, tau_m dv/dt = v_leak - v + R I from rest
    ts, tm, w = 0.005, 0.02, 1.5
    i_inf = w * u
    analytic = (vl * (1 - np.exp(-t_end / tm)) + r * i_inf * (
        1 - (tm * np.exp(-t_end / tm) - ts * np.exp(-t_end / ts)) / (tm - ts)))
    errors = []
    for dt in (1e-3, 5e-4):
        node = dict(tau_syn=np.array([ts]), tau_mem=np.array([tm]), r=np.array([r]),
                    v_leak=np.array([vl]), w_in=np.array([w]))
        steps = int(round(t_end / dt))
        x = np.full((1, steps, 1), u)
        ye, _ = chain(g.CubaLI(**node), in_shape=(1,)).run(x, dt, integrator="exact")
        assert ye[0, -1, 0] == pytest.approx(analytic, rel=1e-12)
        yf, _ = chain(g.CubaLI(**node), in_shape=(1,)).run(x, dt)
        errors.append(abs(yf[0, -1, 0] - analytic))
    assert errors[0] / errors[1] == pytest.approx(2.0, rel=0.1)
    # CubaLIF fires first at the step where the analytic v first exceeds threshold
    theta, dt = 0.4, 1e-4
    steps = int(round(t_end / dt))
    node = g.CubaLIF(tau_syn=np.array([ts]), tau_mem=np.array([tm]), r=np.array([r]),
                     v_leak=np.array([vl]), w_in=np.array([w]), v_threshold=np.array([theta]),
                     v_reset=np.zeros(1))
    z, _ = chain(node, in_shape=(1,)).run(np.full((1, steps, 1), u), dt, integrator="exact")
    t = dt * np.arange(1, steps + 1)
    v = (vl * (1 - np.exp(-t / tm)) + r * i_inf * (
        1 - (tm * np.exp(-t / tm) - ts * np.exp(-t / ts)) / (tm - ts)))
    assert int(np.argmax(z[0, :, 0] > 0)) == int(np.argmax(v > theta))
    # above threshold, LIF fires with the analytic period tau ln(v_inf / (v_inf - theta))
    theta, dt = 0.5, 1e-5
    lif = g.LIF(**_lif((1,), tau=np.array([tau]), r=np.array([r]), v_leak=np.array([vl]),
                       v_threshold=np.array([theta])))
    steps = int(round(0.2 / dt))
    _, counts = chain(lif, in_shape=(1,)).run(np.full((1, steps, 1), u), dt, integrator="exact")
    period = tau * np.log(v_inf / (v_inf - theta))
    assert abs(counts["n0"] - 0.2 / period) <= 1.0


def test_a_recurrent_loop_carries_one_step_of_delay():
    # y_t = x_t + w y_{t-1}: the loop edge (lin -> sum) is the delayed one
    w = 0.5
    net = g.Network({"in": g.Input(shape=(1,)), "sum": g.Identity(),
                     "lin": g.Linear(weight=np.array([[w]])), "out": g.Output()},
                    [("in", "sum"), ("sum", "lin"), ("lin", "sum"), ("sum", "out")])
    assert net.delayed == {("lin", "sum")}
    x = RNG.normal(size=(1, 12, 1))
    y, _ = net.run(x, 1e-3)
    ref, prev = [], 0.0
    for t in range(12):
        prev = x[0, t, 0] + w * prev
        ref.append(prev)
    np.testing.assert_allclose(y[0, :, 0], ref, rtol=1e-14)


def test_dirac_spikes_carry_one_over_dt():
    # a Threshold's spike into an integrator: 1 per step or 1/dt (unit area)
    net = chain(g.Threshold(threshold=np.zeros(1)), g.I(r=np.ones(1)), in_shape=(1,))
    x = np.ones((1, 3, 1))
    step, _ = net.run(x, 1e-3)
    dirac, _ = net.run(x, 1e-3, spikes="dirac")
    np.testing.assert_allclose(step[0, :, 0], [1e-3, 2e-3, 3e-3], rtol=1e-14)
    np.testing.assert_allclose(dirac[0, :, 0], [1.0, 2.0, 3.0], rtol=1e-14)
    # the output of a spiking node is its 0/1 events either way
    spikes = chain(g.Threshold(threshold=np.zeros(1)), in_shape=(1,))
    np.testing.assert_array_equal(spikes.run(x, 1e-3, spikes="dirac")[0], x)


def test_bad_graphs_and_inputs_are_refused():
    with pytest.raises(InputError, match="'nope'"):
        g.Network({"in": g.Input(shape=(2,)), "out": g.Output()}, [("in", "nope")])
    with pytest.raises(InputError, match="shape"):
        chain(g.Affine(weight=np.ones((3, 4)), bias=np.zeros(3)), in_shape=(2,))
    net = chain(g.Identity(), in_shape=(2,))
    with pytest.raises(InputError, match="x must have shape"):
        net.run(np.ones((1, 3, 3)), 1e-3)
    with pytest.raises(InputError, match="dt"):
        net.run(np.ones((1, 3, 2)), 0.0)
    with pytest.raises(InputError, match="integrator"):
        net.run(np.ones((1, 3, 2)), 1e-3, integrator="rk4")


def test_delay_shifts_by_whole_steps_and_select_keeps_rows():
    net = chain(g.Delay(delay=np.array([0.0, 2e-3, 3e-3])), in_shape=(3,))
    x = RNG.normal(size=(2, 8, 3))
    y, _ = net.run(x, 1e-3)
    for i, n in enumerate((0, 2, 3)):
        np.testing.assert_array_equal(y[:, n:, i], x[:, :8 - n, i])
        assert np.all(y[:, :n, i] == 0.0)
    with pytest.raises(InputError, match="whole number of steps"):
        net.run(x, 0.7e-3)
    # stepping a batch, then dropping a row, continues the kept rows unchanged
    lif = g.LIF(**_lif((2,), v_threshold=np.full(2, 0.05)))
    net = chain(lif, in_shape=(2,))
    xs = RNG.uniform(0, 2, (3, 6, 2))
    full, _ = net.run(xs, 1e-3)
    net.start(3, 1e-3)
    for t in range(3):
        net.step(xs[:, t])
    net.select([0, 2])
    for t in range(3, 6):
        np.testing.assert_array_equal(net.step(xs[[0, 2], t]), full[[0, 2], t])


def test_dirac_spikes_through_carriers_reach_the_output_as_events():
    # Threshold -> Flatten -> Identity -> Delay -> Output: still the 0/1 events
    thr = g.Threshold(threshold=np.zeros((1, 2)))
    net = chain(thr, g.Flatten(start_dim=0), g.Identity(), g.Delay(delay=np.zeros(2)),
                in_shape=(1, 2))
    x = RNG.integers(0, 2, (1, 5, 1, 2)).astype(float)
    y, _ = net.run(x, 1e-3, spikes="dirac")
    np.testing.assert_array_equal(y, x.reshape(1, 5, 2))
    # ... and into an integrator through the same carriers, as 1/dt
    net = chain(g.Threshold(threshold=np.zeros(1)), g.Identity(), g.I(r=np.ones(1)),
                in_shape=(1,))
    np.testing.assert_allclose(net.run(np.ones((1, 3, 1)), 1e-3, spikes="dirac")[0][0, :, 0],
                               [1.0, 2.0, 3.0], rtol=1e-14)


def test_a_weight_node_fed_by_two_spike_trains_is_not_spike_driven():
    def nodes(*extra):
        return {"in": g.Input(shape=(2,)), "a": g.Threshold(threshold=np.zeros(2)),
                "b": g.Threshold(threshold=np.zeros(2)), **{n: g.Identity() for n in extra},
                "lin": g.Linear(weight=np.ones((1, 2))), "out": g.Output()}

    two = g.Network(nodes(), [("in", "a"), ("in", "b"), ("a", "lin"), ("b", "lin"),
                              ("lin", "out")])
    assert two.spike_source("lin") is None and two.spike_driven() == set()
    via = g.Network(nodes("sum"), [("in", "a"), ("in", "b"), ("a", "sum"), ("b", "sum"),
                                   ("sum", "lin"), ("lin", "out")])
    assert via.spike_driven() == set()
    one = chain(g.Threshold(threshold=np.zeros(2)), g.Identity(), g.Linear(weight=np.ones((1, 2))),
                in_shape=(2,))
    assert one.spike_driven() == {"n2"} and one.spike_source("n2") == "n0"
    # the input counts as a spike source only when it is 0/1 events
    direct = chain(g.Linear(weight=np.ones((1, 2))), in_shape=(2,))
    assert direct.spike_driven() == set() and direct.spike_driven(True) == {"n0"}


def test_step_and_select_check_their_input():
    net = chain(g.LIF(**_lif((2,))), in_shape=(2,))
    with pytest.raises(InputError, match="start"):
        net.step(np.zeros((1, 2)))
    net.start(3, 1e-3)
    with pytest.raises(InputError, match="x"):
        net.step(np.array([[0.0, np.nan]] * 3))
    xs = RNG.uniform(0, 2, (3, 4, 2))
    full, _ = net.run(xs, 1e-3)
    net.start(3, 1e-3)
    for t in range(2):
        net.step(xs[:, t])
    net.select(np.array([True, False, True]))          # a mask keeps rows 0 and 2
    assert net.batch == 2
    for t in range(2, 4):
        np.testing.assert_array_equal(net.step(xs[[0, 2], t]), full[[0, 2], t])
    with pytest.raises(InputError, match="mask"):
        net.select(np.array([True, False, True]))        # the batch is 2 now
    with pytest.raises(InputError, match="rows"):
        net.select([0, 5])
