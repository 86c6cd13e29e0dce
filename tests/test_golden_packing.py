"""Tests of golden.packing: upstream's byte layout, round trips for any shape, bad input."""

import numpy as np
import pytest
from golden.ints import ceil_div
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from golden.packing import pack_2bit, pack_base3, unpack_2bit, unpack_base3

trit_arrays = hnp.arrays(np.int8, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=13),
                         elements=st.integers(-1, 1))


def test_upstream_docstring_example_unpacks():
    # The example in transformers' unpack_weights docstring: byte 0b10100001 holds, from the low
    # bits up, codes 01 00 10 10 -> trits 0, -1, 1, 1 for rows 0, 2, 4, 6 (blocks of P = 2 rows).
    packed = np.array([[0b10100001, 0b00011000], [0b10010000, 0b00001010]], np.uint8)
    expected = [[0, -1], [-1, 1], [-1, 1], [-1, 1], [1, 0], [0, -1], [1, -1], [1, -1]]
    np.testing.assert_array_equal(unpack_2bit(packed), expected)
    np.testing.assert_array_equal(pack_2bit(np.array(expected, np.int8)), packed)


def test_2bit_padding_matches_upstream():
    # N = 5: blocks of 2 rows; rows 0-1 in slot 0, 2-3 in slot 1, row 4 in slot 2 of byte row 0;
    # every other slot stays 00, which upstream's unpack reads as -1.
    codes = np.array([1, 0, -1, 1, 0], np.int8)
    packed = pack_2bit(codes)
    # byte 0: slot0 = row0 (+1 -> 10), slot1 = row2 (-1 -> 00), slot2 = row4 (0 -> 01), slot3 = 00
    # byte 1: slot0 = row1 (0 -> 01), slot1 = row3 (+1 -> 10), slot2 and slot3 empty
    assert packed.tolist() == [0b00_01_00_10, 0b00_00_10_01]
    np.testing.assert_array_equal(unpack_2bit(packed), [1, 0, -1, 1, 0, -1, -1, -1])
    np.testing.assert_array_equal(unpack_2bit(packed, rows=5), codes)


def test_base3_hand_worked():
    # Trits 1, 0, -1, -1, 1 -> digits 2, 1, 0, 0, 2 -> 2 + 1*3 + 0*9 + 0*27 + 2*81 = 167.
    # The sixth trit (0) starts byte 2, padded with zero trits (digit 1): 1 + 3 + 9 + 27 + 81 = 121.
    codes = np.array([[1, 0, -1, -1, 1, 0]], np.int8)
    packed = pack_base3(codes)
    assert packed.tolist() == [[167, 121]]
    np.testing.assert_array_equal(unpack_base3(packed, length=6), codes)
    assert pack_base3(np.ones(5, np.int8)).tolist() == [242]   # the largest valid byte


@settings(max_examples=300, deadline=None)
@given(trit_arrays)
def test_2bit_round_trip(codes):
    packed = pack_2bit(codes)
    assert packed.dtype == np.uint8
    assert packed.shape == (ceil_div(codes.shape[0], 4), *codes.shape[1:])
    unpacked = unpack_2bit(packed, rows=codes.shape[0])
    assert unpacked.dtype == np.int8
    np.testing.assert_array_equal(unpacked, codes)


@settings(max_examples=300, deadline=None)
@given(trit_arrays)
def test_base3_round_trip(codes):
    packed = pack_base3(codes)
    assert packed.dtype == np.uint8 and np.all(packed < 243)
    assert packed.shape == (*codes.shape[:-1], ceil_div(codes.shape[-1], 5))
    np.testing.assert_array_equal(unpack_base3(packed, length=codes.shape[-1]), codes)


@pytest.mark.parametrize("func, args, error, words", [
    (pack_2bit, ([0, 2],), ValueError, "codes: code 2 at index (1,) is outside [-1, 1]"),
    (pack_2bit, ([0.0, 1.0],), TypeError, "codes: expected integer codes"),
    (pack_2bit, (np.zeros(0, np.int8),), ValueError, "codes: empty"),
    (pack_2bit, (np.int8(1),), ValueError, "codes: expected at least 1 dimension"),
    (pack_base3, ([[-2, 0]],), ValueError, "codes: code -2 at index (0, 0)"),
    (unpack_2bit, (np.array([1, 2], np.int16),), TypeError, "packed: expected uint8"),
    (unpack_2bit, (np.array([0b11], np.uint8),), ValueError, "2-bit code 0b11 (not a trit) at unpacked index (0,)"),
    (unpack_2bit, (np.array([0, 0], np.uint8), 9), ValueError, "rows: 9 does not match the packed data, which holds 5..8"),
    (unpack_2bit, (np.array([0, 0], np.uint8), 4), ValueError, "rows: 4 does not match"),
    (unpack_2bit, (np.zeros(0, np.uint8),), ValueError, "packed: expected a non-empty array"),
    (unpack_base3, (np.array([243], np.uint8), 5), ValueError, "byte 243 at index (0,) is not base-3"),
    (unpack_base3, (np.array([0, 0], np.uint8), 11), ValueError, "length: 11 does not match the packed data, which holds 6..10"),
    (unpack_base3, (np.array([0], np.uint8), 2.0), TypeError, "length: expected an integer"),
])
def test_bad_input_gets_one_clear_error(func, args, error, words):
    with pytest.raises(error) as info:
        func(*args)
    assert words in str(info.value)
