"""GEMV and small-batch GEMM throughput in simulation, against the bounds of the UP5K.

Cycles come from a Verilated run of the array (``sim.run_bitlinear``: every beat checked against
golden/), in two dataflows:

* resident: the weights live in SPRAM (``weight_store="spram"``, loaded once); the tokens are held
  back until the matrix is in and timed by the array's performance counters alone;
* streamed: the weights come through ``w_in`` with every call (block RAM, as the EBR presets are
  used when a layer does not fit), timed from the first weight beat to the last accumulator.

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
from hw.config import ArrayConfig
from hw.memory.geometry import SPRAM_BITS, SPRAM_COUNT, SPRAM_WORDS

__all__ = ["SPRAM_TRITS_PER_CYCLE", "ThroughputCase", "bounds", "config_for", "resident_config",
           "measure", "measure_resident", "default_cases"]

#: 4 SPRAMs × 16 bits a cycle, at 2 bits per trit.
SPRAM_TRITS_PER_CYCLE = SPRAM_COUNT * SPRAM_BITS // 2


@dataclass(frozen=True)
class ThroughputCase:
    n: int       # outputs (rows of W)
    k: int       # inputs
    m: int       # tokens sharing one weight load (1 = GEMV)

    @property
    def label(self) -> str:
        return f"{self.n}x{self.k}" + ("" if self.m == 1 else f"/m{self.m}")


def bounds(config: ArrayConfig, case: ThroughputCase) -> dict:
    """Lower bounds on cycles: weights from SPRAM, weights through ``w_in``, and compute."""
    trits = case.n * case.k
    return {
        "spram_weight_cycles": ceil_div(trits, SPRAM_TRITS_PER_CYCLE),
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


def resident_config(case: ThroughputCase) -> ArrayConfig | None:
    """The SPRAM preset sized to hold ``case``'s matrix, or None when 2-bit trits of it exceed the
    four SPRAMs (512 Ki trits)."""
    try:
        return ArrayConfig.icebreaker_spram(max_k=case.k, max_n=case.n)
    except ValueError:
        return None


def measure_resident(case: ThroughputCase, *, seed: int = 0) -> dict:
    """Tokens on a matrix already in SPRAM, timed by the performance counters."""
    from golden.cycle import schedule
    from sim.harness import run_bitlinear

    config = resident_config(case)
    out = {"label": case.label, "n": case.n, "k": case.k, "m": case.m, "dataflow": "resident"}
    if config is None:
        return out | {"fits": False, "why": f"{case.n * case.k:,} trits exceed the SPRAMs' "
                                             f"{SPRAM_COUNT * SPRAM_WORDS * SPRAM_BITS // 2:,} at 2 bits each"}
    x, w = _operands(config, case, seed)
    ready = schedule(config, x, w).weights_ready_cycle
    result = run_bitlinear(config, x, w, backend="verilator", seed=seed, x_start=ready)
    cycles = sum(result.perf.values())        # first x_in beat .. last acc_out beat
    b = bounds(config, case)
    roof = max(b["spram_weight_cycles"], b["compute_cycles"])
    return out | {
        "fits": True, "config": config.to_dict(), "cycles": cycles, "perf": result.perf, **b,
        "efficiency_vs_spram_bound": round(roof / cycles, 4),
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
