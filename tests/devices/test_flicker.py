"""1/f read noise in time (memsim.devices.flicker) against the 1/f results by hand."""

import math

import numpy as np
import pytest

from memsim.devices.flicker import FlickerNoise
from memsim.errors import InputError

T_READ, T0 = 10e-9, 20.0


def one_over_f_correlation(dt, t):
    """Leading-log 1/f result: the share ln(dt / 2 t_read) / ln(t / 2 t_read) of the
    variance accumulated over [2 t_read, t] decorrelates between reads dt apart."""
    return 1.0 - math.log(dt / (2 * T_READ)) / math.log((t + T0 + T_READ) / (2 * T_READ))


def process(mode="correlated", n=4000, t=86400.0, interval=1e-3, seed=0):
    return FlickerNoise(n, (2 * T_READ, t + T0 + T_READ), interval, mode,
                        np.random.default_rng(seed))


def test_shares_add_up_and_bands_are_octaves():
    for t in (1.0, 86400.0, 3.15e7):
        p = process(t=t)
        assert p.fresh + p.shares.sum() + p.frozen == pytest.approx(1.0, abs=1e-12)
        log_width = math.log((t + T0 + T_READ) / (2 * T_READ))
        assert p.fresh == pytest.approx(math.log(1e-3 / (4 * T_READ)) / log_width)
        assert np.all(p.shares == pytest.approx(math.log(2) / log_width))
        assert list(p.holds) == [2 ** (k + 1) for k in range(len(p.holds))]
        assert math.log(2) / log_width < p.frozen <= 2 * math.log(2) / log_width + 1e-12


@pytest.mark.parametrize("t", [1.0, 86400.0, 3.15e7])
def test_exact_correlation_is_the_one_over_f_law(t):
    """At lags of 2^j reads the construction's correlation is the leading-log 1/f law
    up to ln2 2^(j-K) / L; between them within 0.0597 / L more (the largest gap of
    ln x and its chord over an octave)."""
    p = process(t=t)
    log_width = math.log((t + T0 + T_READ) / (2 * T_READ))
    for j in range(0, 12):
        m = 2 ** j
        bound = math.log(2) * 2.0 ** (j - len(p.holds)) / log_width + 1e-12
        assert abs(p.correlation(m) - one_over_f_correlation(m * 1e-3, t)) <= bound
    for m in (3, 10, 100, 1000):
        bound = (0.0597 + math.log(2) * 2 * m / 2 ** len(p.holds)) / log_width
        assert abs(p.correlation(m) - one_over_f_correlation(m * 1e-3, t)) < bound
    assert p.correlation(0) == 1.0


def test_monte_carlo_correlation_matches_the_law():
    """Sample correlation of device noise at lags 1, 10 and 100 reads (1 ms, 10 ms,
    100 ms at t = 1 day) against the 1/f law, within the Monte Carlo error."""
    n, lags = 6000, (1, 10, 100)
    rng = np.random.default_rng(1)
    p = process(n=n, seed=2)
    fresh = math.sqrt(p.fresh)
    z = []
    for _ in range(max(lags) + 1):
        z.append(p.held + fresh * rng.standard_normal(n))
        p.advance(rng)
    z = np.array(z)
    # single-read statistics unchanged: N(0, 1) at the first and the last read
    for read in (z[0], z[-1]):
        assert abs(read.mean()) < 4 / math.sqrt(n)
        assert read.var() == pytest.approx(1.0, abs=4 * math.sqrt(2 / n))
    for m in lags:
        expected = one_over_f_correlation(m * 1e-3, 86400.0)
        rho = float(np.mean(z[0] * z[m]))
        error = math.sqrt((1 + expected ** 2) / n)     # std of a product of N(0,1) pairs
        assert abs(rho - expected) < 4 * error + 0.06 / math.log(86420 / (2 * T_READ))


def test_frozen_and_independent_modes():
    rng = np.random.default_rng(3)
    frozen = process("frozen")
    first = frozen.held.copy()
    for _ in range(5):
        frozen.advance(rng)
    assert frozen.fresh == 0.0 and frozen.frozen == 1.0
    np.testing.assert_array_equal(frozen.held, first)
    assert frozen.correlation(1000) == 1.0
    independent = process("independent")
    assert independent.fresh == 1.0 and independent.correlation(1) == 0.0
    assert not independent.held.any()


def test_same_seed_same_process():
    a, b = process(seed=5), process(seed=5)
    ra, rb = np.random.default_rng(6), np.random.default_rng(6)
    for _ in range(7):
        a.advance(ra)
        b.advance(rb)
    np.testing.assert_array_equal(a.held, b.held)


def test_bad_input_is_named():
    with pytest.raises(InputError, match="read_noise"):
        process("pink")
    with pytest.raises(InputError, match="read_interval"):
        process(interval=0.0)
    with pytest.raises(InputError, match="time scales"):
        FlickerNoise(4, None, 1e-3, "correlated", np.random.default_rng(0))
