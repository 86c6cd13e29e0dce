"""The rows of every PE kind (``PEKind.array``): each row gives Σ act·weight ``latency`` cycles
after its chunk's (last) inputs, including the extremes (trits for the ternary kinds, int8 for
the multiplier baseline), on odd lane counts, every cut placement and several rows; a bit-serial
kind holds each chunk for its ``cycles_per_chunk`` planes."""

import numpy as np
import pytest

from hw.config import PE_KINDS, ArrayConfig

TERNARY_KINDS = sorted(name for name, kind in PE_KINDS.items() if kind.ternary)


def row_sums(run_sim, config, vectors):
    """Drive ``config``'s rows with ``vectors`` (one (acts, weights per row) a chunk, back to
    back) and return each row's sum for each chunk, read ``latency`` cycles after its last
    cycle."""
    rows = config.kind.array_class()(config)
    per_chunk = config.cycles_per_chunk
    seen = []

    def codes(weights):
        return [[int(t) + 1 if config.ternary else int(t) & 0xFF for t in row] for row in weights]

    async def testbench(ctx):
        for acts, weights in vectors + [vectors[-1]] * rows.latency:
            for plane in range(per_chunk):
                ctx.set(rows.acts, [[int(a) for a in acts]] * config.act_copies)
                ctx.set(rows.codes, codes(weights))
                ctx.set(rows.plane, plane)
                seen.append([ctx.get(rows.sums[r]) for r in range(config.rows)])
                await ctx.tick()

    run_sim(rows, testbench)
    return [seen[chunk * per_chunk + per_chunk - 1 + rows.latency] for chunk in range(len(vectors))]


@pytest.mark.parametrize("kind", sorted(PE_KINDS))
@pytest.mark.parametrize("lanes, cuts", [(1, ()), (4, (0,)), (16, (1, 3)), (8, (3,)),
                                         (5, ()), (5, (1,)), (10, (2,)), (8, (0, 1, 2, 3))])
def test_row_dot_product(run_sim, kind, lanes, cuts):
    """Lanes of 5 x 2^j exist with base-3 weights only; 5 is the odd count (a pair short)."""
    base3 = lanes % 5 == 0
    if base3 and kind not in TERNARY_KINDS:
        pytest.skip("base-3 lane counts take trit weights")
    config = ArrayConfig(pe_kind=kind, lanes=lanes, rows=2, tree_cuts=cuts,
                         weight_packing="base3" if base3 else "2bit")
    rng = np.random.default_rng(lanes)
    low, high = (-1, 1) if config.ternary else (-128, 127)
    vectors = [(rng.integers(-128, 128, lanes), rng.integers(low, high + 1, (2, lanes)))
               for _ in range(30)]
    vectors.append((np.full(lanes, -128), np.stack([np.full(lanes, low), np.full(lanes, high)])))
    vectors.append((np.full(lanes, 127), np.stack([np.full(lanes, high), np.full(lanes, low)])))
    assert row_sums(run_sim, config, vectors) == [[int(np.dot(a, w)) for w in ws]
                                                  for a, ws in vectors]


@pytest.mark.parametrize("kind", TERNARY_KINDS)
@pytest.mark.parametrize("act_bits", [2, 4])
def test_row_every_activation_at_narrow_widths(run_sim, kind, act_bits):
    """Every activation code in every lane position against each trit: at 2 and 4 bits a
    bit-serial row takes 2 or 4 planes, the table's entries are 3 or 5 bits."""
    config = ArrayConfig(pe_kind=kind, lanes=4, rows=3, act_bits=act_bits, tree_cuts=(1,))
    half = 1 << (act_bits - 1)
    codes = np.arange(-half, half)
    vectors = [(np.roll([a, -half, half - 1, a], shift), np.array([[1] * 4, [-1] * 4, [1, -1, 0, 1]]))
               for a in codes for shift in range(4)]
    assert row_sums(run_sim, config, vectors) == [[int(np.dot(a, w)) for w in ws]
                                                  for a, ws in vectors]


def test_each_row_takes_its_copy_of_the_activations(run_sim):
    """With ``row_groups`` the rows read the copy ``act_copy(row)``: copies driven with different
    activations give each row the dot product with its own copy (rows 0-1 copy 0, rows 2-4
    copy 1)."""
    config = ArrayConfig(lanes=4, rows=5, tree_cuts=(1,), read_cuts=1, row_groups=2)
    assert [config.act_copy(row) for row in range(5)] == [0, 0, 0, 1, 1]
    rows = config.kind.array_class()(config)
    copies = [[3, -5, 7, 1], [-128, 127, 0, 9]]
    weights = [[1, -1, 0, 1], [-1, -1, 1, 1], [1, 1, 1, 1], [0, 1, -1, 1], [1, 0, 0, -1]]
    seen = []

    async def testbench(ctx):
        ctx.set(rows.acts, copies)
        ctx.set(rows.codes, [[t + 1 for t in row] for row in weights])
        for _ in range(rows.latency + 1):
            await ctx.tick()
        seen.extend(ctx.get(rows.sums[r]) for r in range(config.rows))

    run_sim(rows, testbench)
    assert seen == [int(np.dot(copies[config.act_copy(r)], weights[r])) for r in range(5)]
