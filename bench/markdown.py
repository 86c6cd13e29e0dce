"""``build/bench/figures.md``: the README's figures section, rendered from summary.json."""

from __future__ import annotations

__all__ = ["figures_markdown"]


def _seed_list(point: dict) -> str:
    """Fmax of each seed that routed, then the seeds nextpnr could not route."""
    text = ", ".join(f"{f:g}" for f in point["fmax_mhz_by_seed"])
    unrouted = point.get("unrouted_seeds")
    return text + (f"; seed {', '.join(map(str, unrouted))} not routed" if unrouted else "")


def _sweep_table(sweep: dict) -> list[str]:
    lines = ["| PE kind | lanes × rows | LC | EBR | DSP | Fmax (median; seeds) |", "|---|---|---|---|---|---|"]
    for p in sweep["points"]:
        shape = f"{p['lanes']} × {p['rows']}"
        if not p["fits"]:
            lines.append(f"| {p['kind']} | {shape} | does not build: {p['failure']} | | | |")
            continue
        seeds = _seed_list(p)
        lines.append(f"| {p['kind']} | {shape} | {p['lc']:,} | {p['ebr']} | {p['dsp']} | "
                     f"{p['fmax_mhz']:g} MHz ({seeds}) |")
    return lines


def _points(section) -> list[dict]:
    """Every point of a per-board section: the sweep's points, or the largest search's tries."""
    out = []
    for board in (section or {}).values():
        if "points" in board:
            out += board["points"]
        else:
            out += [t for entry in board.values() for t in entry["tried"]]
    return out


def _throughput_table(tp) -> list[str]:
    """The GEMV/GEMM table: resident (2-bit and base-3), streamed and double-buffered."""
    out = []
    if tp:
        buffered = tp.get("double_buffered") or [None] * len(tp["streamed"])
        base3 = tp.get("resident_base3") or [None] * len(tp["streamed"])
        out += ["| layer N×K / tokens | resident in SPRAM: cycles | of roofline (32 trits a cycle, "
                "or compute) | resident, base-3: cycles | of roofline (40 trits a cycle, or "
                "compute) | streamed via w_in: "
                "cycles | of SPRAM roofline | of w_in roofline | double-buffered (icebreaker "
                "preset): cycles | of w_in roofline |", "|---|---|---|---|---|---|---|---|---|---|"]

        def resident_cells(res):
            if res is None:
                return "– | –"
            return (f"{res['cycles']:,} | {res['efficiency_vs_spram_bound']:.1%}" if res["fits"]
                    else "does not fit | –")

        for res, b3, st, db in zip(tp["resident"], base3, tp["streamed"], buffered):
            resident = resident_cells(res) + " | " + resident_cells(b3)
            double = (f"{db['cycles']:,} ({db['tiles']} tiles of {db['tile'][0]}×{db['tile'][1]}) | "
                      f"{db['efficiency_vs_stream_bound']:.1%}" if db else "– | –")
            out.append(f"| {res['label']} | {resident} | {st['cycles']:,} | "
                       f"{st['efficiency_vs_spram_bound']:.0%} | "
                       f"{st['efficiency_vs_stream_bound']:.0%} | {double} |")
        out.append("")
    return out


def _activations_table(section) -> list[str]:
    """Per board: the 8-bit default, the 4-bit preset, and with zero skipping."""
    out = []
    for board, entry in (section or {}).items():
        if "arrays" not in entry:
            continue
        top = "board top" if entry.get("top") == "board" else "the array alone (bench top)"
        out += [f"Activation width on the {board} ({top}, target {entry['target_mhz']:g} MHz):",
                "", "| activations | lanes × rows = PEs | LC | EBR | Fmax (median; seeds) | "
                "G-MAC/s | vs 8-bit: PEs, G-MAC/s |", "|---|---|---|---|---|---|---|"]
        for r in entry["arrays"]:
            name = f"{r['act_bits']}-bit" + ("" if r["zero_skip"] == "off"
                                              else f", skipping zero {r['zero_skip']}")
            shape = f"{r['lanes']} × {r['rows']} = {r['pes']}"
            if not r["fits"]:
                out.append(f"| {name} | {shape} | does not build: {r['failure']} | | | | |")
                continue
            seeds = _seed_list(r)
            ratios = (f"{r['pes_ratio']}×, {r['g_mac_s_ratio']}×" if "pes_ratio" in r else "–")
            out.append(f"| {name} | {shape} | {r['lc']:,} | {r['ebr']} | {r['fmax_mhz']:g} MHz "
                       f"({seeds}) | {r['g_mac_s']:g} | {ratios} |")
        out.append("")
    return out


