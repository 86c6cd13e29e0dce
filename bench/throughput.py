"""GEMV and small-batch GEMM throughput in simulation, against the bounds of the UP5K.

Cycles come from a Verilated run of the array (``sim.run_bitlinear``: every beat checked against
golden/), in two dataflows:

* resident: the weights live in SPRAM (``weight_store="spram"``, loaded once); the tokens are held
  back until the matrix is in and timed by the array's performance counters alone; at 2 bits a
  trit (the SPRAM preset, 16 × 2) and at five trits a byte (its base-3 twin, 20 × 2);
* streamed: the weights come through ``w_in`` with every call (block RAM, as the EBR presets are
  used when a layer does not fit), timed from the first weight beat to the last accumulator;
* double-buffered: the same, on the icebreaker preset as it is, the layer cut into tiles that two
  slots of the weight banks hold, each tile loaded while the one before computes
  (``sim.session.ArraySession.overlap``): the weight stream never waits for the array.

Two bounds limit any design:

* weights: a layer's N·K trits must reach the array. From SPRAM that is at most 64 bits a cycle,
  32 trits at 2 bits per trit (40 at 5 trits per byte); the array's own ``w_in`` stream takes
  ``lanes`` trits a cycle.
* compute: ``lanes × rows`` ternary MACs a cycle, for each of the M tokens.

``efficiency = max(weight bound, compute bound) / measured cycles``: 1.0 is the roofline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.ints import ceil_div
from golden.packing import TRITS_PER_BYTE_BASE3
from hw.config import ArrayConfig
from hw.memory.geometry import SPRAM_BITS, SPRAM_COUNT

__all__ = ["SPRAM_TRITS_PER_CYCLE", "spram_trits_per_cycle", "ThroughputCase", "bounds",
           "config_for", "resident_config",
           "measure", "measure_resident", "measure_double_buffered", "buffer_tiles",
           "default_cases"]

#: 4 SPRAMs × 16 bits a cycle, at 2 bits per trit.
SPRAM_TRITS_PER_CYCLE = SPRAM_COUNT * SPRAM_BITS // 2

#: The resident presets by weight packing.
RESIDENT_PRESETS = {"2bit": ArrayConfig.icebreaker_spram, "base3": ArrayConfig.icebreaker_spram_base3}


def spram_trits_per_cycle(config: ArrayConfig) -> int:
    """Trits the four SPRAMs deliver a cycle in ``config``'s packing: 32 at 2 bits, 40 in
    base 3 (8 bytes of five)."""
    if config.weight_packing == "base3":
        return SPRAM_COUNT * SPRAM_BITS // 8 * TRITS_PER_BYTE_BASE3
    return SPRAM_TRITS_PER_CYCLE


@dataclass(frozen=True)
class ThroughputCase:
    n: int       # outputs (rows of W)
    k: int       # inputs
    m: int       # tokens sharing one weight load (1 = GEMV)

    @property
    def label(self) -> str:
        return f"{self.n}x{self.k}" + ("" if self.m == 1 else f"/m{self.m}")


def bounds(config: ArrayConfig, case: ThroughputCase) -> dict:
    """Lower bounds on cycles: weights from SPRAM (in ``config``'s packing), weights through
    ``w_in``, and compute."""
    trits = case.n * case.k
    return {
        "spram_weight_cycles": ceil_div(trits, spram_trits_per_cycle(config)),
        "stream_weight_cycles": case.n * ceil_div(case.k, config.lanes),
        "compute_cycles": case.m * ceil_div(case.n, config.rows) * ceil_div(case.k, config.lanes),
    }


def default_cases(quick: bool) -> list[ThroughputCase]:
    shapes = [(256, 1024), (1024, 256), (1024, 512), (1024, 1024)]
    if quick:
        return [ThroughputCase(64, 256, 1), ThroughputCase(64, 256, 4)]
    return [ThroughputCase(n, k, m) for n, k in shapes for m in (1, 4, 16)]


def config_for(base: ArrayConfig, cases: list[ThroughputCase]) -> ArrayConfig:
    """``base`` with max K and N raised to hold the largest case (simulation only: a 1024×1024
    matrix does not fit the UP5K's EBR; the figures are about the dataflow)."""
    return base.replace(max_k=max(base.max_k, *(c.k for c in cases)),
                        max_n=max(base.max_n, *(c.n for c in cases)))


def _operands(config: ArrayConfig, case: ThroughputCase, seed: int):
    rng = np.random.default_rng(seed)
    half = 1 << (config.act_bits - 1)
    return rng.integers(-half, half, (case.m, case.k)), rng.integers(-1, 2, (case.n, case.k))


def resident_config(case: ThroughputCase, packing: str = "2bit") -> ArrayConfig | None:
    """The SPRAM preset of ``packing`` sized to hold ``case``'s matrix, or None when it exceeds
    the four SPRAMs (512 Ki trits at 2 bits, 640 Ki in base 3)."""
    try:
        return RESIDENT_PRESETS[packing](max_k=case.k, max_n=case.n)
    except ValueError:
        return None


def measure_resident(case: ThroughputCase, *, packing: str = "2bit", seed: int = 0) -> dict:
    """Tokens on a matrix already in SPRAM, timed by the performance counters."""
    from golden.cycle import schedule
    from sim.harness import run_bitlinear

    config = resident_config(case, packing)
    out = {"label": case.label, "n": case.n, "k": case.k, "m": case.m, "dataflow": "resident",
           "packing": packing}
    if config is None:
        preset = RESIDENT_PRESETS[packing]()
        capacity = preset.bank_words * preset.rows * preset.lanes
        return out | {"fits": False, "why": f"{case.n * case.k:,} trits exceed the SPRAMs' "
                                             f"{capacity:,} ({packing})"}
    x, w = _operands(config, case, seed)
    ready = schedule(config, x, w).weights_ready_cycle
    result = run_bitlinear(config, x, w, backend="verilator", seed=seed, x_start=ready)
    cycles = sum(result.perf.values())        # first x_in beat .. last acc_out beat
    b = bounds(config, case)
    roof = max(b["spram_weight_cycles"], b["compute_cycles"])
    return out | {
        "fits": True, "config": config.to_dict(), "cycles": cycles, "perf": result.perf, **b,
        "spram_trits_per_cycle": spram_trits_per_cycle(config),
        "efficiency_vs_spram_bound": round(roof / cycles, 4),
        # weight trits the array took a cycle, against what the SPRAMs deliver (GEMV: the rate)
        "of_spram_rate": round(case.n * case.k / cycles / spram_trits_per_cycle(config), 4),
        "macs_per_cycle": round(case.m * case.n * case.k / cycles, 2),
    }


def measure(config: ArrayConfig, case: ThroughputCase, *, seed: int = 0) -> dict:
    """Weights streamed through ``w_in`` with the call, then the tokens (one run)."""
    from sim.harness import run_bitlinear

    x, w = _operands(config, case, seed)
    result = run_bitlinear(config, x, w, backend="verilator", seed=seed)
    b = bounds(config, case)
    spram_roof = max(b["spram_weight_cycles"], b["compute_cycles"])
    stream_roof = max(b["stream_weight_cycles"], b["compute_cycles"])
    return {
        "label": case.label, "n": case.n, "k": case.k, "m": case.m, "dataflow": "streamed",
        "cycles": result.cycles, "perf": result.perf,
        "weight_load_cycles": result.schedule.weights_ready_cycle,
        **b,
        "efficiency_vs_spram_bound": round(spram_roof / result.cycles, 4),
        "efficiency_vs_stream_bound": round(stream_roof / result.cycles, 4),
        "macs_per_cycle": round(case.m * case.n * case.k / result.cycles, 2),
        "sim_cycles_per_second": round(result.cycles_per_second),
    }


def buffer_tiles(config: ArrayConfig, case: ThroughputCase) -> tuple[int, int]:
    """Rows and columns of the tiles a double-buffered layer is cut into: K up to ``max_k``, and
    the most whole output blocks (up to ``max_n``, and at most half the layer's, so that one
    load at least overlaps compute) of which two tiles fit the weight banks."""
    cols = min(case.k, config.max_k)
    half = ceil_div(ceil_div(case.n, 2), config.rows) * config.rows
    rows = min(half, config.max_n // config.rows * config.rows) or min(case.n, config.rows)
    while rows > config.rows and 2 * config.matrix_words(rows, cols) > config.bank_words:
        rows -= config.rows
    if 2 * config.matrix_words(rows, cols) > config.bank_words:
        raise ValueError(f"two {rows}x{cols} tiles do not fit {config.bank_words} words a bank")
    return rows, cols


def measure_double_buffered(config: ArrayConfig, case: ThroughputCase, *, seed: int = 0) -> dict:
    """The layer as tiles through two slots: tile i+1 loads while tile i computes. Cycles are the
    sum of the phases (each as long as its load or its tokens, whichever ends later) plus the
    cycles that set each phase's shape; the K tiles' partial sums are added on the host."""
    from golden.bitlinear import int_matmul
    from sim.session import ArraySession

    x, w = _operands(config, case, seed)
    rows, cols = buffer_tiles(config, case)
    grid = [(r, c) for r in range(0, case.n, rows) for c in range(0, case.k, cols)]
    parts = [(w[r:r + rows, c:c + cols], x[:, c:c + cols]) for r, c in grid]
    acc = np.zeros((case.m, case.n), np.int64)
    phases = []
    with ArraySession(config, seed=seed) as array:
        load = array.load("tile0", parts[0][0])
        phases.append(load.cycles + config.shape_settle_cycles)
        for i in range(len(parts)):
            slot = f"tile{i % 2}"
            if i + 1 < len(parts):
                load, run = array.overlap(f"tile{(i + 1) % 2}", parts[i + 1][0], slot, parts[i][1])
                phases.append(max(load.cycles, run.cycles) + config.shape_settle_cycles)
            else:
                run = array.run(slot, parts[i][1])
                phases.append(run.cycles + config.shape_settle_cycles)
            r, c = grid[i]
            acc[:, r:r + rows] += run.acc
    assert np.array_equal(acc, int_matmul(x, w))      # each tile was checked; so is the sum
    cycles = sum(phases)
    b = bounds(config, case)
    stream_roof = max(b["stream_weight_cycles"], b["compute_cycles"])
    return {
        "label": case.label, "n": case.n, "k": case.k, "m": case.m,
        "dataflow": "double-buffered", "config": config.to_dict(), "tile": [rows, cols],
        "tiles": len(parts), "cycles": cycles, **b,
        "efficiency_vs_stream_bound": round(stream_roof / cycles, 4),
        "macs_per_cycle": round(case.m * case.n * case.k / cycles, 2),
    }
