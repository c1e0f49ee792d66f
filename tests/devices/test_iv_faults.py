"""I-V laws and faults."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from memsim.devices import Faults, Ohmic, Sinh, iv_law
from memsim.devices.faults import quantize
from memsim.errors import InputError


# subnormal voltages underflow to a zero current, a float artefact, not physics
@given(v=st.floats(-2, 2, allow_subnormal=False), g=st.floats(1e-7, 1e-3),
       v0=st.floats(0.05, 1.0))
def test_sinh_small_signal_and_derivative(v, g, v0):
    law = Sinh(v0)
    h = 1e-6 * v0
    numeric = (law.current(g, v + h) - law.current(g, v - h)) / (2 * h)
    assert law.conductance(g, v) == pytest.approx(numeric, rel=1e-5)
    assert law.current(g, 1e-6 * v0) == pytest.approx(Ohmic().current(g, 1e-6 * v0), rel=1e-9)
    assert np.sign(law.current(g, v)) == np.sign(v)


def test_iv_law_factory():
    assert iv_law("ohmic") == Ohmic()
    assert iv_law("sinh", v0=0.25) == Sinh(0.25)
    with pytest.raises(ValueError, match="v0"):
        iv_law("sinh")
    with pytest.raises(ValueError, match="iv law"):
        iv_law("tanh")
    with pytest.raises(ValueError, match="v0"):
        Sinh(0.0)


def test_quantize_to_levels():
    g = np.array([0.0, 0.26, 0.5, 0.74, 1.0])
    np.testing.assert_allclose(quantize(g, 3, 0.0, 1.0), [0.0, 0.5, 0.5, 0.5, 1.0])
    np.testing.assert_array_equal(quantize(g, 0, 0.0, 1.0), g)


def test_stuck_fractions():
    faults = Faults(p_stuck_min=0.01, p_stuck_max=0.03)
    codes = faults.draw(1_000_000, np.random.default_rng(0))
    assert np.mean(codes == 1) == pytest.approx(0.01, abs=5e-4)
    assert np.mean(codes == 2) == pytest.approx(0.03, abs=7e-4)
    with pytest.raises(ValueError, match="p_stuck_min"):
        Faults(p_stuck_min=1.5)
    with pytest.raises(ValueError, match="<= 1"):
        Faults(p_stuck_min=0.6, p_stuck_max=0.6)
    with pytest.raises(ValueError, match="target_levels"):
        Faults(target_levels=1)


# CrossSim's RRAM_Milo arrays, highest power first as np.polyval reads them
MILO_NL2 = [0.0001388, 0.001541, 0.005711, 0.007063]
MILO_NL3 = [8.8710e-05, 6.7919e-04, 1.2968e-03]


def test_milo2021_matches_crosssims_polynomials_at_the_measured_states():
    law = iv_law("milo2021")
    g = np.array([62.5e-6, 76.2e-6, 93.9e-6, 110e-6, 225e-6])
    a2, a3 = law.coefficients(g)
    np.testing.assert_allclose(a2, np.polyval(MILO_NL2, np.log10(g)), rtol=1e-12)
    np.testing.assert_allclose(a3, np.polyval(MILO_NL3, np.log10(g)), rtol=1e-12)
    v = np.linspace(-0.5, 0.5, 11)[:, None]
    want = g * v + np.polyval(MILO_NL2, np.log10(g)) * v**2 + np.polyval(MILO_NL3, np.log10(g)) * v**3
    np.testing.assert_allclose(law.current(g, v), want, rtol=1e-12, atol=1e-20)
    assert a2[0] == pytest.approx(-2.38e-5, rel=0.01)       # values quoted with the fit


def test_milo2021_derivative_and_range_rules():
    law = iv_law("milo2021")
    g = np.array([0.0, 20e-6, 62.5e-6, 100e-6, 300e-6])[:, None]
    v = np.linspace(-0.5, 0.5, 21)
    h = 1e-6
    numeric = (law.current(g, v + h) - law.current(g, v - h)) / (2 * h)
    np.testing.assert_allclose(law.conductance(g, v), numeric, rtol=1e-7, atol=1e-15)
    assert np.all(law.conductance(g[1:], v) > 0)          # monotonic where it is used
    np.testing.assert_array_equal(law.current(np.zeros(3), v[:3]), 0.0)   # 0 S carries nothing
    lo = law.coefficients(62.5e-6)                         # below the fit: a_k / G held
    np.testing.assert_allclose(law.coefficients(20e-6), [c * 20 / 62.5 for c in lo], rtol=1e-12)
    np.testing.assert_allclose(law.coefficients(300e-6), law.coefficients(225e-6), rtol=1e-12)
    with pytest.raises(InputError, match="0.5"):
        law.check_voltages(np.array([0.6]))
    with pytest.raises(InputError, match="v0"):
        iv_law("milo2021", v0=0.1)
