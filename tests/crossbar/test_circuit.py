"""Circuit solvers against a direct sparse solve, Kirchhoff's law and closed forms."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from memsim.crossbar import ConvergenceError, Crossbar, Wires
from memsim.crossbar import _reference as ref
from memsim.devices.iv import Ohmic, Sinh, milo2021
from memsim.errors import InputError


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.fixture(scope="module")
def strong_ir():
    """128 x 128, 10 ohm segments, 10 kOhm - 1 MOhm devices: strong IR drop."""
    rng = np.random.default_rng(7)
    g = 1.0 / rng.uniform(1e4, 1e6, (128, 128))
    wires = Wires(r_row=10.0, r_col=10.0, r_driver=20.0, r_sense=5.0)
    v = rng.uniform(-0.3, 0.3, (20, 128))
    i_ref, nodes_ref = ref.linear_solve(g, v, wires)
    return g, wires, v, i_ref, nodes_ref


def test_default_tolerance_is_reachable_on_a_full_size_tile():
    # 256 x 256, 1 ohm wires, PCM-range devices, sparse spike inputs on the per-input path:
    # CG stalls near 1e-12 of the initial residual here, so the default must sit above it
    rng = np.random.default_rng(11)
    g = rng.uniform(0.1e-6, 25e-6, (256, 256))
    v = 0.5 * (rng.random((4, 256)) < 0.1)
    sol = Crossbar(g, Wires(1.0, 1.0)).solve(v, return_voltages=True)
    i_ref, _ = ref.linear_solve(g, v, Wires(1.0, 1.0))
    assert sol.converged and sol.residual <= 1e-10
    assert rel(sol.currents, i_ref) <= 1e-9


def test_strong_ir_is_strong(strong_ir):
    g, wires, v, i_ref, _ = strong_ir
    assert rel(v @ g, i_ref) > 0.3  # the wires matter: far from the ideal product


def test_effective_matrix_matches_direct_solve(strong_ir):
    g, wires, v, i_ref, _ = strong_ir
    xb = Crossbar(g, wires)
    sol = xb.solve(v)  # batch of 20 >= MATRIX_BATCH: the effective-matrix path
    assert np.isnan(sol.residual) and xb._k is not None
    assert rel(sol.currents, i_ref) <= 1e-9
    assert xb.effective_matrix().shape == (128, 128)


def test_per_input_path_matches_direct_solve(strong_ir):
    g, wires, v, i_ref, nodes_ref = strong_ir
    sol = Crossbar(g, wires).solve(v[:3], return_voltages=True)
    assert sol.converged and sol.residual <= 1e-10 and np.all(sol.n_iter > 0)
    assert rel(sol.currents, i_ref[:3]) <= 1e-9
    nodes = np.concatenate([sol.v_row.reshape(3, -1), sol.v_col.reshape(3, -1)], axis=1)
    assert rel(nodes, nodes_ref[:3]) <= 1e-9


def test_nonlinear_matches_direct_newton(strong_ir):
    g, wires, v, _, _ = strong_ir
    law = Sinh(v0=0.1)
    i_ref, nodes_ref, _ = ref.nonlinear_solve(g, v[:2], wires, law)
    sol = Crossbar(g, wires, law).solve(v[:2], return_voltages=True)
    assert rel(sol.currents, i_ref) <= 1e-9
    assert rel(sol.v_col.reshape(2, -1), nodes_ref[:, 128 * 128:]) <= 1e-9


def kcl_residual(g, wires, v, v_row, v_col, law):
    """Net current leaving every node, recomputed from the node voltages (A)."""
    g0, gr, gc, gend = wires.conductances
    i_dev = law.current(g, v_row - v_col)
    out_r = i_dev.copy()
    out_r[:, 0] += g0 * (v_row[:, 0] - v)
    out_r[:, 1:] += gr * (v_row[:, 1:] - v_row[:, :-1])
    out_r[:, :-1] += gr * (v_row[:, :-1] - v_row[:, 1:])
    out_c = -i_dev
    out_c[1:] += gc * (v_col[1:] - v_col[:-1])
    out_c[:-1] += gc * (v_col[:-1] - v_col[1:])
    out_c[-1] += gend * v_col[-1]
    return out_r, out_c


@pytest.mark.parametrize("law", [Ohmic(), Sinh(v0=0.15)], ids=["ohmic", "sinh"])
def test_kirchhoff_at_every_node(law):
    rng = np.random.default_rng(3)
    g = rng.uniform(1e-6, 1e-4, (24, 31))
    wires = Wires(r_row=2.5, r_col=4.0, r_driver=50.0, r_sense=10.0)
    v = rng.uniform(0.0, 0.4, (2, 24))
    sol = Crossbar(g, wires, law).solve(v, return_voltages=True)
    g0 = wires.conductances[0]
    for k in range(2):
        out_r, out_c = kcl_residual(g, wires, v[k], sol.v_row[k], sol.v_col[k], law)
        scale = np.abs(g0 * v[k]).max()
        assert np.abs(out_r).max() <= 1e-11 * scale
        assert np.abs(out_c).max() <= 1e-11 * scale
        # charge conservation: what the drivers put in, the sense amplifiers take out
        i_in = np.sum(g0 * (v[k] - sol.v_row[k][:, 0]))
        assert sol.currents[k].sum() == pytest.approx(i_in, rel=1e-10)


def test_vanishing_wires_give_the_ideal_product():
    rng = np.random.default_rng(4)
    g = rng.uniform(1e-6, 1e-4, (40, 30))
    v = rng.uniform(-0.2, 0.2, (50, 40))
    ideal = Crossbar(g).solve(v).currents
    assert np.array_equal(ideal, v @ g)
    err = {}
    for r in (1e-3, 1e-6):
        err[r] = rel(Crossbar(g, Wires(r, r)).solve(v).currents, ideal)
        # a wire carries at most n G_max V through n segments: drop <~ r G_max (M^2 + N^2)
        assert err[r] <= r * 1e-4 * (40**2 + 30**2)
    assert err[1e-3] / err[1e-6] == pytest.approx(1e3, rel=1e-2)  # first order in r
    assert rel(Crossbar(g, Wires(1e-6, 1e-6)).solve(v[:1]).currents, ideal[:1]) <= 1e-7


def test_one_row_closed_form():
    """Uniform row: V_j = C cosh((N - 1/2 - j) theta), cosh theta = 1 + g'/(2 gr)."""
    n, g_dev = 50, 2e-4
    wires = Wires(r_row=3.0, r_col=7.0, r_driver=40.0, r_sense=13.0)
    g0, gr, _, gend = wires.conductances
    gp = g_dev * gend / (g_dev + gend)  # device in series with its sense path
    theta = np.arccosh(1.0 + gp / (2.0 * gr))
    j = np.arange(n)
    shape = np.cosh((n - 0.5 - j) * theta)
    vs = 0.25
    # left node: g0 (vs - V0) + gr (V1 - V0) = g' V0
    c = g0 * vs / ((g0 + gr + gp) * shape[0] - gr * shape[1])
    expected = gp * c * shape
    got = Crossbar(np.full((1, n), g_dev), wires).solve([[vs]] * 20).currents
    assert np.allclose(got, expected, rtol=1e-11, atol=0)
    assert expected[-1] < 0.8 * expected[0]  # a real IR-drop profile


