"""NL <-> A against NeuroSim's table and the geometric meaning of the label."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from memsim.devices.nonlinearity import (a_norm_from_nl, check_nl, curve, inverse_curve,
                                         nl_from_a_norm)


@pytest.mark.parametrize("nl, a_norm", [
    (2.4, 0.499181), (-4.88, -0.200303), (1.75, 0.702081), (0.04, 31.566827),
    (-0.61, -2.063266), (9.0, 0.022810), (0.01, 126.268958), (2.30, 0.523222),
])
def test_neurosim_lookups(nl, a_norm):
    # values read from getParamA in MLP+NeuroSim V3.0 formula.cpp
    assert a_norm_from_nl(nl) == a_norm


def test_truncation_like_neurosim():
    # no interpolation: every label in [2.40, 2.41) uses the 2.40 entry
    assert a_norm_from_nl(2.409) == a_norm_from_nl(2.4)


def test_round_trip_on_every_table_label():
    labels = np.round(np.arange(1, 901) / 100, 2)
    for sign in (1, -1):
        a = a_norm_from_nl(sign * labels)
        np.testing.assert_allclose(nl_from_a_norm(a), sign * labels, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(a_norm_from_nl(nl_from_a_norm(a)), a)


@given(st.floats(0.01, 9.0))
def test_inverse_is_continuous_and_consistent(nl):
    a = a_norm_from_nl(nl)
    back = nl_from_a_norm(a)
    assert a_norm_from_nl(back) == a
    assert back <= nl + 1e-9


def test_label_measures_the_bow_of_the_curve():
    # Independent of the table: for every label the largest gap between the
    # normalised curve and the straight line is 0.098995 * NL.
    x = np.linspace(0, 1, 20001)
    for nl in (0.05, 0.5, 1.0, 2.4, 4.88, 8.0):
        a = a_norm_from_nl(nl)
        bow = np.max(curve(x, a, 1.0, 0.0, 1.0) - x)
        assert bow / nl == pytest.approx(0.098995, rel=2e-3)


@given(frac=st.floats(0, 1), nl=st.floats(0.01, 9) | st.floats(-9, -0.01))
def test_curve_inverts_inverse_curve(frac, nl):
    # in conductance space: a strongly curved device changes its conductance by
    # less than float resolution over its first pulses, so P is not recoverable there
    a = a_norm_from_nl(nl) * 100
    g = 1e-6 + frac * 9e-6
    assert curve(inverse_curve(g, a, 100, 1e-6, 1e-5), a, 100, 1e-6, 1e-5) == pytest.approx(
        g, rel=1e-9)


@given(p=st.floats(0, 100), nl=st.floats(0.01, 3) | st.floats(-3, -0.01))
def test_inverse_curve_inverts_curve(p, nl):
    a = a_norm_from_nl(nl) * 100
    g = curve(p, a, 100, 1e-6, 1e-5)
    assert inverse_curve(g, a, 100, 1e-6, 1e-5) == pytest.approx(p, abs=1e-6)


def test_curve_endpoints():
    for nl in (3.0, -3.0):
        a = a_norm_from_nl(nl) * 50
        assert curve(0, a, 50, 2e-6, 9e-6) == pytest.approx(2e-6)
        assert curve(50, a, 50, 2e-6, 9e-6) == pytest.approx(9e-6)


@pytest.mark.parametrize("bad", [0.0, 0.005, 9.5, -12.0, np.nan])
def test_out_of_range_label_is_an_error(bad):
    with pytest.raises(ValueError, match="nl_ltp"):
        check_nl("nl_ltp", bad)
    with pytest.raises(ValueError, match="normalised A"):
        nl_from_a_norm(1000.0)
