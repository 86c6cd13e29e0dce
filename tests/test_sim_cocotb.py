"""cocotb 2.x on the exported Verilog: same beats, cycles and counters as the other backends, and
a failing cocotb test fails pytest."""

import shutil

import numpy as np
import pytest

from golden.bitlinear import int_matmul
from hw.config import ArrayConfig
from sim import run_bitlinear
from sim.cocotb.runner import CocotbFailure, run_cocotb
from tests.faults import FlipOutputBit

CONFIG = ArrayConfig.tiny()


@pytest.mark.parametrize("stall_prob, seed", [(0.0, 0), (0.3, 5)])
def test_cocotb_agrees_with_both_backends(stall_prob, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.integers(-128, 128, (4, 19)), rng.integers(-1, 2, (9, 19))
    cocotb_result = run_cocotb(CONFIG, x, w, stall_prob=stall_prob, seed=seed)
    np.testing.assert_array_equal(cocotb_result["acc"], int_matmul(x, w))
    for backend in ("amaranth", "verilator"):
        other = run_bitlinear(CONFIG, x, w, backend=backend, stall_prob=stall_prob, seed=seed)
        assert tuple(cocotb_result["beat_cycles"]) == other.beat_cycles, backend
        assert cocotb_result["perf"] == other.perf, backend


def test_failing_cocotb_test_fails_pytest():
    rng = np.random.default_rng(1)
    x, w = rng.integers(-128, 128, (2, 9)), rng.integers(-1, 2, (3, 9))
    with pytest.raises(CocotbFailure, match=r"1 of 1 test\(s\) failed .*beat 0 \(token 0, block 0\): expected"):
        run_cocotb(CONFIG, x, w, design=FlipOutputBit)


@pytest.mark.skipif(shutil.which("iverilog") is None,
                    reason="Icarus is not installed (apt install iverilog); the project does not need it")
def test_icarus_where_installed():
    rng = np.random.default_rng(2)
    x, w = rng.integers(-128, 128, (3, 11)), rng.integers(-1, 2, (5, 11))
    result = run_cocotb(CONFIG, x, w, stall_prob=0.3, seed=3, simulator="icarus")
    np.testing.assert_array_equal(result["acc"], int_matmul(x, w))


def test_unknown_simulator():
    with pytest.raises(ValueError, match="simulator: 'questa' is not one of"):
        run_cocotb(CONFIG, np.zeros((1, 2), int), np.zeros((1, 2), int), simulator="questa")
