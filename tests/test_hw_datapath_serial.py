# amaranth: UnusedElaboratable=no
"""The bit-serial kind: a lane for every bit and trit; the planes, sign plane first; the kind
through the host link, where a token takes act_bits cycles a chunk. (Rows: the row tests;
BitLinear against golden, cycle by cycle: test_hw_datapath_bitlinear.py, like every kind.)"""

import numpy as np

from golden.bitlinear import int_matmul
from hw.config import ArrayConfig
from hw.datapath.serial import SerialArray, SerialLane
from hw.formats import TRIT_CODE


def test_serial_lane_counts_a_bit_for_its_trit(run_sim):
    """out = bit·t, plus one for t = -1 (the row adds the -1 count back once a chunk)."""
    lane = SerialLane()

    async def check(ctx):
        for bit in (0, 1):
            for trit, code in TRIT_CODE.items():
                ctx.set(lane.bit, bit)
                ctx.set(lane.code, code)
                assert ctx.get(lane.out) == bit * trit + (trit == -1), (bit, trit)

    run_sim(lane, check)


def test_planes_come_sign_first(run_sim):
    """One lane, one +1 trit: plane p of activation a is bit act_bits - 1 - p, and the row's
    sum after the last plane is a itself (the sign plane weighs -2^(B-1))."""
    config = ArrayConfig(pe_kind="serial", lanes=1, rows=1, act_bits=4, tree_cuts=())
    rows = SerialArray(config)
    results = {}

    async def testbench(ctx):
        for a in range(-8, 8):
            for plane in range(4):
                ctx.set(rows.acts, [[a]])
                ctx.set(rows.codes, [[TRIT_CODE[1]]])
                ctx.set(rows.plane, plane)
                await ctx.tick()
                # the row register now holds the partial sum of the planes so far
                results[a, plane] = ctx.get(rows.sums[0])

    run_sim(rows, testbench)
    for a in range(-8, 8):
        bits = [(a >> (3 - p)) & 1 for p in range(4)]
        partial = -bits[0]
        for p in range(4):
            if p:
                partial = 2 * partial + bits[p]
            assert results[a, p] == partial, (a, p)
        assert results[a, 3] == a


def test_serial_kind_through_the_host_link():
    """IDENTIFY carries the kind (wire id 3), the driver loads and runs it: golden's numbers,
    and the busy counter counts a cycle a plane."""
    from host.driver import Accelerator
    from hw.system.accelerator import LinkedArray
    from sim.link import SimulatedSerial

    config = ArrayConfig.tiny(pe_kind="serial")
    rng = np.random.default_rng(12)
    x, w = rng.integers(-128, 128, (3, 37)), rng.integers(-1, 2, (11, 37))
    device = Accelerator(SimulatedSerial(LinkedArray(config, timeout_cycles=3000)))
    assert device.config == config
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))
    chunks, blocks = -(-37 // config.lanes), -(-11 // config.rows)
    assert device.perf()["busy"] == 3 * blocks * chunks * 8