def test_one_column_closed_form():
    """Uniform column: V - U_i = C cosh((i + 1/2) theta), cosh theta = 1 + g_s/(2 gc)."""
    m, g_dev, vs = 60, 3e-4, 0.2
    wires = Wires(r_row=5.0, r_col=2.0, r_driver=30.0, r_sense=8.0)
    g0, _, gc, gend = wires.conductances
    gs = g0 * g_dev / (g0 + g_dev)  # driver path in series with the device
    theta = np.arccosh(1.0 + gs / (2.0 * gc))
    i = np.arange(m)
    w = np.cosh((i + 0.5) * theta)
    # bottom node: gc (U_{M-2} - U_{M-1}) + gs (V - U_{M-1}) = gend U_{M-1}, U = V - C w
    c = gend * vs / (gc * (w[-1] - w[-2]) + gs * w[-1] + gend * w[-1])
    expected = gend * (vs - c * w[-1])
    for batch in (1, 20):
        got = Crossbar(np.full((m, 1), g_dev), wires).solve(np.full((batch, m), vs)).currents
        assert np.allclose(got, expected, rtol=1e-11, atol=0)
    assert expected == pytest.approx(gs * c * w.sum(), rel=1e-12)  # injected = sensed


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 9), n=st.integers(1, 9), batch=st.sampled_from([1, 3, 17]),
       log_r=st.floats(-3, 2), log_g=st.floats(-7, -2), seed=st.integers(0, 2**31))
