"""The gate-level backends: each family's synthesized netlist matches golden/ beat by beat, its
block RAMs are really in the netlist, and faults in the design or in a cell model are caught."""

import json
import re

import numpy as np
import pytest

from boards import FAMILIES
from golden.bitlinear import int_matmul
from hw.config import ArrayConfig
from hw.export import config_key
from sim import ScoreboardError, run_bitlinear
from sim.backends import netlist
from sim.backends.netlist import NetlistError
from sim.backends.verilator import BUILD_ROOT
from tests.faults import FlipOutputBit

#: Small, but deep enough that every family maps its memories to block RAM.
CONFIG = ArrayConfig(pe_kind="xor", lanes=8, rows=2, max_k=512, max_n=64, tree_cuts=(0, 2))
#: The cells each family's block RAM comes out as.
BLOCK_RAMS = {"ice40": ("SB_RAM40_4K",), "ecp5": ("DP16KD",), "gowin": ("SDPX9B", "DPX9B", "SDPB", "DPB")}


def operands(seed, m=5, k=509, n=37):
    rng = np.random.default_rng(seed)
    return rng.integers(-128, 128, (m, k)), rng.integers(-1, 2, (n, k))


def netlist_cells(family, config=CONFIG):
    stat = json.loads(next((BUILD_ROOT / f"netlist_{family}_{config_key(config)}").glob(
        "rtl/netlist_stat.json")).read_text())
    return {cell for module in stat["modules"].values() for cell in module["num_cells_by_type"]}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_netlist_matches_golden_through_block_ram(family):
    x, w = operands(1)
    result = run_bitlinear(CONFIG, x, w, backend=f"netlist-{family}", stall_prob=0.3, seed=4)
    np.testing.assert_array_equal(result.acc, int_matmul(x, w))
    assert set(BLOCK_RAMS[family]) & netlist_cells(family), "the test config must reach block RAM"
    # without stalls the scoreboard also holds every beat to the golden cycle model's cycle
    exact = run_bitlinear(CONFIG, x[:2], w, backend=f"netlist-{family}")
    np.testing.assert_array_equal(exact.acc, int_matmul(x[:2], w))


def test_a_wrong_design_is_caught_in_the_netlist():
    x, w = operands(2, m=2, k=30, n=5)
    with pytest.raises(ScoreboardError, match="beat 0 .*expected"):
        run_bitlinear(ArrayConfig.tiny(), x, w, backend="netlist-ice40", design=FlipOutputBit)


@pytest.mark.parametrize("family, model, fault", [
    # the DP16KD model reads the two bytes of a word swapped
    ("ecp5", "models/ecp5_cells.v", ("mem[address[13:4]][17:9] : mem[address[13:4]][8:0]",
                                     "mem[address[13:4]][8:0] : mem[address[13:4]][17:9]")),
    # the Gowin model writes each byte of a wide word one byte off
    ("gowin", "models/gowin_bsram.v", ("mem[first + b] <= data", "mem[first + (b ^ 1)] <= data")),
])
def test_a_wrong_block_ram_model_is_caught(family, model, fault, tmp_path, monkeypatch):
    """Our block RAM models are what the netlist's numbers rest on: a fault in one must show."""
    module = netlist._family(family)
    text = netlist._resolve(model).read_text()
    assert fault[0] in text
    broken = tmp_path / model.split("/")[-1]
    broken.write_text(text.replace(fault[0], fault[1]))
    models = tuple(str(broken) if path == model else path for path in module.SIM_MODELS)
    monkeypatch.setattr(module, "SIM_MODELS", models)
    x, w = operands(3, m=2)
    with pytest.raises(ScoreboardError):   # its own config: the broken model has its own cache
        run_bitlinear(CONFIG.replace(max_n=60), x, w, backend=f"netlist-{family}")


def test_cells_without_a_model_are_refused(monkeypatch):
    module = netlist._family("gowin")
    monkeypatch.setattr(module, "SIM_MODELS", ("+/gowin/cells_sim.v",))
    x, w = operands(4, m=1)
    with pytest.raises(NetlistError, match=r"uses .*DPX9B.*no simulation model covers"):
        run_bitlinear(CONFIG, x, w, backend="netlist-gowin")


def test_modelled_cells_follow_includes_and_skip_blackboxes():
    models, includes = netlist.family_models("ecp5")
    cells = netlist.modelled_cells(models, includes)
    assert {"DP16KD", "LUT4", "CCU2C", "TRELLIS_FF"} <= cells
    shipped = netlist.modelled_cells([netlist._resolve("+/ecp5/cells_sim.v")], includes)
    assert "DP16KD" not in shipped and "LUT4" in shipped   # yosys's own DP16KD is a blackbox
    assert re.search(r"\(\*\s*blackbox\s*\*\)\s*module DP16KD",
                     netlist._resolve("+/ecp5/cells_sim.v").read_text())


@pytest.mark.parametrize("name, config", [
    # the read cuts load with the pipeline's enable: the output registers take it as OCE
    ("enable", CONFIG.replace(read_cuts=1)),
    # the array that never stops: no enable, the read cuts load every cycle
    ("slots", CONFIG.replace(rows=4, read_cuts=2, address_cuts=2, row_groups=2, row_regions=2,
                             write_cuts=3, output_slots=2))])
def test_ecp5_output_registers_take_the_read_cuts(name, config):
    """On the ECP5 the first read cut after each DP16KD goes into the block's output register
    (boards/ecp5_outreg.py, run before nextpnr and before this simulation): the netlist that
    has them matches golden beat by beat and the RTL cycle by cycle, stalls and all."""
    x, w = operands(6, m=4, k=300, n=29)
    result = run_bitlinear(config, x, w, backend="netlist-ecp5", stall_prob=0.3, seed=2)
    np.testing.assert_array_equal(result.acc, int_matmul(x, w))
    rtl = run_bitlinear(config, x, w, stall_prob=0.3, seed=2)
    assert result.beat_cycles == rtl.beat_cycles
    folded = json.loads(next((BUILD_ROOT / f"netlist_ecp5_{config_key(config)}").glob(
        "rtl/post_synthesis.json")).read_text())
    assert folded["brams"] > 0 and folded["flops"] > 0, folded
