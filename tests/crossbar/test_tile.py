"""Tiles and tiled matrices: exact when ideal, drift statistics as the PCM model
predicts, read noise as output noise against full solves, counts, bad input."""

import numpy as np
import pytest

from memsim.crossbar import ADC, DAC, ConvergenceError, Crossbar, Tile, TiledMatrix, Wires
from memsim.crossbar import _reference as ref
from memsim.devices import PCM, PCMParams

IDEAL_PCM = PCM(PCMParams(prog_noise_scale=0.0, drift_scale=0.0, read_noise_scale=0.0))


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize("scheme", ["differential", "reference"])
def test_ideal_device_computes_the_product(scheme):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(40, 7))
    x = rng.uniform(-1, 1, (9, 40))
    tile = Tile(w, IDEAL_PCM, seed=1, scheme=scheme, dac=DAC(bits=0))
    assert rel(tile.matmul(x, t=1e6, read_noise=False), x @ w) <= 1e-12


def test_tiled_matrix_adds_tile_partial_sums():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(300, 100))
    x = rng.uniform(0, 1, (5, 300))
    tm = TiledMatrix(w, IDEAL_PCM, seed=2, tile_shape=(128, 64), dac=DAC(bits=0))
    assert tm.n_tiles == 3 * 4 and tm.tiles[-1][-1].mapping.g_target.shape == (44, 8)
    assert rel(tm.matmul(x, read_noise=False), x @ w) <= 1e-12
    # one shared scale: every tile maps w_max of the whole matrix
    assert all(np.all(t.mapping.w_max == np.abs(w).max()) for row in tm.tiles for t in row)


def test_tile_with_wires_matches_direct_solve():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(64, 20))
    x = rng.uniform(0, 1, (30, 64))
    wires = Wires(r_row=2.5, r_col=2.5, r_driver=100.0)
    tile = Tile(w, "pcm", seed=4, dac=DAC(bits=0), wires=wires)
    y = tile.matmul(x, t=3600.0, read_noise=False)
    currents, _ = ref.linear_solve(tile.conductances(3600.0), tile.dac.convert(x), wires)
    expected = tile.mapping.to_outputs(tile.mapping.differential_currents(currents),
                                       tile.dac.volts_per_unit)
    assert rel(y, expected) <= 1e-9


def drift_moments_by_quadrature(pcm, g_target, t, power):
    """E[((t + t0) / t0)^(-power nu)], nu = s |mu + sigma Z|, by Gauss-Hermite."""
    z, wz = np.polynomial.hermite_e.hermegauss(120)
    wz = wz / wz.sum()
    mu, sigma = pcm.drift_moments(g_target)
    nu = pcm.params.drift_scale * np.abs(mu + sigma * z)
    return np.sum(wz * ((t + pcm.params.t0) / pcm.params.t0) ** (-power * nu))


