"""PCM model against hand-computed values of its published equations and its moments."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from memsim.devices import PCM, PCMParams

T0 = 20.0


def test_published_coefficients_by_hand():
    pcm = PCM()
    # sigma_prog(g_max) = 0.26348 + 1.9650 - 1.1731 = 1.05538 uS at g_max = 25 uS
    assert pcm.programming_sigma(25e-6) == pytest.approx(1.05538e-6, rel=1e-12)
    # x = 0.1: mu = -0.0155 ln 0.1 + 0.0244, sigma = -0.0125 ln 0.1 - 0.0059
    mu, sigma = pcm.drift_moments(2.5e-6)
    assert mu == pytest.approx(0.0155 * np.log(10) + 0.0244, rel=1e-12)
    assert sigma == pytest.approx(0.0125 * np.log(10) - 0.0059, rel=1e-12)
    # x = 1: both clamped to their lower bounds
    assert pcm.drift_moments(25e-6) == (pytest.approx(0.049), pytest.approx(0.008))
    # programming sigma scales with g_max / 25 uS
    assert PCM(PCMParams(g_max=50e-6)).programming_sigma(50e-6) == pytest.approx(2 * 1.05538e-6)


@pytest.mark.parametrize("target", [5e-6, 12.5e-6, 25e-6])
def test_programming_noise_moments(target):
    pcm = PCM(PCMParams(read_noise_scale=0.0, drift_scale=0.0))
    n = 200_000
    state = pcm.program(np.full(n, target), seed=1)
    sigma = pcm.programming_sigma(target)
    # the clamp at 0 S is > 4 sigma away for these targets
    assert abs(state.g_prog.mean() - target) < 5 * sigma / np.sqrt(n)
    assert state.g_prog.std() == pytest.approx(sigma, rel=0.01)


@pytest.mark.parametrize("target", [5e-6, 25e-6])
def test_drift_exponent_moments_and_power_law(target):
    pcm = PCM(PCMParams(read_noise_scale=0.0, prog_noise_scale=0.0))
    n = 200_000
    state = pcm.program(np.full(n, target), seed=2)
    t = 86400.0
    g = pcm.read(state, t, seed=3)
    nu = -np.log(g / target) / np.log((t + T0) / T0)
    np.testing.assert_allclose(nu, state.nu, rtol=1e-10)
    mu, sigma = pcm.drift_moments(target)
    assert abs(nu.mean() - mu) < 5 * sigma / np.sqrt(n)
    assert nu.std() == pytest.approx(sigma, rel=0.02)


def test_read_noise_grows_with_log_time():
    pcm = PCM(PCMParams(prog_noise_scale=0.0, drift_scale=0.0))
    state = pcm.program(np.full(200_000, 25e-6), seed=4)
    for t in (0.0, 3600.0, 3.15e7):
        g = pcm.read(state, t, seed=5)
        expected = 0.0088 * np.sqrt(np.log((t + T0 + 250e-9) / (2 * 250e-9)))
        assert g.std() / 25e-6 == pytest.approx(expected, rel=0.01)


@settings(max_examples=25, deadline=None)
@given(t1=st.floats(0, 1e8), dt=st.floats(1e-3, 1e8), seed=st.integers(0, 2**32 - 1))
def test_drift_monotone_in_time(t1, dt, seed):
    pcm = PCM(PCMParams(read_noise_scale=0.0))
    state = pcm.program(np.linspace(0, 25e-6, 200), seed=seed)
    g1, g2 = pcm.read(state, t1, seed=0), pcm.read(state, t1 + dt, seed=0)
    assert np.all(g2 <= g1)
    assert np.all(g2 >= 0)


def test_never_negative_and_same_seed_same_samples():
    pcm = PCM(PCMParams(prog_noise_scale=5.0, read_noise_scale=5.0))
    targets = np.linspace(0, 25e-6, 10_000)
    a = pcm.read(pcm.program(targets, seed=7), 1e5, seed=8)
    b = pcm.read(pcm.program(targets, seed=7), 1e5, seed=8)
    assert np.all(a >= 0)
    np.testing.assert_array_equal(a, b)


def test_global_drift_compensation_restores_reference():
    pcm = PCM(PCMParams(read_noise_scale=0.0))
    state = pcm.program(np.random.default_rng(0).uniform(1e-6, 25e-6, 50_000), seed=1)
    g0 = pcm.read(state, 0.0, seed=2)
    g = pcm.read(state, 3.15e7, seed=2, compensate=True)
    assert g.sum() == pytest.approx(g0.sum(), rel=1e-12)
    assert pcm.read(state, 3.15e7, seed=2).sum() < 0.5 * g0.sum()


@pytest.mark.parametrize("kwargs, match", [
    ({"g_max": -1.0}, "g_max"), ({"t0": 0.0}, "t0"), ({"drift_mu_clip": (0.2, 0.1)}, "drift_mu_clip"),
    ({"read_q": float("nan")}, "read_q"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PCMParams(**kwargs)


def test_bad_inputs():
    pcm = PCM()
    with pytest.raises(ValueError, match="g_target"):
        pcm.program([1e-6, -1e-6], seed=0)
    with pytest.raises(ValueError, match="g_target"):
        pcm.program([np.nan], seed=0)
    state = pcm.program([1e-6], seed=0)
    with pytest.raises(ValueError, match="t must be"):
        pcm.read(state, -1.0, seed=0)
    with pytest.raises(TypeError, match="seed"):
        pcm.program([1e-6], seed=None)