def test_random_arrays_match_direct_solve(m, n, batch, log_r, log_g, seed):
    rng = np.random.default_rng(seed)
    g = 10.0 ** (log_g + rng.uniform(-1, 1, (m, n)))
    wires = Wires(*(10.0 ** (log_r + rng.uniform(-1, 1, 4))))
    v = rng.uniform(-1.0, 1.0, (batch, m))
    i_ref, _ = ref.linear_solve(g, v, wires)
    got = Crossbar(g, wires).solve(v).currents
    assert rel(got, i_ref) <= 1e-9
    assert got.shape == (batch, n)


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 7), n=st.integers(1, 7), log_r=st.floats(-2, 2),
       v0=st.floats(0.05, 1.0), seed=st.integers(0, 2**31))
def test_random_nonlinear_arrays_match_direct_newton(m, n, log_r, v0, seed):
    rng = np.random.default_rng(seed)
    g = 10.0 ** rng.uniform(-6, -3, (m, n))
    wires = Wires(*(10.0 ** (log_r + rng.uniform(-1, 1, 4))))
    v = rng.uniform(-0.5, 0.5, (2, m))
    i_ref, _, _ = ref.nonlinear_solve(g, v, wires, Sinh(v0))
    got = Crossbar(g, wires, Sinh(v0)).solve(v).currents
    assert rel(got, i_ref) <= 1e-9


def test_nonlinear_reduces_to_linear_for_small_voltages():
    rng = np.random.default_rng(5)
    g = rng.uniform(1e-6, 1e-4, (32, 32))
    wires = Wires(5.0, 5.0)
    v = rng.uniform(0.0, 0.01, (3, 32))
    linear = Crossbar(g, wires).solve(v).currents
    # sinh(x) = x (1 + x^2 / 6 + ...): x = V / v0 <= 1e-4 gives ~2e-9 relative
    nonlinear = Crossbar(g, wires, Sinh(v0=100.0)).solve(v).currents
    assert rel(nonlinear, linear) <= 1e-8
    strongly = Crossbar(g, wires, Sinh(v0=0.005)).solve(v).currents
    assert np.all(np.abs(strongly) > np.abs(linear))  # sinh conducts more than ohmic


def test_nonlinear_without_wires_sums_device_currents():
    rng = np.random.default_rng(6)
    g = rng.uniform(1e-6, 1e-4, (5, 4))
    v = rng.uniform(-0.5, 0.5, (3, 5))
    law = Sinh(v0=0.2)
    got = Crossbar(g, iv=law).solve(v).currents
    expected = np.array([[sum(g[i, j] * 0.2 * np.sinh(vk[i] / 0.2) for i in range(5))
                          for j in range(4)] for vk in v])
    assert np.allclose(got, expected, rtol=1e-13)


def test_warm_start_does_not_change_the_answer():
    rng = np.random.default_rng(8)
    g = rng.uniform(1e-6, 1e-4, (16, 16))
    xb = Crossbar(g, Wires(10.0, 10.0), Sinh(0.1))
    v = rng.uniform(0.0, 0.4, (4, 16))
    batch = xb.solve(v).currents
    single = np.vstack([xb.solve(vk).currents for vk in v[::-1]])[::-1]
    assert rel(batch, single) <= 1e-10


def test_nonconvergence_raises_with_the_residual():
    rng = np.random.default_rng(9)
    g = rng.uniform(1e-5, 1e-4, (20, 20))
    xb = Crossbar(g, Wires(10.0, 10.0), Sinh(v0=0.02))
    with pytest.raises(ConvergenceError, match="after 1 Newton steps") as err:
        xb.solve(np.full((1, 20), 0.5), maxiter=1)
    assert err.value.residual > err.value.rtol and err.value.n_iter == 1
    unchecked = xb.solve(np.full((1, 20), 0.5), maxiter=1, check=False)
    assert not unchecked.converged and unchecked.residual == err.value.residual
    assert xb.solve(np.full((1, 20), 0.5)).converged
    with pytest.raises(ConvergenceError, match="conjugate-gradient") as err:
        Crossbar(g, Wires(10.0, 10.0)).solve(np.full(20, 0.5), maxiter=1)
    assert err.value.index == 0


