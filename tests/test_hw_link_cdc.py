"""``HandshakeCDC``: every beat crosses once, in order, between two unrelated clocks, and
``i_ready_next`` says each cycle what ``i_ready`` will be in the next."""

import numpy as np
import pytest
from amaranth.hdl import ClockDomain, Module, Signal
from amaranth.sim import Simulator

from hw.link.cdc import HandshakeCDC


@pytest.mark.parametrize("i_period, o_period", [(1e-8, 1e-8), (1e-8, 2.7e-8), (3.1e-8, 1e-8)])
def test_beats_cross_once_in_order_and_ready_is_known_a_cycle_early(i_period, o_period):
    m = Module()
    m.domains.src = ClockDomain("src")
    m.domains.dst = ClockDomain("dst")
    m.submodules.cdc = cdc = HandshakeCDC(i_domain="src", o_domain="dst")
    payload = Signal(8)                 # held by the source from valid until taken
    beats = 40
    rng = np.random.default_rng(5)
    offer, take = rng.random(4000) < 0.6, rng.random(4000) < 0.5
    received, sent = [], []

    async def source(ctx):
        promised = None
        next_beat = 0
        for cycle in range(4000):
            if next_beat == beats:
                break
            ctx.set(cdc.i_valid, bool(offer[cycle]) or ctx.get(cdc.i_valid))  # valid stays up
            ctx.set(payload, next_beat)
            ready = ctx.get(cdc.i_ready)
            if promised is not None:
                assert ready == promised, f"source cycle {cycle}: i_ready_next said {promised}"
            promised = ctx.get(cdc.i_ready_next)
            if ready and ctx.get(cdc.i_valid):
                sent.append(next_beat)
                next_beat += 1
                ctx.set(cdc.i_valid, 0)
            await ctx.tick("src")
        assert next_beat == beats

    async def sink(ctx):
        for cycle in range(8000):
            ctx.set(cdc.o_ready, bool(take[cycle % 4000]))
            if ctx.get(cdc.o_valid) and take[cycle % 4000]:
                received.append(ctx.get(payload))
            await ctx.tick("dst")
            if len(received) == beats:
                return

    sim = Simulator(m)
    sim.add_clock(i_period, domain="src")
    sim.add_clock(o_period, domain="dst")
    sim.add_testbench(source)
    sim.add_testbench(sink)
    sim.run()
    assert received == sent == list(range(beats))