def _kinds_table(section) -> list[str]:
    """Per board: every ternary kind at each shape, and per kind its LC per PE and largest."""
    out = []
    for board, entry in (section or {}).items():
        if "points" not in entry:
            continue
        out += [f"PE kinds on the {board} (the array alone, bench top, max K 256 × max N 32, every "
                f"tree level registered; Fmax: seed 1, the median of every seed for each kind's "
                f"largest):", "",
                "| kind | activations | lanes × rows = PEs | cycles a chunk | LC | EBR | Fmax | "
                "G-MAC/s | G-MAC/s per kLC | vs xor |", "|---|---|---|---|---|---|---|---|---|---|"]
        for r in entry["points"]:
            shape = f"{r['lanes']} × {r['rows']} = {r['pes']}"
            head = f"| {r['kind']} | {r['act_bits']}-bit | {shape} |"
            if not r["fits"]:
                out.append(f"{head} | does not build: {r['failure']} | | | | | | |")
                continue
            seeds = _seed_list(r)
            fmax = f"{r['fmax_mhz']:g} MHz" + (f" ({seeds})" if len(r["fmax_mhz_by_seed"]) > 1
                                               or r.get("unrouted_seeds") else "")
            out.append(f"{head} {r['cycles_per_chunk']} | {r['lc']:,} | {r['ebr']} | {fmax} | "
                       f"{r['g_mac_s']:g} | {r['g_mac_s_per_klc']:g} | "
                       f"{r.get('per_lc_vs_xor', '–')}{'×' if 'per_lc_vs_xor' in r else ''} |")
        out.append("")
        for name, kind in entry["kinds"].items():
            top = kind["largest"]
            out.append(f"- {name}: " + (f"{kind['lc_per_pe']:g} LC a PE (+ {kind['lc_fixed']:,} "
                                        f"fixed); " if "lc_per_pe" in kind else "")
                       + (f"largest {top['lanes']} × {top['rows']} = {top['pes']} PEs, "
                          f"{top['g_mac_s']:g} G-MAC/s" if top else "nothing fits"))
        out.append("")
    return out


def _sparsity_table(section) -> list[str]:
    """Zero skipping's speed-up by zero share, pattern and width; the model's layers."""
    if not section:
        return []
    shares = section["zero_shares"]
    out = ["Zero skipping, cycles without / with it (tokens on a resident matrix, Verilator, "
           "every beat on the cycle model's cycle):", "",
           "| array | zeros | " + " | ".join(f"{s:.0%}" for s in shares) + " |",
           "|---|---|" + "---|" * len(shares)]
    for name, entry in section["configs"].items():
        for pattern in ("iid", "chunked"):
            cells = [f"{p['speedup']:.2f}×" for p in entry["points"] if p["pattern"] == pattern]
            out.append(f"| {name} | {'one by one' if pattern == 'iid' else 'whole chunks'} | "
                       + " | ".join(cells) + " |")
    out.append("")
    for mode, layers in (section.get("model_layers") or {}).items():
        out.append(f"The tiny trained model's layer inputs, skipping {mode}: " + "; ".join(
            f"{r['layer']} {r['zero_codes']:.0%} zero codes, {r['issues_skipped']:.1%} of issues "
            f"skipped, {r['speedup']:.2f}×" for r in layers) + ".")
        out.append("")
    transformer = section.get("transformer_layers")
    if transformer:
        out += [f"The trained BitNet transformer ({transformer['checkpoint']}; "
                f"{transformer['tokens']} characters after \"{transformer['prompt']}\"):", "",
                "| projection | zero codes | skipping chunks (16 × 8) | skipping codes (8 × 16) |",
                "|---|---|---|---|"]
        codes = {r["layer"]: r for r in transformer["codes"]}
        for r in transformer["chunks"]:
            c = codes[r["layer"]]
            cells = [f"{x['speedup']:.2f}× ({x['issues_skipped']:.0%} of issues skipped)"
                     if "speedup" in x else "–" for x in (r, c)]
            out.append(f"| {r['layer'].removeprefix('model.')} | {r['zero_codes']:.0%} | "
                       + " | ".join(cells) + " |")
        out.append("")
    return out


