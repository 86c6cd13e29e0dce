"""Where a BitLinear's integer product runs: golden/ (NumPy), the simulated array, or a board.

An engine is a callable ``engine(layer_name, x_codes) -> int32 M×N accumulators`` for the model it
was made for. Everything around the product (embedding, norms, rescale, sampling) is the model's and
runs on the host, so engines are compared by their accumulators alone.

The array holds one weight matrix of at most ``max_k`` × ``max_n``; a layer with more than
``max_n`` outputs runs as several row tiles (each its own weight load), a layer with more than
``max_k`` inputs does not fit and is refused before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from golden.bitlinear import int_matmul
from golden.ints import ceil_log2
from hw.config import ArrayConfig

from .model import TernaryModel

__all__ = ["GoldenEngine", "SimEngine", "BoardEngine", "LayerDoesNotFit", "row_tiles"]


class LayerDoesNotFit(ValueError):
    """A model layer exceeds what the array's config can hold."""


def row_tiles(n: int, max_n: int) -> list[slice]:
    """Row ranges of at most ``max_n`` rows covering ``n`` rows."""
    return [slice(start, min(start + max_n, n)) for start in range(0, n, max_n)]


def check_fits(model: TernaryModel, config: ArrayConfig) -> None:
    """Every layer's K within ``config.max_k``; raises :class:`LayerDoesNotFit` naming the first
    that is not (N is tiled, so any N fits)."""
    for name, (n, k) in model.shape.layers.items():
        if k > config.max_k:
            raise LayerDoesNotFit(
                f"layer {name!r} (N={n}, K={k}) does not fit the array: K={k} exceeds "
                f"config.max_k={config.max_k}. Use a config with max_k >= {k} "
                f"(e.g. --set max_k={1 << ceil_log2(k)}) or a model with a smaller layer")


class GoldenEngine:
    """The reference: golden.bitlinear.int_matmul."""
    name = "golden"

    def __init__(self, model: TernaryModel):
        self.model = model

    def __call__(self, layer: str, x_codes) -> np.ndarray:
        return int_matmul(x_codes, self.model.codes[layer])


@dataclass
class TileRun:
    """One weight load plus its tokens on the array: what the performance counters saw."""
    layer: str
    rows: tuple[int, int]
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
    model: TernaryModel
    config: ArrayConfig
    backend: str = "verilator"
    design: object = None      # run_bitlinear's ``design``: your own array in place of BitLinear
    runs: list[TileRun] = field(default_factory=list)
    name = "hardware"

    def __post_init__(self):
        check_fits(self.model, self.config)

    @property
    def cycles(self) -> int:
        """Simulated cycles so far, over every run (weight loads included)."""
        return sum(run.cycles for run in self.runs)

    def __call__(self, layer: str, x_codes) -> np.ndarray:
        from sim.harness import run_bitlinear

        codes = self.model.codes[layer]
        parts = []
        for tile in row_tiles(codes.shape[0], self.config.max_n):
            result = run_bitlinear(self.config, np.asarray(x_codes), codes[tile], backend=self.backend,
                                   design=self.design)
            parts.append(result.acc)
            self.runs.append(TileRun(layer, (tile.start, tile.stop), len(x_codes), result.cycles,
                                     weight_cycles=result.schedule.weights_ready_cycle, **result.perf))
        return np.concatenate(parts, axis=1)


@dataclass
class BoardEngine:
    """Each product on a board through the host driver (``host.driver.Accelerator``); the weights of
    every tile are sent again for each call, as the device holds one matrix."""
    model: TernaryModel
    accelerator: object
    name = "board"

    def __post_init__(self):
        self.config = self.accelerator.config
        check_fits(self.model, self.config)
        self._busy = 0

    @property
    def cycles(self) -> int:
        """Cycles the array was busy since this engine was made: the device's counter, read after
        every tile (each load's SET_SHAPE resets the array, its counters with it)."""
        return self._busy

    def __call__(self, layer: str, x_codes) -> np.ndarray:
        codes = self.model.codes[layer]
        parts = []
        for tile in row_tiles(codes.shape[0], self.config.max_n):
            self.accelerator.load_weights(codes[tile])
            parts.append(self.accelerator.run_codes(x_codes))
            self._busy += self.accelerator.perf()["busy"]
        return np.concatenate(parts, axis=1)
