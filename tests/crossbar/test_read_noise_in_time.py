"""Read noise of successive tile reads: correlated as 1/f noise, frozen, or independent."""

import math

import numpy as np
import pytest

from memsim.crossbar import DAC, BitSlicedMatrix, Tile, TiledMatrix
from memsim.devices import PCM, PCMParams

T = 86400.0


def noise_of_reads(tile, x, reads, rng):
    """Output-current noise (A) of ``reads`` successive reads of input ``x``."""
    clean = tile.column_currents(x, T, read_noise=False)
    return np.array([tile.column_currents(x, T, seed=rng) - clean for _ in range(reads)])


def make_tile(mode, seed=0, shape=(64, 32)):
    w = np.random.default_rng(seed).normal(size=shape)
    return Tile(w, "pcm", seed=seed, dac=DAC(bits=0), read_noise=mode)


def test_output_noise_correlation_follows_one_over_f():
    """Read 0 against reads 1, 10 and 100 ms later at t = 1 day, over independent
    restarts of the process: the correlation of the output noise is the device's,
    1 - ln(dt / 2 t_read) / ln((t + t0 + t_read) / 2 t_read), within Monte Carlo error."""
    tile = make_tile("correlated")
    p = tile.device.params
    x = np.ones((1, 64))
    rng = np.random.default_rng(1)
    lags, runs = (1, 10, 100), 60
    pairs = {m: [] for m in lags}
    first = []
    for _ in range(runs):
        tile.restart_reads()
        noise = noise_of_reads(tile, x, max(lags) + 1, rng)[:, 0, :]
        first.append(noise[0])
        for m in lags:
            pairs[m].append((noise[0], noise[m]))
    sigma = np.sqrt((tile.dac.convert(x) ** 2) @ tile.read_noise_std(T) ** 2)[0]
    first = np.array(first) / sigma
    n = first.size
    # one read keeps the device model's statistics: N(0, sigma^2) per column
    assert first.var() == pytest.approx(1.0, abs=4 * math.sqrt(2 / n))
    log_width = math.log((T + p.t0 + p.t_read) / (2 * p.t_read))
    for m in lags:
        a, b = (np.array(z) / sigma for z in zip(*pairs[m]))
        rho = float(np.mean(a * b))
        expected = 1.0 - math.log(m * 1e-3 / (2 * p.t_read)) / log_width
        assert abs(rho - expected) < 4 * math.sqrt((1 + expected ** 2) / n) + 0.06 / log_width


def test_independent_mode_is_a_fresh_draw_per_read():
    """Bit for bit the output noise N(0, sum_i s_ij^2 V_i^2) drawn from the read stream."""
    tile = make_tile("independent")
    x = np.random.default_rng(2).uniform(0, 1, (3, 64))
    got = tile.column_currents(x, T, seed=np.random.default_rng(4))
    v = tile.dac.convert(x)
    std = np.sqrt((v * v) @ tile.read_noise_std(T) ** 2)
    clean = tile.column_currents(x, T, read_noise=False)
    want = clean + std * np.random.default_rng(4).standard_normal(clean.shape)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_frozen_mode_holds_one_draw_per_evaluation():
    tile = make_tile("frozen")
    x = np.ones((2, 64))
    noise = noise_of_reads(tile, x, 4, np.random.default_rng(5))
    np.testing.assert_allclose(noise[1:], np.broadcast_to(noise[0], noise[1:].shape),
                               rtol=1e-9, atol=1e-18)
    np.testing.assert_allclose(noise[0, 0], noise[0, 1], rtol=1e-12)  # one read instant
    tile.restart_reads()
    again = noise_of_reads(tile, x, 1, np.random.default_rng(6))
    assert not np.allclose(again[0], noise[0])


def test_batch_shares_the_held_part_and_not_the_fresh_part():
    tile = make_tile("correlated")
    x = np.ones((400, 64))
    noise = noise_of_reads(tile, x, 1, np.random.default_rng(7))[0]
    sigma2 = ((tile.dac.convert(x[:1]) ** 2) @ tile.read_noise_std(T) ** 2)[0]
    process = tile._noise[1]
    # across the batch only the fresh share varies
    spread = noise.var(axis=0) / sigma2
    assert np.median(spread) == pytest.approx(process.fresh, rel=0.15)


def test_tiled_matrix_restarts_and_same_seed_same_reads():
    w = np.random.default_rng(8).normal(size=(80, 20))
    x = np.ones((1, 80))

    def reads(seed):
        tm = TiledMatrix(w, "pcm", seed=1, tile_shape=(32, 32), dac=DAC(bits=0))
        rng = np.random.default_rng(seed)
        return np.array([tm.matmul(x, T, rng) for _ in range(5)])

    np.testing.assert_array_equal(reads(3), reads(3))
    assert not np.array_equal(reads(3), reads(4))


@pytest.mark.parametrize("mode", ["independent", "correlated"])
def test_bit_serial_pulses_share_their_read_noise(mode):
    """The pulses of one bit-serial input are nanoseconds apart, so they see one draw of
    the devices' noise: the combined output's noise is that of a single analog read of
    the quantised input, sqrt(sum_i s_ij^2 V_i^2) with V_i = v_max q_i / (2^b - 1), and
    not the smaller sqrt(sum_p 4^p ...) of independent pulses."""
    quiet = PCM(PCMParams(prog_noise_scale=0.0, drift_scale=0.0))   # identical states
    w = np.random.default_rng(9).normal(size=(32, 16))
    bits, n = 4, 3000
    x = np.random.default_rng(10).uniform(0.0, 1.0, (1, 32))
    serial = BitSlicedMatrix(w, quiet, seed=3, input_bits=bits, tile_shape=(32, 32),
                             dac=DAC(signed=False, bits=0), read_noise=mode)
    x_q = np.rint(x * (2**bits - 1)) / (2**bits - 1)
    one_shot = Tile(w, quiet, seed=3, dac=DAC(signed=False, bits=0), read_noise="independent")
    noise_serial = serial.matmul(np.repeat(x, n, 0), T, seed=11) - serial.matmul(
        x, T, read_noise=False)
    noise_one = one_shot.matmul(np.repeat(x_q, n, 0), T, seed=12) - one_shot.matmul(
        x_q, T, read_noise=False)
    ratio = noise_serial.std(axis=0) / noise_one.std(axis=0)
    if mode == "correlated":          # across a batch only the fresh share varies
        ratio = ratio / math.sqrt(serial.tiles[0][0]._noise[1].fresh)
    # each ratio of two stds of n draws scatters by sqrt(1/n); 16 columns
    assert abs(ratio.mean() - 1.0) < 4 * math.sqrt(1.0 / n / 16)
