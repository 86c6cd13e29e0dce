"""``python -m sim`` (``make sim``): cycle-by-cycle verification of the default configs.

Every run checks each output beat against golden/ (values; cycles too without stalls) and the
performance counters. Prints one line per run, a summary line, and writes build/sim/summary.json.
Exits 1 on the first mismatch. ``--netlist`` runs the gate-level mode instead: each board
family's synthesized netlist of its board preset (``--quick``: a small config that still uses
the family's block RAM), through the same scoreboard.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from golden.ints import ceil_div
from hw.cli import CommandLine, output_dir
from hw.config import ArrayConfig

from .backends.verilator import VerilatorError
from .harness import ScoreboardError, run_bitlinear


def default_runs(quick: bool):
    """(backend, label, config, (M, K, N), stall_prob, seed).

    Amaranth: the mux and xor kinds on both presets, the table and bit-serial kinds on the tiny
    one (and on the icebreaker preset under Verilator), plus single-row arrays of 16 and 64 lanes
    for the speed figures. Verilator: over 10**5 output beats on three configs (the icebreaker preset
    among them) with random stalls, and the base-3 SPRAM preset; ``quick`` keeps a few thousand
    for CI.
    """
    runs = []
    presets = ArrayConfig.presets()
    speed = {lanes: ArrayConfig(lanes=lanes, rows=1, max_k=512, max_n=16, tree_cuts=(2, 4))
             for lanes in (16, 64)}
    rows3 = ArrayConfig(pe_kind="mux", lanes=8, rows=3, max_k=64, max_n=10, tree_cuts=(0, 3))
    for kind in ("xor", "mux"):
        tiny = presets["tiny"].replace(pe_kind=kind)
        board = presets["icebreaker"].replace(pe_kind=kind)
        runs += [
            ("amaranth", f"tiny/{kind}", tiny, (8, 37, 11), 0.0, 1),
            ("amaranth", f"tiny/{kind}+stalls", tiny, (8, 40, 12), 0.3, 2),
            ("amaranth", f"icebreaker/{kind}", board, (4, 250 if quick else 512, 24 if quick else 64), 0.0, 3),
            ("amaranth", f"icebreaker/{kind}+stalls", board, (2, 100, 20), 0.3, 4),
        ]
    if not quick:
        runs += [("amaranth", f"lanes{lanes}x1/xor", config, (16, 512, 2), 0.0, 5)
                 for lanes, config in speed.items()]
    scale = 10 if quick else 1
    runs += [
        ("verilator", "tiny/xor+stalls", presets["tiny"], (4000 // scale, 40, 12), 0.3, 6),
        ("verilator", "icebreaker/xor+stalls", presets["icebreaker"], (2500 // scale, 64, 64), 0.3, 7),
        ("verilator", "rows3/mux+stalls", rows3, (8000 // scale, 61, 10), 0.3, 8),
        ("verilator", "icebreaker/xor", presets["icebreaker"], (64 // scale, 512, 64), 0.0, 9),
        ("verilator", "spram_base3/xor+stalls", presets["icebreaker_spram_base3"],
         (64 // scale, 637, 40), 0.3, 10),
        # 4-bit codes, half of each token's chunks zero (sparse_codes), skipped
        ("verilator", "icebreaker_a4/xor+skip+stalls", presets["icebreaker_a4"].replace(zero_skip="chunks"),
         (400 // scale, 509, 64), 0.3, 11),
        ("verilator", "sparse_a4/xor+codes+stalls",
         presets["icebreaker_a4_codes"],
         (400 // scale, 509, 64), 0.3, 12),
    ]
    for number, kind in enumerate(("table2", "serial")):     # the kinds that share work by row
        runs += [
            ("amaranth", f"tiny/{kind}+stalls", presets["tiny"].replace(pe_kind=kind),
             (8, 40, 12), 0.3, 13 + number),
            ("verilator", f"icebreaker/{kind}+stalls", presets["icebreaker"].replace(pe_kind=kind),
             (400 // scale, 509, 64), 0.3, 15 + number),
        ]
    if not quick:
        runs += [("verilator", f"lanes{lanes}x1/xor", config, (2000, 512, 2), 0.0, 5)
                 for lanes, config in speed.items()]
    return runs


def sparse_codes(rng, config, m: int, k: int) -> np.ndarray:
    """Random ``act_bits`` codes; for a zero-skipping array half of each token's chunks zero
    (and, skipping codes, a third of the others' codes)."""
    half = 1 << (config.act_bits - 1)
    x = rng.integers(-half, half, (m, k))
    if config.zero_skip != "off":
        chunks = ceil_div(k, config.lanes)
        for token in range(m):
            for chunk in np.flatnonzero(rng.random(chunks) < 0.5):
                x[token, chunk * config.lanes:(chunk + 1) * config.lanes] = 0
        if config.zero_skip == "codes":
            x[rng.random(x.shape) < 1 / 3] = 0
    return x


#: The gate-level runs: (family, the board whose preset it checks). One board a family.
NETLIST_BOARDS = {"ice40": "icebreaker", "ecp5": "ulx3s-12f", "gowin": "tang-nano-9k"}


def netlist_runs(quick: bool):
    """Gate-level runs, as ``default_runs``: per family the board preset with random stalls and
    without; ``quick`` a small config whose memories still land in the family's block RAM
    (SB_RAM40_4K, DP16KD, BSRAM) for CI."""
    from boards import get_board

    small = ArrayConfig(pe_kind="xor", lanes=8, rows=2, max_k=512, max_n=64, tree_cuts=(0, 2))
    runs = []
    for number, (family, board) in enumerate(NETLIST_BOARDS.items()):
        backend = f"netlist-{family}"
        if quick:
            runs.append((backend, "small+stalls", small, (24, 509, 40), 0.3, 20 + number))
            continue
        config = get_board(board).default_config()
        runs += [(backend, f"{board}+stalls", config, (64, 300, 64), 0.3, 30 + number),
                 (backend, board, config, (16, config.max_k, 64), 0.0, 40 + number)]
    return runs


def main(argv=None) -> int:
    parser = CommandLine(prog="python -m sim", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller layers (CI smoke)")
    parser.add_argument("--netlist", action="store_true",
                        help="gate-level mode: each family's synthesized netlist (yosys + Verilator)")
    parser.add_argument("--out", type=output_dir, default="build/sim",
                        help="directory for summary.json")
    parser.add_argument("--only", action="append", metavar="LABEL",
                        help="run only these labels (repeatable), e.g. tiny/xor")
    args = parser.parse_args(argv)

    totals = {}
    results = []
    runs = netlist_runs(args.quick) if args.netlist else default_runs(args.quick)
    if args.only:
        known = sorted({f"{run[0]}:{run[1]}" for run in runs} | {run[1] for run in runs})
        unknown = sorted(set(args.only) - set(known))
        if unknown:
            parser.error(f"unknown run label(s) {', '.join(unknown)}; known: {', '.join(known)}")
        runs = [run for run in runs if run[1] in args.only or f"{run[0]}:{run[1]}" in args.only]
    for number, (backend, label, config, (m, k, n), stall_prob, seed) in enumerate(runs, 1):
        rng = np.random.default_rng(seed)
        x = sparse_codes(rng, config, m, k)
        w = rng.integers(-1, 2, (n, k))
        print(f"[{number}/{len(runs)}] {backend}:{label}: M={m} K={k} N={n} stall={stall_prob} ...",
              end="", flush=True)
        start = time.perf_counter()
        try:
            result = run_bitlinear(config, x, w, backend=backend, stall_prob=stall_prob, seed=seed)
        except ScoreboardError as error:
            print(f"\nMISMATCH in {backend}:{label} (seed {seed}): {error}", file=sys.stderr)
            return 1
        except VerilatorError as error:  # a tool, not the design: say which and why
            print(f"\n{backend}:{label} could not run: {error}", file=sys.stderr)
            return 1
        wall = time.perf_counter() - start
        print(f" {result.beats} beats, {result.cycles} cycles, "
              f"{result.cycles_per_second:,.0f} cycles/s (+{result.setup_seconds:.1f} s setup), "
              f"perf {result.perf}")
        total = totals.setdefault(backend, {"configs": set(), "beats": 0, "cycles": 0, "seconds": 0.0})
        total["configs"].add(config)
        total["beats"] += result.beats
        total["cycles"] += result.cycles
        total["seconds"] += result.wall_seconds
        results.append({"backend": backend, "label": label,
                        "config": config.to_dict(),
                        "m": m, "k": k, "n": n, "stall_prob": stall_prob, "seed": seed,
                        "beats": result.beats, "cycles": result.cycles, "perf": result.perf,
                        "sim_seconds": round(result.wall_seconds, 3),
                        "setup_seconds": round(result.setup_seconds, 3), "wall_seconds": round(wall, 3),
                        "cycles_per_second": round(result.cycles_per_second)})

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    backends = {name: {"configs": len(t["configs"]), "beats_checked": t["beats"],
                       "cycles_simulated": t["cycles"],
                       "cycles_per_second": round(t["cycles"] / t["seconds"])}
                for name, t in totals.items()}
    summary = {"backends": backends, "beats_checked": sum(t["beats"] for t in totals.values()),
               "cycles_simulated": sum(t["cycles"] for t in totals.values()), "runs": results}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    parts = [f"{name}: {b['configs']} configs, {b['beats_checked']} beats, "
             f"{b['cycles_simulated']} cycles, {b['cycles_per_second']:,} cycles/s"
             for name, b in backends.items()]
    print(f"make sim: {'; '.join(parts)}; all match golden/ [{out / 'summary.json'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
