"""bench.sparsity: where the zeros fall, and what skipping them saves against the same array."""

import numpy as np
import pytest

from bench.sparsity import measure, sparse_codes
from hw.config import ArrayConfig

CONFIG = ArrayConfig.tiny(zero_skip=True)       # 4 lanes x 2 rows


@pytest.mark.parametrize("pattern", ["iid", "chunked"])
def test_sparse_codes_put_the_zeros_where_the_pattern_says(pattern):
    rng = np.random.default_rng(0)
    x = sparse_codes(rng, CONFIG, 200, 40, 0.6, pattern)
    assert x.shape == (200, 40) and np.abs(x).max() <= 127
    assert 0.55 < np.mean(x == 0) < 0.65
    chunks_zero = np.all(x.reshape(200, 10, 4) == 0, axis=2)
    if pattern == "chunked":     # every zero sits in a chunk of zeros
        assert np.array_equal(np.repeat(chunks_zero, 4, axis=1), x == 0)
    else:                        # one by one: a chunk is all zero about 0.6 ** 4 of the time
        assert 0.08 < chunks_zero.mean() < 0.18
    assert not np.any(sparse_codes(rng, CONFIG, 5, 40, 0.0, pattern) == 0)
    with pytest.raises(ValueError, match="pattern: expected one of"):
        sparse_codes(rng, CONFIG, 1, 4, 0.5, "rows")


def test_measure_counts_the_skipped_chunks_and_the_speedup():
    """Two tokens of 10 chunks: one keeps chunks 0 and 9, one of zeros keeps its last: 3 issues
    a block against 20, both runs checked beat by beat against golden/."""
    x = np.zeros((2, 40), int)
    x[0, 1], x[0, 38] = 5, -7
    w = np.random.default_rng(1).integers(-1, 2, (4, 40))
    result = measure(CONFIG, x, w, backend="amaranth")
    assert result["chunks_skipped"] == pytest.approx(1 - 3 / 20)
    assert result["dense"]["busy"] == 2 * 2 * 10 and result["skipping"]["busy"] == 2 * 3
    assert result["speedup"] == pytest.approx(
        result["dense"]["cycles"] / result["skipping"]["cycles"], abs=1e-3)
    # the run is bounded by the tokens' 10 input beats each, not by the 3 issues a block
    assert 1.5 < result["speedup"] < result["dense"]["busy"] / result["skipping"]["busy"]
