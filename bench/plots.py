"""PNG plots of ``make bench``'s summary (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["plot_all"]

KIND_STYLE = {"xor": ("tab:blue", "o"), "mux": ("tab:green", "s"), "table2": ("tab:orange", "v"),
              "serial": ("tab:brown", "P"), "mul8": ("tab:red", "^"), "mul8_dsp": ("tab:purple", "D")}


def _by_kind(points: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for point in points:
        if point["fits"] and point["rows"] == 1:
            out.setdefault(point["kind"], []).append(point)
    return {kind: sorted(ps, key=lambda p: p["lanes"]) for kind, ps in out.items()}


def plot_all(summary: dict, out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    from boards import get_board

    for board, sweep in (summary.get("sweep") or {}).items():
        kinds = _by_kind(sweep["points"])
        budget = get_board(board).budget["lc"]
        suffix = "" if board == "icebreaker" else f"_{board}"
        for key, ylabel, name in (("lc", f"logic cells (of {budget:,})", f"lc_vs_lanes{suffix}.png"),
                                  ("fmax_mhz", "Fmax, median of seeds (MHz)", f"fmax_vs_lanes{suffix}.png")):
            fig, ax = plt.subplots(figsize=(6, 4))
            for kind, points in kinds.items():
                color, marker = KIND_STYLE.get(kind, ("black", "x"))
                ax.plot([p["lanes"] for p in points], [p[key] for p in points], marker=marker,
                        color=color, label=kind + (" (int8 baseline)" if kind.startswith("mul8") else ""))
            if key == "lc":
                ax.axhline(budget, color="grey", linestyle="--", linewidth=1, label=board)
            else:
                ax.axhline(sweep["target_mhz"], color="grey", linestyle="--", linewidth=1, label="target")
            ax.set_xscale("log", base=2)
            ax.set_xlabel("lanes (1 row, bench top: array + LFSR harness)")
            ax.set_ylabel(ylabel)
            ax.set_title(board)
            ax.grid(True, alpha=0.3)
            ax.legend()
            fig.tight_layout()
            path = out / name
            fig.savefig(path, dpi=120)
            plt.close(fig)
            written.append(path)
    tp = summary.get("throughput")
    if tp:
        fig, ax = plt.subplots(figsize=(9, 5))
        labels = [c["label"] for c in tp["streamed"]]
        xs = range(len(labels))

        def resident(cases):
            return [c.get("efficiency_vs_spram_bound", 0) if c["fits"] else 0 for c in cases]

        series = [("resident in SPRAM, 2-bit, vs 32 trits/cycle or compute", tp["resident"],
                   resident(tp["resident"]))]
        if tp.get("resident_base3"):
            series.append(("resident in SPRAM, base-3, vs 40 trits/cycle or compute",
                           tp["resident_base3"], resident(tp["resident_base3"])))
        series += [("streamed through w_in vs SPRAM-fed roofline", None,
                    [c["efficiency_vs_spram_bound"] for c in tp["streamed"]]),
                   ("streamed vs its own w_in-fed roofline", None,
                    [c["efficiency_vs_stream_bound"] for c in tp["streamed"]])]
        if tp.get("double_buffered"):
            series.append(("double-buffered (icebreaker) vs w_in-fed roofline", None,
                           [c["efficiency_vs_stream_bound"] for c in tp["double_buffered"]]))
        width = 0.8 / len(series)
        for i, (label, cases, values) in enumerate(series):
            offset = (i - (len(series) - 1) / 2) * width
            ax.bar([x + offset for x in xs], values, width=width, label=label)
            for x, c in zip(xs, cases or []):
                if not c["fits"]:
                    ax.text(x + offset, 0.02, "no fit", rotation=90, fontsize=6, ha="center")
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
        ax.set_xticks(list(xs), labels, rotation=30, ha="right")
        ax.set_ylabel("bound cycles / measured cycles")
        ax.set_title("throughput vs bound (N x K / tokens)")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=2)
        fig.tight_layout()
        path = out / "throughput_vs_bound.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    if summary.get("sparsity"):
        written.append(_plot_sparsity(plt, summary["sparsity"], out))
    for board, entry in (summary.get("kinds") or {}).items():
        if entry.get("points"):
            written.append(_plot_kinds(plt, board, entry, out))
    return written


def _plot_kinds(plt, board: str, entry: dict, out: Path) -> Path:
    """G-MAC/s against LC, a line per kind and activation width: the frontier of each idea."""
    from boards import get_board

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    series: dict[tuple, list[dict]] = {}
    for p in entry["points"]:
        if p["fits"]:
            series.setdefault((p["kind"], p["act_bits"]), []).append(p)
    for (kind, bits), points in series.items():
        points.sort(key=lambda p: p["lc"])
        color, marker = KIND_STYLE.get(kind, ("black", "x"))
        ax.plot([p["lc"] for p in points], [p["g_mac_s"] for p in points], marker=marker,
                color=color, linestyle="-" if bits == 8 else ":",
                label=kind + ("" if bits == 8 else f", {bits}-bit"))
        last = points[-1]
        ax.annotate(f"{last['lanes']}×{last['rows']}", (last["lc"], last["g_mac_s"]), fontsize=7,
                    textcoords="offset points", xytext=(4, 2))
    ax.axvline(get_board(board).budget["lc"], color="grey", linestyle="--", linewidth=1,
               label=f"{board} LC")
    ax.set_xlabel("logic cells (the array alone, bench top)")
    ax.set_ylabel("G trit-MAC/s (PEs x Fmax / cycles a chunk)")
    ax.set_title(f"PE kinds on the {board}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    suffix = "" if board == "icebreaker" else f"_{board}"
    path = out / f"kinds_frontier{suffix}.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _plot_sparsity(plt, sp: dict, out: Path) -> Path:
    """Zero skipping's speed-up against the zero share, per width and pattern."""
    fig, ax = plt.subplots(figsize=(6, 4))
    styles = {"16 lanes, chunks": "tab:blue", "4 lanes, chunks": "tab:orange",
              "8 lanes, codes": "tab:green"}
    for name, entry in sp["configs"].items():
        for pattern, line in (("iid", "-"), ("chunked", "--")):
            points = [p for p in entry["points"] if p["pattern"] == pattern]
            ax.plot([100 * p["zero_share"] for p in points], [p["speedup"] for p in points],
                    line, marker="o", color=styles.get(name, "black"),
                    label=f"{name}, zeros {'one by one' if pattern == 'iid' else 'in whole chunks'}")
    ax.axhline(2.0, color="grey", linestyle=":", linewidth=1, label="2x")
    ax.set_xlabel("zero activations (%)")
    ax.set_ylabel("cycles without / with zero skipping")
    ax.set_title("zero skipping: whole chunks, or each lane's codes")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "zero_skipping.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
