"""ChunkCount: ceil(K / lanes), its last index and the last chunk's lanes, for every K, by shifts
(lanes a power of two) or by counting (five times one), within the settle time the config gives."""

import numpy as np
import pytest

from golden.ints import ceil_div
from hw.config import ArrayConfig
from hw.datapath.chunks import ChunkCount

CONFIGS = {
    "shifts": ArrayConfig(lanes=8, rows=1, max_k=70, max_n=4, tree_cuts=()),
    "counted": ArrayConfig(lanes=10, rows=1, max_k=73, max_n=4, tree_cuts=(),
                           weight_packing="base3"),
    "counted_5": ArrayConfig(lanes=5, rows=1, max_k=31, max_n=4, tree_cuts=(),
                             weight_packing="base3"),
}


def want(config, k):
    chunks = ceil_div(k, config.lanes)
    inside = k - (chunks - 1) * config.lanes
    return chunks, chunks - 1, (1 << inside) - 1


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_k_settles_in_time(run_sim, name):
    """K in a shuffled order (each change from an unrelated K), outputs checked exactly
    ``chunks`` cycles after the change for a counted config and at once for shifts; nothing
    moves afterwards."""
    config = CONFIGS[name]
    dut = ChunkCount(config)
    order = np.random.default_rng(len(name)).permutation(np.arange(1, config.max_k + 1))
    delay = config.shape_settle_cycles - 3           # what the counting adds

    async def wait(ctx, cycles):      # shifts: no clock at all, a moment is enough
        if config.chunks_by_shifts:
            await ctx.delay(1e-8)
        else:
            await ctx.tick().repeat(cycles)

    async def testbench(ctx):
        for k in order:
            k = int(k)
            ctx.set(dut.k, k)
            chunks = ceil_div(k, config.lanes)
            await wait(ctx, chunks)
            assert config.chunks_by_shifts or chunks <= delay
            for _ in range(2):
                got = ctx.get(dut.chunks), ctx.get(dut.last_chunk), ctx.get(dut.last_lanes)
                assert got == want(config, k), f"k={k}"
                await wait(ctx, 1)

    run_sim(dut, testbench)


def test_counting_restarts_when_k_changes_midway(run_sim):
    config = CONFIGS["counted"]
    dut = ChunkCount(config)

    async def testbench(ctx):
        ctx.set(dut.k, 73)
        await ctx.tick().repeat(3)      # partway through eight chunks
        ctx.set(dut.k, 21)
        await ctx.tick().repeat(config.max_chunks)
        assert (ctx.get(dut.chunks), ctx.get(dut.last_chunk), ctx.get(dut.last_lanes)) \
            == want(config, 21)

    run_sim(dut, testbench)
