"""Engines: the simulated array (Verilator) and a simulated board (host driver over the serial
protocol) produce golden's accumulators, tiling layers wider than max_n and longer than max_k."""

import numpy as np
import pytest

from hw.config import ArrayConfig
from host.driver import Accelerator
from hw.system.accelerator import LinkedArray
from lm.engines import BoardEngine, GoldenEngine, SimEngine, row_tiles, tiles
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
    assert all(run.cycles > run.weight_cycles > 0 for run in hardware.runs)


def test_a_broken_array_stops_generation():
    model = random_model(ModelShape(context=2, embed=8, hidden=16))
    engine = SimEngine(model, ArrayConfig.tiny(), backend="amaranth", design=FlipOutputBit)
    with pytest.raises(ScoreboardError):
        model.generate(engine, "a", 1)


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
    assert engine("fc1", worst)[0, 0] == 64 * 128
    reference = model.generate(GoldenEngine(model), "ab", 2, seed=3)
    assert_same_generation(model.generate(engine, "ab", 2, seed=3), reference)


class RecordingAccelerator:
    """The driver's interface over golden/: records every load, so tiling can be checked."""

    def __init__(self, config):
        self.config, self.loads, self._w = config, [], None

    def load_weights(self, w):
        self.loads.append(np.asarray(w).shape)
        self._w = np.asarray(w)

    def run_codes(self, x):
        from golden.bitlinear import int_matmul
        assert self._w.shape[0] <= self.config.max_n and self._w.shape[1] <= self.config.max_k
        return int_matmul(x, self._w)

    def perf(self):
        return {"busy": 1}


def test_board_engine_tiles_both_dimensions():
    model = random_model(ModelShape(context=4, embed=16, hidden=16))     # fc1 16 x 64
    board = BoardEngine(model, RecordingAccelerator(ArrayConfig.tiny()))  # max_n 12, max_k 40
    x = np.random.default_rng(5).integers(-128, 128, (2, 64))
    np.testing.assert_array_equal(board("fc1", x), GoldenEngine(model)("fc1", x))
    assert board.accelerator.loads == [(12, 40), (12, 24), (4, 40), (4, 24)]
    assert board.cycles == 4
