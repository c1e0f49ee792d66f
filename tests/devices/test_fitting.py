"""Fits recover known parameters from synthetic data, and work on the measured ramps."""

import numpy as np
import pytest

from memsim.devices.simulate import ramp_traces
from memsim.devices import PCM, PCMParams, PulseParams
from memsim.devices.fitting import FitError, fit_drift, fit_pulse_ramps
from memsim.devices.measured import read_ramps

TRUTH = PulseParams(g_min=1.6e-3, g_max=2.5e-3, levels=150, levels_ltd=120, nl_ltp=-1.5,
                    nl_ltd=2.2, c2c=0.005)


@pytest.fixture(scope="module")
def synthetic_fit():
    ltp, ltd = ramp_traces(TRUTH, 40, TRUTH.p_max_ltp, TRUTH.p_max_ltd, seed=11)
    return fit_pulse_ramps(list(ltp.T), list(ltd.T), n_bootstrap=20, seed=0)


def test_round_trip_recovers_known_parameters(synthetic_fit):
    fit = synthetic_fit
    span = TRUTH.g_max - TRUTH.g_min
    # tolerances reached with 40 runs per direction, c2c = 0.5 %
    assert fit.levels == 150 and fit.levels_ltd == 120
    assert abs(fit.g_min - TRUTH.g_min) < 0.02 * span
    assert abs(fit.g_max - TRUTH.g_max) < 0.02 * span
    assert fit.nl_ltp == pytest.approx(TRUTH.nl_ltp, abs=0.15)
    assert fit.nl_ltd == pytest.approx(TRUTH.nl_ltd, abs=0.15)
    assert fit.c2c == pytest.approx(TRUTH.c2c, rel=0.1)
    for key in ("g_min", "g_max", "nl_ltp", "nl_ltd", "c2c"):
        assert 0 < fit.uncertainty[key] < np.inf
    assert fit.goodness["r2"] > 0.9


def test_noise_free_round_trip_is_exact():
    truth = PulseParams(g_min=1e-6, g_max=1e-5, levels=80, nl_ltp=3.0, nl_ltd=-2.0)
    ltp, ltd = ramp_traces(truth, 3, 80, 80, seed=0)
    fit = fit_pulse_ramps(list(ltp.T), list(ltd.T), n_bootstrap=0)
    assert fit.g_min == pytest.approx(1e-6, rel=1e-6)
    assert fit.g_max == pytest.approx(1e-5, rel=1e-6)
    assert fit.nl_ltp == pytest.approx(3.0, abs=1e-4)
    assert fit.nl_ltd == pytest.approx(-2.0, abs=1e-4)
    assert fit.c2c < 1e-6


def test_fit_of_the_measured_ramps(ramps_dir):
    _, ltp = read_ramps(ramps_dir / "set.csv", read_voltage=0.1)
    _, ltd = read_ramps(ramps_dir / "reset.csv", read_voltage=0.1)
    fit = fit_pulse_ramps(ltp, ltd, n_bootstrap=10, seed=0)
    assert 1.5e-3 < fit.g_min < 1.7e-3 and 2.4e-3 < fit.g_max < 2.55e-3
    assert fit.goodness["r2"] > 0.99
    assert 0 < fit.c2c < 0.01
    assert fit.run_spread["g_min"] > 0
    params = fit.params()
    assert params.levels == fit.levels


def test_too_few_runs():
    with pytest.raises(FitError, match="at least 2 runs"):
        fit_pulse_ramps([np.linspace(1, 2, 10)], [np.linspace(2, 1, 10)] * 2)


def test_drift_round_trip_per_state():
    targets = np.array([5e-6, 12.5e-6, 25e-6])
    pcm = PCM(PCMParams())
    n = 3000
    state = pcm.program(np.repeat(targets, n), seed=1)
    times = np.array([1.0, 60.0, 3600.0, 86400.0, 2.6e6])
    rng = np.random.default_rng(2)
    g = np.array([pcm.read(state, t, rng) for t in times])      # (times, devices)
    keep = np.all(g > 0, axis=0)
    dev = np.tile(np.arange(g.shape[1]), (times.size, 1))[:, keep].ravel()
    labels = np.tile(np.repeat(["low", "mid", "high"], n), (times.size, 1))[:, keep].ravel()
    tt = np.repeat(times, keep.sum())
    fit = fit_drift(dev, tt, g[:, keep].ravel(), state=labels)
    mu, sigma = pcm.drift_moments(targets)
    assert fit.states == ["low", "mid", "high"]
    np.testing.assert_allclose(fit.nu_mean, mu, atol=4 * fit.nu_mean_err.max() + 1e-3)
    np.testing.assert_allclose(fit.nu_std, sigma, rtol=0.25)


def test_drift_needs_three_reads():
    with pytest.raises(FitError, match="at least 3 reads"):
        fit_drift(["a", "a"], [1.0, 10.0], [1e-6, 0.9e-6])
