"""Writes on passive, 1S1R and 1T1R arrays: the V/2 and V/3 shares on half-selected cells (hand-computed
in the wire-free limit), less with wires, disturb only above a device's threshold,
energy conservation, and biased columns against the direct sparse reference."""

import numpy as np
import pytest

from memsim.crossbar import Crossbar, Wires
from memsim.crossbar._reference import linear_solve
from memsim.crossbar.writes import write_biases, write_pulse
from memsim.devices.presets import load_preset
from memsim.errors import InputError

M, N, ROW, COL, VW = 4, 5, 1, 2, 0.4


@pytest.fixture(scope="module")
def yakopcic():
    return load_preset("yakopcic").device()        # thresholds V_p 0.16 V, V_n 0.15 V


@pytest.mark.parametrize("scheme, half, rest", [("v/2", VW / 2, 0.0), ("v/3", VW / 3, -VW / 3)])
def test_wire_free_shares_are_the_schemes(yakopcic, scheme, half, rest):
    res = write_pulse(yakopcic, np.full((M, N), 0.11), ROW, COL, VW, 1e-6, scheme=scheme,
                      steps=1)
    expect = np.full((M, N), rest)
    expect[ROW, :] = half
    expect[:, COL] = half
    expect[ROW, COL] = VW
    np.testing.assert_allclose(res.voltages, expect, rtol=0, atol=1e-15)


def test_a_row_write_selects_several_columns():
    rows, cols = write_biases((M, N), ROW, [0, 3], VW, "v/3")
    v = rows[:, None] - cols[None, :]
    assert v[ROW, 0] == v[ROW, 3] == VW
    assert np.allclose(v[ROW, [1, 2, 4]], VW / 3) and np.allclose(v[[0, 2, 3]][:, [0, 3]], VW / 3)
    with pytest.raises(InputError, match="columns"):
        write_biases((M, N), ROW, [3, 3], VW, "v/3")
    with pytest.raises(InputError, match="scheme"):
        write_biases((M, N), ROW, [3], VW, "v/4")


@pytest.mark.parametrize("scheme, half", [("v/2", VW / 2), ("v/3", VW / 3)])
def test_wires_leave_every_cell_less_than_its_share(yakopcic, scheme, half):
    res = write_pulse(yakopcic, np.full((M, N), 0.5), ROW, COL, VW, 1e-6, scheme=scheme,
                      wires=Wires(20.0, 20.0), steps=1)
    v = res.voltages
    assert 0 < v[ROW, COL] < VW
    half_selected = np.zeros((M, N), bool)
    half_selected[ROW, :] = half_selected[:, COL] = True
    half_selected[ROW, COL] = False
    assert np.all(np.abs(v[half_selected]) < half)


def test_only_cells_above_threshold_are_disturbed(yakopcic):
    x = np.full((M, N), 0.11)
    v2 = write_pulse(yakopcic, x, ROW, COL, VW, 1e-4, scheme="v/2")
    v3 = write_pulse(yakopcic, x, ROW, COL, VW, 1e-4, scheme="v/3")
    # V/2 = 0.2 V is above V_p = 0.16 V: all M + N - 2 half-selected cells move;
    # V/3 = 0.133 V is below both thresholds: none does, the selected cell switches alike
    assert v2.disturbed.sum() == M + N - 2 and not v2.disturbed[0, 0]
    assert v3.disturbed.sum() == 0
    assert v3.states[ROW, COL] == pytest.approx(v2.states[ROW, COL], rel=1e-12)
    assert v3.states[ROW, COL] > 0.2
    # the selected cell's switching is the single-device model's under the same pulse
    alone = yakopcic.pulse_ramp(VW, 1e-4, 1, x0=0.11)
    assert yakopcic.conductance(v3.states[ROW, COL], 0.1) == pytest.approx(alone[0, 1], rel=1e-9)


def test_energy_is_conserved(yakopcic):
    x = np.full((M, N), 0.3)
    # one solve: sum V I(x, V) T over the cells at the scheme's voltages, by hand
    one = write_pulse(yakopcic, x, ROW, COL, VW, 1e-4, scheme="v/3", steps=1)
    half = np.full((M, N), -VW / 3)
    half[ROW, :] = half[:, COL] = VW / 3
    half[ROW, COL] = VW
    by_hand = sum(float(v) * 0.17 * 0.3 * np.sinh(0.05 * v) * 1e-4 for v in half.ravel())
    assert one.energy_cells == pytest.approx(by_hand, rel=1e-12)
    free = write_pulse(yakopcic, x, ROW, COL, VW, 1e-4, scheme="v/3")
    assert free.energy_cells == pytest.approx(free.energy_sources, rel=1e-12)
    assert free.energy_cells > 0
    wired = write_pulse(yakopcic, x, ROW, COL, VW, 1e-4, scheme="v/3", wires=Wires(20.0, 20.0))
    assert 0 < wired.energy_cells < wired.energy_sources


def test_splitting_converges_with_more_solves(yakopcic):
    x = np.full((M, N), 0.11)
    wires = Wires(20.0, 20.0)
    coarse, fine = (write_pulse(yakopcic, x, ROW, COL, VW, 1e-4, scheme="v/2", wires=wires,
                                steps=s).states for s in (8, 32))
    assert np.abs(coarse - fine).max() < 0.01 * np.abs(fine - x).max()


