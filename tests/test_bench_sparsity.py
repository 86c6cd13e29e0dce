"""bench.sparsity: where the zeros fall, and what skipping them saves against the same array."""

import numpy as np
import pytest

from bench.sparsity import measure, sparse_codes
from hw.config import ArrayConfig

CONFIG = ArrayConfig.tiny(zero_skip="chunks")       # 4 lanes x 2 rows


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
    assert result["issues_skipped"] == pytest.approx(1 - 3 / 20)
    assert result["dense"]["busy"] == 2 * 2 * 10 and result["skipping"]["busy"] == 2 * 3
    assert result["speedup"] == pytest.approx(
        result["dense"]["cycles"] / result["skipping"]["cycles"], abs=1e-3)
    # the run is bounded by the tokens' 10 input beats each, not by the 3 issues a block
    assert 1.5 < result["speedup"] < result["dense"]["busy"] / result["skipping"]["busy"]


def test_skipping_codes_follows_the_busiest_lane():
    """Lane l takes the codes at k = l mod 4: lane 1 holds three non-zero codes, the others one or
    none, so each of the 2 blocks takes 3 issues against 10 chunks."""
    config = CONFIG.replace(zero_skip="codes")
    x = np.zeros((1, 40), int)
    x[0, [1, 5, 9, 2, 39]] = [3, -4, 5, 6, 7]
    w = np.random.default_rng(2).integers(-1, 2, (4, 40))
    result = measure(config, x, w, backend="amaranth")
    assert result["skipping"]["busy"] == 2 * 3 and result["dense"]["busy"] == 2 * 10
    assert result["issues_skipped"] == pytest.approx(1 - 3 / 10)


def test_transformer_inputs_measure_the_trained_down_proj():
    """The trained transformer's first down_proj, on the code-skipping array: its input codes are
    mostly zero, every other projection's zero share is reported beside, and skipping saves
    cycles on them (both runs checked beat by beat against golden/ on the cycle model's cycle)."""
    from lm.bitnet import load
    from lm.bitnet.train import DEFAULT_DIR

    from bench.sparsity import transformer_inputs

    model = load(DEFAULT_DIR)
    config = ArrayConfig.icebreaker_a4_codes(act_bits=8)
    rows = transformer_inputs(model, config, "a cat ", tokens=2,
                              layers=("layers.0.mlp.down_proj",), backend="amaranth")
    measured = [r for r in rows if "speedup" in r]
    assert [r["layer"] for r in measured] == ["model.layers.0.mlp.down_proj"]
    assert len(rows) == len(model.codes)
    (down,) = measured
    # the prompt's 6 characters in one pass, then the first new one (the second is not fed back)
    assert (down["m"], down["k"], down["n"]) == (7, 256, 64)
    assert down["zero_codes"] > 0.5 and down["issues_skipped"] > 0.3
    assert down["skipping"]["busy"] < down["dense"]["busy"] and down["speedup"] > 1.3
    up = next(r for r in rows if r["layer"] == "model.layers.0.mlp.up_proj")
    assert up["zero_codes"] < 0.1 and "speedup" not in up
