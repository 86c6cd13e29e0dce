"""Cycle model of the BitLinear array's schedule: which output beat appears on which cycle.

It reads nothing from the gateware but the ``ArrayConfig`` (duck-typed: lanes, rows,
output_latency, act_read_delay, act_write_delay, weight_write_delay, zero_skip,
cycles_per_chunk), and describes the schedule of
``hw/datapath/bitlinear.py`` when no stream stalls:

* cycle 0 is the first cycle on which ``w_in`` and ``x_in`` offer beats; each stream offers its
  next beat on the cycle after the previous one was taken, and ``acc_out`` is always ready;
* the weight memory takes one row chunk a cycle and writes it ``weight_write_delay`` cycles
  later, then writes one zero word a cycle for every chunk of the rows that pad the last block
  to ``rows``; the matrix is usable the cycle after its last write (or at once, for a matrix
  already resident: ``resident=True``, no weight beats at all);
* the activation buffer has two banks; a token of ``chunks = ceil(K/lanes)`` beats loads into a
  free bank and can be read from the cycle after its last beat (``act_write_delay`` cycles
  later: skipping codes writes a cycle after taking); a bank is free again the cycle
  after the last read of its token (``1 + act_read_delay`` cycles after its last issue: base-3
  arrays read the activations a cycle later, beside the weights' decode, and chunk skipping a
  cycle later again, after the chunk index that addresses the weights);
* the array issues one chunk a cycle (``cycles_per_chunk`` cycles for a bit-serial kind, one
  bit-plane each; the chunk is issued on its last), block by block, token by token; with zero
  skipping only what the token keeps (``kept_chunks``: its chunks with a non-zero code and the
  last, or the non-zero codes of its busiest lane), so a token issues ``blocks * kept`` times;
* the beat of a block appears ``output_latency`` cycles after its last chunk is issued
  (one cycle of memory read, one of weight decode with base-3 packing, the row's registers: tree
  cuts and row sum, the accumulator);
* with ``output_slots`` (2) a block starts only after the beat two blocks before it was taken
  (the cycle after it appears; it is taken at once), and the cycles a block waits for that
  are output stalls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .baseline import int8_matmul
from .bitlinear import int_matmul
from .ints import ceil_div

__all__ = ["Beat", "Schedule", "schedule", "beat_values", "kept_chunks", "load_cycles"]


@dataclass(frozen=True)
class Beat:
    """One ``acc_out`` beat: the accumulators of outputs ``block*rows .. block*rows+rows-1``
    of ``token`` (zeros past N)."""

    index: int
    token: int
    block: int
    cycle: int
    acc: np.ndarray = field(compare=False)


@dataclass(frozen=True)
class Schedule:
    beats: list[Beat]
    chunks: int
    blocks: int
    weights_ready_cycle: int
    #: Performance counters the hardware must report after the last beat.
    perf_busy: int
    perf_in_stall: int
    perf_out_stall: int

    @property
    def cycles(self) -> int:
        """Cycles from cycle 0 up to and including the last beat."""
        return self.beats[-1].cycle + 1


def beat_values(config, x_codes, w_codes) -> list[tuple[int, int, np.ndarray]]:
    """``(token, block, acc)`` for every output beat, in order, from golden.int_matmul (or
    int8_matmul for the int8-weight baseline, ``config.weight_bits == 8``)."""
    product = int8_matmul if getattr(config, "weight_bits", 2) == 8 else int_matmul
    acc = product(x_codes, w_codes).astype(np.int64)
    m, n = acc.shape
    blocks = ceil_div(n, config.rows)
    padded = np.zeros((m, blocks * config.rows), dtype=np.int64)
    padded[:, :n] = acc
    return [(t, b, padded[t, b * config.rows:(b + 1) * config.rows])
            for t in range(m) for b in range(blocks)]


def kept_chunks(config, x_codes) -> np.ndarray:
    """Issues each token takes a block, per token (int): all ``ceil(K/lanes)`` chunks; with
    ``zero_skip="chunks"`` those holding a non-zero code, plus the last chunk whatever it holds
    (a block needs one issue to produce its beat, and the last chunk carries the lanes past K);
    with ``"codes"`` the non-zero codes of the busiest lane (lane ``l`` takes the codes at
    ``k = l mod lanes``), at least one."""
    x = np.asarray(x_codes)
    m, k = x.shape
    chunks = ceil_div(k, config.lanes)
    if config.zero_skip == "off":
        return np.full(m, chunks, dtype=np.int64)
    padded = np.zeros((m, chunks * config.lanes), dtype=x.dtype)
    padded[:, :k] = x
    nonzero = padded.reshape(m, chunks, config.lanes) != 0
    if config.zero_skip == "codes":
        return np.maximum(nonzero.sum(axis=1).max(axis=1), 1)
    kept = np.any(nonzero, axis=2)
    kept[:, -1] = True
    return kept.sum(axis=1)


def load_cycles(config, n: int, k: int) -> int:
    """Cycles from an N×K matrix's first weight beat (taken a beat a cycle) to the first cycle
    it is usable: every row of its blocks, padding included, chunk by chunk, then the write delay."""
    return ceil_div(n, config.rows) * config.rows * ceil_div(k, config.lanes) + config.weight_write_delay


def schedule(config, x_codes, w_codes, x_start: int = 0, resident: bool = False) -> Schedule:
    """Cycle and value of every output beat with no stalls (see the module doc). ``x_start``
    holds ``x_in`` back until that cycle (e.g. until the weights are in); the performance
    counters then start there. ``resident``: the matrix was loaded before cycle 0 and stays."""
    if isinstance(x_start, bool) or not isinstance(x_start, int) or x_start < 0:
        raise ValueError(f"x_start: expected a cycle >= 0, got {x_start!r}")
    values = beat_values(config, x_codes, w_codes)
    m = np.shape(x_codes)[0]
    n, k = np.shape(w_codes)
    chunks = ceil_div(k, config.lanes)
    blocks = ceil_div(n, config.rows)
    weights_ready = 0 if resident else load_cycles(config, n, k)
    per_chunk = getattr(config, "cycles_per_chunk", 1)
    block_cycles = [int(c) * per_chunk for c in kept_chunks(config, x_codes)]

    slots = getattr(config, "output_slots", 0)
    delay = config.output_latency
    bank_free = [0, 0]
    load_end = x_start - 1
    issue_end = -1
    beat_cycles = []        # of every block, in order
    out_stall = 0
    for token in range(m):
        load_start = max(load_end + 1, bank_free[token % 2])
        load_end = load_start + chunks - 1
        ready = max(load_end + 1 + config.act_write_delay, issue_end + 1, weights_ready)
        for _ in range(blocks):
            # with slots, the beat two blocks back must have been taken (it is, on its cycle)
            start = ready
            if slots and len(beat_cycles) >= slots:
                start = max(ready, beat_cycles[-slots] + 1)
            out_stall += start - ready
            issue_end = start + block_cycles[token] - 1
            beat_cycles.append(issue_end + delay)
            ready = issue_end + 1
        bank_free[token % 2] = issue_end + 1 + config.act_read_delay

    beats = [Beat(index=index, token=token, block=block, cycle=cycle, acc=acc)
             for index, ((token, block, acc), cycle) in enumerate(zip(values, beat_cycles))]
    busy = blocks * sum(block_cycles)
    total = beats[-1].cycle + 1 - x_start  # the first x_in beat is taken on cycle x_start
    return Schedule(beats=beats, chunks=chunks, blocks=blocks, weights_ready_cycle=weights_ready,
                    perf_busy=busy, perf_in_stall=total - busy - out_stall,
                    perf_out_stall=out_stall)
