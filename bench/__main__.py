"""``make bench``: what ternary buys on a real FPGA, and where the design stands against its limits.

    python -m bench [--quick] [--only SECTION ...] [--seeds 1,2,3] [--board NAME ...] [--jobs N]
                    [--scheduler ADDRESS] [--out build/bench]

Sections (each prints progress, all land in ``<out>/summary.json`` and PNG plots):

  sweep       PE kind × lanes (× rows) on each board's chip (``--board``, default icebreaker), the
              array alone (bench top): LC, EBR, Fmax as the median of the seeds, for the ternary
              kinds and the int8-multiplier baseline (LUTs, and DSPs); LC ratio and lanes·Fmax/LC
              ratio per matching size; one table and plot per board
  largest     per board, the largest array per ternary PE kind that meets the board's target clock
              (48 MHz on the iCEBreaker) with the full board top
  kinds       every ternary PE kind (xor, mux, the table kind, the bit-serial kind) at a series of
              shapes, the array alone: LC, marginal LC per PE, Fmax, G-MAC/s (a bit-serial chunk
              takes act_bits cycles), G-MAC/s per kLC against xor, and the largest that fits
  throughput  GEMV / small-batch GEMM cycles (Verilator, checked against golden/) vs the SPRAM weight
              bound and the compute bound: weights resident in SPRAM, and streamed per call
  activations per board, the 8-bit default against the 4-bit (BitNet a4.8) preset and the same
              with zero skipping, board top at the board's own clock: PEs, LC, Fmax, G-MAC/s
  sparsity    zero skipping's cycles against the same array without it, at zero shares of 0-95 %
              (zeros one by one, or whole chunks), on 16 and 4 lanes, and on the inputs the tiny
              trained model's layers really get (Verilator, checked against golden/)
  simspeed    checked cycles per second of each simulator backend
  estimate    a per-module LC model fitted to the sweep, and its error against nextpnr

Builds are cached under build/bench/synth/<board>/ (an interrupted run resumes) and run ``--jobs``
at a time in local processes, or on a Dask cluster (``--scheduler tcp://host:8786``, the
``[cluster]`` extra). ``--quick`` is the CI smoke: two small builds, two throughput cases, a short
simulation-speed run.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from hw.cli import CommandLine, output_dir, positive_int
from hw.config import ArrayConfig

from . import estimate, kinds, sparsity, synth, throughput

SECTIONS = ("sweep", "largest", "kinds", "throughput", "activations", "sparsity", "simspeed",
            "estimate")
TERNARY_KINDS = ("xor", "mux")


def target_mhz(board: str) -> float:
    """The clock a board's designs are held to: its default target."""
    from boards import get_board
    return get_board(board).default_target_hz / 1e6


def log(text: str) -> None:
    print(text, flush=True)


# ------------------------------------------------------------------------------------ sweep
def sweep_points(quick: bool, board: str = "icebreaker") -> list[synth.Point]:
    if quick:
        return [synth.Point("xor", 4, 1, board=board), synth.Point("mul8", 4, 1, board=board)]
    # 64 lanes is left out: its activation buffer alone (512 bits wide) needs 32 EBR on the UP5K
    shapes = [(kind, lanes, 1) for kind in (*TERNARY_KINDS, "mul8") for lanes in (4, 8, 16, 32)]
    shapes += [("xor", 16, 2), ("xor", 16, 4), ("mul8", 8, 2), ("mul8_dsp", 8, 1)]
    if board.startswith("ulx3s"):        # a bigger chip: taller ternary arrays, more int8 lanes
        shapes += [("xor", 32, 4), ("xor", 32, 8), ("mux", 32, 4), ("mul8", 32, 2),
                   ("mul8_dsp", 16, 1)]
    return [synth.Point(kind, lanes, rows, board=board) for kind, lanes, rows in shapes]


