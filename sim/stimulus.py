"""What every simulator backend drives into the BitLinear top: the beats of both input streams
(``hw.formats``) and a per-cycle stall pattern, so one seed stalls the same cycles everywhere."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.cycle import Schedule
from golden.ints import ceil_div
from hw.config import ArrayConfig
from hw.formats import act_beats, as_ints, weight_beats

__all__ = ["Stimulus", "make_stimulus", "stall_pattern", "check_operands", "weight_range",
           "W_MAY_BE_VALID", "X_MAY_BE_VALID", "OUT_MAY_BE_READY"]


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


def weight_range(config: ArrayConfig) -> tuple[int, int]:
    """Weight values the array takes: ternary, or int8 for the multiplier baseline."""
    return (-1, 1) if config.ternary else (-128, 127)


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

    def offers(self, cycle: int, w_next: int, x_next: int, done: bool) -> tuple[bool, bool, bool]:
        """``(w_in valid, x_in valid, acc_out ready)`` on ``cycle``, with ``w_next``/``x_next``
        beats taken so far; once every beat arrived (``done``) the output is always ready."""
        moves = int(self.pattern[cycle])
        return (w_next < len(self.w_beats) and bool(moves & W_MAY_BE_VALID),
                x_next < len(self.x_beats) and bool(moves & X_MAY_BE_VALID),
                bool(moves & OUT_MAY_BE_READY) or done)

    @property
    def limit(self) -> int:
        return len(self.pattern)


def make_stimulus(config: ArrayConfig, x: np.ndarray, w: np.ndarray, expected: Schedule,
                  stall_prob: float, seed: int, x_start: int = 0) -> Stimulus:
    """Beats of ``w`` and ``x`` (lanes past K hold random codes, which the array must ignore) and
    the stall pattern, long enough for ``expected`` at ``stall_prob``; ``x_in`` waits until
    cycle ``x_start``."""
    fill = np.random.default_rng(seed)
    low, high = weight_range(config)
    half = 1 << (config.act_bits - 1)
    width = ceil_div(x.shape[1], config.lanes) * config.lanes
    w_beats = as_ints(weight_beats(config, w, fill.integers(low, high + 1, (w.shape[0], width))))
    x_beats = as_ints(act_beats(config, x, fill.integers(-half, half, (x.shape[0], width))))
    limit = int((expected.cycles + len(w_beats) + 100) * (4 / (1 - stall_prob) ** 2))
    pattern = stall_pattern(seed, stall_prob, limit)
    pattern[:x_start] &= ~np.uint8(X_MAY_BE_VALID)      # x_in waits until cycle x_start
    return Stimulus(k=w.shape[1], n=w.shape[0], w_beats=w_beats, x_beats=x_beats,
                    pattern=pattern, drain=2 * config.output_latency + 4)
