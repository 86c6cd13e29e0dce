"""Tests of golden.a48: a4.8's INT4 absmean and top-K INT8 quantizers, hand-worked and by property."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from golden.a48 import (
    ACT_MEAN_CLAMP, INT4_HIGH, INT4_LOW, int4_scale, quantize_activations_int4,
    quantize_activations_int8_topk, sparsify_topk, topk_count,
)
from golden.bitlinear import quantize_activations

F32 = np.float32
finite_f32 = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False, width=32)
matrices = hnp.arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 40)), elements=finite_f32)


# ---------------------------------------------------------------- INT4 absmean, by hand

def test_int4_hand_worked():
    # mean|x| = (1 + 0.5 + 0.25 + 0 + 2.25) / 5 = 0.8, scale = sqrt(7) / 0.8 = 3.3071891:
    # 3.307 -> 3, -1.654 -> -2, 0.827 -> 1, 0 -> 0, 7.441 -> 7.
    codes, scale = quantize_activations_int4([[1.0, -0.5, 0.25, 0.0, 2.25]])
    assert scale.shape == (1, 1) and scale.dtype == np.float32 and codes.dtype == np.int8
    assert scale[0, 0] == F32(math.sqrt(7)) / F32(0.8)
    np.testing.assert_array_equal(codes, [[3, -2, 1, 0, 7]])


def test_int4_clips_to_minus_eight_and_seven():
    # one outlier: mean 1, scale sqrt 7, 4 * 2.6458 = 10.58 -> 7, and -10.58 -> -8 (the range is
    # asymmetric, as two's complement)
    np.testing.assert_array_equal(quantize_activations_int4([[4.0, 0, 0, 0]])[0], [[7, 0, 0, 0]])
    np.testing.assert_array_equal(quantize_activations_int4([[-4.0, 0, 0, 0]])[0], [[-8, 0, 0, 0]])


def test_int4_per_token_and_per_tensor_differ_as_the_means_do():
    x = [[4.0, 0.0], [0.0, 0.0]]
    token_codes, token_scale = quantize_activations_int4(x, granularity="token")
    # row 0: mean 2, scale sqrt(7)/2 = 1.3229, 4 -> 5.29 -> 5; row 1: all zero, clamped mean
    np.testing.assert_array_equal(token_codes, [[5, 0], [0, 0]])
    assert token_scale.shape == (2, 1)
    assert token_scale[1, 0] == F32(math.sqrt(7)) / ACT_MEAN_CLAMP
    tensor_codes, tensor_scale = quantize_activations_int4(x, granularity="tensor")
    # one mean over the tensor: 1, scale sqrt 7, 4 -> 10.58 -> 7
    np.testing.assert_array_equal(tensor_codes, [[7, 0], [0, 0]])
    assert tensor_scale.shape == (1, 1) and tensor_scale[0, 0] == F32(math.sqrt(7))


def test_int4_zero_input_gives_zero_codes():
    for granularity in ("token", "tensor"):
        codes, scale = quantize_activations_int4(np.zeros((3, 4)), granularity)
        np.testing.assert_array_equal(codes, 0)
        assert np.all(np.isfinite(scale))


# ---------------------------------------------------------------- INT4 absmean, by property

@given(matrices, st.sampled_from(["token", "tensor"]))
def test_int4_codes_are_the_nearest_in_range(x, granularity):
    codes, scale = quantize_activations_int4(x, granularity)
    axis = -1 if granularity == "token" else None
    beta = np.mean(np.abs(x.astype(np.float64)), axis=axis, keepdims=True)
    # the scale is sqrt(7) over the mean, to float32 precision (or over the clamp)
    expected = np.sqrt(7.0) / np.maximum(beta, 1e-5)
    np.testing.assert_allclose(scale, expected, rtol=3e-7)
    assert codes.min() >= INT4_LOW and codes.max() <= INT4_HIGH
    product = x * scale                                    # float32, as the quantizer computes it
    inside = (product > INT4_LOW - 0.5) & (product < INT4_HIGH + 0.5)
    assert np.all(np.abs(codes[inside] - product[inside]) <= 0.5)
    assert np.all(codes[product >= INT4_HIGH + 0.5] == INT4_HIGH)
    assert np.all(codes[product <= INT4_LOW - 0.5] == INT4_LOW)
    assert np.all(codes[x == 0] == 0)
    assert np.all(np.sign(codes) * np.sign(x) >= 0)        # never the wrong sign


@given(matrices)
def test_int4_codes_keep_order_within_a_token(x):
    codes, _ = quantize_activations_int4(x)
    for row, row_codes in zip(x, codes.astype(int)):
        order = np.argsort(row, kind="stable")
        assert np.all(np.diff(row_codes[order]) >= 0)


def test_int4_scale_is_one_division():
    assert int4_scale(F32(0.8)) == F32(math.sqrt(7)) / F32(0.8)
    assert int4_scale(F32(0)) == F32(math.sqrt(7)) / F32(1e-5)


# ---------------------------------------------------------------- top-K then INT8

def test_topk_count_rounds_up_and_keeps_one():
    assert [topk_count(k) for k in (1, 2, 5, 4096)] == [1, 1, 3, 2048]
    assert topk_count(5, 0.3) == 2 and topk_count(10, 1.0) == 10 and topk_count(100, 0.001) == 1


def test_topk_hand_worked_with_ties():
    # keep 2 of 4: magnitudes 0.25, 0.25, 0.25, 0.125: the two lowest indices of the tie survive
    np.testing.assert_array_equal(sparsify_topk([[0.25, -0.25, 0.25, 0.125]]), [[0.25, -0.25, 0, 0]])
    np.testing.assert_array_equal(sparsify_topk([[0.125, -0.5, 0.375, 0.5]]), [[0, -0.5, 0, 0.5]])
    np.testing.assert_array_equal(sparsify_topk([[1.0, 2.0, 3.0]], 1.0), [[1.0, 2.0, 3.0]])


def test_int8_topk_hand_worked():
    # quantize_activations gives [127, 64, 32, -127, -64] for this row (row max 2, scale 63.5);
    # top-K keeps ceil(2.5) = 3: both 2.0s and the first 1.0
    codes, scale = quantize_activations_int8_topk([[2.0, 1.0, 0.5, -2.0, -1.0]])
    assert scale[0, 0] == F32(63.5)
    np.testing.assert_array_equal(codes, [[127, 64, 0, -127, 0]])


@given(matrices, st.floats(0.01, 1.0))
def test_topk_keeps_the_largest_and_int8_of_the_kept_is_unchanged(x, fraction):
    kept = sparsify_topk(x, fraction)
    keep = topk_count(x.shape[1], fraction)
    for row, kept_row in zip(x, kept):
        order = np.argsort(-np.abs(row), kind="stable")
        np.testing.assert_array_equal(kept_row[order[:keep]], row[order[:keep]])
        assert np.all(kept_row[order[keep:]] == 0)
    codes, scale = quantize_activations_int8_topk(x, fraction)
    full_codes, full_scale = quantize_activations(x)
    np.testing.assert_array_equal(scale, full_scale)
    np.testing.assert_array_equal(codes[kept != 0], full_codes[kept != 0])
    assert np.all(codes[kept == 0] == 0)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("func, args, error, words", [
    (quantize_activations_int4, ([[1.0]], "row"), ValueError, "granularity: expected one of"),
    (quantize_activations_int4, ([[np.nan, 1.0]],), ValueError, "x: contains NaN"),
    (quantize_activations_int4, (np.zeros((2, 0)),), ValueError, "x: empty"),
    (quantize_activations_int4, ([["a"]],), TypeError, "x: expected a numeric array"),
    (sparsify_topk, ([[1.0, 2.0]], 0), ValueError, "fraction: expected a number in (0, 1]"),
    (sparsify_topk, ([[1.0, 2.0]], 1.5), ValueError, "fraction: expected a number in (0, 1]"),
    (sparsify_topk, ([[1.0, 2.0]], True), ValueError, "fraction: expected a number in (0, 1]"),
    (sparsify_topk, ([[1.0, 2.0]], float("nan")), ValueError, "fraction: expected a number"),
    (sparsify_topk, ([[1.0, np.inf]],), ValueError, "x: contains inf"),
    (quantize_activations_int8_topk, ([[1.0]], 0.5, "fast"), ValueError, "rounding: expected one of"),
])
def test_bad_input_gets_one_clear_error(func, args, error, words):
    with pytest.raises(error) as info:
        func(*args)
    assert words in str(info.value)
