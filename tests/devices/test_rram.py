"""Statistical RRAM: programming error and relaxation against the published fits."""

import math

import numpy as np
import pytest

from memsim.crossbar import DAC, Tile
from memsim.devices import RRAM, RRAMParams
from memsim.devices.presets import load_preset, preset_from_toml, preset_to_toml
from memsim.errors import InputError

DAY = 86400.0


@pytest.fixture(scope="module")
def wan():
    return load_preset("rram-wan2022").device()


def test_wan_spread_is_aihwkits_polynomial_in_g_over_40_uS(wan):
    """sigma (uS) at x = g / 40 uS from aihwkit's coefficient table, summed by hand."""
    table = {1.0: (-16.815, 45.393, -43.853, 16.030, 0.348),
             DAY: (-16.458, 47.095, -50.773, 22.086, 0.701),
             2 * DAY: (-11.934, 37.062, -43.507, 20.274, 0.782)}
    for t, (c4, c3, c2, c1, c0) in table.items():
        for x in (0.0, 0.25, 0.5, 0.75, 1.0):
            want = c0 + c1 * x + c2 * x**2 + c3 * x**3 + c4 * x**4
            assert wan.spread(x * 40e-6, t) * 1e6 == pytest.approx(want, abs=1e-9)
    assert wan.spread(20e-6, DAY) * 1e6 == pytest.approx(3.91, abs=0.005)   # x = 0.5, 1 day


def test_wan_spread_agrees_with_crosssims_independent_fit():
    """CrossSim's RRAM_Wan fits the same figure with a cubic in G (uS); read with
    x_ref = 40 uS the two fits agree within 20 % from 5 to 35 uS."""
    wan = load_preset("rram-wan2022").device()
    g = np.linspace(5.0, 35.0, 31)
    cubic = 1.536e-4 * g**3 - 1.167e-2 * g**2 + 2.374e-1 * g + 1.053
    ratio = wan.spread(g * 1e-6, 1.0) * 1e6 / cubic
    assert np.all(np.abs(ratio - 1.0) <= 0.2)


def test_monte_carlo_conductances_have_the_measured_spread(wan):
    n = 40000
    for target in (10e-6, 20e-6, 30e-6):
        state = wan.program(np.full(n, target), seed=1)
        for t in (1.0, DAY, 2 * DAY):
            g = wan.conductances(state, t)
            sigma = wan.spread(target, t)
            assert abs(g.mean() - target) < 4 * sigma / math.sqrt(n)
            assert g.std() == pytest.approx(sigma, abs=4 * sigma / math.sqrt(2 * n))


def test_variance_is_interpolated_in_log_time_and_held_outside(wan):
    g = np.array([5e-6, 20e-6, 35e-6])
    mid = math.sqrt(DAY * 2 * DAY)              # halfway in ln t
    np.testing.assert_allclose(wan.spread(g, mid) ** 2,
                               (wan.spread(g, DAY) ** 2 + wan.spread(g, 2 * DAY) ** 2) / 2,
                               rtol=1e-12)
    np.testing.assert_array_equal(wan.spread(g, 0.1), wan.spread(g, 1.0))
    np.testing.assert_array_equal(wan.spread(g, 3.15e7), wan.spread(g, 2 * DAY))


def test_relaxation_keeps_each_device_history(wan):
    state = wan.program(np.full(1000, 20e-6), seed=2)
    d1 = wan.conductances(state, DAY) - state.g_prog
    d2 = wan.conductances(state, 2 * DAY) - state.g_prog
    inside = (state.g_prog > 10e-6)             # away from the 0 S floor
    assert np.all(np.sign(d1[inside]) == np.sign(d2[inside]))
    np.testing.assert_array_equal(wan.conductances(state, 0.5), np.maximum(state.g_prog, 0))


def test_milo_spread_is_linear_and_does_not_relax():
    milo = load_preset("rram-milo2021").device()
    assert (milo.g_min, milo.g_max) == (50e-6, 225e-6) and not milo.drifts
    for g_us in (50.0, 100.0, 225.0):
        assert milo.spread(g_us * 1e-6, 1.0) * 1e6 == pytest.approx(
            -0.009107 * g_us + 4.782321, abs=1e-9)
    state = milo.program(np.linspace(50e-6, 225e-6, 100), seed=3)
    np.testing.assert_array_equal(milo.conductances(state, 1.0), milo.conductances(state, 3e7))


def test_same_seed_same_devices_and_bad_input_named(wan):
    a = wan.program(np.full(50, 20e-6), seed=4)
    b = wan.program(np.full(50, 20e-6), seed=4)
    np.testing.assert_array_equal(wan.conductances(a, DAY), wan.conductances(b, DAY))
    with pytest.raises(InputError, match="g_target"):
        wan.program(np.array([50e-6]), seed=0)
    with pytest.raises(InputError, match="sigma_times"):
        RRAMParams(0.0, 1e-5, 1e-5, (2.0, 1.0), ((1e-6,), (1e-6,)))
    with pytest.raises(InputError, match="sigma_coeff"):
        RRAMParams(0.0, 1e-5, 1e-5, (1.0, 2.0), ((1e-6,),))
    with pytest.raises(InputError, match="g_min"):
        RRAMParams(2e-5, 1e-5, 1e-5, (1.0,), ((1e-6,),))


def test_presets_round_trip_through_toml():
    for name in ("rram-wan2022", "rram-milo2021"):
        preset = load_preset(name)
        again = preset_from_toml(preset_to_toml(preset))
        assert again.params == preset.params and isinstance(again.device(), RRAM)


def test_rram_tile_changes_with_time():
    """A tile of relaxing RRAM computes worse a day after programming than at 1 s,
    with the device's spread growing as the model says (no read noise)."""
    rng = np.random.default_rng(5)
    w = rng.normal(size=(64, 32))
    x = rng.uniform(-1, 1, (16, 64))
    tile = Tile(w, "rram-wan2022", seed=6, dac=DAC(bits=0))
    exact = x @ w
    err = {t: np.sqrt(np.mean((tile.matmul(x, t) - exact) ** 2)) for t in (1.0, DAY)}
    assert err[DAY] > 1.3 * err[1.0]
    assert tile.read_noise_std(DAY).max() == 0.0
