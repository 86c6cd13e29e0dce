"""The Verilator backend: same results, same cycles as the Amaranth backend; faults are caught."""

import numpy as np
import pytest

from golden.baseline import int8_matmul
from golden.bitlinear import int_matmul
from hw.config import ArrayConfig
from sim import ScoreboardError, run_bitlinear
from tests.faults import FlipOutputBit

CONFIG = ArrayConfig.tiny()


def operands(seed, m=4, k=23, n=7):
    rng = np.random.default_rng(seed)
    return rng.integers(-128, 128, (m, k)), rng.integers(-1, 2, (n, k))


@pytest.mark.parametrize("stall_prob, seed", [(0.0, 0), (0.3, 1), (0.3, 2)])
def test_backends_agree_bit_and_cycle(stall_prob, seed):
    x, w = operands(seed)
    amaranth = run_bitlinear(CONFIG, x, w, stall_prob=stall_prob, seed=seed)
    verilator = run_bitlinear(CONFIG, x, w, backend="verilator", stall_prob=stall_prob, seed=seed)
    np.testing.assert_array_equal(verilator.acc, int_matmul(x, w))
    np.testing.assert_array_equal(verilator.acc, amaranth.acc)
    assert verilator.beat_cycles == amaranth.beat_cycles
    assert verilator.perf == amaranth.perf


@pytest.mark.parametrize("kind", ["mux", "xor", "table2", "serial", "mul8"])
def test_verilator_edge_shapes(kind):
    config = ArrayConfig(pe_kind=kind, lanes=8, rows=3, max_k=64, max_n=10, tree_cuts=(0, 3))
    rng = np.random.default_rng(3)
    low, high, product = (-1, 1, int_matmul) if config.ternary else (-128, 127, int8_matmul)
    for m, k, n in [(1, 1, 1), (3, 64, 10), (5, 17, 4)]:
        x, w = rng.integers(-128, 128, (m, k)), rng.integers(low, high + 1, (n, k))
        result = run_bitlinear(config, x, w, backend="verilator", stall_prob=0.2, seed=m)
        np.testing.assert_array_equal(result.acc, product(x, w))
    worst = run_bitlinear(config, np.full((1, 64), -128), np.full((1, 64), low), backend="verilator")
    assert worst.acc[0, 0] == 64 * 128 * -low


@pytest.mark.parametrize("backend", ["amaranth", "verilator"])
def test_flipped_output_bit_is_caught(backend):
    x, w = operands(7)
    with pytest.raises(ScoreboardError) as info:
        run_bitlinear(CONFIG, x, w, backend=backend, design=FlipOutputBit)
    message = str(info.value)
    assert "beat 0 (token 0, block 0): expected [" in message and "got [" in message
    expected, got = message.split("expected ")[1].split(", got ")
    # exactly the lowest bit of the first accumulator differs
    first_expected = int(expected.strip("[]").split(",")[0])
    first_got = int(got.strip("[]").split(",")[0])
    assert first_expected ^ first_got == 1


def test_the_array_that_never_stops_under_verilator():
    """Output slots with row regions, three write cuts and a sum cut (the 2,048-PE ECP5 build's
    structure, small) from Verilog: golden's numbers, and the same cycles as the Amaranth
    backend, with the output stalling at random (blocks then wait for a slot)."""
    config = ArrayConfig(lanes=8, rows=4, max_k=64, max_n=12, tree_cuts=(0, 3), read_cuts=1,
                         address_cuts=2, write_cuts=3, row_groups=4, row_regions=2,
                         output_slots=2, sum_cuts=1)
    rng = np.random.default_rng(11)
    x, w = rng.integers(-128, 128, (5, 40)), rng.integers(-1, 2, (11, 40))
    verilator = run_bitlinear(config, x, w, backend="verilator", stall_prob=0.4, seed=4)
    amaranth = run_bitlinear(config, x, w, stall_prob=0.4, seed=4)
    np.testing.assert_array_equal(verilator.acc, int_matmul(x, w))
    assert verilator.beat_cycles == amaranth.beat_cycles and verilator.perf == amaranth.perf
