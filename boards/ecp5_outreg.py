"""The DP16KD's output register, used: a flop right after a block RAM's read data goes into it.

Why: a DP16KD read without its output register (what yosys maps, ``REGMODE NOREG``) shows its
data 5.6-5.8 ns after the clock, and on the 85F a bank can sit far from the row it feeds: the
2,048-PE array's critical path was a bank's read data into the flop after it (5.8 ns + 5.8 ns of
routing). The block has a register of its own after the read (``REGMODE OUTREG``), about a
nanosecond from the clock; yosys does not map into it, so this step, run on yosys's netlist
before nextpnr (``python -m boards.ecp5_outreg top.json``, the ECP5 boards' flow and the ECP5
netlist simulation), moves into it every flop that is the only load of a DP16KD output when all
of that block's are such flops on its own clock, with the same enable and no reset. The
netlist's behaviour is the same cycle for cycle: the output register is the flop it replaces.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

__all__ = ["fold_output_registers", "main"]

_OUTPUTS = tuple(f"DO{port}{bit}" for port in "AB" for bit in range(18))


def _loads(module: dict) -> dict:
    """Each net bit: the ``(cell, port)`` inputs it drives (a module port counts as a load)."""
    loads = defaultdict(list)
    for name, cell in module["cells"].items():
        for port, bits in cell["connections"].items():
            if cell.get("port_directions", {}).get(port) == "input":
                for bit in bits:
                    if isinstance(bit, int):
                        loads[bit].append((name, port))
    for name, port in module.get("ports", {}).items():
        for bit in port["bits"]:
            if isinstance(bit, int):
                loads[bit].append((None, name))
    return loads


def _param(cell: dict, name: str, default: str = "") -> str:
    return str(cell["parameters"].get(name, default)).strip()


def _flops_after(module: dict, bram: dict, loads: dict):
    """``(enable, [(flop, output bit)])`` if every used output of ``bram`` goes only into a flop
    it may take in (clock, enable, no reset), else None."""
    cells = module["cells"]
    conn = bram["connections"]
    clock = conn["CLKA"]
    if (conn["CLKB"] != clock or _param(bram, "CLKAMUX", "CLKA") != "CLKA"
            or _param(bram, "CLKBMUX", "CLKB") != "CLKB" or conn["RSTA"] != ["0"]
            or conn["RSTB"] != ["0"] or _param(bram, "REGMODE_A", "NOREG") != "NOREG"
            or _param(bram, "REGMODE_B", "NOREG") != "NOREG"):
        return None
    enables, flops = set(), []
    for port in _OUTPUTS:
        bit = conn.get(port, ["x"])[0]
        if not isinstance(bit, int) or not loads[bit]:
            continue
        if len(loads[bit]) != 1 or loads[bit][0][1] != "DI":
            return None
        name = loads[bit][0][0]
        flop = cells[name]
        if (flop["type"] != "TRELLIS_FF" or flop["connections"]["CLK"] != clock
                or _param(flop, "CLKMUX", "CLK") != "CLK" or flop["connections"]["LSR"] != ["0"]):
            return None
        mux = _param(flop, "CEMUX", "1")
        if mux == "1":
            enables.add("1")
        elif mux == "CE":
            enables.add(flop["connections"]["CE"][0])
        else:
            return None
        flops.append((name, bit))
    if len(enables) != 1 or not flops:
        return None
    return enables.pop(), flops


def fold_output_registers(netlist: dict) -> dict:
    """Move the flops after DP16KD outputs into the blocks' output registers (see the module
    doc), in place; ``{"brams": blocks changed, "flops": flops removed}``."""
    module = next(m for m in netlist["modules"].values()
                  if int(m.get("attributes", {}).get("top", 0) or 0))
    cells = module["cells"]
    loads = _loads(module)
    renamed = {}
    brams = 0
    for bram in [cell for cell in cells.values() if cell["type"] == "DP16KD"]:
        found = _flops_after(module, bram, loads)
        if found is None:
            continue
        enable, flops = found
        brams += 1
        bram["parameters"]["REGMODE_A"] = bram["parameters"]["REGMODE_B"] = "OUTREG"
        bram["connections"]["OCEA"] = bram["connections"]["OCEB"] = [enable]
        for name, bit in flops:
            renamed[cells.pop(name)["connections"]["Q"][0]] = bit
    for cell in cells.values():
        for port, bits in cell["connections"].items():
            cell["connections"][port] = [renamed.get(bit, bit) for bit in bits]
    for entry in (*module.get("netnames", {}).values(), *module.get("ports", {}).values()):
        entry["bits"] = [renamed.get(bit, bit) for bit in entry["bits"]]
    return {"brams": brams, "flops": len(renamed)}


def main(argv=None) -> int:
    """``python -m boards.ecp5_outreg NETLIST.json``: fold in place, say how much."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m boards.ecp5_outreg NETLIST.json", file=sys.stderr)
        return 2
    path = Path(args[0])
    netlist = json.loads(path.read_text())
    folded = fold_output_registers(netlist)
    path.write_text(json.dumps(netlist))
    print(f"DP16KD output registers: {folded['flops']} flops moved into {folded['brams']} "
          f"block RAMs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
