"""Tests of golden.digits: wide codes as signed digits an array of fewer activation bits takes."""

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from golden.bitlinear import int_matmul
from golden.digits import join_products, split_codes


def test_hand_worked_int8_on_four_bits():
    parts = split_codes([[127, -128, 0, 5, 119, -120]], 4)
    # 127 = 256 - 128 - 1; -128 = -8 * 16; 119 = 7 * 16 + 7; -120 = -8 * 16 + 8 -> -7 * 16 - 8
    shifts = [shift for shift, _ in parts]
    assert shifts == [0, 4, 8]
    digits = {shift: d.tolist() for shift, d in parts}
    assert digits[0] == [[-1, 0, 0, 5, 7, -8]]
    assert digits[4] == [[-8, -8, 0, 0, 7, -7]]
    assert digits[8] == [[1, 0, 0, 0, 0, 0]]


def test_codes_that_fit_are_one_pass_and_two_digits_suffice_below_120():
    parts = split_codes([[7, -8, 0, 3]], 4)
    assert len(parts) == 1 and parts[0][0] == 0
    assert [s for s, _ in split_codes(np.arange(-136, 120)[None], 4)] == [0, 4]
    # zero digits are left out: multiples of 16 need only the high digit
    assert [s for s, _ in split_codes([[16, -32, 112]], 4)] == [4]
    assert [s for s, _ in split_codes(np.zeros((2, 3), np.int8), 4)] == [0]


@given(hnp.arrays(np.int16, st.tuples(st.integers(1, 5), st.integers(1, 30)),
                  elements=st.integers(-128, 127)), st.integers(2, 8))
def test_digits_sum_back_to_the_codes_and_keep_zeros(x, bits):
    parts = split_codes(x, bits)
    half = 1 << (bits - 1)
    total = np.zeros(x.shape, np.int64)
    for shift, digits in parts:
        assert digits.dtype == np.int8 and digits.min() >= -half and digits.max() < half
        assert np.all(digits[x == 0] == 0)
        total += digits.astype(np.int64) << shift
    np.testing.assert_array_equal(total, x)


@given(st.integers(0, 2**32 - 1))
def test_products_of_the_digits_join_to_the_product(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (3, 17))
    w = rng.integers(-1, 2, (5, 17))
    parts = [(shift, int_matmul(d, w)) for shift, d in split_codes(x, 4)]
    np.testing.assert_array_equal(join_products(parts), int_matmul(x, w))


@pytest.mark.parametrize("args, error, words", [
    (([[1, 2]], 1), ValueError, "bits: expected an integer in [2, 8]"),
    (([[1, 2]], 9), ValueError, "bits: expected an integer in [2, 8]"),
    (([[1.5, 2]], 4), TypeError, "x_codes: expected integer codes"),
])
def test_bad_input_gets_one_clear_error(args, error, words):
    with pytest.raises(error) as info:
        split_codes(*args)
    assert words in str(info.value)
    with pytest.raises(ValueError, match="no products"):
        join_products([])