def compare(results: list[dict]) -> list[dict]:
    """Per size built by both: LC ratio (multiplier / ternary) and lanes·Fmax/LC ratio (ternary /
    multiplier), for each ternary kind against the soft-multiplier baseline."""
    placed = {(r["kind"], r["lanes"], r["rows"]): r for r in results if r["fits"]}
    rows = []
    for (kind, lanes, nrows), base in placed.items():
        if kind != "mul8":
            continue
        for ternary_kind in TERNARY_KINDS:
            ternary = placed.get((ternary_kind, lanes, nrows))
            if ternary is None:
                continue
            def per_lc(r):
                return r["pes"] * r["fmax_mhz"] / r["lc"]
            rows.append({"kind": ternary_kind, "lanes": lanes, "rows": nrows,
                         "lc_ternary": ternary["lc"], "lc_mul8": base["lc"],
                         "lc_ratio_mul_over_ternary": round(base["lc"] / ternary["lc"], 2),
                         "perf_per_lc_ratio": round(per_lc(ternary) / per_lc(base), 2)})
    return rows


def run_sweep(args, board: str) -> dict:
    points = sweep_points(args.quick, board)
    target = target_mhz(board)
    log(f"[sweep {board}] {len(points)} points x seeds {args.seeds} (bench top, target {target:g} MHz)")
    results = synth.measure_points(points, seeds=args.seeds, target_mhz=target, jobs=args.jobs,
                                   scheduler=args.scheduler, log=log)
    ratios = compare(results)
    summary = {"board": board, "target_mhz": target, "points": results, "comparison": ratios}
    for kind in TERNARY_KINDS:
        mine = [r for r in ratios if r["kind"] == kind]
        if mine:
            summary[f"lc_ratio_mul_over_ternary_{kind}"] = statistics.median(r["lc_ratio_mul_over_ternary"] for r in mine)
            summary[f"perf_per_lc_ratio_{kind}"] = statistics.median(r["perf_per_lc_ratio"] for r in mine)
    return summary


# ------------------------------------------------------------------------------------ largest
#: Board-top shapes to try, per board, largest first. The iCEBreaker's 16 x 8 (its preset) met
#: 48 MHz on seeds 1-3 on 2026-12-04, by a thin margin (README); below it, what fits at 48 MHz.
LARGEST_CANDIDATES = {
    "icebreaker": ((16, 8), (16, 6), (16, 4), (32, 2), (8, 4), (16, 2), (8, 2)),
    # 16 x 12 (the preset since synthesis maps without wide LUTs) places in ~6 min; with wide
    # LUTs the placer had run 15 min on it without an answer
    "tang-nano-9k": ((16, 16), (16, 12), (16, 8), (8, 8)),
    "tang-primer-20k": ((32, 16), (32, 12), (32, 8), (16, 8)),
    "ulx3s-12f": ((32, 12), (32, 10), (32, 8), (16, 8)),
    "ulx3s-25f": ((32, 24), (32, 20), (32, 16), (32, 12)),
    "ulx3s-45f": ((32, 48), (32, 40), (32, 32), (32, 24)),
    "ulx3s-85f": ((64, 32), (32, 48), (32, 40), (32, 32)),
}


def run_largest(args, board: str) -> dict:
    """Per ternary kind, the most PEs whose median Fmax with the board top meets the board's
    target. Seed 1 screens every candidate at once (``--jobs``); a shape under 90 % of the target
    is not worth more seeds; the others get them, largest first, until one meets it."""
    out = {}
    target = target_mhz(board)
    candidates = LARGEST_CANDIDATES[board][-1:] if args.quick else LARGEST_CANDIDATES[board]
    ordered = sorted(candidates, key=lambda c: -c[0] * c[1])
    for kind in (("xor",) if args.quick else TERNARY_KINDS):
        points = [synth.Point(kind, lanes, rows, top="board", board=board) for lanes, rows in ordered]
        log(f"[largest {board} {kind}] {len(points)} shapes with the board top, target {target:g} MHz")
        options = dict(target_mhz=target, jobs=args.jobs, scheduler=args.scheduler, log=log)
        tried = synth.measure_points(points, seeds=args.seeds[:1], **options)
        found = None
        for index, (point, first) in enumerate(zip(points, tried)):
            if not (first["fits"] and first["fmax_mhz"] >= 0.9 * target):
                continue
            result = first if len(args.seeds) == 1 else synth.measure_point(point, seeds=args.seeds, **options)
            tried[index] = result
            if result["fits"] and result["fmax_mhz"] >= target:
                found = result
                break
        out[kind] = {"largest": found, "tried": tried, "pes": found["pes"] if found else 0,
                     "target_mhz": target}
        log(f"[largest {board} {kind}] " + (f"{found['lanes']} x {found['rows']} = {found['pes']} "
                                            f"PEs at {found['fmax_mhz']} MHz, {found['lc']} LC"
                                            if found else "no candidate met the target"))
    return out


