"""The ECP5 output-register step on small netlists: what it moves and everything it must leave
alone (its effect on a whole array is checked by simulation in test_sim_backends_netlist)."""

import copy
import json

import pytest

from boards.ecp5_outreg import fold_output_registers, main

CLOCK, OTHER_CLOCK, ENABLE, RESET = 2, 3, 4, 5


def flop(data: int, q: int, *, clock=CLOCK, enable=None, reset="0") -> dict:
    return {"type": "TRELLIS_FF",
            "parameters": {"CEMUX": "CE" if enable else "1 ", "CLKMUX": "CLK", "LSRMUX": "LSR"},
            "port_directions": {"CLK": "input", "DI": "input", "LSR": "input", "CE": "input",
                                "Q": "output"},
            "connections": {"CLK": [clock], "DI": [data], "LSR": [reset], "Q": [q],
                            **({"CE": [enable]} if enable else {})}}


def netlist(flops: dict, extra_loads=()) -> dict:
    """A DP16KD whose DOA0 and DOA1 are nets 10 and 11, the given flops, and a LUT reading the
    flops' outputs (nets 20, 21) and ``extra_loads``."""
    bram = {"type": "DP16KD", "parameters": {"REGMODE_A": "NOREG", "REGMODE_B": "NOREG"},
            "port_directions": {"CLKA": "input", "CLKB": "input", "RSTA": "input",
                                "RSTB": "input", "OCEA": "input", "OCEB": "input",
                                "DOA0": "output", "DOA1": "output"},
            "connections": {"CLKA": [CLOCK], "CLKB": [CLOCK], "RSTA": ["0"], "RSTB": ["0"],
                            "OCEA": ["0"], "OCEB": ["0"], "DOA0": [10], "DOA1": [11]}}
    lut = {"type": "LUT4", "parameters": {},
           "port_directions": {"A": "input", "B": "input", "C": "input", "Z": "output"},
           "connections": {"A": [20], "B": [21], "C": [extra_loads[0] if extra_loads else "0"],
                           "Z": [30]}}
    return {"modules": {"top": {"attributes": {"top": "00000000000000000000000000000001"},
                                "ports": {"out": {"direction": "output", "bits": [30]}},
                                "netnames": {"q": {"bits": [20, 21]}},
                                "cells": {"bram": bram, "lut": lut, **flops}}}}


def test_the_flops_after_a_block_ram_go_into_its_output_register():
    design = netlist({"q0": flop(10, 20, enable=ENABLE), "q1": flop(11, 21, enable=ENABLE)})
    assert fold_output_registers(design) == {"brams": 1, "flops": 2}
    top = design["modules"]["top"]
    bram = top["cells"]["bram"]
    assert set(top["cells"]) == {"bram", "lut"}
    assert bram["parameters"]["REGMODE_A"] == bram["parameters"]["REGMODE_B"] == "OUTREG"
    assert bram["connections"]["OCEA"] == bram["connections"]["OCEB"] == [ENABLE]
    assert top["cells"]["lut"]["connections"]["A"] == [10]     # the flops' loads read the block
    assert top["cells"]["lut"]["connections"]["B"] == [11]
    assert top["netnames"]["q"]["bits"] == [10, 11]


@pytest.mark.parametrize("why, flops, extra", [
    ("a flop with a reset", {"q0": flop(10, 20), "q1": flop(11, 21, reset=RESET)}, ()),
    ("a flop on another clock", {"q0": flop(10, 20), "q1": flop(11, 21, clock=OTHER_CLOCK)}, ()),
    ("two enables", {"q0": flop(10, 20, enable=ENABLE), "q1": flop(11, 21)}, ()),
    ("an output read by logic besides its flop", {"q0": flop(10, 20), "q1": flop(11, 21)}, (11,)),
    ("an output read by logic only", {"q0": flop(10, 20)}, (11,)),
])
def test_what_is_not_only_a_flop_after_the_block_is_left_alone(why, flops, extra):
    design = netlist(flops, extra)
    before = copy.deepcopy(design)
    assert fold_output_registers(design) == {"brams": 0, "flops": 0}, why
    assert design == before, why


def test_the_command_line_folds_a_file_in_place(tmp_path, capsys):
    path = tmp_path / "top.json"
    path.write_text(json.dumps(netlist({"q0": flop(10, 20), "q1": flop(11, 21)})))
    assert main([str(path)]) == 0
    assert "2 flops moved into 1 block RAMs" in capsys.readouterr().out
    assert "q0" not in json.loads(path.read_text())["modules"]["top"]["cells"]
    assert main([]) == 2 and "usage" in capsys.readouterr().err
