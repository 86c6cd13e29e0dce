"""Cycle-by-cycle checking of the BitLinear top, shared by tests, ``make sim`` and researchers.

``run_bitlinear`` drives the three streams (with random valid/ready stalls if asked) through a
backend (``sim.backends``), checks every ``acc_out`` beat against golden/ as it arrives
(``sim.scoreboard``: value always; cycle too when nothing stalls) and raises
:class:`ScoreboardError` on the first difference, naming cycle, beat, expected and actual.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden.cycle import Schedule
from hw.config import ArrayConfig

from .backends.amaranth import run_amaranth
from .backends.netlist import NETLIST_BACKENDS, run_netlist
from .backends.verilator import run_verilator
from .scoreboard import Scoreboard, ScoreboardError
from .stimulus import check_operands, make_stimulus

__all__ = ["BACKENDS", "BitLinearResult", "ScoreboardError", "run_bitlinear"]

#: Backend name -> the function that drives a stimulus through it: the RTL in Python or Verilator,
#: and each family's synthesized netlist in Verilator (``netlist-ice40``, ``netlist-ecp5``, ...).
BACKENDS = {"amaranth": run_amaranth, "verilator": run_verilator,
            **{name: functools.partial(run_netlist, family)
               for name, family in NETLIST_BACKENDS.items()}}


@dataclass(frozen=True)
class BitLinearResult:
    acc: np.ndarray          # int32 M×N, assembled from the checked beats
    cycles: int              # cycles simulated, from cycle 0 to the last beat inclusive
    beats: int               # output beats checked
    perf: dict               # busy, in_stall, out_stall as the hardware counted them
    schedule: Schedule       # the golden cycle model's prediction
    beat_cycles: tuple       # the cycle of every acc_out beat, in order
    backend: str
    wall_seconds: float      # simulating and checking, without building the simulator
    setup_seconds: float     # elaborating the design and building the simulator

    @property
    def cycles_per_second(self) -> float:
        return self.cycles / self.wall_seconds if self.wall_seconds else float("inf")


def run_bitlinear(config: ArrayConfig, x_codes, w_codes, *, backend: str = "amaranth",
                  stall_prob: float = 0.0, seed: int = 0, waves: str | os.PathLike | None = None,
                  design=None, x_start: int = 0) -> BitLinearResult:
    """Simulate ``acc = x_codes @ w_codes.T`` on the array and check it beat by beat.

    ``x_codes`` int M×K (act_bits codes), ``w_codes`` int N×K in {-1, 0, 1}. ``stall_prob`` drops
    valid on ``w_in``/``x_in`` and ready on ``acc_out`` at random each cycle (seeded by ``seed``;
    every backend stalls the same cycles). ``backend`` is ``"amaranth"`` (Python simulator),
    ``"verilator"`` (the exported Verilog, compiled once per config and cached under build/) or
    ``"netlist-<family>"`` (the netlist synthesized for an FPGA family, in Verilator with the
    family's cell models: sim.backends.netlist).
    Waveforms go to ``waves`` (a VCD path), or under build/waves/ when ``BITNET_WAVES=1``.
    ``design`` swaps the device under test: any callable taking the config and giving a component
    with BitLinear's signature (your own array, or a fault injector). ``x_start`` holds ``x_in``
    back until that cycle: with ``x_start`` at the end of the weight load, the performance
    counters time the tokens on a resident matrix alone.
    """
    x, w = check_operands(config, x_codes, w_codes)
    if backend not in BACKENDS:
        raise ValueError(f"backend: {backend!r} is not one of {tuple(BACKENDS)}")
    if not isinstance(stall_prob, (int, float)) or not 0.0 <= stall_prob < 1.0:
        raise ValueError(f"stall_prob: expected a number in [0, 1), got {stall_prob!r}")
    if waves is None and os.environ.get("BITNET_WAVES") == "1":
        waves = Path("build/waves") / (f"{backend}_{config.pe_kind}_l{config.lanes}_r{config.rows}"
                                       f"_m{x.shape[0]}_k{x.shape[1]}_n{w.shape[0]}_s{seed}.vcd")
    scoreboard = Scoreboard(config, x, w, float(stall_prob), x_start)
    stimulus = make_stimulus(config, x, w, scoreboard.expected, float(stall_prob), seed, x_start)
    start = time.perf_counter()
    run = BACKENDS[backend](config, stimulus, scoreboard, None if waves is None else Path(waves),
                            design)
    wall = time.perf_counter() - start - run.setup_seconds
    if not scoreboard.done:
        w_taken, x_taken = run.inputs_taken
        raise ScoreboardError(f"{backend}: only {scoreboard.received} of "
                              f"{len(scoreboard.expected.beats)} beats arrived in "
                              f"{stimulus.limit} cycles (w_in {w_taken}/{len(stimulus.w_beats)}, "
                              f"x_in {x_taken}/{len(stimulus.x_beats)} beats taken)")
    perf = scoreboard.counters(*run.perf)
    return BitLinearResult(acc=scoreboard.acc.astype(np.int32), cycles=scoreboard.last_beat_cycle + 1,
                           beats=scoreboard.received, perf=perf, schedule=scoreboard.expected,
                           beat_cycles=tuple(scoreboard.beat_cycles), backend=backend,
                           wall_seconds=wall, setup_seconds=run.setup_seconds)