# ------------------------------------------------------------------------------------ kinds
def run_kinds(args, board: str) -> dict:
    """Every ternary kind at ``kinds.KIND_SHAPES`` with the first seed; the largest point per
    kind and width that fits again with every seed (its Fmax is the median)."""
    points = kinds.kind_points(board, args.quick)
    if not points:
        return {"skipped": f"no kind shapes for {board} yet"}
    target = target_mhz(board)
    options = dict(target_mhz=target, jobs=args.jobs, scheduler=args.scheduler, log=log)
    log(f"[kinds {board}] {len(points)} arrays (bench top), target {target:g} MHz")
    results = synth.measure_points(points, seeds=args.seeds[:1], **options)
    largest = {}
    for point, result in zip(points, results):
        key = (point.kind, point.act_bits)
        if result["fits"] and result["pes"] >= largest.get(key, (None, -1))[1]:
            largest[key] = (point, result["pes"])
    if len(args.seeds) > 1:
        again = [point for point, _ in largest.values()]
        log(f"[kinds {board}] the largest of each kind with seeds {list(args.seeds)}")
        for point, result in zip(again, synth.measure_points(again, seeds=args.seeds, **options)):
            results[points.index(point)] = result
    summary = kinds.summarize(results) | {"board": board, "target_mhz": target}
    for name, entry in summary["kinds"].items():
        top = entry["largest"]
        log(f"[kinds {board}] {name}: " + (f"largest {top['lanes']} x {top['rows']} = {top['pes']} "
                                           f"PEs, {top['lc']} LC, {top['fmax_mhz']} MHz, "
                                           f"{top['g_mac_s']} G-MAC/s" if top else "nothing fits")
            + (f"; {entry['lc_per_pe']} LC per PE" if "lc_per_pe" in entry else ""))
    return summary


# ------------------------------------------------------------------------------------ throughput
def _resident(cases, packing: str) -> list[dict]:
    out = []
    for number, case in enumerate(cases, 1):
        result = throughput.measure_resident(case, packing=packing)
        out.append(result)
        log(f"[throughput resident {packing} {number}/{len(cases)}] {case.label}: " + (
            f"{result['cycles']:,} cycles, {result['macs_per_cycle']} MAC/cycle, "
            f"{result['efficiency_vs_spram_bound']:.1%} of the SPRAM/compute roofline"
            if result["fits"] else f"does not fit ({result['why']})"))
    return out


