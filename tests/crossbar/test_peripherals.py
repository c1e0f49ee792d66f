"""DAC and ADC: mid-tread quantizer properties, spikes, noise, event counts."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from memsim.crossbar import ADC, DAC

finite = st.floats(-1e3, 1e3, allow_subnormal=False)


def converters(bits, signed):
    """A DAC and an ADC with the same quantizer, each as (convert, full scale)."""
    dac = DAC(bits=bits, v_max=0.3, x_max=2.0, signed=signed)
    adc = ADC(bits=bits, i_max=5e-5, signed=signed)
    # Feed the DAC in volts (x = V / volts_per_unit) so both act on full-scale units.
    return [(lambda u: dac.convert(u / dac.volts_per_unit), 0.3, dac),
            (adc.convert, 5e-5, adc)]


@settings(max_examples=60, deadline=None)
@given(bits=st.integers(2, 12), signed=st.booleans(),
       u=arrays(np.float64, st.integers(1, 50), elements=st.floats(-1, 1)))
def test_quantizer_properties(bits, signed, u):
    n_levels = 2**bits - 1 if signed else 2**bits
    for convert, fs, conv in converters(bits, signed):
        step = fs / (2 ** (bits - 1) - 1 if signed else 2**bits - 1)
        assert conv.n_levels == n_levels
        assert conv.step == pytest.approx(step, rel=1e-15)
        low = -fs if signed else 0.0
        x = np.clip(u * fs, low, fs)                     # inside the range
        q = convert(x)
        assert np.all(np.abs(q - x) <= step / 2 * (1 + 1e-9))
        np.testing.assert_allclose(convert(q), q, rtol=0, atol=1e-12 * fs)  # idempotent
        np.testing.assert_allclose(q / step, np.rint(q / step), atol=1e-6)  # on the grid
        s = np.sort(u * 3 * fs)                           # beyond the range too
        assert np.all(np.diff(convert(s)) >= 0)           # monotone
        big = convert(np.array([10 * fs, -10 * fs]))
        assert big[0] == fs and big[1] == low             # clipped to the end levels


@pytest.mark.parametrize("bits, signed", [(1, False), (2, False), (2, True), (3, False),
                                          (3, True), (8, False), (8, True)])
def test_level_count_over_a_sweep(bits, signed):
    n_levels = 2**bits - 1 if signed else 2**bits
    for convert, fs, _ in converters(bits, signed):
        sweep = np.linspace(-1.5 * fs, 1.5 * fs, 40 * n_levels + 1)
        levels = np.unique(np.round(convert(sweep) / fs, 9))
        assert levels.size == n_levels
        assert levels[-1] == 1.0 and levels[0] == (-1.0 if signed else 0.0)
        assert 0.0 in levels                                # mid-tread: zero is a level


def test_dac_spikes():
    dac = DAC(bits=1, v_max=0.25, signed=False)
    v = dac.convert([[0.0, 1.0, 0.01, -1.0, 7.0]])
    np.testing.assert_array_equal(v, [[0.0, 0.25, 0.25, 0.0, 0.25]])
    assert dac.n_levels == 2 and dac.step == 0.25
    assert dac.counts == {"conversions": 5, "activations": 3, "pulses": 3}
    with pytest.raises(ValueError, match="signed must be False for bits=1"):
        DAC(bits=1)


def test_ideal_dac_clips_without_quantizing():
    dac = DAC(bits=0, v_max=0.2, x_max=2.0)
    x = np.array([[0.123456789, -3.0, 2.5, -0.7]])
    np.testing.assert_allclose(dac.convert(x), [[0.0123456789, -0.2, 0.2, -0.07]], rtol=1e-15)
    assert dac.n_levels == 0 and dac.step == 0.0
    assert DAC(bits=0, signed=False).convert([[-1.0, 0.5]]).tolist() == [[0.0, 0.1]]


def test_dac_scaling_and_counts():
    dac = DAC(bits=8, v_max=0.2, x_max=4.0, signed=False, t_read=20e-9)
    assert dac.volts_per_unit == pytest.approx(0.05)
    x = np.array([[4.0, 0.0, -1.0, 1.0], [0.0, 0.0, 8.0, 1e-6]])
    v = dac.convert(x)
    assert v.shape == x.shape
    assert v[0, 0] == 0.2 and v[0, 2] == 0.0 and v[1, 2] == 0.2 and v[1, 3] == 0.0
    assert v[0, 1] == 0.0 and v[0, 3] == pytest.approx(0.05, abs=dac.step / 2)
    assert dac.counts == {"conversions": 8, "activations": 3, "pulses": 3}
    dac.convert(x[:1])
    assert dac.counts == {"conversions": 12, "activations": 5, "pulses": 5}
    dac.reset_counts()
    assert dac.counts == {"conversions": 0, "activations": 0, "pulses": 0}
    assert dac.t_read == 20e-9


def test_adc_ideal_and_clip_count():
    ideal = ADC(bits=0, i_max=1e-6)
    i = np.array([[-3e-6, 1e-7, 2e-6]])
    out = ideal.convert(i)
    np.testing.assert_array_equal(out, i)
    assert out is not i
    assert ideal.counts == {"conversions": 3, "clipped": 0}
    assert ideal.n_levels == 0 and ideal.step == 0.0

    adc = ADC(bits=4, i_max=1e-6, signed=False)
    adc.convert(np.array([[-1e-7, 0.0, 5e-7, 1e-6, 1.5e-6]]))
    assert adc.counts == {"conversions": 5, "clipped": 2}
    adc.reset_counts()
    assert adc.counts == {"conversions": 0, "clipped": 0}
    assert ADC(bits=1, signed=False).n_levels == 2


def test_adc_noise_reproducible_and_calibrated():
    sigma = 1e-7
    adc = ADC(bits=0, noise_std=sigma)
    zeros = np.zeros((40, 500))
    a = adc.convert(zeros, rng=np.random.default_rng(7))
    b = adc.convert(zeros, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, adc.convert(zeros, rng=np.random.default_rng(8)))
    np.testing.assert_array_equal(a, adc.convert(zeros, rng=7))   # a seed works too
    # n = 20000: the sample std has relative spread 1/sqrt(2n) = 0.5 %; allow 5 %.
    assert a.std() == pytest.approx(sigma, rel=0.05)
    assert abs(a.mean()) < 5 * sigma / np.sqrt(a.size)
    # Noise is added before quantization: a quantizing ADC sees it too.
    q = ADC(bits=8, i_max=1e-6, noise_std=sigma).convert(zeros, np.random.default_rng(7))
    assert q.std() == pytest.approx(sigma, rel=0.1)


def test_adc_without_noise_leaves_rng_alone():
    rng = np.random.default_rng(3)
    ADC(bits=6).convert(np.zeros(10), rng=rng)
    assert rng.random() == np.random.default_rng(3).random()


@pytest.mark.parametrize("make, exc, match", [
    (lambda: DAC(bits=-1), ValueError, "bits must be >= 0, got -1"),
    (lambda: DAC(bits=17), ValueError, "bits must be <= 16"),
    (lambda: DAC(bits=2.5), ValueError, "bits must be a whole number"),
    (lambda: DAC(bits=True), TypeError, "bits must be a real number"),
    (lambda: DAC(v_max=0.0), ValueError, "v_max must be > 0"),
    (lambda: DAC(x_max=-1.0), ValueError, "x_max must be > 0"),
    (lambda: DAC(t_read=0.0), ValueError, "t_read must be > 0"),
    (lambda: DAC(v_max=np.inf), ValueError, "v_max must be finite"),
    (lambda: DAC(signed="yes"), TypeError, "signed must be True or False, got 'yes'"),
    (lambda: ADC(bits=-1), ValueError, "bits must be >= 0"),
    (lambda: ADC(bits=17), ValueError, "bits must be <= 16"),
    (lambda: ADC(bits=1), ValueError, "bits must be 0 .* >= 2 for a signed ADC"),
    (lambda: ADC(i_max=0.0), ValueError, "i_max must be > 0"),
    (lambda: ADC(noise_std=-1e-9), ValueError, "noise_std must be >= 0"),
    (lambda: ADC(signed=1), TypeError, "signed must be True or False"),
])
def test_bad_parameters_raise(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="x must be finite, got .*nan"):
        DAC().convert([[0.1, np.nan]])
    with pytest.raises(ValueError, match="x must be finite, got .*inf"):
        DAC(bits=1, signed=False).convert([np.inf])
    with pytest.raises(ValueError, match="currents must be finite"):
        ADC().convert([[-np.inf]])
    with pytest.raises(TypeError, match="x must be numeric"):
        DAC().convert([["a"]])
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator.*got None"):
        ADC(noise_std=1e-9).convert([0.0])
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator.*'seed'"):
        ADC(noise_std=1e-9).convert([0.0], rng="seed")
