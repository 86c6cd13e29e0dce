"""golden.ints: exact ceiling division and ceiling log2 over the ranges the project uses."""

import math

import pytest

from golden.ints import ceil_div, ceil_log2


@pytest.mark.parametrize("b", [1, 2, 3, 4, 8, 16, 31])
def test_ceil_div_is_the_ceiling(b):
    for a in range(0, 200):
        assert ceil_div(a, b) == math.ceil(a / b)
    big = (1 << 70) + 1      # beyond float precision: still exact
    assert ceil_div(big, 2) == (1 << 69) + 1


def test_ceil_log2_counts_levels_and_address_bits():
    assert [ceil_log2(v) for v in (1, 2, 3, 4, 5, 8, 9, 16, 17)] == [0, 1, 2, 2, 3, 3, 4, 4, 5]
    for v in range(1, 300):
        assert 2 ** ceil_log2(v) >= v > 2 ** ceil_log2(v) // 2 or v == 1