def run_throughput(args) -> dict:
    cases = throughput.default_cases(args.quick)
    log(f"[throughput] resident: {len(cases)} cases on the SPRAM preset's array, weights loaded "
        f"once, tokens timed by the performance counters (Verilator)")
    resident = _resident(cases, "2bit")
    log("[throughput] resident base-3: the same on the 20 x 2 base-3 SPRAM preset (40 trits a "
        "cycle from the SPRAMs)")
    resident_base3 = _resident(cases, "base3")
    config = throughput.config_for(ArrayConfig.icebreaker(), cases)
    log(f"[throughput] streamed: weights through w_in with every call, {config.pe_kind} "
        f"{config.lanes} x {config.rows} (max K {config.max_k}, max N {config.max_n})")
    streamed = []
    for number, case in enumerate(cases, 1):
        result = throughput.measure(config, case)
        streamed.append(result)
        log(f"[throughput streamed {number}/{len(cases)}] {case.label}: {result['cycles']:,} "
            f"cycles, {result['macs_per_cycle']} MAC/cycle, {result['efficiency_vs_spram_bound']:.0%} "
            f"of the SPRAM-fed roofline, {result['efficiency_vs_stream_bound']:.0%} of the w_in-fed one")
    buffered_config = ArrayConfig.icebreaker()
    log(f"[throughput] double-buffered: tiles loaded into one slot while the other computes, "
        f"{buffered_config.pe_kind} {buffered_config.lanes} x {buffered_config.rows} "
        f"({buffered_config.bank_words} words a bank)")
    buffered = []
    for number, case in enumerate(cases, 1):
        result = throughput.measure_double_buffered(buffered_config, case)
        buffered.append(result)
        log(f"[throughput double-buffered {number}/{len(cases)}] {case.label}: "
            f"{result['cycles']:,} cycles in {result['tiles']} tiles of {result['tile'][0]} x "
            f"{result['tile'][1]}, {result['efficiency_vs_stream_bound']:.1%} of the w_in-fed roofline")
    gemv = {}
    for res, st in zip(resident, streamed):
        if res["m"] == 1:
            gemv[res["label"]] = (res["efficiency_vs_spram_bound"] if res["fits"]
                                  else st["efficiency_vs_spram_bound"])
    return {"spram_trits_per_cycle": throughput.SPRAM_TRITS_PER_CYCLE, "resident": resident,
            "resident_base3": resident_base3,
            "gemv_base3_efficiency": {r["label"]: r["efficiency_vs_spram_bound"]
                                      for r in resident_base3 if r["m"] == 1 and r["fits"]},
            "streamed_config": config.to_dict(), "streamed": streamed,
            "double_buffered": buffered, "gemv_efficiency": gemv,
            "gemv_streamed_efficiency": {r["label"]: r["efficiency_vs_stream_bound"]
                                         for r in buffered if r["m"] == 1},
            "gemv_dataflow": {r["label"]: "resident" if r["fits"] else "streamed"
                              for r in resident if r["m"] == 1}}


# ------------------------------------------------------------------------------------ activations
#: (act_bits, lanes, rows, zero_skip) per board: the 8-bit default first, the ratios against it.
#: Skipping codes keeps a bank per lane and a queue per lane: 8 x 16 fits the UP5K's 30 EBR
#: (2 + 1 a lane), 16 lanes would need 32.
ACTIVATION_CANDIDATES = {
    "icebreaker": ((8, 16, 8, "off"), (4, 16, 12, "off"), (4, 16, 12, "chunks"),
                   (4, 8, 16, "off"), (4, 8, 16, "codes")),
}


def run_activations(args, board: str) -> dict:
    """What 4-bit activations buy on ``board``: each candidate with the board top at the board's
    own clock (its presets' target), seeds ``args.seeds``; G-MAC/s = PEs x median Fmax."""
    from boards import get_board

    if board not in ACTIVATION_CANDIDATES:
        return {"skipped": f"no 4-bit candidates for {board} yet"}
    target = get_board(board).default_target_hz / 1e6
    if args.quick:      # CI smoke: the arrays alone, 4 lanes, 8 and 4 bits
        shapes, top = ((8, 4, 1, "off"), (4, 4, 1, "off")), "bench"
    else:
        shapes, top = ACTIVATION_CANDIDATES[board], "board"
    points = [synth.Point("xor", lanes, rows, top=top, board=board, act_bits=bits,
                          zero_skip=skip) for bits, lanes, rows, skip in shapes]
    log(f"[activations {board}] {len(points)} arrays with the {top} top, target {target:g} MHz")
    results = synth.measure_points(points, seeds=args.seeds, target_mhz=target, jobs=args.jobs,
                                   scheduler=args.scheduler, log=log)
    rows = []
    for result in results:
        row = {key: result.get(key) for key in ("act_bits", "zero_skip", "lanes", "rows", "pes",
                                                 "fits", "failure", "lc", "ebr", "fmax_mhz",
                                                 "fmax_mhz_by_seed", "build_seconds")}
        if result["fits"]:
            row["g_mac_s"] = round(result["pes"] * result["fmax_mhz"] / 1e3, 2)
        rows.append(row)
    base = rows[0]
    for row in rows[1:]:
        if base["fits"] and row["fits"]:
            row["pes_ratio"] = round(row["pes"] / base["pes"], 2)
            row["g_mac_s_ratio"] = round(row["g_mac_s"] / base["g_mac_s"], 2)
    skip = [r for r in rows if r["zero_skip"] != "off" and r["fits"]]
    plain = {(r["act_bits"], r["lanes"], r["rows"]): r for r in rows
             if r["zero_skip"] == "off" and r["fits"]}
    for row in skip:
        twin = plain.get((row["act_bits"], row["lanes"], row["rows"]))
        if twin:
            row["zero_skip_lc_cost"] = row["lc"] - twin["lc"]
    return {"board": board, "target_mhz": target, "top": top, "arrays": rows}


