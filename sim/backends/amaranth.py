"""The Amaranth backend of ``run_bitlinear``: the design in Amaranth's Python simulator."""

from __future__ import annotations

import time
from pathlib import Path

from amaranth.sim import Simulator

from hw.config import ArrayConfig
from hw.datapath.bitlinear import BitLinear
from hw.datapath.perf import PERF_COUNTERS

from ..scoreboard import BackendRun, Scoreboard
from ..stimulus import Stimulus

__all__ = ["run_amaranth"]


def run_amaranth(config: ArrayConfig, stimulus: Stimulus, scoreboard: Scoreboard,
                 waves: Path | None, design=None) -> BackendRun:
    """Drive ``design(config)`` (default BitLinear) with ``stimulus``; report each beat to
    ``scoreboard`` as it comes."""
    dut = (design or BitLinear)(config)
    w_beats, x_beats = stimulus.w_beats, stimulus.x_beats
    ends = {}

    async def testbench(ctx):
        ctx.set(dut.k, stimulus.k)
        ctx.set(dut.n, stimulus.n)
        await ctx.tick().repeat(config.shape_settle_cycles)  # the shape registers take k and n
        w_payload, x_payload = dut.w_in.payload.as_value(), dut.x_in.payload.as_value()
        out_payload = dut.acc_out.payload.as_value()
        inputs = (dut.w_in.valid, dut.x_in.valid, dut.acc_out.ready, w_payload, x_payload)
        driven = [None] * len(inputs)
        w_next = x_next = cycle = quiet = 0
        while quiet < stimulus.drain and cycle < stimulus.limit:
            w_valid, x_valid, ready = stimulus.offers(cycle, w_next, x_next, scoreboard.done)
            # Each ctx.set settles the design, so only changed inputs are written.
            for slot, value in enumerate((w_valid, x_valid, ready,
                                          w_beats[w_next] if w_valid else None,
                                          x_beats[x_next] if x_valid else None)):
                if value is not None and driven[slot] != value:
                    ctx.set(inputs[slot], value)
                    driven[slot] = value
            _, _, w_ready, x_ready, o_valid, o_word = await ctx.tick().sample(
                dut.w_in.ready, dut.x_in.ready, dut.acc_out.valid, out_payload)
            w_next += w_valid and w_ready
            x_next += x_valid and x_ready
            scoreboard.handshakes(cycle, x_valid and x_ready, o_valid, ready, o_word)
            quiet = quiet + 1 if scoreboard.done else 0
            cycle += 1
        ends["inputs_taken"] = (w_next, x_next)
        ends["perf"] = tuple(ctx.get(getattr(dut.perf, name)) for name in PERF_COUNTERS)

    setup_start = time.perf_counter()
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    setup = time.perf_counter() - setup_start
    if waves is not None:
        waves.parent.mkdir(parents=True, exist_ok=True)
        with sim.write_vcd(str(waves)):
            sim.run()
    else:
        sim.run()
    return BackendRun(perf=ends["perf"], inputs_taken=ends["inputs_taken"], setup_seconds=setup)
