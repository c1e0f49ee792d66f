"""1T1R and 1S1R cells in the circuit solver, against a direct sparse Newton solve with every
internal node an unknown (written separately), the saturation limit, and the
hand-solved series circuit of one cell."""

import numpy as np
import pytest
from scipy.optimize import brentq

from memsim.crossbar import AccessTransistor, Crossbar, Selector, Wires
from memsim.crossbar._reference import one_s_one_r_solve, one_t_one_r_solve
from memsim.devices.iv import Ohmic, Sinh
from memsim.errors import ComputationError, InputError

VTH, KP, WL = 0.4, 2e-4, 2.0
BETA = KP * WL


@pytest.fixture(scope="module")
def array():
    rng = np.random.default_rng(0)
    return rng.uniform(1e-5, 2e-3, (12, 9)), rng.uniform(0.0, 0.8, (4, 12))


@pytest.mark.parametrize("v_gate", [1.2, 0.7, 0.5])      # from linear to mostly saturated
@pytest.mark.parametrize("iv", [Ohmic(), Sinh(0.25)], ids=["ohmic", "sinh"])
def test_equals_direct_sparse_newton_with_internal_nodes(array, v_gate, iv):
    g, v = array
    wires = Wires(r_row=2.0, r_col=2.0, r_driver=10.0, r_sense=5.0)
    sol = Crossbar(g, wires, iv, access=AccessTransistor(v_gate, VTH, KP, WL)).solve(
        v, return_voltages=True)
    ref, nodes, _ = one_t_one_r_solve(g, v, wires, iv, v_gate, VTH, KP, WL)
    np.testing.assert_allclose(sol.currents, ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())
    assert sol.converged
    # which cells saturated, from the reference's own node voltages
    mn = g.size
    v_mid, v_col = nodes[:, 2 * mn:], nodes[:, mn:2 * mn]
    saturated = (v_mid - v_col) >= (v_gate - v_col - VTH)
    if v_gate <= 0.7:
        assert saturated.mean() > 0.2


def test_saturation_limit_is_the_transistors_saturation_current():
    # a memristor far more conductive than the channel: each selected cell passes
    # beta (V_G - V_th)^2 / 2, whatever its own conductance
    g = np.array([[1.0, 0.5], [2.0, 1.0], [1.0, 3.0]])           # S
    access = AccessTransistor(v_gate=0.6, vth=VTH, kp=KP, w_over_l=WL)
    v = np.array([[1.0, 1.0, 0.0]])                 # row 2 idle: no current through it
    i_sat = 0.5 * BETA * (0.6 - VTH) ** 2
    ideal = Crossbar(g, None, Ohmic(), access=access).solve(v).currents
    np.testing.assert_allclose(ideal, [[2 * i_sat, 2 * i_sat]], rtol=1e-12)
    assert access.saturation_current() == pytest.approx(i_sat, rel=1e-15)
    # with wires each column node rises by I r, which lowers V_GS: still the saturation
    # current, at the source voltage the solve found (every row driven, so that no cell
    # conducts backwards into an idle row)
    wired = Crossbar(g, Wires(1.0, 1.0), Ohmic(), access=access).solve(
        np.ones((1, 3)), return_voltages=True)
    expect = 0.5 * BETA * (0.6 - wired.v_col[0] - VTH) ** 2
    np.testing.assert_allclose(wired.currents[0], expect.sum(axis=0), rtol=1e-9)