# ------------------------------------------------------------------------------------ sparsity
#: The zero-skipping arrays the sparsity section compares (simulated: the dataflow, not a build).
SPARSITY_ARRAYS = {
    "16 lanes, chunks": ArrayConfig.icebreaker_a4(zero_skip="chunks"),
    "4 lanes, chunks": ArrayConfig.icebreaker_a4(zero_skip="chunks", lanes=4, tree_cuts=(1, 2)),
    "8 lanes, codes": ArrayConfig.icebreaker_a4_codes(),
}

#: The arrays the models' real layer inputs run on, by skipping mode: 8-bit activations (the MLP
#: is b1.58, and a4.8 keeps down_proj at INT8), as wide as each mode's UP5K build.
MODEL_ARRAYS = {"chunks": ArrayConfig.icebreaker(zero_skip="chunks"),
                "codes": ArrayConfig.icebreaker_a4_codes(act_bits=8)}


def run_sparsity(args) -> dict:
    """Zero skipping against the same array without it (``bench.sparsity``)."""
    from lm.model import TernaryModel

    quick = args.quick
    shares = (0.0, 0.8, 0.95) if quick else sparsity.ZERO_SHARES
    arrays = {name: SPARSITY_ARRAYS[name] for name in
              (("16 lanes, chunks", "8 lanes, codes") if quick else SPARSITY_ARRAYS)}
    out = {"zero_shares": list(shares), "configs": {}}
    for name, config in arrays.items():
        log(f"[sparsity] {name}: {config.lanes} x {config.rows}, act_bits {config.act_bits}, "
            f"K {config.max_k if not quick else 128}, N {config.max_n if not quick else 24}")
        out["configs"][name] = {
            "config": config.to_dict(),
            "points": sparsity.sweep(config, m=2 if quick else 8, k=128 if quick else None,
                                     n=24 if quick else None, zero_shares=shares, log=log)}
    if quick:
        return out
    model = TernaryModel.load()
    out["model_layers"] = {}
    for mode, config in MODEL_ARRAYS.items():
        log(f"[sparsity] the tiny trained model's layer inputs, {config.lanes} x {config.rows} "
            f"skipping {mode}")
        layers = sparsity.layer_inputs(model, config, "the ", tokens=16)
        for layer in layers:
            log(f"[sparsity] {layer['layer']}: {layer['zero_codes']:.0%} zero codes, "
                f"{layer['issues_skipped']:.1%} of issues skipped, {layer['speedup']:.2f}x")
        out["model_layers"][mode] = layers
    out["transformer_layers"] = transformer_sparsity()
    return out


def transformer_sparsity(tokens: int = 24) -> dict:
    """``down_proj`` of the BitNet transformer lm.bitnet.train trained (lm/tiny_transformer):
    its inputs' zero codes and what each skipping mode saves on them (8-bit arrays: a4.8 keeps
    ``down_proj`` at INT8), every projection's zero share beside."""
    from lm.bitnet import load
    from lm.bitnet.train import DEFAULT_DIR

    model = load(DEFAULT_DIR)
    where = DEFAULT_DIR.relative_to(Path.cwd()) if DEFAULT_DIR.is_relative_to(Path.cwd()) else DEFAULT_DIR
    out = {"checkpoint": str(where), "prompt": TRANSFORMER_PROMPT, "tokens": tokens}
    for mode, config in MODEL_ARRAYS.items():
        log(f"[sparsity] the trained BitNet transformer's down_proj inputs, {config.lanes} x "
            f"{config.rows} skipping {mode}")
        layers = sparsity.transformer_inputs(model, config, TRANSFORMER_PROMPT, tokens)
        for layer in layers:
            if "speedup" in layer:
                log(f"[sparsity] {layer['layer']}: {layer['zero_codes']:.0%} zero codes, "
                    f"{layer['issues_skipped']:.1%} of issues skipped, {layer['speedup']:.2f}x")
        out[mode] = layers
    return out


