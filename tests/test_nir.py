"""NIR graphs in and out: a graph built with the nir API, saved and loaded, against the
same network written here in NumPy; refusal of nodes memsim cannot run; nested graphs;
the exported CartPole policy's actions over 100 episodes; a spiking CNN on PCM tiles
through the CLI, its convolution reads counted against the output positions."""

import copy
import json
import subprocess
import sys

import nir
import numpy as np
import pytest

from memsim.errors import InputError
from memsim.nir import from_nir
from memsim.nir.run import NIR_DEFAULTS, run_nir

RNG = np.random.default_rng(0)
N_IN, N, N_OUT, DT = 3, 6, 2, 1e-3


def _lif(n, tau=0.02, r=20.0, v_th=1.0):
    return nir.LIF(tau=np.full(n, tau), r=np.full(n, r), v_leak=np.zeros(n),
                   v_threshold=np.full(n, v_th))


def recurrent_graph(w_in, b_in, w_rec, w_out):
    nodes = {"input": nir.Input(np.array([N_IN])), "fc": nir.Affine(w_in, b_in),
             "lif": _lif(N), "rec": nir.Linear(w_rec), "out_w": nir.Linear(w_out),
             "li": nir.LI(tau=np.full(N_OUT, 0.01), r=np.ones(N_OUT), v_leak=np.zeros(N_OUT)),
             "output": nir.Output(np.array([N_OUT]))}
    edges = [("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"),
             ("lif", "out_w"), ("out_w", "li"), ("li", "output")]
    return nir.NIRGraph(nodes, edges)


def test_a_saved_nir_graph_runs_as_the_same_network_written_in_numpy(tmp_path):
    w_in, b_in = RNG.normal(size=(N, N_IN)), RNG.normal(size=N) * 0.1
    w_rec, w_out = RNG.normal(size=(N, N)) * 0.5, RNG.normal(size=(N_OUT, N))
    nir.write(str(tmp_path / "g.nir"), recurrent_graph(w_in, b_in, w_rec, w_out))
    x = RNG.uniform(0, 3, (2, 40, N_IN))
    y, counts = from_nir(tmp_path / "g.nir").run(x, DT)
    # forward Euler of each node's NIR equation; the loop carries last step's spikes
    v, z, vo = np.zeros((2, N)), np.zeros((2, N)), np.zeros((2, N_OUT))
    ref, spikes = [], 0
    for t in range(40):
        u = x[:, t] @ w_in.T + b_in + z @ w_rec.T
        v = v + DT / 0.02 * (-v + 20.0 * u)
        z = (v > 1.0).astype(float)
        v = np.where(z > 0, 0.0, v)
        spikes += z.sum()
        vo = vo + DT / 0.01 * (-vo + z @ w_out.T)
        ref.append(vo)
    np.testing.assert_allclose(y, np.stack(ref, axis=1), rtol=1e-12, atol=1e-12)
    assert counts == {"lif": spikes} and spikes > 0


def test_a_saved_grouped_convolution_loads_and_runs_as_the_direct_sum(tmp_path):
    # the nir package's own type check refuses grouped convolutions (it reads C_in from
    # the weight's C_in / groups); memsim loads them and checks shapes itself
    w, b = RNG.normal(size=(4, 1, 3, 3)), RNG.normal(size=4)
    graph = nir.NIRGraph(
        {"input": nir.Input(np.array([2, 6, 6])),
         "conv": nir.Conv2d(input_shape=(6, 6), weight=w, stride=1, padding=0, dilation=1,
                            groups=2, bias=b),
         "output": nir.Output(np.array([4, 4, 4]))},
        [("input", "conv"), ("conv", "output")], type_check=False)
    nir.write(str(tmp_path / "g.nir"), graph)
    x = RNG.normal(size=(1, 2, 2, 6, 6))
    y, _ = from_nir(tmp_path / "g.nir").run(x, DT)
    ref = np.zeros((4, 4, 4))
    for o in range(4):
        c = o // 2                                  # two output channels per group
        for i in range(4):
            for j in range(4):
                ref[o, i, j] = b[o] + np.sum(w[o, 0] * x[0, 1, c, i:i + 3, j:j + 3])
    np.testing.assert_allclose(y[0, 1], ref, rtol=1e-12, atol=1e-12)


def test_an_output_of_the_wrong_declared_shape_is_refused(tmp_path):
    graph = nir.NIRGraph({"input": nir.Input(np.array([3])),
                          "a": nir.Affine(np.ones((4, 3)), np.zeros(4)),
                          "output": nir.Output(np.array([7]))},
                         [("input", "a"), ("a", "output")], type_check=False)
    nir.write(str(tmp_path / "bad.nir"), graph)
    with pytest.raises(InputError, match="declares shape"):
        from_nir(tmp_path / "bad.nir")