@pytest.mark.parametrize("t", [1.0, 86400.0, 3.15e7])
def test_pcm_output_error_statistics_follow_the_device_model(t):
    """Mean and spread of y(t) - x W predicted from the model's equations."""
    pcm = PCM()
    n_in, n_out = 200, 400
    w = np.where(np.arange(n_in)[:, None] % 2 == 0, 1.0, -0.5) * np.ones((n_in, n_out))
    x = np.full((1, n_in), 0.5)
    tile = Tile(w, pcm, seed=5, dac=DAC(bits=0))
    y = tile.matmul(x, t=t, read_noise=False)[0]
    # devices sit at g_max (w = 1), g_max / 2 (w = -0.5) or 0 (no drift, no noise)
    gain = tile.mapping.g_per_weight[0] * tile.dac.volts_per_unit
    v = 0.5 * tile.dac.volts_per_unit
    mean, var = 0.0, 0.0
    for g_t, sign, count in ((pcm.g_max, 1.0, n_in // 2), (pcm.g_max / 2, -1.0, n_in // 2)):
        s_prog = pcm.programming_sigma(g_t)
        d1 = drift_moments_by_quadrature(pcm, g_t, t, 1)
        d2 = drift_moments_by_quadrature(pcm, g_t, t, 2)
        mean += sign * count * v * g_t * d1
        var += count * v**2 * ((g_t**2 + s_prog**2) * d2 - (g_t * d1) ** 2)
    mean, std = mean / gain, np.sqrt(var) / gain
    assert abs(y.mean() - mean) <= 4 * std / np.sqrt(n_out)
    assert y.std() == pytest.approx(std, rel=0.08)  # sampling error of the std ~3.5 %
    if t > 1.0:  # drift shrinks the outputs and compensation brings them back
        ideal = (x @ w)[0, 0]
        assert y.mean() < 0.97 * ideal
        y_comp = tile.matmul(x, t=t, read_noise=False, compensate=True)[0]
        assert abs(y_comp.mean() / ideal - 1.0) < abs(y.mean() / ideal - 1.0) / 3


@pytest.mark.parametrize("wires", [None, Wires(10.0, 10.0)], ids=["ideal", "10-ohm"])
def test_read_noise_as_output_noise_against_full_solves(wires):
    """Tile output noise vs Monte Carlo full solves with per-device read noise."""
    rng = np.random.default_rng(6)
    w = rng.normal(size=(48, 16))
    x = rng.uniform(0.5, 1.0, (1, 48))
    # independent reads: the batch samples one read's statistics
    tile = Tile(w, "pcm", seed=7, dac=DAC(bits=0), wires=wires, read_noise="independent")
    t = 3600.0
    g, s = tile.conductances(t), tile.read_noise_std(t)
    v = tile.dac.convert(x)
    draws = 600
    approx = tile.column_currents(np.repeat(x, draws, axis=0), t, seed=8)
    full = np.empty((draws, g.shape[1]))
    for k in range(draws):
        noisy = np.maximum(g + s * rng.standard_normal(g.shape), 0.0)
        full[k] = Crossbar(noisy, wires).solve(v).currents[0]
    std_ratio = np.median(approx.std(axis=0) / full.std(axis=0))
    ir_drop = rel(tile.circuit(t).solve(v).currents, v @ g)
    # sampling error of the median ratio ~1.5 %; the approximation ignores the IR
    # drop, which the noise sees twice (row and column), so it over-estimates
    assert abs(std_ratio - 1.0) <= 0.05 + 2.5 * ir_drop
    if wires is not None:
        assert ir_drop > 0.02 and std_ratio > 1.0
    assert rel(approx.mean(axis=0), full.mean(axis=0)) < 0.01


def test_same_seed_same_result_and_counts():
    rng = np.random.default_rng(9)
    w = rng.normal(size=(70, 30))
    x = (rng.uniform(size=(4, 70)) > 0.7).astype(float)
    make = lambda: TiledMatrix(w, "pcm", seed=10, tile_shape=(32, 32),  # noqa: E731
                               dac=DAC(bits=1, signed=False), adc=ADC(bits=6, i_max=2e-5))
    a, b = make(), make()
    assert np.array_equal(a.matmul(x, 60.0, seed=11), b.matmul(x, 60.0, seed=11))
    assert not np.array_equal(a.matmul(x, 60.0, seed=11), a.matmul(x, 60.0, seed=12))
    a = make()
    a.matmul(x, 60.0, seed=11)
    c = a.counts
    n_row_tiles, n_col_tiles = 3, 2  # 70 rows over 32-row tiles; 30 outputs over 16 per tile
    assert c.reads == 4 * n_row_tiles * n_col_tiles
    assert c.dac_activations == np.count_nonzero(x) * n_col_tiles
    assert c.adc_conversions == 4 * 30 * n_row_tiles


def test_adc_calibration_bounds_the_error():
    rng = np.random.default_rng(12)
    w = rng.normal(size=(32, 8))
    x = rng.uniform(0, 1, (50, 32))
    tile = Tile(w, IDEAL_PCM, seed=0, dac=DAC(bits=0), adc=ADC(bits=8))
    i_max = tile.calibrate_adc(x)
    y = tile.matmul(x, read_noise=False)
    step = i_max / 127 / (tile.mapping.g_per_weight[0] * tile.dac.volts_per_unit)
    assert np.abs(y - x @ w).max() <= 0.5 * step * (1 + 1e-9)
    assert tile.adc.counts["clipped"] == 0


def test_pulse_preset_tile_reads_the_weights_its_devices_hold():
    """With ideal wiring and converters, a tile of pulse devices computes x @ W_held, W_held
    the weights its programmed pairs hold, (G+ - G-) / g_w by hand; open-loop programming
    (128 levels, 3.7 % cycle-to-cycle noise per pulse) leaves W_held near W."""
    rng = np.random.default_rng(13)
    w = rng.normal(size=(16, 4))
    x = rng.uniform(size=(3, 16))
    tile = Tile(w, "taox-hfox", seed=1, dac=DAC(bits=0))
    g = tile.conductances()
    g_w = (tile.device.g_max - tile.device.g_min) / np.abs(w).max()
    w_held = (g[:, 0::2] - g[:, 1::2]) / g_w
    np.testing.assert_allclose(tile.matmul(x), x @ w_held, rtol=1e-12, atol=1e-12)
    assert np.corrcoef(w_held.ravel(), w.ravel())[0, 1] > 0.8


def test_bad_input():
    w = np.ones((4, 3))
    with pytest.raises(TypeError, match="device must be"):
        Tile(w, 3.0, seed=0)
    with pytest.raises(ValueError, match="preset"):
        Tile(w, "no-such-device", seed=0)
    tile = Tile(w, "pcm", seed=0)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 4\)"):
        tile.matmul(np.ones((2, 5)), seed=0)
    with pytest.raises(ValueError, match="seed is required for the read noise"):
        tile.matmul(np.ones((2, 4)))
    with pytest.raises(ValueError, match="t must be >= 0"):
        tile.matmul(np.ones((2, 4)), t=-1.0, seed=0)
    with pytest.raises(ValueError, match="tile_shape must be >= 2"):
        TiledMatrix(w, "pcm", seed=0, tile_shape=(1, 8))
    with pytest.raises(TypeError, match="dac must be"):
        Tile(w, "pcm", seed=0, dac="8-bit")


def test_tiles_pass_their_tolerances_to_every_circuit_solve():
    from memsim.devices.iv import Sinh
    w = np.random.default_rng(13).normal(size=(8, 3))
    x = np.full((2, 8), 0.8)
    tight = Tile(w, "pcm", seed=0, wires=Wires(5.0, 5.0), iv=Sinh(0.05), maxiter=1)
    with pytest.raises(ConvergenceError, match="after 1 Newton steps"):
        tight.matmul(x, read_noise=False)
    tm = TiledMatrix(w, "pcm", seed=0, tile_shape=(4, 4), wires=Wires(5.0, 5.0),
                     iv=Sinh(0.05), rtol=1e-3)
    loose = tm.matmul(x, read_noise=False)
    exact = TiledMatrix(w, "pcm", seed=0, tile_shape=(4, 4), wires=Wires(5.0, 5.0),
                        iv=Sinh(0.05)).matmul(x, read_noise=False)
    assert 0 < np.abs(loose - exact).max() <= 1e-2 * np.abs(exact).max()


@pytest.mark.parametrize("t_read", [10e-9, 250e-9])
def test_one_read_pulse_sets_the_read_noise_and_the_read_energy(t_read):
    """The DAC's pulse width is the one the array-read energy charges and the one over
    which the PCM 1/f read noise integrates: sigma_rd = q_s sqrt(ln((t + t0 + t_read) /
    (2 t_read))) (Nandakumar et al. 2019), computed here by hand."""
    w = np.random.default_rng(14).normal(size=(6, 3))
    tile = Tile(w, "pcm", seed=0, dac=DAC(bits=0, t_read=t_read))
    p = tile.device.params
    assert p.t_read == t_read
    t = 3600.0
    g_prog = tile.state.g_prog.reshape(tile.shape)
    g_rel = g_prog / p.g_max
    q_s = np.minimum(p.read_q / np.maximum(g_rel ** p.read_exponent, 1e-3), p.read_q_max)
    sigma = q_s * np.sqrt(np.log((t + p.t0 + t_read) / (2 * t_read)))
    drifted = g_prog * ((t + p.t0) / p.t0) ** (-tile.state.nu.reshape(tile.shape))
    np.testing.assert_allclose(tile.read_noise_std(t), drifted * sigma, rtol=1e-12)
    x = np.ones((2, 6))
    tile.matmul(x, t, seed=1)
    v = tile.dac.voltages(x)
    # ideal wiring: every device sees its row voltage for the pulse, t_read sum V^2 G
    assert tile.counts.array_joules == pytest.approx(
        t_read * np.sum((v * v) @ tile.conductances(t)), rel=1e-12)
