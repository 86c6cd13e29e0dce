"""Where a BitLinear's integer product runs: golden/ (NumPy), the simulated array, or a board.

An engine is a callable ``engine(layer_name, x_codes) -> int32 M×N accumulators`` for the model it
was made for (any model with a ``codes`` dict of ternary N×K matrices: lm.model's MLP, the
transformers of lm.bitnet). Everything around the product (embedding, norms, rescale, attention,
sampling) is the model's and runs on the host, so engines are compared by their accumulators alone.

The array holds one weight matrix of at most ``max_n`` × ``max_k``: a larger layer runs as tiles
(``tiles``), each its own weight load: rows beyond ``max_n`` are separate outputs, columns beyond
``max_k`` are partial sums that the host adds, exactly, in int64 (and returns as int32, which
int_matmul's K limit guarantees). So no layer is refused for its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from golden.bitlinear import int_matmul
from hw.config import ArrayConfig

__all__ = ["GoldenEngine", "SimEngine", "BoardEngine", "row_tiles", "tiles", "tiled_product"]


def row_tiles(n: int, max_n: int) -> list[slice]:
    """Ranges of at most ``max_n`` covering ``n`` (rows of N, or columns of K)."""
    return [slice(start, min(start + max_n, n)) for start in range(0, n, max_n)]


def tiles(n: int, k: int, config: ArrayConfig) -> list[tuple[slice, list[slice]]]:
    """An N×K layer on ``config``'s array: each row tile with the K tiles whose partial sums
    make it up."""
    return [(rows, row_tiles(k, config.max_k)) for rows in row_tiles(n, config.max_n)]


def tiled_product(codes: np.ndarray, x_codes, config: ArrayConfig, run_tile) -> np.ndarray:
    """``x_codes @ codes.T`` from tiles that fit ``config``: ``run_tile(w_tile, x_tile, rows,
    cols)`` gives one tile's int32 accumulators; K tiles are summed exactly."""
    x = np.asarray(x_codes)
    parts = []
    for rows, column_tiles in tiles(*codes.shape, config):
        total = np.zeros((len(x), rows.stop - rows.start), np.int64)
        for cols in column_tiles:
            total += run_tile(codes[rows, cols], x[:, cols], rows, cols)
        parts.append(total)
    return np.concatenate(parts, axis=1).astype(np.int32)


class GoldenEngine:
    """The reference: golden.bitlinear.int_matmul."""
    name = "golden"

    def __init__(self, model):
        self.model = model

    def __call__(self, layer: str, x_codes) -> np.ndarray:
        return int_matmul(x_codes, self.model.codes[layer])


@dataclass
class TileRun:
    """One weight load plus its tokens on the array: what the performance counters saw."""
    layer: str
    rows: tuple[int, int]
    cols: tuple[int, int]
    tokens: int
    cycles: int           # from the first weight beat to the last accumulator, inclusive
    busy: int
    in_stall: int
    out_stall: int
    weight_cycles: int    # cycles loading the weights (one beat of `lanes` trits a cycle)


@dataclass
class SimEngine:
    """Each product on the simulated array (``sim.run_bitlinear``, Verilator by default), which
    checks every beat against golden/ as it goes; ``runs`` logs each tile's cycles."""
    model: object
    config: ArrayConfig
    backend: str = "verilator"
    design: object = None      # run_bitlinear's ``design``: your own array in place of BitLinear
    runs: list[TileRun] = field(default_factory=list)
    name = "hardware"

    @property
    def cycles(self) -> int:
        """Simulated cycles so far, over every run (weight loads included)."""
        return sum(run.cycles for run in self.runs)

    def __call__(self, layer: str, x_codes) -> np.ndarray:
        from sim.harness import run_bitlinear

        def run_tile(w, x, rows, cols):
            result = run_bitlinear(self.config, x, w, backend=self.backend, design=self.design)
            self.runs.append(TileRun(layer, (rows.start, rows.stop), (cols.start, cols.stop),
                                     len(x), result.cycles,
                                     weight_cycles=result.schedule.weights_ready_cycle, **result.perf))
            return result.acc

        return tiled_product(self.model.codes[layer], x_codes, self.config, run_tile)


@dataclass
class BoardEngine:
    """Each product on a board through the host driver (``host.driver.Accelerator``); the weights of
    every tile are sent again for each call, as the device holds one matrix."""
    model: object
    accelerator: object
    name = "board"

    def __post_init__(self):
        self.config = self.accelerator.config
        self._busy = 0

    @property
    def cycles(self) -> int:
        """Cycles the array was busy since this engine was made: the device's counter, read after
        every tile (each load's SET_SHAPE resets the array, its counters with it)."""
        return self._busy

    def __call__(self, layer: str, x_codes) -> np.ndarray:
        def run_tile(w, x, rows, cols):
            self.accelerator.load_weights(w)
            acc = self.accelerator.run_codes(x)
            self._busy += self.accelerator.perf()["busy"]
            return acc

        return tiled_product(self.model.codes[layer], x_codes, self.config, run_tile)
