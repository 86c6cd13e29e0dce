"""The one checker every simulator backend reports to: each ``acc_out`` beat against golden/ as it
arrives (value always; cycle too when nothing stalls), then the performance counters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.cycle import schedule
from hw.formats import decode_acc_word

__all__ = ["Scoreboard", "ScoreboardError", "BackendRun"]


class ScoreboardError(AssertionError):
    """The hardware disagreed with golden/ (value, cycle, count of beats or counters)."""


@dataclass(frozen=True)
class BackendRun:
    """What a backend reports besides the beats it fed to the scoreboard."""

    perf: tuple[int, int, int]       # busy, in_stall, out_stall as the counters read at the end
    inputs_taken: tuple[int, int]    # w_in and x_in beats the design accepted
    setup_seconds: float             # elaborating the design and building the simulator


def _fmt(values) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


class Scoreboard:
    """Holds what golden/ expects and checks beats and counters as a driver reports them.

    Every driver (Amaranth, the Verilator C++ driver, cocotb) calls ``x_beat`` on the first
    ``x_in`` handshake, ``beat`` on each ``acc_out`` handshake, counts ``output_held`` cycles and
    ends with ``counters``."""

    def __init__(self, config, x, w, stall_prob, x_start: int = 0, resident: bool = False):
        self.config = config
        self.expected = schedule(config, x, w, x_start, resident)
        self.check_cycles = stall_prob == 0.0
        self.m, self.n = x.shape[0], w.shape[0]
        self.acc = np.zeros((self.m, self.n), dtype=np.int64)
        self.received = 0
        self.first_x_cycle = None
        self.last_beat_cycle = None
        self.beat_cycles = []
        self.output_held = 0     # cycles acc_out was valid and not ready, as the driver saw them

    @property
    def done(self) -> bool:
        return self.received == len(self.expected.beats)

    def handshakes(self, cycle: int, x_taken: bool, out_valid: bool, out_ready: bool, word):
        """What a driver saw on one cycle: an ``x_in`` beat taken; ``acc_out`` valid (and ready,
        with its payload ``word``)."""
        if x_taken:
            self.x_beat(cycle)
        if out_valid and not out_ready:
            self.output_held += 1
        if out_valid and out_ready:
            self.beat(cycle, word)

    def x_beat(self, cycle: int):
        if self.first_x_cycle is None:
            self.first_x_cycle = cycle

    def beat(self, cycle: int, word: int):
        config = self.config
        if self.done:
            raise ScoreboardError(f"cycle {cycle}: unexpected output beat {self.received} "
                                  f"(all {len(self.expected.beats)} beats already arrived): "
                                  f"{_fmt(decode_acc_word(config, word))}")
        want = self.expected.beats[self.received]
        got = decode_acc_word(config, word)
        where = f"cycle {cycle}, beat {want.index} (token {want.token}, block {want.block})"
        if not np.array_equal(got, want.acc):
            raise ScoreboardError(f"{where}: expected {_fmt(want.acc)}, got {_fmt(got)}")
        if self.check_cycles and cycle != want.cycle:
            raise ScoreboardError(f"{where}: values match but the beat came on cycle {cycle}; "
                                  f"the cycle model predicts cycle {want.cycle}")
        lo = want.block * config.rows
        hi = min(lo + config.rows, self.n)
        self.acc[want.token, lo:hi] = got[:hi - lo]
        self.received += 1
        self.last_beat_cycle = cycle
        self.beat_cycles.append(cycle)

    def counters(self, busy: int, in_stall: int, out_stall: int) -> dict:
        perf = {"busy": busy, "in_stall": in_stall, "out_stall": out_stall}
        window = self.last_beat_cycle - self.first_x_cycle + 1
        if busy != self.expected.perf_busy:
            raise ScoreboardError(f"perf_busy = {busy}, but the schedule issues "
                                  f"{self.expected.perf_busy} chunks")
        # the pipeline stalls on every cycle acc_out is held, or, with an output buffer, only
        # on those when a second beat has finished behind the held one
        # (with output slots the pipeline never stops: a block waits for a slot, which the
        # cycle model counts)
        buffered = self.config.output_buffer
        if not self.config.output_slots and (
                out_stall > self.output_held or (not buffered and out_stall != self.output_held)):
            raise ScoreboardError(f"perf_out_stall = {out_stall}, but acc_out was held (valid, "
                                  f"not ready) on {self.output_held} cycles")
        if busy + in_stall + out_stall != window:
            raise ScoreboardError(f"counters do not add up: busy {busy} + in_stall {in_stall} + "
                                  f"out_stall {out_stall} != {window} cycles from the first "
                                  f"x_in beat to the last acc_out beat")
        if self.check_cycles:
            want = {"busy": self.expected.perf_busy, "in_stall": self.expected.perf_in_stall,
                    "out_stall": self.expected.perf_out_stall}
            if perf != want:
                raise ScoreboardError(f"counters {perf} differ from the cycle model's {want}")
        return perf