def test_nested_subgraphs_are_inlined():
    w_in, b_in = RNG.normal(size=(N, N_IN)), np.zeros(N)
    inner = nir.NIRGraph.from_list(nir.Affine(w_in, b_in), _lif(N))
    outer = nir.NIRGraph({"input": nir.Input(np.array([N_IN])), "block": inner,
                          "output": nir.Output(np.array([N]))},
                         [("input", "block"), ("block", "output")], type_check=False)
    flat = nir.NIRGraph.from_list(nir.Affine(w_in, b_in), _lif(N))
    x = RNG.uniform(0, 3, (1, 20, N_IN))
    np.testing.assert_array_equal(from_nir(outer).run(x, DT)[0], from_nir(flat).run(x, DT)[0])


def test_a_node_memsim_cannot_run_is_refused_before_anything_runs():
    class Resonator(nir.NIRNode):            # a node type of some other framework
        def __init__(self):
            self.input_type = {"input": np.array([N])}
            self.output_type = {"output": np.array([N])}

    graph = nir.NIRGraph({"input": nir.Input(np.array([N])), "res": Resonator(),
                          "output": nir.Output(np.array([N]))},
                         [("input", "res"), ("res", "output")], type_check=False)
    with pytest.raises(InputError, match="node 'res' is a NIR Resonator"):
        from_nir(graph)
    bad = nir.NIRGraph.from_list(nir.Affine(np.ones((2, 3)), np.zeros(2)),
                                 nir.LIF(tau=np.full(3, 0.02), r=np.ones(3),
                                         v_leak=np.zeros(3), v_threshold=np.ones(3)),
                                 type_check=False)
    with pytest.raises(InputError, match="'lif'"):
        from_nir(bad)


def test_the_exported_cartpole_policy_takes_identical_actions(tmp_path):
    from memsim.nir.export import NirPolicy, export_policy
    from memsim.rl.train import load_policy, run_episodes
    agent, encoder, _ = load_policy("cartpole")
    export_policy(agent, tmp_path / "policy.nir")
    policy = NirPolicy(tmp_path / "policy.nir", agent.config.neuron.dt,
                       agent.config.steps_per_decision)

    class Logged:
        def __init__(self, inner):
            self.inner, self.actions = inner, []

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def decide(self, inputs, greedy=True, learn=False):
            a = self.inner.decide(inputs, greedy=greedy, learn=learn)
            self.actions.append(np.array(a))
            return a

    seeds = list(range(100))
    ours, theirs = Logged(agent), Logged(policy)
    r1, d1, _ = run_episodes("cartpole", encoder, ours, seeds, np.random.default_rng(1))
    r2, d2, _ = run_episodes("cartpole", encoder, theirs, seeds, np.random.default_rng(1))
    assert d1 == d2 and len(ours.actions) == len(theirs.actions)
    assert all(np.array_equal(a, b) for a, b in zip(ours.actions, theirs.actions))
    np.testing.assert_array_equal(r1, r2)
    # ALIF has no NIR primitive: refused with the reason
    from dataclasses import replace

    from memsim.nir.export import policy_graph
    agent.config = replace(agent.config, neuron=replace(agent.config.neuron, beta=0.5))
    with pytest.raises(InputError, match="ALIF"):
        policy_graph(agent)


def _cnn():
    rng = np.random.default_rng(1)

    def lif(*shape):
        return nir.LIF(tau=np.full(shape, 0.02), r=np.full(shape, 20.0),
                       v_leak=np.zeros(shape), v_threshold=np.ones(shape))

    return nir.NIRGraph.from_list(
        nir.Input(np.array([2, 34, 34])),
        nir.Conv2d((34, 34), rng.normal(size=(8, 2, 3, 3)) * 0.5, 2, 1, 1, 1, np.zeros(8)),
        lif(8, 17, 17),
        nir.Conv2d((17, 17), rng.normal(size=(16, 8, 3, 3)) * 0.5, 2, 1, 1, 1, np.zeros(16)),
        lif(16, 9, 9),
        nir.SumPool2d(np.array([3, 3]), np.array([3, 3]), np.array([0, 0])),
        nir.Flatten(np.array([16, 3, 3]), 0, -1),
        nir.Affine(rng.normal(size=(10, 144)) * 0.3, np.zeros(10)), lif(10))