def test_biased_columns_match_the_direct_sparse_solve():
    rng = np.random.default_rng(3)
    g, v = rng.uniform(1e-6, 1e-4, (6, 5)), rng.uniform(0, 0.5, (2, 6))
    c = rng.uniform(0, 0.3, (2, 5))
    wires = Wires(2.0, 2.0, 10.0, 5.0)
    ref, nodes = linear_solve(g, v, wires, c)
    sol = Crossbar(g, wires).solve(v, column_voltages=c, return_voltages=True)
    np.testing.assert_allclose(sol.currents, ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())
    np.testing.assert_allclose(sol.v_col.reshape(2, -1), nodes[:, 30:], rtol=0, atol=1e-12)
    with pytest.raises(InputError, match="column_voltages"):
        Crossbar(g, wires).solve(v, column_voltages=np.zeros(4))


# ----------------------------------------------------------- gated 1T1R and 1S1R writes

VTH, KP, WL, V_ON = 0.4, 2e-4, 500.0, 1.8


def test_gated_1t1r_write_is_the_hand_solved_series_cell_and_isolates_the_rest(yakopcic):
    from scipy.optimize import brentq

    from memsim.crossbar import AccessTransistor
    x = np.full((M, N), 0.5)
    res = write_pulse(yakopcic, x, ROW, [COL, 4], VW, 1e-6, scheme="gate", steps=1,
                      access=AccessTransistor(V_ON, VTH, KP, WL))
    beta, over = KP * WL, V_ON - VTH
    # device from the row at V_w to node m, channel from m (drain) to the column at 0 V
    # (source), linear region: I_mem(0.5, V_w - m) = beta (over m - m^2 / 2)
    v_m = brentq(lambda m: float(yakopcic.current(np.array([0.5]), np.array([VW - m]))[0])
                 - beta * (over * m - m * m / 2), 0.0, VW, xtol=1e-16)
    assert v_m < over
    np.testing.assert_allclose(res.voltages[ROW, [COL, 4]], VW - v_m, rtol=1e-12)
    others = np.ones((M, N), bool)
    others[ROW, [COL, 4]] = False
    assert np.all(res.voltages[others] == 0.0) and not res.disturbed.any()
    assert np.all(res.states[others] == 0.5) and np.all(res.states[~others] > 0.5)
    # energy: what the drivers deliver is dissipated in the devices and the channels
    assert res.energy_sources == pytest.approx(res.energy_cells + res.energy_access, rel=1e-12)
    assert res.energy_disturbed == 0.0 and res.energy_access > 0.0
    with pytest.raises(InputError, match="gate"):
        write_pulse(yakopcic, x, ROW, COL, VW, 1e-6, scheme="v/2",
                    access=AccessTransistor(V_ON, VTH, KP, WL))
    with pytest.raises(InputError, match="1T1R"):
        write_pulse(yakopcic, x, ROW, COL, VW, 1e-6, scheme="gate")



def test_gated_1t1r_reset_beyond_threshold_still_isolates_the_rest(yakopcic):
    from memsim.crossbar import AccessTransistor
    # a reset of -1 V: off-gates at 0 V would see V_GS = 1 V > V_th on row ROW and let
    # its unselected cells conduct; at min(0, V_w) they stay cut off
    x = np.full((M, N), 0.5)
    v_reset = -1.0
    res = write_pulse(yakopcic, x, ROW, COL, v_reset, 1e-6, scheme="gate", steps=2,
                      access=AccessTransistor(V_ON, VTH, KP, WL))
    others = np.ones((M, N), bool)
    others[ROW, COL] = False
    assert np.all(res.voltages[others] == 0.0) and not res.disturbed.any()
    assert res.states[ROW, COL] < 0.5 and res.energy_disturbed == 0.0
    assert res.voltages[ROW, COL] < -0.15               # past the reset threshold V_n
    # a whole-number row may come as a float; a fractional one is refused by name
    same = write_pulse(yakopcic, x, float(ROW), COL, v_reset, 1e-6, scheme="gate", steps=2,
                       access=AccessTransistor(V_ON, VTH, KP, WL))
    np.testing.assert_array_equal(same.states, res.states)
    with pytest.raises(InputError, match="row"):
        write_pulse(yakopcic, x, 1.5, COL, v_reset, 1e-6, scheme="gate",
                    access=AccessTransistor(V_ON, VTH, KP, WL))

def test_a_selector_shields_half_selected_cells_of_a_v2_write(yakopcic):
    from memsim.crossbar import Selector
    x = np.full((M, N), 0.5)
    sel = Selector(i_s=1e-9, ideality=1.0)
    res = write_pulse(yakopcic, x, ROW, COL, 0.6, 1e-5, scheme="v/2", steps=1, access=sel)
    bare = write_pulse(yakopcic, x, ROW, COL, 0.6, 1e-5, scheme="v/2", steps=1)
    half = np.zeros((M, N), bool)
    half[ROW, :] = half[:, COL] = True
    half[ROW, COL] = False
    # each half-selected cell is the same series circuit at V_w / 2; the selector's
    # conductance falls with its voltage, so the device's share falls faster than V_w
    dev_half, dev_sel = res.voltages[half], res.voltages[ROW, COL]
    np.testing.assert_allclose(dev_half, dev_half[0], rtol=1e-12)
    assert dev_half[0] < 0.5 * dev_sel
    # here below the device's threshold (0.16 V), where the bare array's half-selected
    # cells, at 0.3 V, all move; the selected device, above it, still switches
    assert dev_half[0] < 0.16 < dev_sel and not res.disturbed.any()
    assert bare.disturbed.sum() == half.sum() and res.states[ROW, COL] > 0.5
    assert res.energy_sources == pytest.approx(res.energy_cells + res.energy_access, rel=1e-12)
