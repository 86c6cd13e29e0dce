"""``python -m hw.resources``: a real unflattened yosys run of the tiny config, broken down per
instance, with totals that agree with a flattened synthesis."""

import json

import pytest

from hw.config import ArrayConfig
from hw.resources import format_table, group_rows, main, module_resources


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("resources_tiny")
    assert main(["--config", "tiny", "--out", str(out)]) == 0
    return json.loads((out / "resources.json").read_text())


def test_every_instance_of_the_tiny_top_is_counted(tiny_report):
    config = ArrayConfig.tiny()
    assert tiny_report["config"] == config.to_dict()
    instances = tiny_report["instances"]
    pes = [p for p in instances if ".pe_" in p]
    assert len(pes) == config.lanes * config.rows
    assert {"link.link", "link.link.array", "link.link.array.act_buffer",
            "link.link.array.weight_mem", "link.uart_rx", "link.uart_tx"} <= set(instances)
    # a ternary PE is logic only: LUTs, no flip-flops, no block RAM
    assert all(instances[p]["lut"] > 0 and instances[p]["ebr"] == 0 for p in pes)
    total = tiny_report["estimate_total"]
    assert total == instances[""]["total"]
    assert total["lc"] == sum(c["lc"] for c in instances.values())
    assert total["lc"] >= total["lut"] > 0
    flat = tiny_report["flat_synthesis"]
    # flattening may merge a flip-flop with its twin across a module boundary, nothing more
    assert flat["ebr"] == total["ebr"] and 0 <= total["ff"] - flat["ff"] <= 0.01 * total["ff"]
    assert abs(flat["lut"] - total["lut"]) <= 0.1 * flat["lut"]
    table = format_table(tiny_report)
    assert "link.link.array.rows.row_*.pe_*" in table and "flattened synthesis" in table


def test_groups_merge_indexed_instances(tiny_report):
    groups = {g["kind"]: g for g in group_rows(tiny_report["instances"])}
    config = ArrayConfig.tiny()
    assert groups["link.link.array.rows.row_*"]["count"] == config.rows
    assert groups["link.link.array.rows.row_*.pe_*"]["count"] == config.pes


def test_packing_estimate_of_one_module():
    # a LUT driving only a flip-flop shares its LC; a flip-flop fed from a port does not
    module = {
        "ports": {"a": {"direction": "input", "bits": [2]}, "q": {"direction": "output", "bits": [4]}},
        "cells": {
            "lut": {"type": "SB_LUT4", "port_directions": {"I0": "input", "I1": "input",
                                                          "I2": "input", "I3": "input",
                                                          "O": "output"},
                    "connections": {"I0": [2], "I1": ["0"], "I2": ["0"], "I3": ["0"], "O": [3]}},
            "ff1": {"type": "SB_DFF", "port_directions": {"D": "input", "C": "input", "Q": "output"},
                    "connections": {"D": [3], "C": [9], "Q": [4]}},
            "ff2": {"type": "SB_DFF", "port_directions": {"D": "input", "C": "input", "Q": "output"},
                    "connections": {"D": [2], "C": [9], "Q": [5]}},
        },
    }
    assert module_resources(module) == {"lc": 2, "lut": 1, "ff": 2, "carry": 0, "ebr": 0}


def test_other_families_are_refused_by_name(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--board", "ulx3s-85f"])
    assert exit_.value.code == 2
    assert "counts iCE40 cells" in capsys.readouterr().err