def test_one_cell_is_the_hand_solved_series_circuit():
    g, v, v_gate = 5e-5, 0.4, 0.9
    access = AccessTransistor(v_gate, VTH, KP, WL)

    def mismatch(v_m):                          # linear region: 0 < V_DS < V_ov here
        return g * (v - v_m) - BETA * ((v_gate - VTH) * v_m - v_m ** 2 / 2)

    v_m = brentq(mismatch, 0.0, v, xtol=1e-16)
    assert v_m < v_gate - VTH
    i = Crossbar(np.array([[g]]), None, Ohmic(), access=access).solve([[v]]).currents
    assert i[0, 0] == pytest.approx(g * (v - v_m), rel=1e-12)
    # reversed: the channel's lower terminal, now the internal node, is the source, so
    # V_GS = V_G - v_m is larger and more current flows (back into the row)
    def mismatch_rev(v_m):                      # column (0 V) -> channel -> m -> device -> row
        return g * (v_m + v) - BETA * ((v_gate - v_m - VTH) * (-v_m) - v_m ** 2 / 2)

    v_m = brentq(mismatch_rev, -v, 0.0, xtol=1e-16)
    i_neg = Crossbar(np.array([[g]]), None, Ohmic(), access=access).solve([[-v]]).currents
    assert i_neg[0, 0] == pytest.approx(-g * (v_m + v), rel=1e-12)
    assert abs(i_neg[0, 0]) > abs(i[0, 0])


def test_cut_off_cells_pass_nothing(array):
    g, v = array
    access = AccessTransistor(v_gate=0.3, vth=VTH, kp=KP, w_over_l=WL)   # below threshold
    sol = Crossbar(g, Wires(1.0, 1.0), Ohmic(), access=access).solve(v)
    assert np.all(sol.currents == 0.0)


def test_passive_and_linear_solvers_refuse_an_access_transistor():
    g = np.full((2, 2), 1e-5)
    access = AccessTransistor(1.0, VTH, KP, WL)
    with pytest.raises(InputError, match="1T1R or 1S1R"):
        Crossbar(g, Wires(1.0, 1.0), access=access, solver="linear")
    with pytest.raises(InputError, match="vth"):
        AccessTransistor(1.0, -0.1, KP, WL)


def test_per_cell_gates_equal_the_direct_solve_and_isolate_gated_off_cells(array):
    g, v = array
    gate = np.where(np.arange(g.shape[1]) % 3 == 0, 1.1, 0.0)[None, :]   # one in three on
    wires = Wires(r_row=2.0, r_col=2.0)
    sol = Crossbar(g, wires, Ohmic(), access=AccessTransistor(gate, VTH, KP, WL)).solve(v)
    ref = one_t_one_r_solve(g, v, wires, Ohmic(), gate, VTH, KP, WL)[0]
    np.testing.assert_allclose(sol.currents, ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())
    assert np.all(sol.currents[:, gate[0] == 0.0] == 0.0)
    assert np.all(sol.currents[:, gate[0] > 0.0] > 0.0)
    with pytest.raises(InputError, match="v_gate"):
        Crossbar(g, None, access=AccessTransistor(np.ones(4), VTH, KP, WL))


# ---------------------------------------------------------------------- 1S1R cells

@pytest.mark.parametrize("ideality", [1.0, 1.8])
@pytest.mark.parametrize("kind", ["bidirectional", "rectifying"])
@pytest.mark.parametrize("iv", [Ohmic(), Sinh(0.25)], ids=["ohmic", "sinh"])
@pytest.mark.parametrize("gain, offset", [(1.0, -0.3), (2.0, 0.0)],
                         ids=["both-polarities", "forward-to-1.6V"])
def test_1s1r_equals_direct_sparse_newton_with_internal_nodes(array, kind, iv, ideality, gain,
                                                              offset):
    g, v = array
    v = gain * v + offset
    wires = Wires(r_row=2.0, r_col=2.0, r_driver=10.0, r_sense=5.0)
    sel = Selector(i_s=1e-9, ideality=ideality, temperature=300.0, kind=kind)
    sol = Crossbar(g, wires, iv, access=sel).solve(v)
    ref, nodes, _ = one_s_one_r_solve(g, v, wires, iv, 1e-9, ideality, 300.0,
                                      kind == "bidirectional")
    # the reference's own Kirchhoff residual, in amperes against the currents it compares
    mn = g.size
    i_mem = iv.current(g.ravel(), nodes[:, :mn] - nodes[:, 2 * mn:])
    i_sel = sel.current(nodes[:, 2 * mn:], nodes[:, mn:2 * mn])[0]
    assert np.abs(i_mem - i_sel).max() <= 1e-10 * np.abs(ref).max()
    np.testing.assert_allclose(sol.currents, ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())


