# amaranth: UnusedElaboratable=no
"""The table-lookup kind: the group's selection over all nine trit pairs, exhaustively at 4 bits;
the pair table registered only at a level-0 cut; the kind through the host link. (Rows: the
row tests; BitLinear against golden: test_hw_datapath_bitlinear.py, like every kind.)"""

import itertools

import numpy as np
import pytest

from golden.bitlinear import int_matmul
from hw.config import ArrayConfig
from hw.datapath.table import PairTable, TableGroup
from hw.formats import TRIT_CODE


@pytest.mark.parametrize("act_bits", [4, 8])
def test_table_group_selects_every_pair_exactly(run_sim, act_bits):
    """All nine trit pairs against every pair of activations at 4 bits; at 8 bits, every
    activation against the extremes and a few others (the selection is bitwise, so these
    exercise each entry's every bit at both signs)."""
    group = TableGroup(act_bits=act_bits)
    half = 1 << (act_bits - 1)
    if act_bits == 4:
        pairs = list(itertools.product(range(-half, half), repeat=2))
    else:
        others = (-half, -half + 1, -1, 0, 1, 85, -86, half - 1)
        pairs = [(a, b) for a in range(-half, half) for b in others]
        pairs += [(b, a) for a, b in pairs]
    checked = []

    async def check(ctx):
        for a, b in pairs:
            ctx.set(group.entries, [a, b, a + b, a - b])
            for (s, cs), (t, ct) in itertools.product(TRIT_CODE.items(), repeat=2):
                ctx.set(group.codes, [cs, ct])
                total = ctx.get(group.out) + ctx.get(group.correction)
                assert total == s * a + t * b, f"a {a} b {b} trits {s} {t} gave {total}"
                checked.append(1)

    run_sim(group, check)
    assert len(checked) == 9 * len(pairs)


@pytest.mark.parametrize("cuts, latency", [((), 0), ((1,), 0), ((0, 2), 1)])
def test_pair_table_forms_each_pairs_entries(run_sim, cuts, latency):
    """a, b, a + b, a - b a pair (an odd last lane pairs with 0), a cycle later with a cut at
    level 0 and at once otherwise."""
    config = ArrayConfig(pe_kind="table2", lanes=5, rows=1, tree_cuts=cuts, weight_packing="base3")
    table = PairTable(config)
    acts = [-128, 127, 5, -7, -128]
    want = [[-128, 127, -1, -255], [5, -7, -2, 12], [-128, 0, -128, -128]]
    seen = []

    async def testbench(ctx):
        ctx.set(table.acts, acts)
        for _ in range(2):
            seen.append([[ctx.get(table.table[p][e]) for e in range(4)] for p in range(3)])
            if latency:
                await ctx.tick()
            else:
                await ctx.delay(1e-8)

    run_sim(table, testbench)
    assert seen[latency] == want
    if latency:
        assert seen[0] != want


def test_table_kind_through_the_host_link():
    """IDENTIFY carries the kind (wire id 2), the driver loads and runs it: golden's numbers."""
    from host.driver import Accelerator
    from hw.system.accelerator import LinkedArray
    from sim.link import SimulatedSerial

    config = ArrayConfig.tiny(pe_kind="table2")
    rng = np.random.default_rng(12)
    x, w = rng.integers(-128, 128, (3, 37)), rng.integers(-1, 2, (11, 37))
    device = Accelerator(SimulatedSerial(LinkedArray(config, timeout_cycles=3000)))
    assert device.config == config
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))
