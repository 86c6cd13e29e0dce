# amaranth: UnusedElaboratable=no
"""AdderTree: sums match ``sum``, widths grow a bit a level, latency equals the number of cuts."""

import numpy as np
import pytest
from amaranth.hdl import signed, unsigned

from hw.datapath.adder_tree import AdderTree


@pytest.mark.parametrize("n_inputs, shape, cuts", [
    (1, signed(8), ()),
    (2, signed(9), (1,)),
    (3, signed(8), (0, 2)),
    (7, signed(8), (1,)),
    (16, signed(9), (0, 2, 4)),
    (16, unsigned(1), (2,)),
    (5, unsigned(3), ()),
])
def test_tree_sums_with_latency(run_sim, n_inputs, shape, cuts):
    tree = AdderTree(n_inputs=n_inputs, input_shape=shape, cuts=cuts)
    assert tree.latency == len(cuts)
    assert n_inputs <= 2 ** tree.depth < 2 * n_inputs   # the fewest levels that hold them
    assert tree.out.shape().width == shape.width + tree.depth
    rng = np.random.default_rng(n_inputs)
    low, high = (-(1 << (shape.width - 1)), 1 << (shape.width - 1)) if shape.signed else (0, 1 << shape.width)
    vectors = [rng.integers(low, high, n_inputs) for _ in range(30)]
    # Extremes: every input at its minimum, every input at its maximum.
    vectors += [np.full(n_inputs, low), np.full(n_inputs, high - 1)]
    outputs = []

    async def testbench(ctx):
        for vector in vectors + [vectors[-1]] * tree.latency:
            ctx.set(tree.inputs, [int(v) for v in vector])
            outputs.append(ctx.get(tree.out))
            if tree.latency:
                await ctx.tick()
            else:  # purely combinational: no clock domain to tick
                await ctx.delay(1e-8)

    run_sim(tree, testbench)
    got = outputs[tree.latency:]
    assert got == [int(v.sum()) for v in vectors]


def test_enable_holds_pipeline(run_sim):
    tree = AdderTree(n_inputs=4, input_shape=signed(8), cuts=(1, 2))
    seen = []

    async def testbench(ctx):
        ctx.set(tree.inputs, [1, 2, 3, 4])
        await ctx.tick().repeat(2)
        assert ctx.get(tree.out) == 10
        ctx.set(tree.en, 0)
        ctx.set(tree.inputs, [5, 5, 5, 5])
        await ctx.tick().repeat(3)
        seen.append(ctx.get(tree.out))          # frozen
        ctx.set(tree.en, 1)
        await ctx.tick().repeat(2)
        seen.append(ctx.get(tree.out))

    run_sim(tree, testbench)
    assert seen == [10, 20]


@pytest.mark.parametrize("kwargs, words", [
    ({"n_inputs": 0, "input_shape": signed(8)}, "n_inputs must be a positive integer"),
    ({"n_inputs": 4, "input_shape": signed(8), "cuts": (3,)}, "cuts must be distinct levels in [0, 2]"),
    ({"n_inputs": 4, "input_shape": signed(8), "cuts": (1, 1)}, "cuts must be distinct levels"),
])
def test_bad_arguments(kwargs, words):
    with pytest.raises(ValueError) as info:
        AdderTree(**kwargs)
    assert words in str(info.value)
