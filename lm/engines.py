"""Where a BitLinear's integer product runs: golden/ (NumPy), the simulated array, or a board.

An engine is a callable ``engine(layer_name, x_codes) -> int32 M×N accumulators`` for the model it
was made for (any model with a ``codes`` dict of ternary N×K matrices: lm.model's MLP, the
transformers of lm.bitnet). Everything around the product (embedding, norms, rescale, attention,
sampling) is the model's and runs on the host, so engines are compared by their accumulators alone.

A matrix on the array is at most ``max_n`` × ``max_k``: a larger layer runs as tiles (``tiles``):
rows beyond ``max_n`` are separate outputs, columns beyond ``max_k`` are partial sums that the host
adds, exactly, in int64 (and returns as int32, which int_matmul's K limit guarantees). So no layer
is refused for its size. The weight banks hold several matrices (``golden.slots``): the engines
place every tile once (``residency``) and then only stream tokens; tiles that do not fit are
loaded again for each product, into the room kept free after the resident ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from golden.bitlinear import int_matmul
from golden.digits import join_products, split_codes
from hw.config import ArrayConfig

__all__ = ["GoldenEngine", "SimEngine", "BoardEngine", "row_tiles", "tiles", "tiled_product",
           "tile_name", "tile_matrices", "residency"]


def row_tiles(n: int, max_n: int) -> list[slice]:
    """Ranges of at most ``max_n`` covering ``n`` (rows of N, or columns of K)."""
    return [slice(start, min(start + max_n, n)) for start in range(0, n, max_n)]


def tiles(n: int, k: int, config: ArrayConfig) -> list[tuple[slice, list[slice]]]:
    """An N×K layer on ``config``'s array: each row tile with the K tiles whose partial sums
    make it up."""
    return [(rows, row_tiles(k, config.max_k)) for rows in row_tiles(n, config.max_n)]


def tile_name(layer: str, rows: slice, cols: slice) -> str:
    """The slot name of one tile of a layer."""
    return f"{layer}[{rows.start}:{rows.stop},{cols.start}:{cols.stop}]"


def tile_matrices(codes: dict, config: ArrayConfig) -> list[tuple[str, np.ndarray]]:
    """Every tile of the layers ``codes`` (name -> N×K, in execution order), named, in order."""
    return [(tile_name(layer, rows, cols), w[rows, cols])
            for layer, w in codes.items() for rows, column_tiles in tiles(*w.shape, config)
            for cols in column_tiles]


def residency(codes: dict, config: ArrayConfig) -> tuple[list[tuple[str, np.ndarray]], int]:
    """Which tiles of the layers ``codes`` stay resident: the longest prefix of
    ``tile_matrices`` that fits the weight banks while leaving room for the largest tile after
    it (which is then loaded for every product). Returns those (name, matrix) pairs and the
    words of that room (0 when everything is resident)."""
    named = tile_matrices(codes, config)
    sizes = [config.matrix_words(*w.shape) for _, w in named]
    for count in range(len(sizes), -1, -1):
        room = max(sizes[count:], default=0)
        if sum(sizes[:count]) + room <= config.bank_words:
            return named[:count], room
    raise AssertionError("a single tile always fits its array")   # matrix_words <= bank_words


def tiled_product(codes: np.ndarray, x_codes, config: ArrayConfig, run_tile) -> np.ndarray:
    """``x_codes @ codes.T`` from tiles that fit ``config``: ``run_tile(w_tile, x_tile, rows,
    cols)`` gives one tile's int32 accumulators; K tiles are summed exactly. Codes wider than
    the array's ``act_bits`` (int8 on a 4-bit array) run as one pass a signed digit
    (golden.digits), joined exactly."""
    products = []
    for shift, x in split_codes(x_codes, config.act_bits):
        parts = []
        for rows, column_tiles in tiles(*codes.shape, config):
            total = np.zeros((len(x), rows.stop - rows.start), np.int64)
            for cols in column_tiles:
                total += run_tile(codes[rows, cols], x[:, cols], rows, cols)
            parts.append(total)
        products.append((shift, np.concatenate(parts, axis=1)))
    return join_products(products).astype(np.int32)


class GoldenEngine:
    """The reference: golden.bitlinear.int_matmul."""
    name = "golden"

    def __init__(self, model):
        self.model = model

    def __call__(self, layer: str, x_codes) -> np.ndarray:
        return int_matmul(x_codes, self.model.codes[layer])


@dataclass
class TileRun:
    """One product of one tile on the array: what the performance counters saw."""
    layer: str
    rows: tuple[int, int]
    cols: tuple[int, int]
    tokens: int
    cycles: int           # the weight load (if any), then first token beat to last accumulator
    busy: int
    in_stall: int
    out_stall: int
    weight_cycles: int    # cycles loading weights for this product (0: the tile is resident)


@dataclass
class SimEngine:
    """Each product on the simulated array, checked beat by beat against golden/ as it goes.

    ``resident`` (the default): one ``sim.session.ArraySession`` (Verilator) for the whole model;
    the tiles that fit are loaded once, on the first product (``placement_cycles``), and each
    product then streams only its tokens. ``resident=False``: every product is its own
    ``sim.run_bitlinear`` (weights loaded each time, any backend). ``runs`` logs each product.
    A resident engine reads the model's weights once, at its first product: a model changed
    after that needs a new engine. ``close()`` stops the session."""
    model: object
    config: ArrayConfig
    backend: str = "verilator"
    design: object = None      # run_bitlinear's ``design``: your own array in place of BitLinear
    resident: bool = True
    runs: list[TileRun] = field(default_factory=list)
    placement_cycles: int = 0  # the one-time loads of the resident tiles
    name = "hardware"

    def __post_init__(self):
        if self.resident and self.backend != "verilator":
            raise ValueError(f"resident layers need a running array (the verilator backend); "
                             f"backend {self.backend!r} simulates one load at a time: use "
                             f"resident=False (make demo: --streamed)")
        self._session = None
        self.resident_tiles: set[str] = set()     # names of the tiles placed once

    @property
    def cycles(self) -> int:
        """Simulated cycles of every product so far (weight loads included; the one-time
        placement is ``placement_cycles``)."""
        return sum(run.cycles for run in self.runs)

    def _open(self):
        from sim.session import ArraySession
        self._session = session = ArraySession(self.config, design=self.design)
        resident, _ = residency(self.model.codes, self.config)
        self.resident_tiles = {name for name, _ in resident}
        for name, w in resident:
            self.placement_cycles += session.load(name, w).cycles

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __call__(self, layer: str, x_codes) -> np.ndarray:
        if not self.resident:
            return self._streamed(layer, x_codes)
        if self._session is None:
            self._open()
        session = self._session

        def run_tile(w, x, rows, cols):
            name = tile_name(layer, rows, cols)
            load = 0
            if name not in self.resident_tiles:
                load = session.load("streamed", w).cycles
                name = "streamed"
            result = session.run(name, x)
            self.runs.append(TileRun(layer, (rows.start, rows.stop), (cols.start, cols.stop),
                                     len(x), load + result.cycles, weight_cycles=load,
                                     **result.perf))
            return result.acc

        return tiled_product(self.model.codes[layer], x_codes, self.config, run_tile)

    def _streamed(self, layer: str, x_codes) -> np.ndarray:
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
    """Each product on a board through the host driver (``host.driver.Accelerator``). The tiles
    that fit stay resident in named slots, loaded once on the first product (``residency``);
    each product then sends only its tokens (and a SELECT when the slot changes). Tiles that do
    not fit are loaded again for every product."""
    model: object
    accelerator: object
    name = "board"

    def __post_init__(self):
        self.config = self.accelerator.config
        self._busy = 0
        self._counted = 0          # the device's busy counter at the last reading
        self.resident_tiles = None     # names of the tiles placed once (None: not yet placed)
        self.placement_bytes = 0   # bytes on the wire (both ways) placing the resident tiles

    @property
    def cycles(self) -> int:
        """Cycles the array was busy since this engine was made: the device's counter, read after
        every tile (a load's SET_SHAPE resets it; a SELECT does not)."""
        return self._busy

    @property
    def wire_bytes(self) -> int:
        """Bytes the driver sent and received so far (what the serial link carried)."""
        return self.accelerator.bytes_sent + self.accelerator.bytes_received

    def _place(self) -> None:
        before = self.wire_bytes
        resident, _ = residency(self.model.codes, self.config)
        self.resident_tiles = {name for name, _ in resident}
        for name, w in resident:
            self.accelerator.load_weights(w, slot=name)
        self._counted = 0
        self.placement_bytes = self.wire_bytes - before

    def __call__(self, layer: str, x_codes) -> np.ndarray:
        if self.resident_tiles is None:
            self._place()

        def run_tile(w, x, rows, cols):
            name = tile_name(layer, rows, cols)
            if name not in self.resident_tiles:
                self.accelerator.load_weights(w, slot="streamed")
                name, self._counted = "streamed", 0
            acc = self.accelerator.run_codes(x, slot=name)
            busy = self.accelerator.perf()["busy"]
            self._busy += busy - self._counted
            self._counted = busy
            return acc

        return tiled_product(self.model.codes[layer], x_codes, self.config, run_tile)
