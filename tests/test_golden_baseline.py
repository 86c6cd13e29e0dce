"""The int8-weight baseline's golden model: exact products and absmax quantization."""

import numpy as np
import pytest

from golden.baseline import INT8_MAX_K, int8_matmul, quantize_weights_int8


def test_int8_matmul_is_exact_including_the_extremes():
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (5, 300))
    w = rng.integers(-128, 128, (7, 300))
    x[0], w[0] = -128, -128
    expected = [[sum(int(a) * int(b) for a, b in zip(row, col)) for col in w] for row in x]
    np.testing.assert_array_equal(int8_matmul(x, w), expected)
    assert int8_matmul(x, w).dtype == np.int32 and int8_matmul(x, w)[0, 0] == 300 * 128 * 128


def test_int8_matmul_refuses_bad_operands():
    with pytest.raises(ValueError, match="w_codes"):
        int8_matmul(np.zeros((1, 2), int), np.full((1, 2), 128))
    with pytest.raises(ValueError, match="K differs"):
        int8_matmul(np.zeros((1, 2), int), np.zeros((1, 3), int))
    with pytest.raises(ValueError, match="int32 limit"):
        int8_matmul(np.zeros((1, INT8_MAX_K + 1), int), np.zeros((1, INT8_MAX_K + 1), int))


def test_absmax_quantization_maps_the_largest_weight_to_127():
    w = np.array([[0.5, -2.0], [1.0, 0.0]], np.float32)
    codes, scale = quantize_weights_int8(w)
    assert scale == np.float32(127 / 2.0)
    assert codes.tolist() == [[32, -127], [64, 0]]      # 31.75 -> 32, 63.5 -> 64 (half to even)
    assert np.abs(codes / scale - w).max() <= 0.5 / scale + 1e-7
