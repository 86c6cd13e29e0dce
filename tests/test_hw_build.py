"""``python -m hw.build``: a real yosys + nextpnr run of a small array for the iCEBreaker."""

import json

import pytest

from bench.estimate import estimate_ebr
from hw.build import main
from hw.config import ArrayConfig

REPORT_FIELDS = {"board", "device", "config", "lc_used", "lc_total", "ebr_used", "spram_used",
                 "dsp_used", "fmax_mhz", "target_mhz", "timing_met", "multipliers", "seed",
                 "tools", "wall_seconds", "bitstream"}


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("icebreaker_tiny")
    import contextlib
    import io
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["--board", "icebreaker", "--config", "tiny", "--target-mhz", "24",
                       "--seed", "3", "--out", str(out)])
    return status, out, printed.getvalue()


def test_the_build_shows_its_stages_and_names_its_logs(tiny_build):
    status, out, printed = tiny_build
    for stage in ("elaborate", "synthesis (yosys)", "place and route (nextpnr)", "pack (icepack)"):
        assert f"  {stage}: " in printed, printed
    assert f"yosys {out / 'top.rpt'}" in printed and (out / "top.rpt").exists()
    assert f"nextpnr {out / 'top.tim'}" in printed and (out / "top.tim").exists()


def test_tiny_build_report(tiny_build, capsys):
    status, out, _ = tiny_build
    report = json.loads((out / "report.json").read_text())
    assert REPORT_FIELDS <= set(report)
    assert status == 0 and report["timing_met"] and report["fmax_mhz"] >= 24
    assert report["multipliers"] == 0 and report["dsp_used"] == 0
    assert report["config"] == ArrayConfig.tiny().to_dict()
    from boards import get_board
    budget = get_board("icebreaker").budget    # the registry's budget is what nextpnr saw
    assert report["seed"] == 3 and report["lc_total"] == budget["lc"]
    assert report["ebr_total"] == budget["ebr"]
    assert 0 < report["lc_used"] < report["lc_total"]
    # bench/estimate.py counts block RAM from the config: the array's memories + the link's buffer
    assert report["ebr_used"] == estimate_ebr(ArrayConfig.tiny(), extra=1)
    assert (out / "top.bin").stat().st_size > 100_000      # a UP5K bitstream is ~104 KB
    assert all(report["tools"].values())


def test_unknown_board_and_config(capsys):
    with pytest.raises(SystemExit):
        main(["--board", "ulx3s"])
    assert "unknown board 'ulx3s'; known boards: icebreaker, tang-nano-9k, tang-primer-20k, ulx3s-12f" \
        in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--board", "icebreaker", "--config", "huge"])
    assert "known presets: tiny, icebreaker" in capsys.readouterr().err


def test_design_that_does_not_fit_fails_clearly(tmp_path, capsys):
    # max N 512 needs more weight-bank block RAM than the UP5K's 30 EBR
    status = main(["--board", "icebreaker", "--config", "tiny", "--set", "max_n=512",
                   "--set", "max_k=256", "--out", str(tmp_path)])
    assert status == 1
    err = capsys.readouterr().err
    assert "build failed" in err and "ICESTORM_RAM" in err


def test_bad_override_is_named(capsys):
    with pytest.raises(SystemExit):
        main(["--board", "icebreaker", "--set", "lanes=12"])
    assert "ArrayConfig.lanes: 12 is not a power of two" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--board", "icebreaker", "--set", "colour=3"])
    assert "expected FIELD=VALUE with FIELD one of" in capsys.readouterr().err


def test_bench_top_builds_the_dsp_baseline(tmp_path):
    """The array alone behind the LFSR harness; the int8 baseline's multipliers land on DSPs and
    are reported, not refused (only a ternary kind must have none)."""
    status = main(["--board", "icebreaker", "--top", "bench", "--config", "tiny",
                   "--pe-kind", "mul8_dsp", "--target-mhz", "24", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "report.json").read_text())
    assert status == 0 and report["top"] == "bench" and report["baud"] is None
    pes = ArrayConfig.tiny().pes
    assert report["dsp_used"] == pes
    assert report["ebr_used"] == estimate_ebr(ArrayConfig.tiny(pe_kind="mul8_dsp"))
    assert report["multiplier_cells"] == {"mul_cells": pes, "dsp_cells": pes}


def test_board_top_refuses_the_baseline(tmp_path, capsys):
    status = main(["--board", "icebreaker", "--config", "tiny", "--pe-kind", "mul8",
                   "--out", str(tmp_path)])
    assert status == 1
    assert "host link carries 2-bit trit weights" in capsys.readouterr().err


