"""``ArraySession``: one BitLinear array kept running under Verilator, so matrices stay resident.

``run_bitlinear`` simulates one load and its tokens from reset; a model wants its layers loaded
once and then only tokens, layer after layer. A session keeps the compiled model running
(``sim/verilator/session.cpp``, one request a line over a pipe), places each matrix in a slot of
the weight banks (``golden.slots``: the device's placement rule) and checks, as ``run_bitlinear``
does, every output beat against golden/ in value and cycle, the load's length and the counters.

    with ArraySession(ArrayConfig.icebreaker_spram()) as array:
        array.load("fc1", w1); array.load("fc2", w2)      # each loaded once
        acc = array.run("fc1", x).acc                       # tokens only, on the resident matrix
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden.ints import ceil_div
from golden.slots import Slot, SlotTable
from hw.config import ArrayConfig
from hw.datapath.bitlinear import SHAPE_SETTLE_CYCLES
from hw.formats import act_beats, as_ints, weight_beats

from .backends.verilator import VerilatorError, build_model
from .scoreboard import Scoreboard, ScoreboardError
from .stimulus import check_operands, weight_range

__all__ = ["ArraySession", "LoadRun", "TokenRun"]

DRIVER = Path(__file__).parent / "verilator" / "session.cpp"


def _words(bits: int) -> int:
    return max(1, ceil_div(bits, 32))


def _hex_lines(beats: list[int], words: int) -> str:
    mask = (1 << 32) - 1
    return "".join(" ".join(f"{(beat >> (32 * i)) & mask:x}" for i in range(words)) + "\n"
                   for beat in beats)


@dataclass(frozen=True)
class LoadRun:
    slot: Slot
    cycles: int          # from the first weight beat until the matrix is usable


@dataclass(frozen=True)
class TokenRun:
    slot: Slot
    acc: np.ndarray      # int32 M×N, checked beat by beat
    cycles: int          # from the first token beat to the last accumulator, inclusive
    perf: dict           # busy, in_stall, out_stall as the hardware counted them


class ArraySession:
    """BitLinear for ``config`` under Verilator, state kept between calls (see the module doc).

    ``load(name, w_codes)`` puts an N×K ternary matrix in slot ``name`` (``SlotError`` if it does
    not fit: ``slots`` says what is resident); ``run(name, x_codes)`` streams M tokens through it
    and returns a :class:`TokenRun`. Any disagreement with golden/ raises ``ScoreboardError``."""

    def __init__(self, config: ArrayConfig, *, design=None, seed: int = 0):
        if not isinstance(config, ArrayConfig):
            raise ValueError(f"config: expected an ArrayConfig, got {type(config).__name__}")
        self.config = config
        self.slots = SlotTable(config)
        self._weights: dict[str, np.ndarray] = {}
        self._selected: str | None = None
        self._fill = np.random.default_rng(seed)   # codes in lanes past K: must be ignored
        self._drain = 2 * (2 + config.row_latency) + 4
        binary = build_model(config, design=design, driver=DRIVER)
        self._process = subprocess.Popen(
            [str(binary), str(SHAPE_SETTLE_CYCLES), str(self._drain)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    # ---- the pipe
    def _send(self, text: str) -> None:
        try:
            self._process.stdin.write(text)
            self._process.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise VerilatorError(f"the session model has stopped: {self._stderr()}") from None

    def _line(self) -> list[str]:
        line = self._process.stdout.readline()
        if not line:
            raise VerilatorError(f"the session model has stopped: {self._stderr()}")
        return line.split()

    def _stderr(self) -> str:
        self._process.poll()
        if self._process.returncode is None:
            return "no answer"
        return f"exit {self._process.returncode}: {self._process.stderr.read().strip()[-500:]}"

    def _set_shape(self, slot: Slot, resident: bool) -> None:
        self._send(f"S {slot.k} {slot.n} {slot.base} {int(resident)}\n")
        if self._line() != ["OK"]:
            raise VerilatorError("the session model did not take the shape")

    # ---- the interface
    def load(self, name: str, w_codes) -> LoadRun:
        config = self.config
        w = np.asarray(w_codes)
        check_operands(config, np.zeros((1, w.shape[1] if w.ndim == 2 else 1), np.int64), w)
        slot = self.slots.plan(name, *w.shape)
        low, high = weight_range(config)
        width = ceil_div(slot.k, config.lanes) * config.lanes
        beats = as_ints(weight_beats(config, w, self._fill.integers(low, high + 1, (slot.n, width))))
        words = _words(config.weight_bits * config.lanes)
        self._selected = None
        self.slots.forget_from(slot.base)    # the load overwrites from there on
        self._weights = {n: v for n, v in self._weights.items() if n in self.slots}
        self._set_shape(slot, resident=False)
        self._send(f"W {len(beats)} {words}\n" + _hex_lines(beats, words))
        _, loaded_at, taken = self._line()
        expected = ceil_div(slot.n, config.rows) * config.rows * ceil_div(slot.k, config.lanes)
        if int(taken) != len(beats) or int(loaded_at) != expected:
            raise ScoreboardError(f"loading slot {name!r}: {taken} of {len(beats)} beats taken, "
                                  f"matrix usable on cycle {loaded_at}; the cycle model says "
                                  f"cycle {expected}")
        self.slots.place(slot)
        self._weights[name] = w.astype(np.int64)
        self._selected = name    # loaded, shape set: tokens may follow at once
        return LoadRun(slot, int(loaded_at))

    def run(self, name: str, x_codes) -> TokenRun:
        config = self.config
        slot = self.slots[name]
        w = self._weights[name]
        x, _ = check_operands(config, x_codes, w)
        if self._selected != name:
            self._set_shape(slot, resident=True)
            self._selected = name
        half = 1 << (config.act_bits - 1)
        width = ceil_div(slot.k, config.lanes) * config.lanes
        beats = as_ints(act_beats(config, x, self._fill.integers(-half, half, (len(x), width))))
        scoreboard = Scoreboard(config, x, w, 0.0, resident=True)
        expected = len(scoreboard.expected.beats)
        words = _words(config.act_bits * config.lanes)
        out_words = _words(config.acc_bits * config.rows)
        self._send(f"X {len(beats)} {words} {expected} {out_words}\n" + _hex_lines(beats, words))
        while True:
            kind, *fields = self._line()
            if kind == "F":
                scoreboard.x_beat(int(fields[0]))
            elif kind == "B":
                word = 0
                for i, part in enumerate(fields[1:]):
                    word |= int(part, 16) << (32 * i)
                scoreboard.beat(int(fields[0]), word)
            elif kind == "E":
                break
        cycles, taken, received, timeout, busy, in_stall, out_stall = (int(v) for v in fields)
        if timeout or not scoreboard.done:
            raise ScoreboardError(f"slot {name!r}: {received} of {expected} beats arrived in "
                                  f"{cycles} cycles ({taken} of {len(beats)} token beats taken)")
        perf = scoreboard.counters(busy, in_stall, out_stall)
        return TokenRun(slot, scoreboard.acc.astype(np.int32), scoreboard.last_beat_cycle + 1, perf)

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._send("Q\n")
            except VerilatorError:
                pass
            self._process.wait(timeout=10)
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            stream.close()

    def __enter__(self) -> "ArraySession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
