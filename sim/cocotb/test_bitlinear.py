"""cocotb test module: drives the exported Verilog with the shared stimulus and scoreboard.

The case (config, operands, stall probability, seed) comes from the JSON file named by
``BITNET_COCOTB_CASE``; the result (beat cycles, counters) goes to the path in the case, so the
pytest side can compare backends. Run it through :func:`sim.cocotb.runner.run_cocotb`.
"""

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from hw.config import ArrayConfig
from hw.datapath.perf import PERF_COUNTERS
from sim.scoreboard import Scoreboard
from sim.stimulus import check_operands, make_stimulus


@cocotb.test()
async def bitlinear_matches_golden(dut):
    case = json.loads(Path(os.environ["BITNET_COCOTB_CASE"]).read_text())
    config = ArrayConfig.from_dict(case["config"])
    x, w = check_operands(config, np.array(case["x"]), np.array(case["w"]))
    scoreboard = Scoreboard(config, x, w, case["stall_prob"])
    stimulus = make_stimulus(config, x, w, scoreboard.expected, case["stall_prob"], case["seed"])

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.k.value = stimulus.k
    dut.n.value = stimulus.n
    dut.perf__clear.value = 0
    dut.w_base.value = 0          # one matrix, at the start of the banks
    dut.w_resident.value = 0
    dut.w_in__valid.value = 0
    dut.x_in__valid.value = 0
    dut.acc_out__ready.value = 0
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    for _ in range(config.shape_settle_cycles):  # the shape registers take k and n
        await RisingEdge(dut.clk)

    w_beats, x_beats = stimulus.w_beats, stimulus.x_beats
    w_next = x_next = cycle = quiet = 0
    while quiet < stimulus.drain:
        assert cycle < stimulus.limit, (f"no progress after {cycle} cycles: "
                                        f"{scoreboard.received} beats")
        w_valid, x_valid, ready = stimulus.offers(cycle, w_next, x_next, scoreboard.done)
        dut.w_in__valid.value = int(w_valid)
        if w_valid:
            dut.w_in__payload.value = w_beats[w_next]
        dut.x_in__valid.value = int(x_valid)
        if x_valid:
            dut.x_in__payload.value = x_beats[x_next]
        dut.acc_out__ready.value = int(ready)
        await ReadOnly()  # the settled values of this cycle, just before the edge
        w_ready = bool(dut.w_in__ready.value)
        x_ready = bool(dut.x_in__ready.value)
        o_valid = bool(dut.acc_out__valid.value)
        o_word = dut.acc_out__payload.value.to_unsigned() if o_valid and ready else None
        await RisingEdge(dut.clk)
        w_next += w_valid and w_ready
        x_next += x_valid and x_ready
        scoreboard.handshakes(cycle, x_valid and x_ready, o_valid, ready, o_word)
        quiet = quiet + 1 if scoreboard.done else 0
        cycle += 1

    await ReadOnly()
    perf = scoreboard.counters(*(getattr(dut, f"perf__{name}").value.to_unsigned()
                                 for name in PERF_COUNTERS))
    Path(case["result"]).write_text(json.dumps({
        "beat_cycles": scoreboard.beat_cycles, "perf": perf,
        "acc": scoreboard.acc.tolist(), "cycles": cycle}))
