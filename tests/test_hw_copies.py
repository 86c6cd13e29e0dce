"""Deliberate register copies survive synthesis: yosys merges flops with the same inputs unless
``KEEP_COPIES`` (in ``YOSYS_AFTER_READ``) marks them, on every family's synthesis script."""

import json

import pytest
from amaranth.back import rtlil
from amaranth.hdl import Module, Signal

from hw.copies import register_copies
from hw.memory.bram import YOSYS_AFTER_READ
from hw.toolchain import run_yosys, temporary_environ, yowasp_env


def flops_after_synthesis(tmp_path, after_read: str, synth: str) -> int:
    """Three copies of an 8-bit register, each feeding its own output through an adder (so
    nothing but their sameness could merge them), synthesized with ``synth``."""
    m = Module()
    value, en = Signal(8), Signal()
    outputs = []
    for index, copy in enumerate(register_copies(m, value, 3, en=en, name="copy")):
        out = Signal(8, name=f"out_{index}")
        m.d.comb += out.eq(copy + index + 1)
        outputs.append(out)
    (tmp_path / "top.il").write_text(rtlil.convert(m, name="top", ports=[value, en, *outputs]))
    (tmp_path / "top.ys").write_text("\n".join([
        "read_rtlil top.il", after_read, f"{synth} -top top", "tee -q -o stat.json stat -json", ""]))
    with temporary_environ(yowasp_env()):
        run_yosys(tmp_path, "top.ys")
    cells = json.loads((tmp_path / "stat.json").read_text())["modules"]["\\top"]
    return sum(count for name, count in cells["num_cells_by_type"].items()
               if "FF" in name or "DFF" in name)


@pytest.mark.parametrize("synth", ["synth_ice40", "synth_ecp5", "synth_gowin"])
def test_copies_stay_apart(tmp_path, synth):
    assert flops_after_synthesis(tmp_path, YOSYS_AFTER_READ, synth) == 3 * 8


def test_without_keep_yosys_merges_them(tmp_path):
    """What ``KEEP_COPIES`` prevents: the same design without it keeps one register."""
    assert flops_after_synthesis(tmp_path, "", "synth_ice40") == 8