def test_spram_preset_puts_the_weights_in_all_four_sprams(tmp_path):
    """icebreaker_spram: a 1024 x 512 layer's weights in SB_SPRAM256KA, the rest as before."""
    status = main(["--board", "icebreaker", "--config", "icebreaker_spram", "--target-mhz", "24",
                   "--out", str(tmp_path)])
    report = json.loads((tmp_path / "report.json").read_text())
    config = ArrayConfig.icebreaker_spram()
    assert status == 0 and report["config"] == config.to_dict()
    assert report["spram_used"] == 4 and report["multipliers"] == 0
    assert report["ebr_used"] == estimate_ebr(config, extra=1)    # activations + link buffer only


def test_tiny_build_on_an_ecp5_board(tmp_path, capsys):
    """The same command on another family (ULX3S 12F, ECP5): the ECP5 flow's stages, the same
    report fields, no multiplier (the check knows MULT18X18D), a bitstream; nextpnr's other
    router when asked."""
    status = main(["--board", "ulx3s-12f", "--config", "tiny", "--target-mhz", "50",
                   "--seed", "1", "--router", "router2", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    for stage in ("elaborate", "synthesis (yosys)", "place and route (nextpnr)", "pack (ecppack)"):
        assert f"  {stage}: " in printed, printed
    report = json.loads((tmp_path / "report.json").read_text())
    assert REPORT_FIELDS <= set(report)
    assert status == 0 and report["timing_met"] and report["multipliers"] == 0
    # nextpnr offers the 12F's whole die (a 25F); the report holds it to the data sheet's
    assert report["lc_total"] == 12288 and report["ebr_total"] == 32
    assert 0 < report["lc_used"] < report["lc_total"] and report["ebr_used"] > 0
    assert report["multiplier_cells"] == {"mul_cells": 0, "dsp_cells": 0}
    assert (tmp_path / "top.bit").stat().st_size > 100_000
    assert report["router"] == "router2" and "Router2 time" in (tmp_path / "top.tim").read_text()


@pytest.mark.parametrize("board, luts", [("tang-nano-9k", 8640), ("tang-primer-20k", 20736)])
def test_tiny_build_on_a_gowin_board(board, luts, tmp_path, capsys):
    """And on a third family (Gowin, nextpnr-himbaechel), on both of its devices (GW1NR-9C and
    GW2A-18C: their own rPLL ranges and synth_gowin family): every clock carries its own target
    (the PLL's output is not derived by nextpnr there), no multiplier, a bitstream."""
    status = main(["--board", board, "--config", "tiny", "--target-mhz", "50",
                   "--seed", "1", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "  pack (gowin_pack): " in printed, printed
    report = json.loads((tmp_path / "report.json").read_text())
    assert REPORT_FIELDS <= set(report)
    assert status == 0 and report["timing_met"] and report["multipliers"] == 0
    targets = sorted(clock["target_mhz"] for clock in report["clocks"].values())
    assert targets == [27.0, 50.143]
    assert report["lc_total"] == luts and 0 < report["lc_used"] < luts
    assert (tmp_path / "top.fs").stat().st_size > 100_000


@pytest.mark.parametrize("family, synth", [("ice40", "synth_ice40 -dsp"), ("ecp5", "synth_ecp5"),
                                           ("gowin", "synth_gowin")])
def test_the_multiplier_check_knows_each_familys_dsp_cells(family, synth, tmp_path):
    """A 12 × 12 multiply synthesized for each family lands in that family's DSP cells, and the
    check counts them (so a ternary datapath that grew one would fail the build)."""
    import importlib

    from amaranth.back import rtlil
    from amaranth.hdl import Module, Signal

    from hw.build import count_multipliers
    from hw.resources import _run_yosys
    from hw.toolchain import temporary_environ, yowasp_env

    a, b, y = Signal(12), Signal(12), Signal(24)
    m = Module()
    m.d.sync += y.eq(a * b)
    (tmp_path / "top.il").write_text(rtlil.convert(m, ports=[a, b, y], name="top"))
    cells = importlib.import_module(f"boards.{family}")
    with temporary_environ(yowasp_env()):
        _run_yosys(tmp_path, f"read_rtlil top.il\n{synth} -top top\nwrite_json net.json\n",
                   "mul.ys")
    counted = count_multipliers(tmp_path, cells.DSP_CELLS, "net.json")
    assert counted["mul_cells"] == 1 and counted["dsp_cells"] >= 1, counted


@pytest.mark.parametrize("failure", [
    "ERROR: Assert `GetSize(conn.first) == GetSize(conn.second)' failed in kernel/rtlil.cc",
    "ERROR: Net 'link.link.array.weight_mem.rd_data_1[29]' is multiply driven by cell ports "
    "link.link.array.weight_mem.bank_1.0.0.DOB11 and link.link.array.weight_mem.bank_1.0.1.DOB4"])
def test_an_abc9_alias_failure_is_built_again_with_the_workaround(monkeypatch, failure):
    """yosys 0.70's abc9 alias-wire failures (yosys #4349: an assertion, or read data nextpnr
    finds driven twice) get one retry with the alias wires dropped before synthesis; any other
    failure is the build's failure, at once."""
    import hw.build as build_module

    calls = []

    def fake(board, design, out, *, seed, dsp, log, router=None,
             after_read=build_module.YOSYS_AFTER_READ, max_minutes=None):
        calls.append(after_read)
        if len(calls) == 1:
            raise build_module.BuildFailed(f"board: the toolchain failed\n{failure}")
        return 12.5

    monkeypatch.setattr(build_module, "_run_toolchain", fake)
    wall, workaround = build_module._toolchain_with_retry(None, None, None, seed=1, dsp=False,
                                                          log=lambda text: None, router=None)
    assert (wall, workaround) == (12.5, "proc; opt_clean -purge")
    assert calls[1].endswith("\nproc; opt_clean -purge") and calls[0] == build_module.YOSYS_AFTER_READ

    def other(board, design, out, *, seed, dsp, log, router=None, after_read=None,
              max_minutes=None):
        calls.append(after_read)
        raise build_module.BuildFailed("ERROR: Unable to place cell")

    calls.clear()
    monkeypatch.setattr(build_module, "_run_toolchain", other)
    with pytest.raises(build_module.BuildFailed, match="Unable to place"):
        build_module._toolchain_with_retry(None, None, None, seed=1, dsp=False, log=lambda text: None,
                                           router=None)
    assert len(calls) == 1


def test_a_tool_that_crashes_without_an_error_line_is_quoted(monkeypatch, tmp_path):
    """A YoWASP tool killed by a signal (a "Bus error" when two first runs compile its
    WebAssembly cache at once) leaves no ERROR line in the tools' logs: the failure quotes the
    end of the toolchain output instead of saying nothing."""
    import os
    import subprocess

    import hw.build as build_module
    from boards import get_board

    board = get_board("icebreaker")

    def crash(self, *args, **kwargs):
        os.write(2, b"Bus error\n")
        raise subprocess.CalledProcessError(135, ["sh", "build_top.sh"])

    monkeypatch.setattr(type(board.platform()), "build", crash)
    with pytest.raises(build_module.BuildFailed, match="Bus error"):
        build_module._run_toolchain(board, None, tmp_path, seed=1, dsp=False,
                                    log=lambda text: None)


@pytest.mark.parametrize("words, placement", [
    ("Warning: Failed to find a route for arc 2 of net link.link.array.act_buffer.rd_data[56].", True),
    ("ERROR: Unable to find legal placement for cell 'x' after 40015459 attempts", True),
    ("ERROR: Max frequency too low", False)])
def test_a_placement_nextpnr_cannot_route_is_told_apart(monkeypatch, tmp_path, words, placement):
    """A route nextpnr could not find (the Gowin build then traps with no ERROR line) is quoted
    and marked as the placement's failure, which another seed may not have; other errors not."""
    import subprocess

    import hw.build as build_module
    from boards import get_board

    board = get_board("icebreaker")

    def unroutable(self, *args, **kwargs):
        (tmp_path / board.build_logs["nextpnr"]).write_text(f"Info: routing\n{words}\n")
        raise subprocess.CalledProcessError(1, ["sh", "build_top.sh"])

    monkeypatch.setattr(type(board.platform()), "build", unroutable)
    with pytest.raises(build_module.BuildFailed) as failed:
        build_module._run_toolchain(board, None, tmp_path, seed=2, dsp=False, log=lambda text: None)
    assert words in str(failed.value) and failed.value.placement is placement


@pytest.mark.parametrize("text, seeds", [("3", (3,)), ("1-3", (1, 2, 3)), ("1,5,9", (1, 5, 9)),
                                         ("2-4,7", (2, 3, 4, 7)), ("0", (0,))])
def test_seeds_are_one_a_range_or_a_list(text, seeds):
    from hw.build import parse_seeds
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text, message", [("x", "expected a seed"), ("-1", "expected a seed"),
                                           ("3-1", "runs backwards"), ("1,2,1", "listed twice"),
                                           ("", "expected a seed")])
def test_bad_seeds_are_refused_in_one_line(text, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--board", "icebreaker", "--seed", text])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--seed" in err and message in err and len(err.strip().splitlines()) == 1


def _fake_builds(monkeypatch, fmax_by_seed, lc_used=100):
    """``hw.build.build`` replaced by one that writes a bitstream and a report naming its seed;
    the seeds it was called with are returned as they are called."""
    import hw.build as build_module
    called = []

    def fake(board_name, config=None, *, seed, out, target_mhz=None, log=print, **options):
        called.append(seed)
        if fmax_by_seed[seed] is None:
            raise build_module.BuildFailed(f"seed {seed}: Failed to find a route", placement=True)
        out.mkdir(parents=True, exist_ok=True)
        (out / "top.bin").write_text(f"bitstream of seed {seed}")
        report = {"board": board_name, "device": "iCE40UP5K-SG48", "seed": seed,
                  "config": ArrayConfig.icebreaker().to_dict(), "fmax_mhz": fmax_by_seed[seed],
                  "target_mhz": 48.0, "timing_met": fmax_by_seed[seed] >= 48.0,
                  "lc_used": lc_used, "lc_total": 5280, "ebr_used": 1, "ebr_total": 30,
                  "spram_used": 0, "dsp_used": 0, "multipliers": 0,
                  "multiplier_cells": {"mul_cells": 0, "dsp_cells": 0}, "wall_seconds": 1.0,
                  "bitstream": str(out / "top.bin")}
        (out / "report.json").write_text(json.dumps(report))
        return report

    monkeypatch.setattr(build_module, "build", fake)
    return called


def test_seeds_are_placed_until_one_meets_timing_and_that_one_is_kept(monkeypatch, tmp_path):
    from hw.build import build_seeds
    called = _fake_builds(monkeypatch, {1: 45.0, 2: 48.3, 3: 49.1})
    report = build_seeds("icebreaker", seeds=(1, 2, 3), out=tmp_path, log=lambda text: None)
    assert called == [1, 2]                          # seed 3 is not needed
    assert report["seed"] == 2 and report["timing_met"]
    assert (tmp_path / "top.bin").read_text() == "bitstream of seed 2"
    assert report["bitstream"] == str(tmp_path / "top.bin")
    assert [r["seed"] for r in report["seeds_tried"]] == [1, 2]
    assert json.loads((tmp_path / "report.json").read_text()) == report
    assert (tmp_path / "seed1" / "top.bin").read_text() == "bitstream of seed 1"


def test_when_no_seed_meets_the_fastest_is_kept_and_the_exit_says_so(monkeypatch, tmp_path,
                                                                     capsys):
    called = _fake_builds(monkeypatch, {4: 45.0, 5: 47.5, 6: 46.0})
    assert main(["--board", "icebreaker", "--seed", "4-6", "--out", str(tmp_path)]) == 1
    assert called == [4, 5, 6]
    assert (tmp_path / "top.bin").read_text() == "bitstream of seed 5"
    err = capsys.readouterr().err
    assert "timing MISSED on seeds 4, 5, 6 (kept seed 5, the fastest): 47.5 MHz < 48.0 MHz" in err
    assert "--seed 7-9" in err


def test_a_seed_nextpnr_cannot_route_goes_on_to_the_next(monkeypatch, tmp_path, capsys):
    called = _fake_builds(monkeypatch, {1: None, 2: 48.3, 3: 49.0})
    assert main(["--board", "icebreaker", "--seed", "1-3", "--out", str(tmp_path)]) == 0
    assert called == [1, 2]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["seed"] == 2 and [r["seed"] for r in report["seeds_tried"]] == [1, 2]
    assert "Failed to find a route" in report["seeds_tried"][0]["failed"]
    assert "seeds tried       1: not routed, 2: 48.3 MHz" in capsys.readouterr().out


def test_when_no_seed_can_be_routed_the_build_fails_naming_each(monkeypatch, tmp_path, capsys):
    called = _fake_builds(monkeypatch, {1: None, 2: None})
    assert main(["--board", "icebreaker", "--seed", "1,2", "--out", str(tmp_path)]) == 1
    assert called == [1, 2]
    err = capsys.readouterr().err
    assert "no seed could be placed and routed" in err and "seed 1:" in err and "seed 2:" in err


def test_a_failure_that_is_not_the_placement_stops_the_seed_sweep(monkeypatch, tmp_path):
    import hw.build as build_module
    called = []

    def yosys_fails(board_name, config=None, *, seed, **options):
        called.append(seed)
        raise build_module.BuildFailed("ERROR: yosys stopped")

    monkeypatch.setattr(build_module, "build", yosys_fails)
    with pytest.raises(build_module.BuildFailed, match="yosys stopped"):
        build_module.build_seeds("icebreaker", seeds=(1, 2), out=tmp_path, log=lambda text: None)
    assert called == [1]


def test_a_design_that_does_not_fit_is_not_placed_again(monkeypatch, tmp_path):
    from hw.build import build_seeds
    called = _fake_builds(monkeypatch, {1: 40.0, 2: 50.0}, lc_used=6000)
    report = build_seeds("icebreaker", seeds=(1, 2), out=tmp_path, log=lambda text: None)
    assert called == [1] and report["seed"] == 1


def test_one_seed_builds_straight_into_the_output_directory(monkeypatch, tmp_path):
    from hw.build import build_seeds
    called = _fake_builds(monkeypatch, {7: 50.0})
    report = build_seeds("icebreaker", seeds=(7,), out=tmp_path, log=lambda text: None)
    assert called == [7] and not (tmp_path / "seed7").exists()
    assert report["seeds_tried"] == [{"seed": 7, "fmax_mhz": 50.0, "timing_met": True,
                                      "lc_used": 100}]


def test_a_preset_changed_with_set_keeps_its_router(monkeypatch, tmp_path):
    import hw.build as build_module
    routers = []

    def fake(board_name, config, *, router=None, **options):
        routers.append((config.write_cuts, router))
        raise build_module.BuildFailed("stopped by the test")

    monkeypatch.setattr(build_module, "build_seeds", fake)
    for changes in ([], ["--set", "write_cuts=1"]):
        assert build_module.main(["--board", "ulx3s-85f", "--config", "ulx3s_a4_2048", *changes,
                                  "--out", str(tmp_path)]) == 1
    assert build_module.main(["--board", "ulx3s-85f", "--config", "ulx3s_a4_2048", "--set",
                              "write_cuts=1", "--router", "router1", "--out", str(tmp_path)]) == 1
    assert build_module.main(["--board", "ulx3s-85f", "--set", "rows=40",
                              "--out", str(tmp_path)]) == 1
    assert routers == [(3, None), (1, "router2"), (1, "router1"), (0, None)]


def _tools_running_in(directory) -> list:
    """The processes whose working directory is ``directory`` (Linux's /proc)."""
    import os
    from pathlib import Path
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")) == Path(directory):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_toolchain_run_past_its_limit_is_stopped_with_every_tool(tmp_path, capsys):
    """``--max-minutes``: a run past the limit stops every tool it started (nothing is left
    routing on a core) and ends in one message naming the limit and the logs, exit 1; with
    several seeds it is the seed's failure and the next one is tried."""
    status = main(["--board", "icebreaker", "--config", "tiny", "--seed", "1,2",
                   "--max-minutes", "0.002", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    assert "stopped after" in err and "(--max-minutes 0.002)" in err and "seed 2:" in err
    assert str(tmp_path / "seed1" / "toolchain.log") in err
    assert not _tools_running_in(tmp_path / "seed1") and not _tools_running_in(tmp_path / "seed2")


def test_the_time_limit_must_be_positive(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--board", "icebreaker", "--max-minutes", "0"])
    assert exited.value.code == 2
    assert "--max-minutes" in capsys.readouterr().err


def test_a_build_that_is_terminated_stops_its_tools(tmp_path):
    """``kill`` (SIGTERM) of ``python -m hw.build`` while yosys runs: nothing it started keeps
    running (the tools run in a session of their own, which Ctrl-C or a kill would not reach)."""
    import signal
    import subprocess
    import sys
    import time
    build = subprocess.Popen([sys.executable, "-m", "hw.build", "--board", "icebreaker",
                              "--config", "tiny", "--seed", "1", "--out", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _tools_running_in(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _tools_running_in(tmp_path), "the toolchain never started"
    build.send_signal(signal.SIGTERM)
    assert build.wait(timeout=30) == 128 + signal.SIGTERM
    assert not _tools_running_in(tmp_path)
