"""Weights <-> conductances: round trip, ideal circuit, bounds, clipping rules."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from memsim.crossbar import ConductanceMap, map_weights

G_MIN, G_MAX = 1e-6, 11e-6
RULES = [("max", None), ("percentile", 80.0), ("fixed", 0.7)]

# Weights at the edge of underflow (|w| < 1e-100) are read as 0: mapping is
# scale-invariant, and near 1e-308 its intermediate products (a conductance
# step times the weight scale, ~1e-5 x 4e-308) fall into subnormals and keep
# fewer digits (2e-12 relative error at a clip scale of 4e-308).
weight_matrices = st.tuples(st.integers(1, 6), st.integers(1, 5)).flatmap(
    lambda shape: arrays(np.float64, shape,
                         elements=st.floats(-3.0, 3.0, allow_subnormal=False).map(
                             lambda v: 0.0 if abs(v) < 1e-100 else v)))


def expected_w_max(w, clip, clip_value, per_column):
    """w_max computed directly from the rules, independently of the module."""
    a = np.abs(w)
    axis = 0 if per_column else None
    if clip == "max":
        w_max = a.max(axis=axis)
    elif clip == "percentile":
        w_max = np.percentile(a, clip_value, axis=axis)
    else:
        w_max = clip_value
    w_max = np.broadcast_to(w_max, (w.shape[1],)).astype(float)
    return np.where(w_max == 0.0, 1.0, w_max)


@pytest.mark.parametrize("scheme", ["differential", "reference"])
@pytest.mark.parametrize("per_column", [False, True])
@pytest.mark.parametrize("clip, clip_value", RULES)
@settings(max_examples=25, deadline=None)
@given(w=weight_matrices, seed=st.integers(0, 2**32 - 1))
def test_round_trip_and_ideal_circuit(scheme, per_column, clip, clip_value, w, seed):
    m = map_weights(w, G_MIN, G_MAX, scheme=scheme, clip=clip, clip_value=clip_value,
                    per_column=per_column)
    w_max = expected_w_max(w, clip, clip_value, per_column)
    w_clipped = np.clip(w, -w_max, w_max)
    tol = 1e-12 * w_max.max()

    np.testing.assert_allclose(m.w_max, w_max, rtol=1e-15)
    assert m.n_clipped == np.count_nonzero(np.abs(w) > w_max)
    assert (m.n_in, m.n_out) == w.shape
    assert m.n_phys == (2 * w.shape[1] if scheme == "differential" else w.shape[1] + 1)
    assert m.g_target.shape == (m.n_in, m.n_phys)
    assert np.all((m.g_target >= G_MIN) & (m.g_target <= G_MAX))

    np.testing.assert_allclose(m.weights_from_conductances(m.g_target), w_clipped,
                               rtol=0, atol=tol)

    # Ideal crossbar: I = V @ G, analog subtraction, scale back to weight space.
    x = np.random.default_rng(seed).uniform(-1, 1, (3, w.shape[0]))
    volts_per_unit = 0.2
    currents = (x * volts_per_unit) @ m.g_target
    y = m.to_outputs(m.differential_currents(currents), volts_per_unit)
    np.testing.assert_allclose(y, x @ w_clipped, rtol=0, atol=tol * w.shape[0])


def test_scheme_layout():
    w = np.array([[1.0, -0.5], [0.0, 0.25]])
    d = map_weights(w, G_MIN, G_MAX)
    np.testing.assert_allclose(d.g_target * 1e6, [[11, 1, 1, 6], [1, 1, 3.5, 1]])
    np.testing.assert_allclose(d.g_per_weight, [10e-6, 10e-6])
    r = map_weights(w, G_MIN, G_MAX, scheme="reference", per_column=True)
    np.testing.assert_allclose(r.w_max, [1.0, 0.5])
    np.testing.assert_allclose(r.g_target * 1e6, [[11, 1, 6], [6, 8.5, 6]])
    np.testing.assert_allclose(r.g_per_weight, [5e-6, 10e-6])
    np.testing.assert_allclose(r.differential_currents([[1.0, 2.0, 0.5]]), [[0.5, 1.5]])


def test_differential_pair_uses_one_device_per_weight():
    w = np.random.default_rng(1).normal(size=(20, 7))
    g = map_weights(w, G_MIN, G_MAX).g_target
    both_on = (g[:, 0::2] > G_MIN) & (g[:, 1::2] > G_MIN)
    assert not both_on.any()


@pytest.mark.parametrize("per_column", [False, True])
@pytest.mark.parametrize("q", [50.0, 90.0, 99.0, 100.0])
def test_percentile_clips_expected_fraction(per_column, q):
    n_in, n_out = 2000, 3
    w = np.random.default_rng(2).normal(size=(n_in, n_out))
    m = map_weights(w, G_MIN, G_MAX, clip="percentile", clip_value=q, per_column=per_column)
    expected = w.size * (1 - q / 100)
    # Linear-interpolated percentiles of distinct values miss by < 1 value per set.
    assert abs(m.n_clipped - expected) <= (n_out if per_column else 1)


def test_fixed_clip_counts_and_saturates():
    w = np.array([[2.0, -3.0, 0.5]])
    m = map_weights(w, G_MIN, G_MAX, clip="fixed", clip_value=1.0)
    assert m.n_clipped == 2
    np.testing.assert_allclose(m.weights_from_conductances(m.g_target), [[1.0, -1.0, 0.5]])
    np.testing.assert_allclose(m.g_target[0, :4], [G_MAX, G_MIN, G_MIN, G_MAX])


@pytest.mark.parametrize("scheme", ["differential", "reference"])
def test_zero_weights_do_not_divide_by_zero(scheme):
    m = map_weights(np.zeros((3, 2)), G_MIN, G_MAX, scheme=scheme)
    np.testing.assert_array_equal(m.w_max, [1.0, 1.0])
    rest = G_MIN if scheme == "differential" else 0.5 * (G_MIN + G_MAX)
    np.testing.assert_allclose(m.g_target, rest)
    w = np.array([[0.0, 2.0], [0.0, -1.0]])
    m = map_weights(w, G_MIN, G_MAX, scheme=scheme, per_column=True)
    np.testing.assert_array_equal(m.w_max, [1.0, 2.0])
    np.testing.assert_allclose(m.weights_from_conductances(m.g_target), w, atol=1e-12)


def test_map_is_read_only():
    m = map_weights([[1.0]], G_MIN, G_MAX)
    with pytest.raises(ValueError):
        m.g_target[0, 0] = 0.0
    with pytest.raises(AttributeError):
        m.scheme = "reference"


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(weights=[1.0, 2.0]), ValueError, "weights must have 2 dimension"),
    (dict(weights=[[1.0, np.nan]]), ValueError, "weights must be finite"),
    (dict(weights=[[1.0, np.inf]]), ValueError, "weights must be finite"),
    (dict(g_min=-1e-6), ValueError, "g_min must be >= 0"),
    (dict(g_max=1e-6), ValueError, "g_max must be >"),
    (dict(scheme="balanced"), ValueError, "scheme must be one of 'differential', 'reference'"),
    (dict(clip="minmax"), ValueError, "clip must be one of 'max', 'percentile', 'fixed'"),
    (dict(clip="max", clip_value=3.0), ValueError, "clip_value must be None.*3.0"),
    (dict(clip="percentile"), ValueError, r"clip_value must be a percentile in \(0, 100\]"),
    (dict(clip="percentile", clip_value=0.0), ValueError, "clip_value must be > 0"),
    (dict(clip="percentile", clip_value=101), ValueError, "clip_value must be <= 100"),
    (dict(clip="fixed"), ValueError, "clip_value must be a w_max > 0"),
    (dict(clip="fixed", clip_value=-1.0), ValueError, "clip_value must be > 0"),
    (dict(per_column="yes"), TypeError, "per_column must be True or False"),
])
def test_map_weights_rejects_bad_input(kwargs, exc, match):
    args = dict(weights=[[1.0, -1.0]], g_min=G_MIN, g_max=G_MAX) | kwargs
    with pytest.raises(exc, match=match):
        map_weights(**args)


def test_methods_reject_bad_shapes():
    m = map_weights(np.ones((3, 2)), G_MIN, G_MAX)
    with pytest.raises(ValueError, match=r"currents must have shape \(batch, 4\).*\(1, 3\)"):
        m.differential_currents(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="currents must have 2 dimension"):
        m.differential_currents(np.zeros(4))
    with pytest.raises(ValueError, match="currents must be finite"):
        m.differential_currents([[0.0, np.nan, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"diff_currents must have shape \(batch, 2\)"):
        m.to_outputs(np.zeros((1, 4)), 0.2)
    with pytest.raises(ValueError, match="volts_per_unit must be > 0"):
        m.to_outputs(np.zeros((1, 2)), 0.0)
    with pytest.raises(ValueError, match=r"g must have shape \(3, 4\)"):
        m.weights_from_conductances(np.zeros((3, 3)))


def test_conductance_map_checks_its_fields():
    with pytest.raises(ValueError, match="g_target must have 4 columns"):
        ConductanceMap(np.zeros((2, 3)), np.ones(2), "differential", G_MIN, G_MAX)
    with pytest.raises(ValueError, match="w_max must be > 0"):
        ConductanceMap(np.zeros((2, 3)), np.array([1.0, 0.0]), "reference", G_MIN, G_MAX)
    with pytest.raises(ValueError, match="scheme must be one of"):
        ConductanceMap(np.zeros((2, 3)), np.ones(2), "offset", G_MIN, G_MAX)
