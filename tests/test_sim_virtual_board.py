"""The virtual board: the board's gateware (UART at the bit level, both clock domains, protocol
engine, array) under Verilator behind a pseudo-terminal, driven through the real host driver
and the host CLI, with every result compared to golden/."""

import json

import numpy as np
import pytest

from golden.bitlinear import bitlinear, int_matmul
from host.__main__ import main as host_main
from host.driver import Accelerator
from hw.config import ArrayConfig
from sim.virtual_board import VirtualBoard


@pytest.fixture(scope="module")
def board():
    with VirtualBoard(ArrayConfig.tiny()) as board:
        yield board


def test_the_driver_runs_layers_on_it(board):
    rng = np.random.default_rng(21)
    with Accelerator(board.port, timeout=20) as device:
        assert device.config == ArrayConfig.tiny()
        for n, k, m in ((11, 37, 5), (3, 40, 13)):
            w = rng.integers(-1, 2, (n, k))
            x = rng.integers(-128, 128, (m, k))
            device.load_weights(w)
            np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))
        wf = rng.standard_normal((7, 20)).astype(np.float32)
        xf = rng.standard_normal((4, 20)).astype(np.float32)
        device.load_weights(wf)
        np.testing.assert_array_equal(device.run(xf), bitlinear(xf, wf))
        assert device.perf()["busy"] > 0


def test_the_host_cli_talks_to_it(board, capsys):
    assert host_main(["identify", "--port", board.port, "--timeout", "20"]) == 0
    assert json.loads(capsys.readouterr().out)["config"] == ArrayConfig.tiny().to_dict()


def test_it_counts_the_wire_and_the_time():
    """Opening the port: RESET and IDENTIFY, 7-byte requests; replies of 7 and 7 + the IDENTIFY
    payload; the simulated time is at least the bits on the wire at 1 Mbaud."""
    from hw.link.protocol import identify_payload
    with VirtualBoard(ArrayConfig.tiny()) as board:
        with Accelerator(board.port, timeout=20):
            pass
    replies = 7 + 7 + len(identify_payload(ArrayConfig.tiny()))
    assert board.stats["bytes_to_device"] == 14 and board.stats["bytes_from_device"] == replies
    assert board.stats["seconds"] >= (14 + replies) * 10 / 1_000_000
