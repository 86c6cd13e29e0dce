"""TernaryRow: every PE kind gives Σ act·weight after ``latency`` cycles, including the extremes
(trits for the ternary kinds, int8 for the multiplier baseline)."""

import numpy as np
import pytest

from hw.datapath.row import TernaryRow
from hw.config import ArrayConfig
from hw.config import PE_KINDS

TERNARY_KINDS = sorted(name for name, kind in PE_KINDS.items() if kind.ternary)


@pytest.mark.parametrize("kind", sorted(PE_KINDS))
@pytest.mark.parametrize("lanes, cuts", [(1, ()), (4, (0,)), (16, (1, 3)), (8, (3,)),
                                         (5, ()), (5, (1,)), (10, (2,))])
def test_row_dot_product(run_sim, kind, lanes, cuts):
    """Lanes of 5 x 2^j exist with base-3 weights only; 5 is the odd count (a pair short)."""
    base3 = lanes % 5 == 0
    if base3 and kind not in TERNARY_KINDS:
        pytest.skip("base-3 lane counts take trit weights")
    config = ArrayConfig(pe_kind=kind, lanes=lanes, rows=1, tree_cuts=cuts,
                         weight_packing="base3" if base3 else "2bit")
    row = TernaryRow(config)
    rng = np.random.default_rng(lanes)
    low, high = (-1, 1) if config.ternary else (-128, 127)
    vectors = [(rng.integers(-128, 128, lanes), rng.integers(low, high + 1, lanes)) for _ in range(40)]
    vectors.append((np.full(lanes, -128), np.full(lanes, low)))   # largest positive sum
    vectors.append((np.full(lanes, -128), np.full(lanes, high)))  # most negative sum
    sums = []

    async def testbench(ctx):
        for acts, trits in vectors + [vectors[-1]] * row.latency:
            ctx.set(row.acts, [int(a) for a in acts])
            ctx.set(row.codes, [int(t) + 1 if config.ternary else int(t) & 0xFF for t in trits])
            sums.append(ctx.get(row.sum))
            if row.latency:
                await ctx.tick()
            else:
                await ctx.delay(1e-8)

    run_sim(row, testbench)
    assert sums[row.latency:] == [int(np.dot(a, t)) for a, t in vectors]
