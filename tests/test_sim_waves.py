"""Waveforms on request: VCDs from Amaranth and from Verilator, with the design's names."""

import numpy as np

from hw.config import ArrayConfig
from sim import run_bitlinear


def test_waves_on_request(tmp_path, monkeypatch):
    config = ArrayConfig.tiny()
    x, w = np.ones((1, 5), int), np.ones((2, 5), int)
    vcd = tmp_path / "a.vcd"
    run_bitlinear(config, x, w, waves=vcd)
    text = vcd.read_text()
    assert "row_0" in text and "acc_out__valid" in text
    verilog_vcd = tmp_path / "v.vcd"
    run_bitlinear(config, x, w, backend="verilator", waves=verilog_vcd)
    text = verilog_vcd.read_text()
    assert "row_0" in text and "acc_out__valid" in text
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BITNET_WAVES", "1")
    run_bitlinear(config, x, w)
    assert list((tmp_path / "build" / "waves").glob("amaranth_*.vcd"))


def test_cocotb_waves_on_request():
    from sim.cocotb.runner import ROOT, run_cocotb

    config = ArrayConfig.tiny()
    run_cocotb(config, np.ones((1, 5), int), np.ones((2, 5), int), waves=True)
    dump = ROOT / "build" / "cocotb" / "verilator_tiny_waves" / "dump.vcd"
    assert "acc_out__valid" in dump.read_text()
