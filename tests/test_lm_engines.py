"""Engines: the simulated array (Verilator) and a simulated board (host driver over the serial
protocol) produce golden's accumulators, tiling layers wider than max_n and longer than max_k."""

import numpy as np
import pytest

from golden.cycle import load_cycles
from hw.config import ArrayConfig
from host.driver import Accelerator
from hw.system.accelerator import LinkedArray
from lm.engines import (BoardEngine, GoldenEngine, SimEngine, residency, row_tiles, tile_name,
                        tiles)
from lm.model import DEFAULT_MODEL, ModelShape, TernaryModel
from lm.train import init_params, quantize_model
from sim.harness import ScoreboardError
from sim.link import SimulatedSerial
from tests.faults import FlipOutputBit


def random_model(shape, seed=0):
    return quantize_model(init_params(shape, np.random.default_rng(seed)), shape, {})


def assert_same_generation(generated, reference):
    """Same tokens, and every layer's accumulators equal at every step."""
    assert generated.ids == reference.ids
    for got, want in zip(generated.accs, reference.accs, strict=True):
        for layer in want:
            np.testing.assert_array_equal(got[layer], want[layer])


def test_row_tiles_cover_every_row_once():
    assert row_tiles(29, 12) == [slice(0, 12), slice(12, 24), slice(24, 29)]
    assert row_tiles(12, 12) == [slice(0, 12)]


def test_shipped_model_on_the_verilated_icebreaker_array_matches_golden():
    model = TernaryModel.load(DEFAULT_MODEL)
    config = ArrayConfig.icebreaker()
    hardware = SimEngine(model, config)
    assert any(n > config.max_n for n, _ in model.shape.layers.values()), "no layer is tiled"
    reference = model.generate(GoldenEngine(model), "a ", 3, seed=5)
    generated = model.generate(hardware, "a ", 3, seed=5)
    assert_same_generation(generated, reference)
    count = sum(len(cols) for n, k in model.shape.layers.values() for _, cols in tiles(n, k, config))
    assert len(hardware.runs) == 3 * count
    # what fits stays resident (loaded once, before the first token); the rest is loaded per product
    resident, room = residency(model.codes, config)
    resident = [name for name, _ in resident]
    assert resident and room
    for run in hardware.runs:
        name = tile_name(run.layer, slice(*run.rows), slice(*run.cols))
        assert (run.weight_cycles == 0) == (name in resident)
        assert run.cycles > run.weight_cycles
    hardware.close()


def test_every_layer_resident_runs_near_the_weight_store_bound():
    """The shipped model on the SPRAM preset: every layer fits, so each token streams only
    activations, and its cycles stay within 15 % of trits a token / trits the banks give a cycle."""
    model = TernaryModel.load(DEFAULT_MODEL)
    config = ArrayConfig.icebreaker_spram()
    hardware = SimEngine(model, config)
    reference = model.generate(GoldenEngine(model), "the ", 4, seed=2)
    assert_same_generation(model.generate(hardware, "the ", 4, seed=2), reference)
    assert all(run.weight_cycles == 0 for run in hardware.runs)
    assert hardware.placement_cycles == sum(
        load_cycles(config, *w.shape) for w in model.codes.values())
    bound = model.shape.ternary_weights / (config.rows * config.lanes)
    assert hardware.cycles / 4 <= 1.15 * bound
    hardware.close()


def test_streamed_products_load_every_time():
    model = random_model(ModelShape(context=2, embed=8, hidden=16))
    engine = SimEngine(model, ArrayConfig.tiny(), resident=False)
    reference = model.generate(GoldenEngine(model), "a", 2, seed=4)
    assert_same_generation(model.generate(engine, "a", 2, seed=4), reference)
    assert all(run.weight_cycles > 0 for run in engine.runs)


@pytest.mark.parametrize("resident", [True, False])
def test_a_broken_array_stops_generation(resident):
    model = random_model(ModelShape(context=2, embed=8, hidden=16))
    engine = SimEngine(model, ArrayConfig.tiny(), backend="verilator" if resident else "amaranth",
                       design=FlipOutputBit, resident=resident)
    with pytest.raises(ScoreboardError):
        model.generate(engine, "a", 1)
    engine.close()


def test_resident_layers_need_a_running_array():
    model = random_model(ModelShape(context=2, embed=8, hidden=16))
    with pytest.raises(ValueError, match="resident layers need a running array"):
        SimEngine(model, ArrayConfig.tiny(), backend="amaranth")