@pytest.mark.parametrize("iv", [Ohmic(), Sinh(0.3)])
def test_atol_ends_the_solve_at_the_absolute_residual(iv):
    rng = np.random.default_rng(10)
    g = rng.uniform(1e-5, 1e-4, (16, 16))
    v = np.full(16, 0.2)
    xb = Crossbar(g, Wires(5.0, 5.0), iv, solver="nonlinear" if isinstance(iv, Sinh)
                  else "linear")
    i_ideal = iv.current(g, v[:, None])
    f0 = np.sqrt(2.0) * np.linalg.norm(i_ideal)      # ||F(v_0)||: [-I, I] over the nodes (A)
    atol = 1e-4 * f0
    tight = xb.solve(v, return_voltages=True)
    loose = xb.solve(v, return_voltages=True, atol=atol)
    assert tight.converged and loose.converged
    assert tight.residual <= 1e-10 < loose.residual <= 1e-4
    assert loose.n_iter[0] < tight.n_iter[0]
    with pytest.raises(ValueError, match="atol must be >= 0"):
        xb.solve(v, atol=-1.0)


def test_zero_input_gives_zero_current():
    g = np.full((3, 4), 1e-5)
    for law in (Ohmic(), Sinh(0.1)):
        sol = Crossbar(g, Wires(1.0, 1.0), law).solve(np.zeros(3), return_voltages=True)
        assert np.all(sol.currents == 0.0) and np.all(sol.v_row == 0.0)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(conductances=np.full((2, 2), -1e-5)), ValueError, "conductances must be >= 0"),
    (dict(conductances=np.array([[1e-5, np.nan]])), ValueError, "conductances must be finite"),
    (dict(conductances=np.ones(3)), ValueError, "conductances must have 2 dimension"),
    (dict(solver="spice"), ValueError, "solver must be one of"),
    (dict(iv="sinh"), TypeError, "iv must be an I-V law"),
    (dict(wires=(1.0, 1.0)), TypeError, "wires must be"),
    (dict(iv=Sinh(0.1), solver="linear", wires=Wires(1, 1)), ValueError, "needs ohmic"),
    (dict(solver="linear"), ValueError, "needs wires"),
])
def test_bad_construction(kwargs, exc, match):
    args = dict(conductances=np.full((2, 2), 1e-5))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        Crossbar(**args)


