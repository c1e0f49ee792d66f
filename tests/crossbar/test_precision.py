"""Bit-sliced weights and bit-serial inputs: exact against integer arithmetic done here
when ideal, within the ADC's half step when not, the same as a tiled matrix when off,
counts, reproducibility, bad input."""

import numpy as np
import pytest

from memsim.crossbar import ADC, DAC, BitSlicedMatrix, TileCounts, TiledMatrix
from memsim.devices import PCM, PCMParams

IDEAL_PCM = PCM(PCMParams(prog_noise_scale=0.0, drift_scale=0.0, read_noise_scale=0.0))


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def quantised_weights(w, bits, w_max=None):
    """W_q: |w| on 2^bits - 1 levels of one w_max for the whole matrix, sign kept."""
    w_max = np.abs(w).max() if w_max is None else w_max
    levels = 2 ** bits - 1
    return np.sign(w) * np.round(np.minimum(np.abs(w), w_max) / w_max * levels) * w_max / levels


def quantised_inputs(x, bits, x_max):
    levels = 2 ** bits - 1
    return np.round(np.clip(x, 0.0, x_max) / x_max * levels) * x_max / levels


def bit_planes(x, bits, x_max):
    """Binary planes, shape (bits, batch, n_in), plane p the bit of weight 2^p."""
    q = np.round(np.clip(x, 0.0, x_max) / x_max * (2 ** bits - 1)).astype(int)
    return np.stack([(q // 2 ** p) % 2 for p in range(bits)])


@pytest.mark.parametrize("slices", [1, 2, 4])
@pytest.mark.parametrize("slice_bits", [1, 2, 4])
def test_ideal_sliced_weights_compute_the_quantised_product(slices, slice_bits):
    rng = np.random.default_rng(slices * 10 + slice_bits)
    w = rng.normal(size=(12, 5))
    x = rng.uniform(-1, 1, (6, 12))
    m = BitSlicedMatrix(w, IDEAL_PCM, seed=1, slices=slices, slice_bits=slice_bits,
                        dac=DAC(bits=0), adc=ADC(bits=0))
    w_q = quantised_weights(w, slices * slice_bits)
    assert rel(m.matmul(x, read_noise=False), x @ w_q) <= 1e-9
    assert m.tiles[0][0].mapping.g_target.shape == (12, 2 * slices * 5)


@pytest.mark.parametrize("scheme", ["differential", "reference"])
def test_sliced_matrix_larger_than_one_tile(scheme):
    rng = np.random.default_rng(2)
    w = rng.normal(size=(20, 7))
    x = rng.uniform(-1, 1, (4, 20))
    m = BitSlicedMatrix(w, IDEAL_PCM, seed=3, slices=2, slice_bits=3, tile_shape=(8, 8),
                        dac=DAC(bits=0), scheme=scheme)
    out_per_tile = 4 if scheme == "differential" else 7
    assert m.n_tiles == 3 * -(-2 * 7 // out_per_tile)
    assert m.shape == (20, 7)
    assert rel(m.matmul(x, read_noise=False), x @ quantised_weights(w, 6)) <= 1e-9


def test_per_column_scale_and_clipping():
    rng = np.random.default_rng(4)
    w = rng.normal(size=(10, 4)) * np.array([1.0, 10.0, 0.1, 3.0])
    x = rng.uniform(0, 1, (3, 10))
    m = BitSlicedMatrix(w, IDEAL_PCM, seed=0, slices=2, slice_bits=4, dac=DAC(bits=0),
                        clip="percentile", clip_value=90.0, per_column=True)
    w_max = np.percentile(np.abs(w), 90.0, axis=0)
    assert m.n_clipped == np.count_nonzero(np.abs(w) > w_max)
    assert rel(m.matmul(x, read_noise=False), x @ quantised_weights(w, 8, w_max)) <= 1e-9


@pytest.mark.parametrize("adc_bits", [6, 9])
def test_adc_error_is_within_half_a_step_per_slice_and_row_block(adc_bits):
    rng = np.random.default_rng(5)
    w = rng.normal(size=(24, 6))
    x = rng.uniform(0, 1, (40, 24))
    k, n = 3, 2
    vpu = 0.2
    m = BitSlicedMatrix(w, IDEAL_PCM, seed=6, slices=k, slice_bits=n, tile_shape=(10, 8),
                        dac=DAC(bits=0, v_max=vpu), adc=ADC(bits=adc_bits))
    m.calibrate_adc(x)
    y = m.matmul(x, read_noise=False)
    # a slice column of the inner matrix: digits in [-(2^n - 1), 2^n - 1] over the
    # device range, so one ADC step in current is step / gain in digit-input units
    gain = (IDEAL_PCM.g_max - IDEAL_PCM.g_min) / (2 ** n - 1) * vpu
    w_max, levels = np.abs(w).max(), 2 ** (k * n) - 1
    bound = np.zeros(w.shape[1])
    for r in range(len(m.row_blocks)):
        for c, cols in enumerate(m.col_blocks):
            tile = m.tiles[r][c]
            assert tile.adc.counts["clipped"] == 0
            half_step = 0.5 * tile.adc.i_max / (2 ** (adc_bits - 1) - 1) / gain
            for col in range(cols.start, cols.stop):  # expanded column k j + s
                j, s = divmod(col, k)
                bound[j] += w_max / levels * 2 ** (n * s) * half_step
    err = np.abs(y - x @ quantised_weights(w, k * n))
    assert np.all(err <= bound * (1 + 1e-9) + 1e-12)
    assert err.max() > 0.0  # the ADC does quantise


@pytest.mark.parametrize("bits", [1, 2, 3, 6])
def test_bit_serial_inputs_equal_a_one_shot_unsigned_dac(bits):
    rng = np.random.default_rng(7)
    w = rng.normal(size=(15, 6))
    x_max = 2.5
    x = rng.uniform(-0.5, 3.0, (8, 15))  # some below 0 and above x_max, to be clipped
    serial = BitSlicedMatrix(w, IDEAL_PCM, seed=8, input_bits=bits, tile_shape=(8, 8),
                             dac=DAC(bits=0, x_max=x_max, signed=False))
    y = serial.matmul(x, read_noise=False)
    assert rel(y, quantised_inputs(x, bits, x_max) @ w) <= 1e-12
    assert serial.pulses == bits
    # a 1-bit DAC is a spike driver (x > 0 reads), not the rounding of the 1-bit case
    if bits >= 2:
        one_shot = TiledMatrix(w, IDEAL_PCM, seed=8, tile_shape=(8, 8),
                               dac=DAC(bits=bits, x_max=x_max, signed=False))
        assert rel(y, one_shot.matmul(x, read_noise=False)) <= 1e-12


def test_both_schemes_together_compute_quantised_inputs_times_quantised_weights():
    rng = np.random.default_rng(9)
    w = rng.normal(size=(18, 5))
    x = rng.uniform(0, 1, (7, 18))
    m = BitSlicedMatrix(w, IDEAL_PCM, seed=10, slices=4, slice_bits=2, input_bits=4,
                        tile_shape=(16, 16), dac=DAC(signed=False))
    expected = quantised_inputs(x, 4, 1.0) @ quantised_weights(w, 8)
    assert rel(m.matmul(x, read_noise=False), expected) <= 1e-9


def test_bit_serial_calibration_sees_the_bit_planes():
    """Calibrated on the planes, every tile's ADC full scale is the largest |I+ - I-| a
    plane drives, computed here from the tiles' conductances."""
    rng = np.random.default_rng(11)
    w = rng.normal(size=(12, 4))
    x = rng.uniform(0, 1, (10, 12))
    v_max = 0.3
    m = BitSlicedMatrix(w, IDEAL_PCM, seed=12, slices=2, slice_bits=2, input_bits=3,
                        tile_shape=(8, 8), dac=DAC(v_max=v_max, signed=False),
                        adc=ADC(bits=8))
    m.calibrate_adc(x)
    planes = bit_planes(x, 3, 1.0).reshape(-1, 12) * v_max
    for r, rows in enumerate(m.row_blocks):
        for c in range(len(m.col_blocks)):
            g = m.tiles[r][c].conductances()
            diff = planes[:, rows] @ (g[:, 0::2] - g[:, 1::2])
            assert m.tiles[r][c].adc.i_max == pytest.approx(np.abs(diff).max(), rel=1e-12)


def test_no_scheme_is_bitwise_a_tiled_matrix():
    rng = np.random.default_rng(13)
    w = rng.normal(size=(40, 12))
    x = rng.uniform(-1, 1, (5, 40))
    options = {"seed": 14, "tile_shape": (16, 16), "dac": DAC(bits=6),
               "adc": ADC(bits=7, i_max=2e-5), "clip": "percentile", "clip_value": 99.0}
    sliced = BitSlicedMatrix(w, "pcm", slices=1, slice_bits=0, input_bits=0, **options)
    plain = TiledMatrix(w, "pcm", **options)
    for t in (0.0, 3600.0):
        assert np.array_equal(sliced.matmul(x, t, seed=15, compensate=True),
                              plain.matmul(x, t, seed=15, compensate=True))
    assert sliced.counts == plain.counts
    assert sliced.counts.shift_adds == 0 and sliced.pulses == 1
    assert sliced.n_clipped == plain.n_clipped
    assert sliced.n_tiles == plain.n_tiles and sliced.row_blocks == plain.row_blocks


def test_counts_of_reads_pulses_and_shift_adds():
    rng = np.random.default_rng(16)
    n_in, n_out, k, b, batch = 20, 6, 2, 3, 5
    w = rng.normal(size=(n_in, n_out))
    x = rng.uniform(0, 1, (batch, n_in))
    x[0] = 0.0  # an input vector whose planes drive no row: idle reads
    m = BitSlicedMatrix(w, IDEAL_PCM, seed=17, slices=k, slice_bits=2, input_bits=b,
                        tile_shape=(8, 8), dac=DAC(signed=False), adc=ADC(bits=8, i_max=1e-5))
    m.matmul(x, read_noise=False)
    planes = bit_planes(x, b, 1.0)
    n_col_tiles = -(-k * n_out // 4)
    assert all(tile.counts.reads == b * batch for row in m.tiles for tile in row)
    c = m.counts
    assert c.dac_pulses == c.dac_activations == np.count_nonzero(planes) * n_col_tiles
    assert c.dac_conversions == b * batch * n_in * n_col_tiles
    active = [np.any(planes[:, :, rows], axis=2).sum() for rows in m.row_blocks]
    assert c.idle_reads == sum(b * batch - a for a in active) * n_col_tiles
    assert c.adc_conversions == sum(active) * k * n_out
    assert c.shift_adds == batch * n_out * (k * b - 1)
    m.matmul(x[:2], read_noise=False)
    assert m.counts.shift_adds == (batch + 2) * n_out * (k * b - 1)
    m.reset_counts()
    assert m.counts == TileCounts()
    assert (TileCounts(reads=1, shift_adds=2) + TileCounts(reads=3, shift_adds=5)
            == TileCounts(reads=4, shift_adds=7))


def test_same_seed_same_result():
    rng = np.random.default_rng(18)
    w = rng.normal(size=(30, 9))
    x = rng.uniform(0, 1, (4, 30))

    def make():
        return BitSlicedMatrix(w, "pcm", seed=19, slices=2, slice_bits=3, input_bits=4,
                               tile_shape=(16, 16), dac=DAC(signed=False),
                               adc=ADC(bits=8, i_max=3e-5, noise_std=1e-8))

    a, b = make(), make()
    assert np.array_equal(a.matmul(x, 60.0, seed=20), b.matmul(x, 60.0, seed=20))
    assert a.counts == b.counts
    assert not np.array_equal(a.matmul(x, 60.0, seed=20), a.matmul(x, 60.0, seed=21))
    assert not np.array_equal(make().tiles[0][0].conductances(),
                              BitSlicedMatrix(w, "pcm", seed=22, slices=2, slice_bits=3,
                                              tile_shape=(16, 16)).tiles[0][0].conductances())


def test_bad_input():
    w = np.ones((4, 3))
    with pytest.raises(ValueError, match="slices must be >= 1, got 0"):
        BitSlicedMatrix(w, "pcm", seed=0, slices=0)
    with pytest.raises(ValueError, match="slices must be a whole number, got 1.5"):
        BitSlicedMatrix(w, "pcm", seed=0, slices=1.5, slice_bits=2)
    with pytest.raises(ValueError, match="slice_bits must be <= 8, got 9"):
        BitSlicedMatrix(w, "pcm", seed=0, slice_bits=9)
    with pytest.raises(ValueError, match="slice_bits must be >= 0, got -1"):
        BitSlicedMatrix(w, "pcm", seed=0, slice_bits=-1)
    with pytest.raises(ValueError, match=r"slices \* slice_bits .* <= 16, got slices=3 \* "
                                         r"slice_bits=6 = 18"):
        BitSlicedMatrix(w, "pcm", seed=0, slices=3, slice_bits=6)
    with pytest.raises(ValueError, match="slices=2 needs slice_bits >= 1"):
        BitSlicedMatrix(w, "pcm", seed=0, slices=2)
    with pytest.raises(ValueError, match="input_bits must be <= 16, got 17"):
        BitSlicedMatrix(w, "pcm", seed=0, input_bits=17)
    with pytest.raises(TypeError, match="input_bits must be a real number"):
        BitSlicedMatrix(w, "pcm", seed=0, input_bits="4")
    with pytest.raises(ValueError, match=r"input_bits=4 .* needs an unsigned dac, got DAC\("
                                         r"bits=8, .*signed=True"):
        BitSlicedMatrix(w, "pcm", seed=0, input_bits=4, dac=DAC())
    with pytest.raises(TypeError, match="dac must be a memsim.crossbar.DAC"):
        BitSlicedMatrix(w, "pcm", seed=0, dac="8-bit")
    with pytest.raises(ValueError, match="scheme must be one of"):
        BitSlicedMatrix(w, "pcm", seed=0, scheme="balanced")
    with pytest.raises(ValueError, match="clip_value must be None for clip='max'"):
        BitSlicedMatrix(w, "pcm", seed=0, slices=2, slice_bits=2, clip_value=1.0)
    m = BitSlicedMatrix(w, "pcm", seed=0, slices=2, slice_bits=2, input_bits=2)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 4\)"):
        m.matmul(np.ones((2, 5)), seed=0)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 4\)"):
        m.calibrate_adc(np.ones((2, 3)))
    with pytest.raises(ValueError, match="seed is required for the read noise"):
        m.matmul(np.ones((2, 4)))