def test_board_engine_through_the_serial_protocol_matches_golden():
    shape = ModelShape(context=2, embed=8, hidden=16)     # fc1 16x16, fc2 16x16, head 29x16
    model = random_model(shape, seed=3)
    port = SimulatedSerial(LinkedArray(ArrayConfig.tiny(), timeout_cycles=3000))
    board = BoardEngine(model, Accelerator(port))
    reference = model.generate(GoldenEngine(model), "the ", 2, seed=1)
    generated = model.generate(board, "the ", 2, seed=1)
    assert_same_generation(generated, reference)
    # busy cycles add up over every tile although each load resets the array's counters: at
    # least one cycle a chunk and output block of every tile, for each of the 2 tokens
    config = ArrayConfig.tiny()
    per_token = sum(-(-min(config.max_n, n - start) // config.rows) * -(-k // config.lanes)
                    for n, k in (codes.shape for codes in model.codes.values())
                    for start in range(0, n, config.max_n))
    assert board.cycles >= 2 * per_token > 0


def test_tiles_cover_the_layer_once():
    config = ArrayConfig.tiny()                      # max_n 12, max_k 40
    layout = tiles(29, 95, config)
    assert [rows for rows, _ in layout] == [slice(0, 12), slice(12, 24), slice(24, 29)]
    assert all(cols == [slice(0, 40), slice(40, 80), slice(80, 95)] for _, cols in layout)


def test_a_layer_longer_than_max_k_runs_as_partial_sums():
    """fc1's K = 64 exceeds the tiny array's max_k = 40: two K tiles a row tile, summed on the
    host, equal golden's product; the worst case (every code -128 against -1) stays exact."""
    model = random_model(ModelShape(context=4, embed=16, hidden=16))
    config = ArrayConfig.tiny()
    assert model.codes["fc1"].shape[1] > config.max_k
    engine = SimEngine(model, config)
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (3, 64))
    np.testing.assert_array_equal(engine("fc1", x), GoldenEngine(model)("fc1", x))
    assert {run.cols for run in engine.runs} == {(0, 40), (40, 64)}
    worst = np.full((1, 64), -128)
    model.codes["fc1"][:] = -1
    engine.close()
    engine = SimEngine(model, config)        # an engine reads the weights once, when it starts
    assert engine("fc1", worst)[0, 0] == 64 * 128
    reference = model.generate(GoldenEngine(model), "ab", 2, seed=3)
    assert_same_generation(model.generate(engine, "ab", 2, seed=3), reference)


class RecordingAccelerator:
    """The driver's interface over golden/: records every load, so tiling and residency can be
    checked; the busy counter counts products (a load resets it, as SET_SHAPE does)."""

    def __init__(self, config):
        self.config, self.loads, self._slots, self._busy = config, [], {}, 0
        self.bytes_sent = self.bytes_received = 0

    def load_weights(self, w, slot=None):
        self.loads.append((np.asarray(w).shape, slot))
        self._slots[slot] = np.asarray(w)
        self._busy = 0

    def run_codes(self, x, slot=None):
        from golden.bitlinear import int_matmul
        w = self._slots[slot]
        assert w.shape[0] <= self.config.max_n and w.shape[1] <= self.config.max_k
        self._busy += 1
        return int_matmul(x, w)

    def perf(self):
        return {"busy": self._busy}


def test_board_engine_tiles_both_dimensions():
    model = random_model(ModelShape(context=4, embed=16, hidden=16))     # fc1 16 x 64
    board = BoardEngine(model, RecordingAccelerator(ArrayConfig.tiny()))  # max_n 12, max_k 40
    x = np.random.default_rng(5).integers(-128, 128, (2, 64))
    np.testing.assert_array_equal(board("fc1", x), GoldenEngine(model)("fc1", x))
    assert [shape for shape, _ in board.accelerator.loads] == [(12, 40), (12, 24), (4, 40), (4, 24)]
    assert board.cycles == 4


def test_board_engine_loads_resident_tiles_once():
    model = random_model(ModelShape(context=2, embed=8, hidden=16))     # 124 words of tiles
    config = ArrayConfig.tiny()                                         # 60 words a bank
    board = BoardEngine(model, RecordingAccelerator(config))
    reference = model.generate(GoldenEngine(model), "ab", 3, seed=6)
    assert_same_generation(model.generate(board, "ab", 3, seed=6), reference)
    resident = [name for name, _ in residency(model.codes, config)[0]]
    loads = board.accelerator.loads
    placed = [slot for _, slot in loads if slot != "streamed"]
    assert placed == resident and len(set(placed)) == len(placed)     # each once, in order
    tiles_per_token = sum(len(cols) for w in model.codes.values() for _, cols in tiles(*w.shape, config))
    streamed = tiles_per_token - len(resident)
    assert 0 < streamed < tiles_per_token
    assert sum(slot == "streamed" for _, slot in loads) == 3 * streamed
    assert board.cycles == 3 * tiles_per_token
