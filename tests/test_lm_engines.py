"""Engines: the simulated array (Verilator) and a simulated board (host driver over the serial
protocol) produce golden's accumulators, tiling layers wider than max_n; oversize layers are
refused before anything runs."""

import numpy as np
import pytest

from hw.config import ArrayConfig
from host.driver import Accelerator
from hw.system.accelerator import LinkedArray
from lm.engines import BoardEngine, GoldenEngine, LayerDoesNotFit, SimEngine, row_tiles
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
    tiles = sum(len(row_tiles(n, config.max_n)) for n, _ in model.shape.layers.values())
    assert len(hardware.runs) == 3 * tiles
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


def test_a_layer_wider_than_max_k_is_refused_by_name():
    model = random_model(ModelShape(context=4, embed=16, hidden=16))   # fc1 K = 64
    with pytest.raises(LayerDoesNotFit, match=r"layer 'fc1' \(N=16, K=64\).*max_k=40"):
        SimEngine(model, ArrayConfig.tiny())
