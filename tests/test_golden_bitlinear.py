"""Tests of golden.bitlinear: hand-worked cases, ties, torch-vs-exact rounding, properties, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from golden.bitlinear import (
    ACT_MAX_CLAMP, acc_bits, activation_scale, bitlinear, int_matmul, quantize_activations,
    quantize_weights,
)

F32 = np.float32

# Finite float32 values over a wide but non-overflowing range; width=32 keeps them exact in float32.
finite_f32 = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, width=32)


def float_matrices(max_rows=12, max_cols=40):
    shape = st.tuples(st.integers(1, max_rows), st.integers(1, max_cols))
    return hnp.arrays(np.float32, shape, elements=finite_f32)


# ---------------------------------------------------------------- hand-worked cases

def test_weights_hand_worked():
    # mean|w| = (0.5 + 1.5 + 0 + 2) / 4 = 1 -> scale 1; 0.5 ties to 0, -1.5 -> -2 -> clip -1, 2 -> 1.
    codes, scale = quantize_weights([[0.5, -1.5], [0.0, 2.0]])
    assert scale == F32(1.0) and scale.dtype == np.float32
    assert codes.dtype == np.int8
    np.testing.assert_array_equal(codes, [[0, -1], [0, 1]])


def test_weight_ties_go_to_even():
    # mean = 0.5 -> scale 2: products 0.5, 1.5, -0.5, -1.5 are exact ties.
    # Half-to-even gives 0, 2 (clipped to 1), -0, -2 (clipped to -1); half-away would give 1 for 0.5.
    codes, scale = quantize_weights([[0.25, 0.75, -0.25, -0.75]])
    assert scale == F32(2.0)
    np.testing.assert_array_equal(codes, [[0, 1, 0, -1]])


def test_activations_hand_worked_and_ties():
    # Row max 2: torch scale = (1/2)*127 = 63.5 exactly. 1*63.5 = 63.5 -> 64 (even);
    # 0.5*63.5 = 31.75 -> 32; -2 -> -127; -1 -> -63.5 -> -64.
    codes, scale = quantize_activations([[2.0, 1.0, 0.5, -2.0, -1.0]])
    assert scale.shape == (1, 1) and scale.dtype == np.float32
    assert scale[0, 0] == F32(63.5)
    np.testing.assert_array_equal(codes, [[127, 64, 32, -127, -64]])


def test_activation_ties_exact_mode():
    # Row max 31.75 = 127/4: the correctly rounded scale is exactly 4. 0.125*4 = 0.5 -> 0,
    # 0.375*4 = 1.5 -> 2, 0.625*4 = 2.5 -> 2, -0.375*4 = -1.5 -> -2.
    codes, scale = quantize_activations([[31.75, 0.125, 0.375, 0.625, -0.375]], rounding="exact")
    assert scale[0, 0] == F32(4.0)
    np.testing.assert_array_equal(codes, [[127, 0, 2, 2, -2]])


def test_torch_and_exact_rounding_differ():
    # 1/1.0000038 rounds down in float32, and *127 rounds again: torch's scale is one ulp below the
    # correctly rounded 127/1.0000038, which sends 0.011811068 to 1.4999999 (code 1) instead of 1.5
    # (a tie, code 2). Both values below were checked against torch 2.13's own ActQuant expression.
    row = np.array([[1.0000038, 0.011811068]], dtype=np.float32)
    torch_codes, torch_scale = quantize_activations(row, rounding="torch")
    exact_codes, exact_scale = quantize_activations(row, rounding="exact")
    assert torch_scale[0, 0] == F32(126.99951) and exact_scale[0, 0] == F32(126.99952)
    assert np.nextafter(torch_scale[0, 0], F32(200)) == exact_scale[0, 0]
    np.testing.assert_array_equal(torch_codes, [[127, 1]])
    np.testing.assert_array_equal(exact_codes, [[127, 2]])


def test_all_zero_rows_quantize_to_zero():
    codes, scale = quantize_activations(np.zeros((3, 5), np.float32))
    np.testing.assert_array_equal(codes, 0)
    # 127 / clamp(0, min=1e-5), torch order: (1/1e-5)*127, all finite.
    assert np.all(scale == (F32(1) / ACT_MAX_CLAMP) * F32(127))
    w_codes, w_scale = quantize_weights(np.zeros((2, 4)))
    np.testing.assert_array_equal(w_codes, 0)
    assert w_scale == F32(1) / F32(1e-5)


def test_int_matmul_hand_worked():
    x = np.array([[1, 2, 3], [-128, 127, 0]], np.int8)
    w = np.array([[1, 0, -1], [-1, -1, -1]], np.int8)
    # row 0: 1 - 3 = -2 and -(1+2+3) = -6; row 1: -128 and -(-128+127) = 1.
    acc = int_matmul(x, w)
    assert acc.dtype == np.int32
    np.testing.assert_array_equal(acc, [[-2, -6], [-128, 1]])


@pytest.mark.parametrize("k, act_bits, bits", [
    (1, 8, 9),        # worst 128 = 0b1000_0000 needs 8 magnitude bits + sign
    (2, 8, 10),       # 256
    (1023, 8, 18),    # 130944 < 2**17
    (1024, 8, 19),    # 131072 = 2**17 needs one more
    (1, 4, 5),        # 4-bit activations: worst 8
])
def test_acc_bits_hand_worked(k, act_bits, bits):
    assert acc_bits(k, act_bits) == bits


def test_bitlinear_hand_worked():
    # w: mean|w| = 6/8 = 0.75, codes [[1,-1,0,0],[1,1,1,1]]; x: max 2 -> scale 63.5,
    # codes [127, 64, -127, 0]; acc = [127-64, 127+64-127] = [63, 64].
    w = np.array([[1, -1, 0, 0], [1, 1, 1, 1]], np.float32)
    x = np.array([[2, 1, -2, 0]], np.float32)
    w_scale = F32(1) / F32(0.75)
    expected = np.array([[63, 64]], np.float32) / (w_scale * F32(63.5))
    y = bitlinear(x, w)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, expected)


def test_bitlinear_keeps_leading_dims():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 16)).astype(np.float32)
    w = rng.standard_normal((5, 16)).astype(np.float32)
    y = bitlinear(x, w)
    assert y.shape == (2, 3, 5)
    np.testing.assert_array_equal(y.reshape(6, 5), bitlinear(x.reshape(6, 16), w))


# ---------------------------------------------------------------- properties

@settings(max_examples=200, deadline=None)
@given(float_matrices())
def test_weight_codes_property(w):
    codes, scale = quantize_weights(w)
    assert codes.dtype == np.int8 and set(np.unique(codes)) <= {-1, 0, 1}
    # Against a float64 reference away from rounding boundaries.
    ref_scale = 1.0 / max(np.mean(np.abs(w.astype(np.float64))), 1e-5)
    assert abs(float(scale) - ref_scale) <= 2e-7 * ref_scale
    product = w.astype(np.float64) * ref_scale
    clear = np.abs(np.abs(product) - np.floor(np.abs(product)) - 0.5) > 1e-4
    ref_codes = np.clip(np.round(product), -1, 1)
    np.testing.assert_array_equal(codes[clear], ref_codes[clear])
    # Sign is kept, never flipped.
    assert np.all(codes * np.sign(w) >= 0)


@settings(max_examples=100, deadline=None)
@given(float_matrices(), st.integers(-20, 20))
def test_weight_codes_invariant_to_power_of_two_scaling(w, shift):
    scaled = (w.astype(np.float64) * 2.0**shift).astype(np.float32)
    if np.mean(np.abs(scaled), dtype=np.float64) < 1e-4 or np.mean(np.abs(w), dtype=np.float64) < 1e-4:
        return  # the 1e-5 clamp deliberately breaks the invariance
    if np.any((scaled != 0) & (np.abs(scaled) < np.finfo(np.float32).tiny)):
        return  # subnormals lose bits when scaled down
    np.testing.assert_array_equal(quantize_weights(scaled)[0], quantize_weights(w)[0])


@settings(max_examples=200, deadline=None)
@given(float_matrices(), st.sampled_from(["torch", "exact"]))
def test_activation_codes_property(x, rounding):
    codes, scale = quantize_activations(x, rounding=rounding)
    assert codes.dtype == np.int8 and scale.shape == (x.shape[0], 1)
    row_max = np.max(np.abs(x), axis=1, keepdims=True).astype(np.float64)
    ref_scale = 127.0 / np.maximum(row_max, float(ACT_MAX_CLAMP))
    np.testing.assert_allclose(scale, ref_scale, rtol=2.5e-7)
    # Each code is the nearest integer to x*scale, up to the float32 rounding of the product.
    error = np.abs(codes - x.astype(np.float64) * scale.astype(np.float64))
    assert np.all(error <= 0.5 + 1e-4)
    # The largest element of a row that is not tiny maps to +-127 exactly.
    big = row_max[:, 0] >= 1e-5
    peak = np.abs(codes).max(axis=1)
    assert np.all(peak[big] == 127)


@settings(max_examples=200, deadline=None)
@given(float_matrices())
def test_torch_and_exact_codes_within_one(x):
    torch_codes, torch_scale = quantize_activations(x, "torch")
    exact_codes, exact_scale = quantize_activations(x, "exact")
    assert np.all(np.abs(torch_codes.astype(int) - exact_codes) <= 1)
    # The two scales are at most one ulp apart.
    ulps = np.abs(torch_scale.view(np.int32).astype(np.int64) - exact_scale.view(np.int32))
    assert np.all(ulps <= 1)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(1, 70), st.integers(1, 6), st.randoms(use_true_random=False))
def test_int_matmul_matches_float64(m, k, n, rnd):
    rng = np.random.default_rng(rnd.getrandbits(32))
    x = rng.integers(-128, 128, (m, k), dtype=np.int8)
    w = rng.integers(-1, 2, (n, k), dtype=np.int8)
    reference = np.array([[sum(float(a) * float(b) for a, b in zip(xr, wr)) for wr in w] for xr in x])
    np.testing.assert_array_equal(int_matmul(x, w), reference)


def test_int_matmul_worst_case_accumulator():
    k = 1 << 15
    x = np.full((2, k), -128, np.int8)
    w = np.stack([np.full(k, -1, np.int8), np.full(k, 1, np.int8)])
    acc = int_matmul(x, w)
    assert acc.tolist() == [[k * 128, -k * 128]] * 2
    assert (k * 128).bit_length() + 1 == acc_bits(k)


@given(st.integers(1, 1 << 24), st.integers(2, 8))
def test_acc_bits_is_minimal(k, act_bits):
    bits = acc_bits(k, act_bits)
    worst = k * 2 ** (act_bits - 1)
    assert worst <= 2 ** (bits - 1) - 1      # fits as a positive signed value
    assert worst > 2 ** (bits - 2) - 1       # one bit fewer would not


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("func, args, error, words", [
    (quantize_weights, ([[1.0, np.nan]],), ValueError, "w: contains NaN"),
    (quantize_weights, ([[1.0, np.inf]],), ValueError, "w: contains inf"),
    (quantize_weights, ([1.0, 2.0],), ValueError, "w: expected 2 dimensions"),
    (quantize_weights, (np.zeros((0, 3)),), ValueError, "w: empty"),
    (quantize_weights, ([["a", "b"]],), TypeError, "w: expected a numeric array"),
    (quantize_weights, ([[True, False]],), TypeError, "w: expected a numeric array, got booleans"),
    (quantize_weights, ([[1e300, 1.0]],), ValueError, "w: values overflow float32"),
    (quantize_activations, ([[np.nan, 1.0]],), ValueError, "x: contains NaN"),
    (quantize_activations, (np.float32(3.0),), ValueError, "x: expected at least 1 dimension"),
    (quantize_activations, (np.zeros((2, 0)),), ValueError, "x: empty"),
    (quantize_activations, ([[1.0]], "nearest"), ValueError, "rounding: expected one of"),
    (quantize_activations, ([[1 + 2j]],), TypeError, "x: expected a numeric array"),
    (int_matmul, ([[1, 2]], [[1, 0, 1]]), ValueError, "K differs (2 vs 3)"),
    (int_matmul, ([[1, 2]], [[1, 2]]), ValueError, "w_codes: code 2 at index (0, 1) is outside [-1, 1]"),
    (int_matmul, ([[1, 200]], [[1, 1]]), ValueError, "x_codes: code 200 at index (0, 1)"),
    (int_matmul, ([[1.0, 2.0]], [[1, 1]]), TypeError, "x_codes: expected integer codes"),
    (int_matmul, ([[1, 2]], [1, 1]), ValueError, "w_codes: expected 2 dimensions"),
    (int_matmul, (np.zeros((0, 2), np.int8), [[1, 1]]), ValueError, "x_codes: empty"),
    (acc_bits, (0,), ValueError, "k: must be >= 1"),
    (acc_bits, (4, 1), ValueError, "act_bits: must be >= 2"),
    (acc_bits, (4.0,), TypeError, "k: expected an integer"),
    (bitlinear, ([[1.0, 2.0]], [[1.0, 2.0, 3.0]]), ValueError, "x and w: K differs (2 vs 3)"),
    (bitlinear, ([[1.0, 2.0]], [[1.0, np.inf]]), ValueError, "w: contains inf"),
    (activation_scale, (1.0, "fast"), ValueError, "rounding: expected one of"),
])
def test_bad_input_gets_one_clear_error(func, args, error, words):
    with pytest.raises(error) as info:
        func(*args)
    assert words in str(info.value)