@pytest.mark.parametrize("kwargs, match", [
    (dict(r_row=0.0, r_col=1.0), "r_row must be > 0"),
    (dict(r_row=1.0, r_col=-2.0), "r_col must be > 0"),
    (dict(r_row=1.0, r_col=np.inf), "r_col must be finite"),
    (dict(r_row=1.0, r_col=1.0, r_sense=-1.0), "r_sense must be >= 0"),
])
def test_bad_wires(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Wires(**kwargs)


def test_bad_voltages():
    xb = Crossbar(np.full((3, 2), 1e-5), Wires(1.0, 1.0))
    with pytest.raises(ValueError, match=r"voltages must have shape \(batch, 3\)"):
        xb.solve(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="voltages must be finite"):
        xb.solve([0.1, np.inf, 0.0])
    with pytest.raises(ValueError, match="rtol"):
        xb.solve(np.zeros(3), rtol=0.0)
    with pytest.raises(ValueError, match="effective matrix exists only"):
        Crossbar(np.full((3, 2), 1e-5), Wires(1.0, 1.0), Sinh(0.1)).effective_matrix()


def dissipation(g, wires, v, v_row, v_col, law):
    """Power dissipated in every resistor and device, from the node voltages (W)."""
    g0, gr, gc, gend = wires.conductances
    p = np.sum((v_row - v_col) * law.current(g, v_row - v_col))
    p += g0 * np.sum((v - v_row[:, 0]) ** 2) + gr * np.sum(np.diff(v_row, axis=1) ** 2)
    p += gc * np.sum(np.diff(v_col, axis=0) ** 2) + gend * np.sum(v_col[-1] ** 2)
    return p


@pytest.mark.parametrize("law", [Ohmic(), Sinh(v0=0.15)], ids=["ohmic", "sinh"])
def test_driver_power_equals_dissipation(law):
    """Energy conservation: sum_i V_i I_drive_i = power in devices and wires."""
    rng = np.random.default_rng(10)
    g = rng.uniform(1e-6, 1e-4, (30, 22))
    wires = Wires(r_row=4.0, r_col=6.0, r_driver=25.0, r_sense=8.0)
    v = rng.uniform(-0.3, 0.3, (20, 30))
    xb = Crossbar(g, wires, law)
    nodal = xb.solve(v[:3], return_voltages=True, return_driver_currents=True)
    for k in range(3):
        p = dissipation(g, wires, v[k], nodal.v_row[k], nodal.v_col[k], law)
        assert v[k] @ nodal.driver_currents[k] == pytest.approx(p, rel=1e-10)
    if isinstance(law, Ohmic):  # the matrix path: V^T Y V
        y = xb.driving_point_matrix()
        assert np.allclose(y, y.T, rtol=0, atol=1e-15 * np.abs(y).max())
        assert np.all(np.linalg.eigvalsh(y) > 0)
        batch = xb.solve(v, return_driver_currents=True)
        assert rel(batch.driver_currents[:3], nodal.driver_currents) <= 1e-9
        assert np.einsum("bi,ij,bj->b", v[:3], y, v[:3]) == pytest.approx(
            np.einsum("bi,bi->b", v[:3], nodal.driver_currents), rel=1e-9)


def test_driver_currents_match_direct_solve(strong_ir):
    g, wires, v, _, nodes_ref = strong_ir
    g0 = wires.conductances[0]
    expected = g0 * (v - nodes_ref[:, np.arange(128) * 128])
    got = Crossbar(g, wires).solve(v, return_driver_currents=True).driver_currents
    assert rel(got, expected) <= 1e-9
    ideal = Crossbar(g).solve(v, return_driver_currents=True).driver_currents
    assert np.allclose(ideal, v * g.sum(axis=1))  # no wires: V_i sum_j G_ij
    assert Crossbar(g, wires).solve(v).driver_currents is None


def test_a_failed_elimination_is_a_factorization_error_naming_the_row():
    from memsim.crossbar import circuit
    from memsim.errors import FactorizationError
    g = np.full((3, 2), 1e-5)
    g[1, 0] = -1.0                     # no passive array has it: the kernel's block 1 is not SPD
    with pytest.raises(FactorizationError, match="row 1") as err:
        circuit._eliminate(g, *Wires(1.0, 1.0).conductances)
    assert err.value.block == 1


class _MiloByHand:
    """Milo et al.'s I-V written out from CrossSim's arrays (np.polyval, highest power
    first), independent of memsim.devices.iv; conductances inside 62.5-225 uS."""

    def current(self, g, v):
        x = np.log10(g)
        return (g * v + np.polyval([0.0001388, 0.001541, 0.005711, 0.007063], x) * v**2
                + np.polyval([8.8710e-05, 6.7919e-04, 1.2968e-03], x) * v**3)

    def conductance(self, g, v):
        x = np.log10(g)
        return (g + 2 * np.polyval([0.0001388, 0.001541, 0.005711, 0.007063], x) * v
                + 3 * np.polyval([8.8710e-05, 6.7919e-04, 1.2968e-03], x) * v**2)


@pytest.mark.parametrize("r", [0.0, 2.0])
def test_milo2021_arrays_match_direct_newton(r):
    rng = np.random.default_rng(12)
    g = rng.uniform(62.5e-6, 225e-6, (12, 9))
    v = rng.uniform(-0.5, 0.5, (3, 12))
    got = Crossbar(g, Wires(r, r) if r else None, milo2021()).solve(v).currents
    if r == 0.0:              # no wires: every device sees its row voltage
        want = _MiloByHand().current(g[None], v[:, :, None]).sum(axis=1)
        assert rel(got, want) <= 1e-12
    else:
        want, _, _ = ref.nonlinear_solve(g, v, Wires(r, r), _MiloByHand())
        assert rel(got, want) <= 1e-9
    with pytest.raises(InputError, match="0.5"):
        Crossbar(g, None, milo2021()).solve(np.full(12, 0.6))
