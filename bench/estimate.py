"""Pre-synthesis resource estimate from an ``ArrayConfig``: LC per module (fitted), EBR (counted).

Logic cells, by part of the design, each a count the config gives times a cost per unit fitted
by least squares to measured nextpnr builds (bench/synth.py):

* ``lanes``: the PEs and their adder tree, per PE·activation bit, one cost per PE kind (a ternary
  lane is a few LUTs a bit; an int8 multiplier lane is dozens);
* ``accumulators``: per row·accumulator bit (the running sum, the output register, its mux);
* ``fixed``: controller, memory addressing, performance counters and the harness or host link.

Block RAM is not fitted but counted: each memory is split into iCE40 EBRs (4 Kbit, 256×16,
512×8, 1024×4 or 2048×2) in the cheapest shape, as yosys maps them.
"""

from __future__ import annotations

import numpy as np

from golden.ints import ceil_div, ceil_log2
from hw.config import PE_KINDS, ArrayConfig
from hw.memory.geometry import EBR_SHAPES

__all__ = ["features", "fit", "estimate_lc", "estimate_ebr", "FEATURE_NAMES", "memories"]

#: Columns of the design matrix; the coefficient of each is an LC cost per unit.
FEATURE_NAMES = ("fixed", *(f"lanes_{kind}" for kind in PE_KINDS), "accumulators")


def features(config: ArrayConfig) -> np.ndarray:
    row = [1.0]
    for kind in PE_KINDS:
        row.append(float(config.pes * config.act_bits) if config.pe_kind == kind else 0.0)
    row.append(float(config.rows * config.acc_bits))
    return np.array(row)


def fit(configs: list[ArrayConfig], lc: list[int]) -> dict:
    """Least-squares costs for the features the measurements exercise; features no measurement
    exercises (a PE kind not swept) get no cost and the estimate refuses such configs."""
    matrix = np.array([features(c) for c in configs])
    used = np.flatnonzero(matrix.any(axis=0))
    if len(configs) < len(used):
        raise ValueError(f"fit: {len(configs)} measurements cannot determine {len(used)} costs")
    solution, *_ = np.linalg.lstsq(matrix[:, used], np.asarray(lc, float), rcond=None)
    costs = dict.fromkeys(FEATURE_NAMES)
    for index, value in zip(used, solution):
        costs[FEATURE_NAMES[index]] = round(float(value), 4)
    return costs


def estimate_lc(config: ArrayConfig, costs: dict) -> dict:
    """LC per part and in total; raises if the config needs a cost the fit did not determine."""
    parts = {}
    for name, amount in zip(FEATURE_NAMES, features(config)):
        if amount == 0:
            continue
        if costs.get(name) is None:
            raise ValueError(f"estimate: no measured build exercised {name!r}; sweep it first")
        parts[name] = round(costs[name] * amount)
    parts["total"] = sum(parts.values())
    return parts


def memories(config: ArrayConfig) -> dict[str, tuple[int, int, int]]:
    """name -> (count, width, depth) of the array's block RAMs (EBR)."""
    out = {
        # one memory, two token banks of a power-of-two size each (hw/datapath/act_buffer.py)
        "act_buffer": (1, config.lanes * config.act_bits,
                       2 << ceil_log2(config.max_chunks)),
    }
    if config.weight_store == "ebr":     # SPRAM banks use no EBR
        out["weight_banks"] = (config.rows, config.weight_word_bits,
                               config.max_blocks * config.max_chunks)
    if config.weight_packing == "base3":  # a 256-word ROM per weight byte read a cycle
        out["weight_decode"] = (config.rows * config.weight_word_bits // 8, 10, 256)
    return out


def _ebrs(width: int, depth: int) -> int:
    return min(ceil_div(width, w) * ceil_div(depth, d) for w, d in EBR_SHAPES)


def estimate_ebr(config: ArrayConfig, extra: int = 0) -> int:
    """EBRs of the array's memories, plus ``extra`` (e.g. the host link's request buffer)."""
    return extra + sum(count * _ebrs(width, depth) for count, width, depth in memories(config).values())
