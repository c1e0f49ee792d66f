"""In-situ training on a solved array: the disturb count against the hand count of the
V/2 scheme, none under V/3 and on 1T1R arrays, energy bookkeeping, the rule learning
the letters, and the same seed giving the same run."""

import numpy as np
import pytest

from memsim.crossbar import AccessTransistor, Selector, Wires
from memsim.devices.presets import load_preset
from memsim.errors import InputError
from memsim.studies.insitu import letter_patterns, train_insitu


@pytest.fixture(scope="module")
def yakopcic():
    return load_preset("yakopcic").device()        # thresholds V_p 0.16 V, V_n 0.15 V


def test_patterns_are_three_letters_and_their_one_pixel_flips():
    pixels, labels = letter_patterns()
    assert pixels.shape == (30, 9) and np.bincount(labels).tolist() == [10, 10, 10]
    for k in range(3):
        group = pixels[labels == k]
        assert np.all(np.abs(group[1:] - group[0]).sum(axis=1) == 1)
    assert len({tuple(p) for p in pixels}) == 30


def test_v2_disturbs_every_half_selected_cell_and_v3_none(yakopcic):
    # wire-free, a pulse on c cells of one row of the 10 x 6 array half-selects the
    # row's other 6 - c cells and the 9 other cells of each selected column: at
    # +-V_w / 2 = 0.2 V, above both thresholds, each one moves
    v2 = train_insitu(yakopcic, scheme="v/2", epochs=6).history
    assert v2["disturb_events"].sum() == 6 * v2["pulses"].sum() + 8 * v2["cells_written"].sum()
    assert v2["disturb_state_change"].sum() > 0.0
    # V/3: +-V_w / 3 = 0.133 V, below both, no cell but the written ones moves
    v3 = train_insitu(yakopcic, scheme="v/3", epochs=6).history
    assert v3["disturb_events"].sum() == 0 and v3["disturb_state_change"].sum() == 0.0
    assert v3["pulses"].sum() > 0 and v3["energy_unselected_J"].sum() > 0.0


def test_gated_1t1r_training_learns_the_letters_without_disturb(yakopcic):
    res = train_insitu(yakopcic, access=AccessTransistor(1.8, 0.4, 2e-4, 500.0), scheme="gate",
                       wires=Wires(1.0, 1.0), epochs=12)
    h = res.history
    assert h["accuracy"][0] < 0.5 and h["accuracy"][-1] == 1.0
    assert h["disturb_events"].sum() == 0 and not res.disturbed.any()
    # the drivers deliver what the devices and channels take, plus the wires' share
    dissipated = h["energy_selected_J"] + h["energy_unselected_J"] + h["energy_access_J"]
    assert np.all(h["energy_sources_J"] >= dissipated)
    assert h["energy_sources_J"].sum() < 1.2 * dissipated.sum()


def test_same_seed_same_run_and_bad_input(yakopcic):
    a = train_insitu(yakopcic, epochs=3, seed=7)
    b = train_insitu(yakopcic, epochs=3, seed=7)
    c = train_insitu(yakopcic, epochs=3, seed=8)
    assert np.array_equal(a.states, b.states) and not np.array_equal(a.states, c.states)
    with pytest.raises(InputError, match="gate"):
        train_insitu(yakopcic, scheme="gate")
    with pytest.raises(InputError, match="v_read"):
        train_insitu(yakopcic, v_read=-0.1)


def test_unit_current_is_one_cell_through_its_access_device(yakopcic):
    from scipy.optimize import brentq
    hi, v_read = yakopcic.bounds[1], 0.3
    bare = train_insitu(yakopcic, epochs=1, v_read=v_read).i_unit
    assert bare == pytest.approx(float(yakopcic.current(np.array([hi]), np.array([v_read]))[0]),
                                 rel=1e-12)
    # 1S1R: device and diode pair in series, g-law device current equal to 2 I_s sinh
    sel = Selector(1e-9)
    res = train_insitu(yakopcic, access=sel, scheme="v/2", epochs=1, v_write=0.6,
                       v_read=v_read)
    v_s = brentq(lambda v: float(yakopcic.current(np.array([hi]), np.array([v_read - v]))[0])
                 - 2e-9 * np.sinh(v / sel.v_scale), 0.0, v_read, xtol=1e-16)
    assert res.i_unit == pytest.approx(2e-9 * np.sinh(v_s / sel.v_scale), rel=1e-9)
    assert res.i_unit < 0.5 * bare
    # so the outputs count cells' worth of state: not vanishing next to 1
    assert np.abs(res.outputs).max() > 0.05