def test_1s1r_one_cell_is_the_hand_solved_series_circuit():
    # device and diode in series: g (V - v_m) = I_s (exp(v_m / n V_T) - 1)
    g, i_s, n, temp = 1e-4, 1e-12, 1.2, 320.0
    vt = n * 1.380649e-23 * temp / 1.602176634e-19
    sel = Selector(i_s, n, temp, kind="rectifying")
    for v in (0.9, -0.9):
        v_m = brentq(lambda x: g * (v - x) - i_s * np.expm1(x / vt), min(0, v), max(0, v),
                     xtol=1e-16)
        i = Crossbar(np.array([[g]]), None, Ohmic(), access=sel).solve([[v]]).currents[0, 0]
        assert i == pytest.approx(g * (v - v_m), rel=1e-10)
    # reversed, a rectifying selector passes at most its saturation current
    assert abs(i) < i_s
    # the half-selected cell of a V/2 read passes far less than half the selected one's
    bi = Selector(i_s, n, temp)
    full, half = Crossbar(np.full((1, 2), g), None, Ohmic(), access=bi).solve(
        [[0.9]], column_voltages=[[0.0, 0.45]]).currents[0]
    assert half < 0.05 * full


@pytest.mark.parametrize("v, temperature, kind", [
    (15.0, 300.0, "bidirectional"), (40.0, 300.0, "bidirectional"), (3.0, 77.0, "bidirectional"),
    (3.0, 77.0, "rectifying"), (-3.0, 77.0, "rectifying")])
def test_1s1r_high_voltage_and_cold_cells_converge_to_the_series_circuit(v, temperature, kind):
    # far into the exponential (hundreds of n V_T across the cell) Newton alone creeps by
    # n V_T per step from the middle of the bracket; the solver must still converge
    g, i_s = 1e-4, 1e-9
    sel = Selector(i_s, 1.0, temperature, kind=kind)
    vt = sel.v_scale
    law = ((lambda x: i_s * np.expm1(x / vt)) if kind == "rectifying"
           else (lambda x: 2 * i_s * np.sinh(x / vt)))
    with np.errstate(over="ignore"):      # brentq's first points lie far out: inf is fine
        v_m = brentq(lambda x: g * (v - x) - law(x), min(0, v), max(0, v), xtol=1e-300,
                     rtol=1e-15)
    i = Crossbar(np.array([[g]]), None, Ohmic(), access=sel).solve([[v]]).currents[0, 0]
    # the hand value g (V - v_m) loses digits to cancellation when v_m ~ V (reverse)
    assert i == pytest.approx(g * (v - v_m), rel=1e-12 if v > 0 else 1e-9)


def test_selector_refuses_bad_parameters_and_overflowing_voltages():
    with pytest.raises(InputError, match="ideality"):
        Selector(1e-9, ideality=0.5)
    with pytest.raises(InputError, match="kind"):
        Selector(1e-9, kind="ots")
    sel = Selector(1e-9)
    with pytest.raises(ComputationError, match="overflows"):
        sel.check_voltage(np.array([0.1, -701 * sel.v_scale]))
    sel.check_voltage(np.array([0.1, -699 * sel.v_scale]))
    # a rectifying selector far in reverse carries -I_s: nothing overflows
    rect = Selector(1e-9, 1.0, 77.0, kind="rectifying")
    rect.check_voltage(np.array([-800 * rect.v_scale]))
    with pytest.raises(ComputationError, match="overflows"):
        rect.check_voltage(np.array([701 * rect.v_scale]))
    i = Crossbar(np.array([[1e-4]]), None, Ohmic(), access=rect).solve([[-5.0]]).currents
    assert i[0, 0] == pytest.approx(-1e-9, rel=1e-12)
    # the inverse law undoes the law
    x = np.array([-0.3, 0.0, 0.2, 0.6])
    np.testing.assert_allclose(sel.voltage(sel.current(x, 0.0)[0]), x, rtol=1e-12, atol=1e-15)
