"""``make bench``'s kinds section: every ternary PE kind on a chip, side by side.

Each kind is built (the array alone, bench top, every tree level registered) at a series of
shapes up to what the chip's block RAM holds; per point LC, EBR, Fmax, and G-MAC/s = PEs × Fmax /
cycles a chunk (a bit-serial kind takes ``act_bits``). Per kind: the marginal LC a PE costs
(least squares of LC on PEs over the kind's 8-bit points: the slope, without the fixed logic
that every kind shares), the largest point that fits and its G-MAC/s (median Fmax of every
seed), and G-MAC/s per thousand LC against xor's at the same shape.
"""

from __future__ import annotations

import numpy as np

from hw.config import PE_KINDS, ArrayConfig

from . import synth

__all__ = ["KIND_SHAPES", "NARROW_POINTS", "kind_points", "summarize"]

TERNARY_KINDS = tuple(name for name, kind in PE_KINDS.items() if kind.ternary)
#: Shapes per board, smallest first; 8 x 24 is the tallest the UP5K's 30 EBR feed (a bank of
#: 16 bits a row plus the activation buffer's 4), 16 x 8 the board preset. On the other chips the
#: series ends near the largest xor array that met the board's clock with the board top (README).
KIND_SHAPES = {"icebreaker": ((16, 1), (16, 2), (16, 4), (16, 8), (8, 24)),
               "ulx3s-12f": ((16, 2), (16, 4), (16, 8), (32, 8)),
               "tang-nano-9k": ((16, 2), (16, 4), (8, 8), (16, 8)),
               "tang-primer-20k": ((16, 4), (16, 8), (32, 8), (32, 16))}
#: (kind, lanes, rows) also built at 4-bit activations, where a bit-serial chunk takes 4 cycles.
NARROW_POINTS = (("xor", 16, 8), ("serial", 16, 8))


def kind_points(board: str, quick: bool) -> list[synth.Point]:
    if quick:
        return [synth.Point(kind, 4, 1, board=board) for kind in ("table2", "serial")]
    shapes = KIND_SHAPES.get(board, ())
    points = [synth.Point(kind, lanes, rows, board=board)
              for kind in TERNARY_KINDS for lanes, rows in shapes]
    points += [synth.Point(kind, lanes, rows, board=board, act_bits=4)
               for kind, lanes, rows in NARROW_POINTS]
    return points


def _cycles_per_chunk(result: dict) -> int:
    """From the config the point was built with (``ArrayConfig.cycles_per_chunk``)."""
    fields = {k: tuple(v) if k == "tree_cuts" else v
              for k, v in result["config"].items() if k != "acc_bits"}
    return ArrayConfig(**fields).cycles_per_chunk


def summarize(results: list[dict]) -> dict:
    """Per point G-MAC/s and G-MAC/s per kLC (and the ratio to xor's at the same shape and
    width); per kind and width the marginal LC per PE and the largest point that fits."""
    rows = []
    for r in results:
        row = {k: r.get(k) for k in ("kind", "lanes", "rows", "pes", "act_bits", "fits", "failure",
                                     "lc", "ebr", "fmax_mhz", "fmax_mhz_by_seed", "build_seconds")}
        if r["fits"]:
            row["cycles_per_chunk"] = _cycles_per_chunk(r)
            row["g_mac_s"] = round(r["pes"] * r["fmax_mhz"] / row["cycles_per_chunk"] / 1e3, 3)
            row["g_mac_s_per_klc"] = round(1e3 * row["g_mac_s"] / r["lc"], 3)
        rows.append(row)
    xor = {(r["lanes"], r["rows"], r["act_bits"]): r for r in rows if r["kind"] == "xor" and r["fits"]}
    for row in rows:
        twin = xor.get((row["lanes"], row["rows"], row["act_bits"]))
        if row["fits"] and twin:
            row["per_lc_vs_xor"] = round(row["g_mac_s_per_klc"] / twin["g_mac_s_per_klc"], 2)
    kinds = {}
    for kind in dict.fromkeys(r["kind"] for r in rows):
        for bits in sorted({r["act_bits"] for r in rows if r["kind"] == kind}, reverse=True):
            mine = [r for r in rows if r["kind"] == kind and r["act_bits"] == bits and r["fits"]]
            entry = {"largest": max(mine, key=lambda r: r["pes"], default=None)}
            if len({r["pes"] for r in mine}) >= 2:
                slope, fixed = np.polyfit([r["pes"] for r in mine], [r["lc"] for r in mine], 1)
                entry |= {"lc_per_pe": round(float(slope), 2), "lc_fixed": round(float(fixed))}
            kinds[f"{kind}" if bits == 8 else f"{kind}_a{bits}"] = entry
    best = {name: e["largest"]["g_mac_s"] for name, e in kinds.items() if e["largest"]}
    return {"points": rows, "kinds": kinds, "largest_g_mac_s": best}
