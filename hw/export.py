"""Verilog of the BitLinear top for any ArrayConfig: ``python -m hw.export --config NAME -o DIR``.

The top module is ``bitlinear_top``; its ports are the BitLinear members flattened by Amaranth
(``x_in__valid``, ``x_in__payload``, ``acc_out__ready``, ``k``, ``n``, ``perf__busy``…) plus ``clk``
and ``rst``. Submodules keep their Amaranth names (``row_0``, ``pe_3``, ``weight_mem``…), so
waveforms show the Amaranth hierarchy. Files are deterministic: ``<out>/bitlinear_top.v`` and
``<out>/config.json``; the default ``<out>`` is ``build/verilog/<config key>``.

Synthesizing ``bitlinear_top`` as the top module yourself: run ``proc; opt_clean -purge`` after
reading it and before ``synth_ice40`` (or ``synth_ecp5``/``synth_gowin``). Without it yosys 0.70's
abc9 stops (yosys issue #4349: ``Assert 'count_id(wire->name) == 0'``, or an exit without a
message under YoWASP) on the alias wires Amaranth gives the top's ports (``acc_out__payload[0]``).
A top of your own around the array is not affected (the ports are not top ports there);
``make sim SIM_ARGS=--netlist`` (sim.backends.netlist) synthesizes this way.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

from .cli import CommandLine, output_dir
from .config import ArrayConfig

__all__ = ["TOP_NAME", "config_key", "design_suffix", "export_verilog", "main"]

TOP_NAME = "bitlinear_top"


def config_key(config: ArrayConfig) -> str:
    """A short stable name for ``config``: the preset name if it is one, else a digest of its fields."""
    for name, preset in ArrayConfig.presets().items():
        if preset == config:
            return name
    digest = hashlib.sha1(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()
    return f"{config.pe_kind}_l{config.lanes}_r{config.rows}_{digest[:10]}"


def design_suffix(design) -> str:
    """Build-directory suffix for a non-default top (``design``), empty for BitLinear."""
    if design is None:
        return ""
    return "_" + f"{design.__module__}.{design.__qualname__}".replace(".", "_")


def export_verilog(config: ArrayConfig, out_dir: str | Path | None = None, *, design=None) -> Path:
    """Write the Verilog of ``design(config)`` (default ``BitLinear``) and config.json; return
    the .v path. ``design`` is any callable giving a component with BitLinear's signature."""
    from amaranth.back import verilog

    from .datapath.bitlinear import BitLinear

    out = Path(out_dir) if out_dir is not None else Path("build/verilog") / config_key(config)
    out.mkdir(parents=True, exist_ok=True)
    top = (design or BitLinear)(config)
    text = verilog.convert(top, name=TOP_NAME, emit_src=False)
    path = out / f"{TOP_NAME}.v"
    path.write_text(text)
    (out / "config.json").write_text(json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n")
    return path


def main(argv=None) -> int:
    presets = ArrayConfig.presets()
    parser = CommandLine(prog="python -m hw.export", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="tiny", help=f"preset name: {', '.join(presets)}")
    parser.add_argument("--pe-kind", help="override the preset's PE kind")
    parser.add_argument("-o", "--out", type=output_dir,
                        help="output directory (default build/verilog/<config>)")
    args = parser.parse_args(argv)
    if args.config not in presets:
        parser.error(f"unknown config {args.config!r}; known presets: {', '.join(presets)}")
    config = presets[args.config]
    if args.pe_kind:
        try:
            config = config.replace(pe_kind=args.pe_kind)
        except ValueError as error:
            parser.error(str(error))
    start = time.perf_counter()
    print(f"exporting {config_key(config)} ({config.lanes} lanes × {config.rows} rows, "
          f"{config.pe_kind}) ...", flush=True)
    path = export_verilog(config, args.out)
    print(f"wrote {path} ({path.stat().st_size:,} bytes) and {path.parent / 'config.json'} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
