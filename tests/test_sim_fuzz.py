"""The link fuzzer: a bounded run on the virtual board (no wrong numbers, nothing unrecovered, every
kind of fault injected), its fault injection byte by byte, and proof that its checks can fail."""

import json

import numpy as np
import pytest

from host.driver import Accelerator
from sim.fuzz import FAILING, FAULTS, FaultyPort, Interrupted, main, run_scenario


class Loopback:
    """Bytes written come back on read (enough to watch FaultyPort work)."""

    def __init__(self):
        self.line = bytearray()

    def write(self, data):
        self.line += data
        return len(data)

    def read(self, size=1):
        out, self.line = bytes(self.line[:size]), self.line[size:]
        return out

    def reset_input_buffer(self):
        self.line.clear()


def test_faults_land_on_the_byte_they_were_armed_for():
    rng = np.random.default_rng(0)
    port = FaultyPort(Loopback(), rng)
    port.arm("drop_to_device", 2)
    port.arm("duplicate_to_device", 5)
    port.write(bytes(range(4)))
    port.write(bytes(range(4, 8)))
    assert port.read(100) == bytes([0, 1, 3, 4, 5, 5, 6, 7])
    port.arm("cut_to_device", 8 + 1)
    port.write(bytes(range(4)))
    assert port.read(100) == bytes([0, 1])
    port.disarm()
    port.arm("interrupt_after_write", 1)
    port.write(b"a")
    with pytest.raises(Interrupted, match="after a write"):
        port.write(b"b")
    assert port.read(100) == b"ab"             # the interrupted write did go out
    assert port.injected == {"drop_to_device": 1, "duplicate_to_device": 1, "cut_to_device": 1,
                             "interrupt_after_write": 1}


class WrongDriver(Accelerator):
    """A driver that adds one to every result: the fuzzer must call that wrong."""

    def run_codes(self, x_codes, slot=None):
        return super().run_codes(x_codes, slot) + 1


@pytest.fixture(scope="module")
def board_port():
    import serial

    from sim.fuzz import FUZZ_BAUD, PRESET
    from hw.config import ArrayConfig
    from sim.virtual_board import VirtualBoard
    with VirtualBoard(ArrayConfig.presets()[PRESET], baud=FUZZ_BAUD) as board:
        port = serial.Serial(board.port, timeout=0.5)
        yield port
        port.close()


def test_the_fuzzer_calls_wrong_numbers_wrong(board_port):
    outcome = run_scenario(board_port, 3, timeout=0.5,
                           accelerator=lambda port, timeout: WrongDriver(port, timeout=timeout))
    assert outcome.verdict == "wrong" and "wrong numbers" in outcome.errors[-1]


def test_the_fuzzer_calls_a_dead_device_unrecovered(board_port):
    opened = []

    def accelerator(port, timeout):
        opened.append(port)
        if len(opened) > 1:                 # the fault-free check finds nobody answering
            return Accelerator(Loopback(), timeout=0.05, retries=0)
        return Accelerator(port, timeout=timeout)

    outcome = run_scenario(board_port, 4, timeout=0.5, accelerator=accelerator)
    assert outcome.verdict == "unrecovered" and "check afterwards" in outcome.errors[-1]


def test_a_bounded_run_has_no_wrong_numbers_and_nothing_unrecovered(tmp_path, capsys):
    """~100 scenarios (about half a minute): every fault kind is injected, every result checked."""
    out = tmp_path / "report.json"
    assert main(["--scenarios", "100", "--seed", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["scenarios"] == 100
    assert not any(report["verdicts"].get(verdict) for verdict in FAILING)
    assert report["verdicts"].get("right", 0) >= 50
    assert set(report["faults_injected"]) == set(FAULTS)
    assert "0 wrong numbers" in capsys.readouterr().out


def test_bad_arguments_exit_2_before_any_work(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--minutes", "0"])
    assert exit_.value.code == 2 and "--minutes" in capsys.readouterr().err
