"""Cycle-by-cycle scoreboard for the BitLinear top, shared by tests, ``make sim`` and researchers.

``run_bitlinear`` drives the three streams (with random valid/ready stalls if asked), checks every
``acc_out`` beat against golden/ as it arrives (value always; cycle too when nothing stalls) and
raises :class:`ScoreboardError` on the first difference, naming cycle, beat, expected and actual.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden.cycle import Schedule, schedule
from hw.bitlinear import SHAPE_SETTLE_CYCLES
from hw.config import ArrayConfig

__all__ = ["BACKENDS", "BitLinearResult", "Scoreboard", "ScoreboardError", "Stimulus", "run_bitlinear",
           "encode_weights", "encode_activations", "decode_acc_word", "check_operands",
           "make_stimulus", "stall_pattern"]

BACKENDS = ("amaranth", "verilator")


class ScoreboardError(AssertionError):
    """The hardware disagreed with golden/ (value, cycle, count of beats or counters)."""


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


def check_operands(config: ArrayConfig, x_codes, w_codes) -> tuple[np.ndarray, np.ndarray]:
    """Shapes, dtypes and codes, checked before any simulation starts (ValueError)."""
    if not isinstance(config, ArrayConfig):
        raise ValueError(f"config: expected an ArrayConfig, got {type(config).__name__}")
    checked = []
    for name, value, low, high in (("x_codes", x_codes, -(1 << (config.act_bits - 1)),
                                    (1 << (config.act_bits - 1)) - 1),
                                   ("w_codes", w_codes, *weight_range(config))):
        array = np.asarray(value)
        if array.dtype.kind not in "iu":
            raise ValueError(f"{name}: expected an integer array, got dtype {array.dtype}")
        if array.ndim != 2 or 0 in array.shape:
            raise ValueError(f"{name}: expected a non-empty 2-D array, got shape {array.shape}")
        outside = (array < low) | (array > high)
        if np.any(outside):
            index = tuple(int(i) for i in np.argwhere(outside)[0])
            raise ValueError(f"{name}: code {array[index]} at index {index} is outside "
                             f"[{low}, {high}]")
        checked.append(array.astype(np.int64))
    x, w = checked
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x_codes and w_codes: K differs ({x.shape[1]} vs {w.shape[1]})")
    if w.shape[1] > config.max_k:
        raise ValueError(f"w_codes: K = {w.shape[1]} exceeds config.max_k = {config.max_k}")
    if w.shape[0] > config.max_n:
        raise ValueError(f"w_codes: N = {w.shape[0]} exceeds config.max_n = {config.max_n}")
    return x, w


def _pack_fields(values: np.ndarray, bits: int) -> list[int]:
    """Each row of ``values`` as one integer, element i at bits ``i*bits``."""
    mask = (1 << bits) - 1
    words = []
    for row in values.tolist():
        word = 0
        for i, v in enumerate(row):
            word |= (int(v) & mask) << (i * bits)
        words.append(word)
    return words


def _chunked(values: np.ndarray, lanes: int, fill: np.ndarray) -> np.ndarray:
    """Split the last axis into lanes-wide chunks, padding the last one from ``fill``."""
    rows, k = values.shape
    chunks = -(-k // lanes)
    padded = fill[:rows, :chunks * lanes].copy()
    padded[:, :k] = values
    return padded.reshape(rows * chunks, lanes)


def encode_weights(config: ArrayConfig, w: np.ndarray, rng: np.random.Generator) -> list[int]:
    """``w_in`` beats: row by row, ``lanes`` codes (trit + 1; int8 two's complement for the
    multiplier baseline) a beat. Lanes past K hold random codes, which the hardware must ignore."""
    chunks = -(-w.shape[1] // config.lanes)
    low, high = weight_range(config)
    fill = rng.integers(low, high + 1, (w.shape[0], chunks * config.lanes))
    codes = _chunked(w, config.lanes, fill)
    return _pack_fields(codes + 1 if config.ternary else codes, config.weight_bits)


def weight_range(config: ArrayConfig) -> tuple[int, int]:
    """Weight values the array takes: ternary, or int8 for the multiplier baseline."""
    return (-1, 1) if config.ternary else (-128, 127)


def encode_activations(config: ArrayConfig, x: np.ndarray, rng: np.random.Generator) -> list[int]:
    """``x_in`` beats: token by token, ``lanes`` codes a beat; lanes past K hold random codes."""
    chunks = -(-x.shape[1] // config.lanes)
    half = 1 << (config.act_bits - 1)
    fill = rng.integers(-half, half, (x.shape[0], chunks * config.lanes))
    return _pack_fields(_chunked(x, config.lanes, fill), config.act_bits)


#: Idle cycles between setting k and n and cycle 0 (BitLinear registers its layer shape).
SETTLE_CYCLES = SHAPE_SETTLE_CYCLES

#: Bits of one cycle of a stall pattern.
W_MAY_BE_VALID, X_MAY_BE_VALID, OUT_MAY_BE_READY = 1, 2, 4


def stall_pattern(seed: int, stall_prob: float, cycles: int) -> np.ndarray:
    """One byte a cycle: which streams may move (see the bit constants). Every backend reads the
    same pattern, so the same seed stalls the same cycles in each."""
    rng = np.random.default_rng([seed, 0x57A11])
    moves = rng.random((cycles, 3)) >= stall_prob
    return (moves @ np.array([W_MAY_BE_VALID, X_MAY_BE_VALID, OUT_MAY_BE_READY])).astype(np.uint8)


@dataclass(frozen=True)
class Stimulus:
    """Everything a backend drives: the beats of both input streams and the stall pattern."""

    k: int
    n: int
    w_beats: list[int]
    x_beats: list[int]
    pattern: np.ndarray
    drain: int           # cycles to keep clocking after the last beat, to catch a duplicate

    @property
    def limit(self) -> int:
        return len(self.pattern)


def make_stimulus(config: ArrayConfig, x: np.ndarray, w: np.ndarray, expected: Schedule,
                  stall_prob: float, seed: int, x_start: int = 0) -> Stimulus:
    fill = np.random.default_rng(seed)
    w_beats = encode_weights(config, w, fill)
    x_beats = encode_activations(config, x, fill)
    limit = int((expected.cycles + len(w_beats) + 100) * (4 / (1 - stall_prob) ** 2))
    pattern = stall_pattern(seed, stall_prob, limit)
    pattern[:x_start] &= ~np.uint8(X_MAY_BE_VALID)      # x_in waits until cycle x_start
    return Stimulus(k=w.shape[1], n=w.shape[0], w_beats=w_beats, x_beats=x_beats,
                    pattern=pattern,
                    drain=2 * (2 + config.row_latency) + 4)


def decode_acc_word(config: ArrayConfig, word: int) -> np.ndarray:
    """The ``rows`` signed accumulators of one ``acc_out`` payload."""
    bits = config.acc_bits
    fields = [(word >> (i * bits)) & ((1 << bits) - 1) for i in range(config.rows)]
    return np.array([f - (1 << bits) if f >> (bits - 1) else f for f in fields], dtype=np.int64)


def _fmt(values) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


class Scoreboard:
    """Holds what golden/ expects and checks beats and counters as a driver reports them.

    Every driver (Amaranth, the Verilator C++ driver, cocotb) calls ``x_beat`` on the first
    ``x_in`` handshake, ``beat`` on each ``acc_out`` handshake, counts ``output_held`` cycles and
    ends with ``counters``."""

    def __init__(self, config, x, w, stall_prob, x_start: int = 0):
        self.config = config
        self.expected = schedule(config, x, w, x_start)
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
        if out_stall != self.output_held:
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


def _run_amaranth(config: ArrayConfig, stimulus: Stimulus, scoreboard: "Scoreboard",
                  waves: Path | None, design=None) -> tuple[dict, float]:
    """Drive the Amaranth simulation; report beats to ``scoreboard`` as they come."""
    from amaranth.sim import Simulator

    from hw.bitlinear import BitLinear

    dut = (design or BitLinear)(config)
    w_beats, x_beats, pattern = stimulus.w_beats, stimulus.x_beats, stimulus.pattern
    state = {}

    async def testbench(ctx):
        ctx.set(dut.k, stimulus.k)
        ctx.set(dut.n, stimulus.n)
        await ctx.tick().repeat(SETTLE_CYCLES)  # the shape registers take k and n
        w_payload, x_payload = dut.w_in.payload.as_value(), dut.x_in.payload.as_value()
        out_payload = dut.acc_out.payload.as_value()
        inputs = (dut.w_in.valid, dut.x_in.valid, dut.acc_out.ready, w_payload, x_payload)
        driven = [None] * len(inputs)
        w_next = x_next = 0
        cycle = quiet = 0
        while quiet < stimulus.drain:
            if cycle >= stimulus.limit:
                state["stuck"] = (cycle, w_next, x_next)
                break
            moves = int(pattern[cycle])
            w_valid = w_next < len(w_beats) and bool(moves & W_MAY_BE_VALID)
            x_valid = x_next < len(x_beats) and bool(moves & X_MAY_BE_VALID)
            ready = bool(moves & OUT_MAY_BE_READY) or scoreboard.done
            # Each ctx.set settles the design, so only changed inputs are written.
            for slot, value in enumerate((w_valid, x_valid, ready,
                                          w_beats[w_next] if w_valid else None,
                                          x_beats[x_next] if x_valid else None)):
                if value is not None and driven[slot] != value:
                    ctx.set(inputs[slot], value)
                    driven[slot] = value
            _, _, w_ready, x_ready, o_valid, o_word = await ctx.tick().sample(
                dut.w_in.ready, dut.x_in.ready, dut.acc_out.valid, out_payload)
            if w_valid and w_ready:
                w_next += 1
            if x_valid and x_ready:
                scoreboard.x_beat(cycle)
                x_next += 1
            if o_valid and not ready:
                scoreboard.output_held += 1
            if o_valid and ready:
                scoreboard.beat(cycle, o_word)
            quiet = quiet + 1 if scoreboard.done else 0
            cycle += 1
        state["inputs_taken"] = (w_next, x_next)
        state["perf"] = (ctx.get(dut.perf_busy), ctx.get(dut.perf_in_stall),
                         ctx.get(dut.perf_out_stall))

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
    return state, setup


def run_bitlinear(config: ArrayConfig, x_codes, w_codes, *, backend: str = "amaranth",
                  stall_prob: float = 0.0, seed: int = 0, waves: str | os.PathLike | None = None,
                  design=None, x_start: int = 0) -> BitLinearResult:
    """Simulate ``acc = x_codes @ w_codes.T`` on the array and check it beat by beat.

    ``x_codes`` int M×K (act_bits codes), ``w_codes`` int N×K in {-1, 0, 1}. ``stall_prob`` drops
    valid on ``w_in``/``x_in`` and ready on ``acc_out`` at random each cycle (seeded by ``seed``;
    every backend stalls the same cycles). ``backend`` is ``"amaranth"`` (Python simulator) or
    ``"verilator"`` (the exported Verilog, compiled once per config and cached under build/).
    Waveforms go to ``waves`` (a VCD path), or under build/waves/ when ``BITNET_WAVES=1``. ``design`` swaps the device under test: any callable taking the config
    and giving a component with BitLinear's signature (your own array, or a fault injector).
    ``x_start`` holds ``x_in`` back until that cycle: with ``x_start`` at the end of the weight
    load, the performance counters time the tokens on a resident matrix alone.
    """
    x, w = check_operands(config, x_codes, w_codes)
    if backend not in BACKENDS:
        raise ValueError(f"backend: {backend!r} is not one of {BACKENDS}")
    if not isinstance(stall_prob, (int, float)) or not 0.0 <= stall_prob < 1.0:
        raise ValueError(f"stall_prob: expected a number in [0, 1), got {stall_prob!r}")
    if waves is None and os.environ.get("BITNET_WAVES") == "1":
        waves = Path("build/waves") / (f"{backend}_{config.pe_kind}_l{config.lanes}_r{config.rows}"
                                       f"_m{x.shape[0]}_k{x.shape[1]}_n{w.shape[0]}_s{seed}.vcd")
    scoreboard = Scoreboard(config, x, w, float(stall_prob), x_start)
    stimulus = make_stimulus(config, x, w, scoreboard.expected, float(stall_prob), seed, x_start)
    start = time.perf_counter()
    if backend == "amaranth":
        state, setup = _run_amaranth(config, stimulus, scoreboard,
                                     None if waves is None else Path(waves), design)
    else:
        from .verilator_backend import run_verilator
        state, setup = run_verilator(config, stimulus, scoreboard,
                                     None if waves is None else Path(waves), design)
    wall = time.perf_counter() - start - setup
    if not scoreboard.done:
        w_taken, x_taken = state["inputs_taken"]
        raise ScoreboardError(f"{backend}: only {scoreboard.received} of "
                              f"{len(scoreboard.expected.beats)} beats arrived in "
                              f"{stimulus.limit} cycles (w_in {w_taken}/{len(stimulus.w_beats)}, "
                              f"x_in {x_taken}/{len(stimulus.x_beats)} beats taken)")
    perf = scoreboard.counters(*state["perf"])
    return BitLinearResult(acc=scoreboard.acc.astype(np.int32), cycles=scoreboard.last_beat_cycle + 1,
                           beats=scoreboard.received, perf=perf, schedule=scoreboard.expected,
                           beat_cycles=tuple(scoreboard.beat_cycles), backend=backend,
                           wall_seconds=wall, setup_seconds=setup)
