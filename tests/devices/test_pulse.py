"""Pulse devices: Cython kernel against its NumPy reference, and the model's laws."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from memsim.devices import Faults, PulseDevice, PulseParams
from memsim.devices.nonlinearity import curve, inverse_curve
from memsim.devices.presets import list_presets, load_preset
from memsim.devices._reference import apply_pulses as _apply_pulses_numpy

BASE = PulseParams(g_min=1e-6, g_max=1e-5, levels=64, levels_ltd=50, nl_ltp=2.0,
                   nl_ltd=-3.0, c2c=0.02)
PULSE_PRESETS = [n for n in list_presets() if load_preset(n).model == "pulse"]


@pytest.mark.parametrize("params", [
    BASE,
    dataclasses.replace(BASE, d2d_nl=0.5, d2d_g_min=1e-7, d2d_g_max=5e-7),
    dataclasses.replace(BASE, faults=Faults(p_stuck_min=0.05, p_stuck_max=0.05)),
    dataclasses.replace(BASE, nl_ltd=1.5, c2c=0.0),
] + [load_preset(n).params for n in PULSE_PRESETS])
def test_kernel_matches_numpy_reference(params):
    dev = PulseDevice(params)
    a, b = dev.make(20_000, seed=1), dev.make(20_000, seed=1)
    rng = np.random.default_rng(2)
    for _ in range(5):
        pulses = rng.integers(-12, 13, a.g.size)
        dev.apply_pulses(a, pulses, seed=np.random.default_rng(_))
        _apply_pulses_numpy(dev, b, pulses, np.random.default_rng(_))
        np.testing.assert_allclose(a.g, b.g, rtol=1e-12, atol=1e-12 * params.g_max)
    assert a.pulses_applied == b.pulses_applied


def test_n_pulses_at_once_equal_n_single_pulses_without_noise():
    params = dataclasses.replace(BASE, c2c=0.0)
    dev = PulseDevice(params)
    a, b = dev.make(3, seed=0), dev.make(3, seed=0)
    a.g[:] = b.g[:] = [2e-6, 5e-6, 9e-6]
    dev.apply_pulses(a, np.array([7, -7, 3]), seed=0)
    for _ in range(7):
        dev.apply_pulses(b, np.array([1, -1, 1 if _ < 3 else 0]), seed=0)
    np.testing.assert_allclose(a.g, b.g, rtol=1e-12)


def test_full_ramps_reach_the_bounds_along_the_published_curve():
    params = dataclasses.replace(BASE, c2c=0.0)
    dev = PulseDevice(params)
    state = dev.make(1, seed=0)
    trace = [state.g[0]]
    for _ in range(params.levels):
        dev.apply_pulses(state, np.array([1]), seed=0)
        trace.append(state.g[0])
    k = np.arange(params.levels + 1)
    np.testing.assert_allclose(trace, curve(k, params.a_ltp, params.levels, 1e-6, 1e-5),
                               rtol=1e-12)
    dev.apply_pulses(state, np.array([-params.p_max_ltd]), seed=0)
    assert state.g[0] == pytest.approx(1e-6, rel=1e-9)


def test_asymmetry_depression_steps_largest_near_g_max():
    dev = PulseDevice(dataclasses.replace(BASE, c2c=0.0))
    state = dev.make(2, seed=0)
    state.g[:] = [9.5e-6, 1.5e-6]
    before = state.g.copy()
    dev.apply_pulses(state, np.array([-1, -1]), seed=0)
    step = before - state.g
    assert step[0] > step[1] > 0


def test_cycle_to_cycle_noise_scales_with_sqrt_pulses():
    params = dataclasses.replace(BASE, c2c=0.01)
    dev = PulseDevice(params)
    n_dev, n = 200_000, 4
    state = dev.make(n_dev, seed=0)
    state.g[:] = 3e-6       # far from the bounds: no clipping
    dev.apply_pulses(state, np.full(n_dev, n), seed=1)
    mean_expected = curve(inverse_curve(3e-6, params.a_ltp, 64, 1e-6, 1e-5) + n,
                          params.a_ltp, 64, 1e-6, 1e-5)
    sigma = 0.01 * 9e-6 * np.sqrt(n)
    assert state.g.std() == pytest.approx(sigma, rel=0.01)
    assert abs(state.g.mean() - mean_expected) < 5 * sigma / np.sqrt(n_dev)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), c2c=st.floats(0, 0.5))
def test_bounds_respected(seed, c2c):
    params = dataclasses.replace(BASE, c2c=c2c, d2d_g_min=2e-7, d2d_g_max=2e-7)
    dev = PulseDevice(params)
    state = dev.make(500, seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        dev.apply_pulses(state, rng.integers(-100, 101, 500), seed=rng)
        assert np.all(state.g >= state.g_min) and np.all(state.g <= state.g_max)


def test_device_to_device_spread_and_faults():
    params = dataclasses.replace(BASE, d2d_nl=0.3, d2d_g_max=5e-7,
                                 faults=Faults(p_stuck_min=0.1, p_stuck_max=0.2))
    dev = PulseDevice(params)
    state = dev.make(100_000, seed=3)
    assert state.g_max.std() == pytest.approx(5e-7, rel=0.02)
    assert np.unique(state.a_ltp).size > 50
    assert np.mean(state.stuck == 1) == pytest.approx(0.1, abs=0.005)
    assert np.mean(state.stuck == 2) == pytest.approx(0.2, abs=0.005)
    stuck = state.stuck != 0
    before = state.g.copy()
    dev.apply_pulses(state, np.full(100_000, 10), seed=4)
    np.testing.assert_array_equal(state.g[stuck], before[stuck])
    np.testing.assert_array_equal(state.g[state.stuck == 2], state.g_max[state.stuck == 2])


def test_program_is_an_integer_pulse_train_from_reset():
    dev = PulseDevice(dataclasses.replace(BASE, c2c=0.0))
    targets = np.linspace(1e-6, 1e-5, 101)
    state = dev.program(targets, seed=0)
    k = np.rint(inverse_curve(targets, BASE.a_ltp, 64, 1e-6, 1e-5))
    np.testing.assert_allclose(state.g, curve(k, BASE.a_ltp, 64, 1e-6, 1e-5), rtol=1e-12)
    assert state.pulses_applied == int(k.sum())


def test_same_seed_same_result():
    dev = PulseDevice(dataclasses.replace(BASE, d2d_nl=0.2))
    a = dev.program(np.full(1000, 5e-6), seed=9)
    b = dev.program(np.full(1000, 5e-6), seed=9)
    np.testing.assert_array_equal(a.g, b.g)


@pytest.mark.parametrize("kwargs, match", [
    ({"g_min": 1e-5, "g_max": 1e-6}, "g_min must be < g_max"),
    ({"nl_ltp": 12.0}, "nl_ltp"), ({"nl_ltd": 0.0}, "nl_ltd"), ({"levels": 1}, "levels"),
    ({"c2c": -0.1}, "c2c"), ({"g_min": float("inf")}, "g_min"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(BASE, **kwargs)


def test_bad_pulses():
    dev = PulseDevice(BASE)
    state = dev.make(3, seed=0)
    with pytest.raises(TypeError, match="whole numbers"):
        dev.apply_pulses(state, [0.5, 1, 2], seed=0)
    with pytest.raises(ValueError, match="one entry per device"):
        dev.apply_pulses(state, [1, 2], seed=0)
    with pytest.raises(ValueError, match="too large"):
        PulseDevice(dataclasses.replace(BASE, d2d_g_min=1e-3)).make(10, seed=0)
