"""I-V laws and faults."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from memsim.devices import Faults, Ohmic, Sinh, iv_law
from memsim.devices.faults import quantize


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
