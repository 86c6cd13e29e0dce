"""``python -m lm.bitnet.projection``: what a real BitNet costs on each board's array, from the cycle
model.

For BitNet b1.58 2B4T's shapes (hidden 2560, intermediate 6912, 30 layers, 20 query / 5 key-value
heads of 128) and each board's default array at its array clock, one decoded token (batch 1) is
the seven projections of every layer, each run as tiles of the array the way lm.engines runs
them. Two figures a board:

- *streamed*: every tile's weights go through ``w_in`` for every token (what the engines do
  today, the array holding one tile): cycles from golden.cycle.schedule, tile by tile;
- *resident*: the weights already in the array's memory, so a token costs the issue cycles alone
  (``perf_busy``: one chunk a cycle), the compute bound.

The model's 2.08 G ternary weights are 521 MB at 2 bits a trit (417 MB at base-3's 1.6): no
board here holds them, so the resident rate needs them streamed from external memory at the
bandwidth the table gives. Attention, norms and the 128,256-entry head run on the host and are not
counted. Prints a table and writes ``<out>/projection.json``.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import numpy as np

from golden.cycle import schedule
from hw.cli import CommandLine, output_dir

from .model import TransformerConfig

__all__ = ["BITNET_2B4T", "token_cost", "project", "main"]

#: microsoft/bitnet-b1.58-2B-4T's shapes (its config.json; the vocabulary only sizes the host's head).
BITNET_2B4T = TransformerConfig(vocab_size=128256, hidden_size=2560, intermediate_size=6912,
                                num_hidden_layers=30, num_attention_heads=20,
                                num_key_value_heads=5, head_dim=128, tie_word_embeddings=True)


@functools.lru_cache(maxsize=None)
def _tile_cycles(config, n: int, k: int) -> tuple[int, int]:
    """(cycles with the weight load, issue cycles) of one token through one n×k tile."""
    plan = schedule(config, np.zeros((1, k), np.int8), np.zeros((n, k), np.int8))
    return plan.cycles, plan.perf_busy


def token_cost(model: TransformerConfig, config) -> dict:
    """Cycles of one token through every BitLinear of ``model`` on ``config``'s array, tiled as
    lm.engines.tiles tiles them."""
    from lm.engines import tiles

    streamed = resident = count = 0
    for n, k in model.layer_shapes().values():
        for rows, column_tiles in tiles(n, k, config):
            for cols in column_tiles:
                cycles, busy = _tile_cycles(config, rows.stop - rows.start, cols.stop - cols.start)
                streamed += cycles
                resident += busy
                count += 1
    return {"tiles": count, "streamed_cycles": streamed, "resident_cycles": resident}


def project(model: TransformerConfig = BITNET_2B4T) -> list[dict]:
    """One row a board: its default array and clock, and the token cost at that clock."""
    from boards import BOARDS, get_board

    weights = sum(n * k for n, k in model.layer_shapes().values())
    weight_bytes = weights * 2 // 8
    rows = []
    for name in BOARDS:
        board = get_board(name)
        config = board.default_config()
        clock = board.array_clock_hz(board.default_target_hz)
        cost = token_cost(model, config)
        resident_rate = clock / cost["resident_cycles"]
        rows.append({
            "board": name, "config": config.to_dict(), "pes": config.lanes * config.rows,
            "clock_mhz": round(clock / 1e6, 2), **cost,
            "streamed_tokens_per_second": round(clock / cost["streamed_cycles"], 4),
            "resident_tokens_per_second": round(resident_rate, 3),
            "ternary_weights": weights, "weight_bytes_2bit": weight_bytes,
            "resident_weight_bandwidth_gb_s": round(resident_rate * weight_bytes / 1e9, 3),
            "g_trit_mac_per_second": round(weights * resident_rate / 1e9, 2)})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| board | array (PEs) | clock MHz | tiles a token | cycles a token, streamed | "
             "tokens/s streamed | cycles a token, resident | tokens/s resident | weights needed at "
             "that rate |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        c = r["config"]
        lines.append(f"| {r['board']} | {c['lanes']} × {c['rows']} ({r['pes']}) | {r['clock_mhz']:g} | "
                     f"{r['tiles']:,} | {r['streamed_cycles']:,} | {r['streamed_tokens_per_second']:.3f} | "
                     f"{r['resident_cycles']:,} | {r['resident_tokens_per_second']:.2f} | "
                     f"{r['resident_weight_bandwidth_gb_s']:.2f} GB/s |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = CommandLine(prog="python -m lm.bitnet.projection", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_dir, default="build/bitnet_projection",
                        help="directory for projection.json")
    args = parser.parse_args(argv)
    rows = project()
    print(f"BitNet b1.58 2B4T, batch 1: {rows[0]['ternary_weights']:,} ternary weights "
          f"({rows[0]['weight_bytes_2bit'] / 1e6:,.0f} MB at 2 bits a trit) a token")
    print(table(rows))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "projection.json").write_text(json.dumps({"model": "microsoft/bitnet-b1.58-2B-4T shapes",
                                                     "rows": rows}, indent=2) + "\n")
    print(f"[{out / 'projection.json'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
