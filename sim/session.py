"""``ArraySession``: one BitLinear array kept running under Verilator, so matrices stay resident.

``run_bitlinear`` simulates one load and its tokens from reset; a model wants its layers loaded
once and then only tokens, layer after layer. A session keeps the compiled model running
(``sim/verilator/session.cpp``, one request a line over a pipe), places each matrix in a slot of
the weight banks (``golden.slots``: the device's placement rule) and checks, as ``run_bitlinear``
does, every output beat against golden/ in value and cycle, the load's length and the counters.

    with ArraySession(ArrayConfig.icebreaker_spram()) as array:
        array.load("fc1", w1); array.load("fc2", w2)      # each loaded once
        acc = array.run("fc1", x).acc                       # tokens only, on the resident matrix
        load, run = array.overlap("fc1", w3, "fc2", x2)     # block RAM: a load while fc2 computes
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden.cycle import load_cycles
from golden.ints import ceil_div
from golden.slots import Slot, SlotTable
from hw.config import ArrayConfig
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


class _Model:
    """The running session model: requests down its stdin, answers up its stdout, a line each."""

    def __init__(self, binary: Path, settle: int, drain: int):
        self._process = subprocess.Popen(
            [str(binary), str(settle), str(drain)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    def send(self, text: str) -> None:
        try:
            self._process.stdin.write(text)
            self._process.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise VerilatorError(f"the session model has stopped: {self._stderr()}") from None

    def line(self) -> list[str]:
        line = self._process.stdout.readline()
        if not line:
            raise VerilatorError(f"the session model has stopped: {self._stderr()}")
        return line.split()

    def _stderr(self) -> str:
        self._process.poll()
        if self._process.returncode is None:
            return "no answer"
        return f"exit {self._process.returncode}: {self._process.stderr.read().strip()[-500:]}"

    def __del__(self):          # a session nobody closed (an engine dropped): stop the model
        if getattr(self, "_process", None) is not None and self._process.stdin \
                and not self._process.stdin.closed:
            self.close()

    def close(self) -> None:
        if self._process.stdin.closed:
            return
        if self._process.poll() is None:
            try:
                self.send("Q\n")
            except VerilatorError:
                pass
            self._process.wait(timeout=10)
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            stream.close()


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
        self.slots = SlotTable(config, mark=False)     # the array alone: no link, no mark
        self._weights: dict[str, np.ndarray] = {}
        self._selected: str | None = None
        self._fill = np.random.default_rng(seed)   # codes in lanes past K: must be ignored
        model = _Model(build_model(config, design=design, driver=DRIVER),
                       settle=config.shape_settle_cycles, drain=2 * config.output_latency + 4)
        self._model = model
        self._send, self._line = model.send, model.line

    def close(self) -> None:
        """Stop the model (its state, the resident matrices with it, is gone)."""
        self._model.close()

    def _set_shape(self, slot: Slot, resident: bool) -> None:
        self._send(f"S {slot.k} {slot.n} {slot.base} {int(resident)}\n")
        if self._line() != ["OK"]:
            raise VerilatorError("the session model did not take the shape")

    # ---- the interface
    def _weight_beats(self, name: str, w_codes) -> tuple[Slot, np.ndarray, list[int]]:
        """Check a matrix, plan its slot, and give its ``w_in`` beats (random codes past K)."""
        config = self.config
        w = np.asarray(w_codes)
        check_operands(config, np.zeros((1, w.shape[1] if w.ndim == 2 else 1), np.int64), w)
        slot = self.slots.plan(name, *w.shape)
        low, high = weight_range(config)
        width = ceil_div(slot.k, config.lanes) * config.lanes
        beats = as_ints(weight_beats(config, w, self._fill.integers(low, high + 1, (slot.n, width))))
        return slot, w.astype(np.int64), beats

    def _token_beats(self, name: str, x_codes):
        config = self.config
        slot = self.slots[name]
        w = self._weights[name]
        x, _ = check_operands(config, x_codes, w)
        half = 1 << (config.act_bits - 1)
        width = ceil_div(slot.k, config.lanes) * config.lanes
        beats = as_ints(act_beats(config, x, self._fill.integers(-half, half, (len(x), width))))
        return slot, x, w, beats

    def _loading(self, slot: Slot) -> None:
        """A load into ``slot`` starts: what it overlaps is gone."""
        self._selected = None
        self.slots.forget(slot)
        self._weights = {n: v for n, v in self._weights.items() if n in self.slots}

    def _loaded(self, slot: Slot, w: np.ndarray, beats: int, line: list[str]) -> LoadRun:
        config = self.config
        _, loaded_at, taken = line
        expected = load_cycles(config, slot.n, slot.k)
        if int(taken) != beats or int(loaded_at) != expected:
            raise ScoreboardError(f"loading slot {slot.name!r}: {taken} of {beats} beats taken, "
                                  f"matrix usable on cycle {loaded_at}; the cycle model says "
                                  f"cycle {expected}")
        self.slots.place(slot)
        self._weights[slot.name] = w
        return LoadRun(slot, int(loaded_at))

    def _tokens(self, slot: Slot, scoreboard: Scoreboard, beats: int):
        """Read a token phase's answer into ``scoreboard`` (and the load's line, if any)."""
        load_line = None
        while True:
            kind, *fields = line = self._line()
            if kind == "F":
                scoreboard.x_beat(int(fields[0]))
            elif kind == "B":
                word = 0
                for i, part in enumerate(fields[1:]):
                    word |= int(part, 16) << (32 * i)
                scoreboard.beat(int(fields[0]), word)
            elif kind == "L":
                load_line = line
            elif kind == "E":
                break
        cycles, taken, received, timeout, busy, in_stall, out_stall = (int(v) for v in fields)
        expected = len(scoreboard.expected.beats)
        if timeout or not scoreboard.done:
            raise ScoreboardError(f"slot {slot.name!r}: {received} of {expected} beats arrived "
                                  f"in {cycles} cycles ({taken} of {beats} token beats taken)")
        perf = scoreboard.counters(busy, in_stall, out_stall)
        run = TokenRun(slot, scoreboard.acc.astype(np.int32), scoreboard.last_beat_cycle + 1, perf)
        return run, load_line

    # ---- the interface
    def load(self, name: str, w_codes) -> LoadRun:
        """Load an N×K ternary matrix into slot ``name`` (nothing else runs meanwhile)."""
        slot, w, beats = self._weight_beats(name, w_codes)
        words = _words(self.config.weight_word_bits)
        self._loading(slot)
        self._set_shape(slot, resident=False)
        self._send(f"W {len(beats)} {words}\n" + _hex_lines(beats, words))
        load = self._loaded(slot, w, len(beats), self._line())
        self._selected = name    # loaded, shape set: tokens may follow at once
        return load

    def run(self, name: str, x_codes) -> TokenRun:
        """Stream M tokens through the resident matrix ``name``."""
        config = self.config
        slot, x, w, beats = self._token_beats(name, x_codes)
        if self._selected != name:
            self._set_shape(slot, resident=True)
            self._selected = name
        scoreboard = Scoreboard(config, x, w, 0.0, resident=True)
        words = _words(config.act_bits * config.lanes)
        out_words = _words(config.acc_bits * config.rows)
        self._send(f"X {len(beats)} {words} {len(scoreboard.expected.beats)} {out_words}\n"
                   + _hex_lines(beats, words))
        return self._tokens(slot, scoreboard, len(beats))[0]

    def overlap(self, load_name: str, w_codes, run_name: str, x_codes) -> tuple[LoadRun, TokenRun]:
        """Load slot ``load_name`` while tokens run on the resident ``run_name`` (block RAM banks:
        a write port beside the read port). The load starts on cycle 0 and takes a beat a cycle;
        the tokens start once the shape inputs name ``run_name`` (``1 + config.shape_settle_cycles``);
        both are checked against the cycle model."""
        config = self.config
        if config.weight_store != "ebr":
            raise ValueError(f"loads overlap compute on block-RAM banks only; weight_store "
                             f"{config.weight_store!r} has one port")
        if load_name == run_name:
            raise ValueError(f"slot {run_name!r} cannot be loaded while it computes")
        run_slot, x, w_run, x_beats = self._token_beats(run_name, x_codes)
        slot, w, w_beats = self._weight_beats(load_name, w_codes)
        if not (slot.end <= run_slot.base or slot.base >= run_slot.end):
            raise ValueError(f"slot {load_name!r} would overwrite {run_name!r}")
        self._loading(slot)
        x_start = 1 + config.shape_settle_cycles
        scoreboard = Scoreboard(config, x, w_run, 0.0, x_start, resident=True)
        ww = _words(config.weight_word_bits)
        xw = _words(config.act_bits * config.lanes)
        ow = _words(config.acc_bits * config.rows)
        self._send(f"O {slot.k} {slot.n} {slot.base} {len(w_beats)} {ww} {run_slot.k} "
                   f"{run_slot.n} {run_slot.base} {len(x_beats)} {xw} "
                   f"{len(scoreboard.expected.beats)} {ow}\n"
                   + _hex_lines(w_beats, ww) + _hex_lines(x_beats, xw))
        run, load_line = self._tokens(run_slot, scoreboard, len(x_beats))
        load = self._loaded(slot, w, len(w_beats), load_line)
        self._selected = run_name
        return load, run

    def __enter__(self) -> "ArraySession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