#: What the transformer is given to continue (lm.corpus' grammar).
TRANSFORMER_PROMPT = "the old farmer sees "


# ------------------------------------------------------------------------------------ simspeed
def run_simspeed(args) -> dict:
    import numpy as np

    from sim.cocotb.runner import run_cocotb
    from sim.harness import run_bitlinear

    config = ArrayConfig.icebreaker()
    rng = np.random.default_rng(0)
    m = 2 if args.quick else 8
    x = rng.integers(-128, 128, (m, 512))
    w = rng.integers(-1, 2, (64, 512))
    out = {}
    for backend in ("amaranth", "verilator"):
        log(f"[simspeed] {backend}: icebreaker preset, M={m} K=512 N=64 ...")
        result = run_bitlinear(config, x, w, backend=backend)
        out[backend] = {"cycles": result.cycles, "cycles_per_second": round(result.cycles_per_second),
                        "setup_seconds": round(result.setup_seconds, 1)}
    log("[simspeed] cocotb + verilator ...")
    result = run_cocotb(config, x, w)
    # test_seconds includes starting the simulator process: a lower bound on its speed
    out["cocotb_verilator"] = {"cycles": result["cycles"],
                               "cycles_per_second": round(result["cycles"] / result["test_seconds"]),
                               "setup_seconds": round(result["build_seconds"], 1)}
    for name, figures in out.items():
        log(f"[simspeed] {name}: {figures['cycles_per_second']:,} cycles/s")
    return out


# ------------------------------------------------------------------------------------ estimate
def run_estimate(sweep: dict | None) -> dict:
    """The LC model, fitted to the iCEBreaker's sweep (its per-module costs are the UP5K's)."""
    sweep = (sweep or {}).get("icebreaker")
    if not sweep:
        return {"skipped": "needs the sweep section on the icebreaker"}
    placed = [r for r in sweep["points"] if r["fits"]]
    configs = [ArrayConfig.from_dict(r["config"]) for r in placed]
    lc = [r["lc"] for r in placed]
    try:
        costs = estimate.fit(configs, lc)
    except ValueError as error:
        return {"skipped": str(error)}
    rows, loo = [], []
    for i, (config, measured) in enumerate(zip(configs, lc)):
        predicted = estimate.estimate_lc(config, costs)["total"]
        others = [j for j in range(len(configs)) if j != i]
        try:       # leave-one-out: the point's error when the fit never saw it
            held_out = estimate.fit([configs[j] for j in others], [lc[j] for j in others])
            unseen = estimate.estimate_lc(config, held_out)["total"]
        except ValueError:
            unseen = None
        ebr = estimate.estimate_ebr(config)
        rows.append({"kind": config.pe_kind, "lanes": config.lanes, "rows": config.rows,
                     "lc": measured, "lc_estimate": predicted,
                     "error": round((predicted - measured) / measured, 4),
                     "lc_estimate_held_out": unseen,
                     "error_held_out": None if unseen is None else round((unseen - measured) / measured, 4),
                     "ebr": placed[i]["ebr"], "ebr_estimate": ebr})
        if unseen is not None:
            loo.append(abs(unseen - measured) / measured)
    summary = {"costs": costs, "points": rows,
               "estimator_max_error": max(abs(r["error"]) for r in rows),
               "estimator_max_error_held_out": max(loo) if loo else None,
               "ebr_exact": all(r["ebr"] == r["ebr_estimate"] for r in rows)}
    log(f"[estimate] costs {costs}; max error {summary['estimator_max_error']:.1%} "
        f"(held out: {summary['estimator_max_error_held_out'] or float('nan'):.1%}); "
        f"EBR exact on every point: {summary['ebr_exact']}")
    return summary