def figures_markdown(summary: dict, command: str) -> str:
    build_seconds = sum(p.get("build_seconds", 0) for section in ("sweep", "largest")
                        for p in _points(summary.get(section)))
    build_seconds += sum(r.get("build_seconds", 0) for entry in (summary.get("activations") or {}).values()
                         for r in entry.get("arrays", []))
    build_seconds += sum(r.get("build_seconds") or 0 for entry in (summary.get("kinds") or {}).values()
                         for r in entry.get("points", []))
    out = [f"Measured by `{command}` on {summary['date']} (placement seeds {summary['seeds']}; "
           f"{build_seconds / 60:.0f} min of yosys + nextpnr builds, cached in build/bench/synth/, "
           f"and {summary['wall_seconds'] / 60:.0f} min for this run on this 2-core machine).", ""]
    for board, sweep in (summary.get("sweep") or {}).items():
        out += [f"Array alone on the {board} (bench top: LFSR harness, memories max K 256 × max N 32), "
                f"target {sweep['target_mhz']:g} MHz:", "", *_sweep_table(sweep), ""]
        if sweep["comparison"]:
            out += ["| size | ternary kind | LC ternary | LC int8 | LC ratio (int8 / ternary) | "
                    "lanes·Fmax/LC ratio (ternary / int8) |", "|---|---|---|---|---|---|"]
            for c in sweep["comparison"]:
                out.append(f"| {c['lanes']} × {c['rows']} | {c['kind']} | {c['lc_ternary']:,} | "
                           f"{c['lc_mul8']:,} | {c['lc_ratio_mul_over_ternary']} | "
                           f"{c['perf_per_lc_ratio']} |")
            out.append("")
    est = summary.get("estimate")
    if est and "costs" in est:
        costs = ", ".join(f"{k} {v:g}" for k, v in est["costs"].items() if v is not None)
        held = est.get("estimator_max_error_held_out")
        out += [f"Resource estimator (LC per unit, least squares over the sweep): {costs}. Largest "
                f"error {est['estimator_max_error']:.1%} in sample, "
                + (f"{held:.1%} with each point left out of its own fit" if held is not None else "")
                + f"; EBR counted from the config matches nextpnr on every point: {est['ebr_exact']}.", ""]
    for board, largest in (summary.get("largest") or {}).items():
        target = next(iter(largest.values()))["target_mhz"]
        out += [f"Largest array on the {board} with the full board top (PLL, UART host link) at "
                f"{target:g} MHz:", ""]
        for kind, entry in largest.items():
            found = entry["largest"]
            tried = "; ".join(f"{t['lanes']}×{t['rows']}: " + (f"{t['fmax_mhz']:g} MHz, {t['lc']:,} LC"
                                                              if t["fits"] else "does not build")
                              for t in entry["tried"])
            out.append(f"- {kind}: " + (f"**{found['lanes']} × {found['rows']} = {found['pes']} PEs**, "
                                        f"{found['fmax_mhz']:g} MHz median, {found['lc']:,} LC, "
                                        f"{found['ebr']} EBR" if found else "none met the target")
                       + f" (tried {tried})")
        out.append("")
    for board, entry in (summary.get("per_chip") or {}).items():
        best = entry.get("int8_best")
        ternary = ", ".join(f"{kind} {g:g}" for kind, g in entry["ternary_g_mac_s"].items()) or "none"
        out.append(f"Per chip, {board}: largest ternary arrays {ternary} G trit-MAC/s; " + (
            f"best int8 array {best['kind']} {best['lanes']} × {best['rows']}, {best['g_mac_s']:g} GMAC/s"
            + (f"; ratio {entry['ratio_ternary_over_int8']:g}×" if "ratio_ternary_over_int8" in entry else "")
            if best else "no int8 array built") + ".")
        reference = entry.get("outside_reference")
        if reference:
            out.append(f"Outside reference on the same chip: {reference['name']}, "
                       f"{reference['macs_per_cycle']} int8 MAC/cycle at {reference['clock_mhz']:g} MHz "
                       f"= {reference['g_mac_s']:g} GMAC/s (its published figures: "
                       f"{reference['source']})" + (
                           f"; ternary / {reference['name']}: {entry['ratio_ternary_over_reference']:g}×"
                           if "ratio_ternary_over_reference" in entry else "") + ".")
    if summary.get("per_chip"):
        out.append("")
    out += _throughput_table(summary.get("throughput"))
    out += _kinds_table(summary.get("kinds"))
    out += _activations_table(summary.get("activations"))
    out += _sparsity_table(summary.get("sparsity"))
    speed = summary.get("simspeed")
    if speed:
        out.append("Simulation speed, icebreaker preset (checked cycles/s): " + ", ".join(
            f"{name} {v['cycles_per_second']:,}" for name, v in speed.items()) + ".")
    return "\n".join(out) + "\n"