def test_a_spiking_cnn_runs_on_pcm_tiles_through_the_cli(tmp_path):
    nir.write(str(tmp_path / "cnn.nir"), _cnn())
    x = (np.random.default_rng(2).uniform(size=(2, 12, 2, 34, 34)) < 0.1).astype(float)
    np.save(tmp_path / "x.npy", x)
    cmd = [sys.executable, "-m", "memsim", "nir", "run", str(tmp_path / "cnn.nir"), "--input",
           str(tmp_path / "x.npy"), "--dt", "1e-3", "--out", str(tmp_path / "run"), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    out = np.load(tmp_path / "run" / "outputs.npy")
    assert out.shape == (2, 12, 10)
    assert summary["cost"]["area"]["tiles"] == 3
    assert set(summary["cost"]["baselines"]) >= {"int8-dense", "int8-event", "loihi"}
    assert (tmp_path / "run" / "report.html").is_file()
    # each convolution's kernel matrix is read once per output position per step, and
    # its rows driven are the active input channels of every position's patch
    tiles = summary["tiles"]
    assert tiles["conv2d[0]"]["reads"] == 2 * 12 * 17 * 17
    assert tiles["conv2d_1[0]"]["reads"] == 2 * 12 * 9 * 9
    net = from_nir(tmp_path / "cnn.nir")
    patches = net.nodes["conv2d"].patches(x.reshape(-1, 2, 34, 34))[0]
    events = summary["cost"]["workload"]["active_inputs_per_step"][0] * 2 * 12
    assert events == pytest.approx(np.count_nonzero(patches), rel=1e-12)
    # spikes are routed once into each spike-driven matrix, not once per patch they sit
    # in: the input's events into conv2d and the first LIF's spikes into conv2d_1
    routed = summary["cost"]["analog"]["components"]["spike_routing"]["events"]
    assert routed == pytest.approx((np.count_nonzero(x) + summary["spikes"]["lif"]) / 2,
                                   rel=1e-12)
    loihi = summary["cost"]["baselines"]["loihi"]["components"]["spike_routing"]["events"]
    assert routed <= loihi < events / 2
    # the digital run of the same graph and input is beside it
    digital, _ = net.run(x, 1e-3)
    np.testing.assert_array_equal(np.load(tmp_path / "run" / "digital_outputs.npy"), digital)


def test_same_seed_same_run_and_the_input_shape_is_checked():
    config = copy.deepcopy(NIR_DEFAULTS)
    graph = recurrent_graph(RNG.normal(size=(N, N_IN)), np.zeros(N),
                            RNG.normal(size=(N, N)) * 0.5, RNG.normal(size=(N_OUT, N)))
    x = RNG.uniform(0, 3, (25, N_IN))                      # (T, n_in): no batch axis
    a = run_nir(graph, x, DT, config)
    b = run_nir(graph, x, DT, config)
    assert a["outputs"].shape == (25, N_OUT)
    np.testing.assert_array_equal(a["outputs"], b["outputs"])
    with pytest.raises(InputError, match="input must be"):
        run_nir(graph, np.ones((25, N_IN + 1)), DT, config)


def test_export_and_info_from_the_command_line(tmp_path):
    def memsim(*args):
        return subprocess.run([sys.executable, "-m", "memsim", *args], capture_output=True,
                              text=True, timeout=300)

    done = memsim("nir", "export", "cartpole", "--out", str(tmp_path / "p.nir"), "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(memsim("nir", "info", str(tmp_path / "p.nir"), "--json").stdout)
    assert info["input_shape"] == [32] and info["output_shape"] == [2]
    assert ["w_rec", "membrane"] in info["delayed_edges"]
    assert info["nodes"]["w_rec"]["matrices"] == [[100, 100]]
    bad = memsim("nir", "info", str(tmp_path / "missing.nir"))
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    bad = memsim("nir", "run", str(tmp_path / "p.nir"), "--input", str(tmp_path / "x.npy"),
                 "--dt", "1e-3", "--out", str(tmp_path / "r"))
    assert bad.returncode == 2 and not (tmp_path / "r").exists()


@pytest.mark.parametrize("scheme", ["differential", "reference"])
def test_info_counts_the_tiles_the_hardware_builds_sliced_weights_included(scheme):
    from memsim.hardware import HardwareConfig
    from memsim.nir.run import graph_info
    config = copy.deepcopy(NIR_DEFAULTS)
    config["tile"].update(rows=4, cols=6, scheme=scheme, weight_slices=3, slice_bits=2)
    w_in, b_in = RNG.normal(size=(N, N_IN)), np.zeros(N)
    network = from_nir(recurrent_graph(w_in, b_in, RNG.normal(size=(N, N)),
                                       RNG.normal(size=(N_OUT, N))))
    info = graph_info(network, config)
    hardware = HardwareConfig.from_config(config, config["device"])
    built = {name: sum(hardware.tiled_matrix(m, seed=0, spikes=True, x_max=1.0).n_tiles
                       for m in network.nodes[name].matrices())
             for name in ("fc", "rec", "out_w")}
    assert {name: info["nodes"][name]["tiles"] for name in built} == built
    assert info["tiles"] == sum(built.values())
    # 3 slices of 6 outputs on 3 (or 5) stored columns per tile: more than unsliced
    assert built["rec"] == 2 * -(-18 // (3 if scheme == "differential" else 5))