# ------------------------------------------------------------------------------------ main
def main(argv=None) -> int:
    parser = CommandLine(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke: a couple of small builds")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--seeds", default=None, help="placement seeds, e.g. 1,2,3 (quick: 1)")
    parser.add_argument("--board", action="append", metavar="NAME",
                        help=f"boards for the sweep and largest sections (repeatable; default "
                             f"icebreaker): {', '.join(LARGEST_CANDIDATES)}")
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="builds at once in local processes (each nextpnr run is one core)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a Dask distributed scheduler to build on (the [cluster] extra)")
    parser.add_argument("--out", type=output_dir, default="build/bench")
    args = parser.parse_args(argv)
    args.board = args.board or ["icebreaker"]
    unknown = [b for b in args.board if b not in LARGEST_CANDIDATES]
    if unknown:
        parser.error(f"--board: unknown {', '.join(unknown)}; known: {', '.join(LARGEST_CANDIDATES)}")
    try:
        args.seeds = tuple(int(s) for s in (args.seeds or ("1" if args.quick else "1,2,3")).split(","))
    except ValueError:
        parser.error(f"--seeds: expected comma-separated integers, got {args.seeds!r}")
    sections = args.only or list(SECTIONS)
    start = time.perf_counter()
    summary = {"date": date.today().isoformat(), "quick": args.quick, "seeds": list(args.seeds),
               "target_mhz": {board: target_mhz(board) for board in args.board}}
    try:
        if "sweep" in sections:
            summary["sweep"] = {board: run_sweep(args, board) for board in args.board}
        if "largest" in sections:
            summary["largest"] = {board: run_largest(args, board) for board in args.board}
        if "kinds" in sections:
            summary["kinds"] = {board: run_kinds(args, board) for board in args.board}
    except RuntimeError as error:           # no Dask, or a scheduler that cannot be reached
        print(f"error: {error}", file=sys.stderr)
        return 2
    if "throughput" in sections:
        summary["throughput"] = run_throughput(args)
    if "activations" in sections:
        try:
            summary["activations"] = {board: run_activations(args, board) for board in args.board}
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    if "sparsity" in sections:
        summary["sparsity"] = run_sparsity(args)
    if "simspeed" in sections:
        summary["simspeed"] = run_simspeed(args)
    if "estimate" in sections:
        summary["estimate"] = run_estimate(summary.get("sweep"))
    summary |= headline(summary)
    summary["wall_seconds"] = round(time.perf_counter() - start, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    from .markdown import figures_markdown
    from .plots import plot_all
    written = plot_all(summary, args.out)
    command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
    (args.out / "figures.md").write_text(figures_markdown(summary, command))
    log(format_headline(summary))
    log(f"summary: {args.out / 'summary.json'}, {args.out / 'figures.md'}; plots: "
        f"{', '.join(str(p) for p in written) or 'none'}")
    return 0


#: Published int8 designs on a board's chip, shown beside the per-chip comparison as the outside
#: reference (their own figures, not measured here).
OUTSIDE_REFERENCES = {
    "icebreaker": {
        "name": "MARLANN", "macs_per_cycle": 16, "clock_mhz": 25.851,
        "source": "github.com/SymbioticEDA/MARLANN: docs/isa.md (8 multiply results into each of "
                  "two accumulators a cycle, 16 MACC/cycle, on the UP5K's DSPs), "
                  "benchmark/perf.md (nextpnr, 2018-09-03: 50 runs, icetime average 25.851 MHz)"},
}


def per_chip(summary: dict) -> dict:
    """Per board with both sections: G(trit-)MAC/s of the largest ternary array that meets the
    target with the board top (PEs × median Fmax), of the best int8 array of the sweep (lanes ×
    rows × median Fmax; bench top, so an upper bound for it), and their ratio."""
    out = {}
    for board, largest in (summary.get("largest") or {}).items():
        sweep = (summary.get("sweep") or {}).get(board)
        ternary = {kind: round(e["largest"]["pes"] * e["largest"]["fmax_mhz"] / 1e3, 2)
                   for kind, e in largest.items() if e["largest"]}
        int8 = [p for p in (sweep or {}).get("points", []) if p["fits"] and p["kind"].startswith("mul8")]
        best = max(int8, key=lambda p: p["pes"] * p["fmax_mhz"], default=None)
        entry = {"ternary_g_mac_s": ternary}
        if best is not None:
            entry["int8_best"] = {"kind": best["kind"], "lanes": best["lanes"], "rows": best["rows"],
                                  "g_mac_s": round(best["pes"] * best["fmax_mhz"] / 1e3, 3)}
            if ternary:
                entry["ratio_ternary_over_int8"] = round(max(ternary.values()) / entry["int8_best"]["g_mac_s"], 1)
        reference = OUTSIDE_REFERENCES.get(board)
        if reference is not None:
            g = round(reference["macs_per_cycle"] * reference["clock_mhz"] / 1e3, 3)
            entry["outside_reference"] = reference | {"g_mac_s": g}
            if ternary:
                entry["ratio_ternary_over_reference"] = round(max(ternary.values()) / g, 1)
        out[board] = entry
    return out


def headline(summary: dict) -> dict:
    """The figures the issue asks for, at the top level of summary.json (per board)."""
    out = {}
    for board, sweep in (summary.get("sweep") or {}).items():
        best = {k: sweep[f"lc_ratio_mul_over_ternary_{k}"] for k in TERNARY_KINDS
                if f"lc_ratio_mul_over_ternary_{k}" in sweep}
        if best:
            out.setdefault("lc_ratio_mul_over_ternary", {})[board] = best
            out.setdefault("perf_per_lc_ratio", {})[board] = {k: sweep[f"perf_per_lc_ratio_{k}"] for k in best}
    if "largest" in summary:
        out["max_pes"] = {board: {k: v["pes"] for k, v in kinds.items()}
                          for board, kinds in summary["largest"].items()}
        out["per_chip"] = per_chip(summary)
    if "kinds" in summary:
        out["kind_g_mac_s_per_klc_vs_xor"] = {
            board: {f"{p['kind']} {p['lanes']}x{p['rows']}" + ("" if p["act_bits"] == 8 else
                                                               f" {p['act_bits']}-bit"):
                    p.get("per_lc_vs_xor") for p in entry.get("points", [])
                    if p["fits"] and p["kind"] != "xor"}
            for board, entry in summary["kinds"].items()}
    if "throughput" in summary:
        out["gemv_efficiency"] = summary["throughput"]["gemv_efficiency"]
        out["gemv_streamed_efficiency"] = summary["throughput"].get("gemv_streamed_efficiency")
    if "activations" in summary:
        out["activation_widths"] = {board: [{k: r.get(k) for k in ("act_bits", "zero_skip", "pes",
                                                              "fmax_mhz", "g_mac_s", "g_mac_s_ratio")}
                                      for r in entry.get("arrays", [])]
                              for board, entry in summary["activations"].items()}
    if "sparsity" in summary:
        out["zero_skip_speedup"] = {
            name: {f"{p['pattern']} {p['zero_share']:.0%}": p["speedup"] for p in c["points"]}
            for name, c in summary["sparsity"]["configs"].items()}
        transformer = summary["sparsity"].get("transformer_layers")
        if transformer:
            out["zero_skip_transformer_down_proj"] = {
                mode: {r["layer"]: r["speedup"] for r in transformer[mode] if "speedup" in r}
                for mode in ("chunks", "codes")}
    if "estimate" in summary and "estimator_max_error" in summary["estimate"]:
        out["estimator_max_error"] = summary["estimate"]["estimator_max_error"]
    return out


def format_headline(summary: dict) -> str:
    lines = ["make bench:"]
    for key in ("lc_ratio_mul_over_ternary", "perf_per_lc_ratio", "max_pes", "per_chip",
                "kind_g_mac_s_per_klc_vs_xor",
                "gemv_efficiency", "gemv_streamed_efficiency", "activation_widths", "zero_skip_speedup",
                "zero_skip_transformer_down_proj", "estimator_max_error"):
        if key in summary:
            lines.append(f"  {key}: {summary[key]}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
