"""The reset every board top holds after its PLL locks (shared by the families' clock modules)."""

from __future__ import annotations

from amaranth.hdl import ClockDomain, ClockSignal, Elaboratable, Module, ResetSignal, Signal
from amaranth.lib import io
from amaranth.lib.cdc import ResetSynchronizer

__all__ = ["hold_reset_after_lock", "BufferedClockReset"]


def hold_reset_after_lock(m, *, clock, locked, hold_cycles: int, domain: str,
                          ref_domain: str | None = None) -> None:
    """Hold ``domain`` (clocked by ``clock``) in reset until ``hold_cycles`` cycles after
    ``locked`` rose (block RAM reads 0 for a while after configuration on some families, and
    nothing should start before the clock is clean); ``ref_domain`` (the input clock's own, set
    by the caller) is released with it through a synchronizer."""
    m.domains.por = ClockDomain("por", reset_less=True)
    m.d.comb += ClockSignal("por").eq(clock)
    hold = Signal(range(hold_cycles + 1))
    with m.If(~locked):
        m.d.por += hold.eq(0)
    with m.Elif(hold != hold_cycles):
        m.d.por += hold.eq(hold + 1)
    # a flop drives the reset net (thousands of loads): a compare in front of it was the
    # critical path of a 16 x 8 array
    holding = Signal(init=1)
    m.d.por += holding.eq(hold != hold_cycles)
    m.d.comb += ResetSignal(domain).eq(holding)
    if ref_domain is not None:
        m.submodules.ref_reset = ResetSynchronizer(holding, domain=ref_domain)


class BufferedClockReset(Elaboratable):
    """Drives ``domain`` from a PLL on the clock pin ``pin`` (taken by ``request(platform)``,
    through an input buffer), held in reset for ``hold_cycles`` after lock; with ``ref_domain``,
    that domain runs on the input clock itself, released with it (the host link). A family
    subclasses it with ``pll_params`` (its divider search) and ``_pll(m, platform)`` (its PLL
    instance, from ``clk_in`` to ``clk_out`` and ``locked``)."""

    pll_params = None

    def __init__(self, *, in_hz: float, out_hz: float, hold_cycles: int = 1024,
                 domain: str = "sync", ref_domain: str | None = None, pin: str):
        self.params = type(self).pll_params(in_hz, out_hz)
        self._in_hz = in_hz
        self._hold = hold_cycles
        self._domain = domain
        self._ref_domain = ref_domain
        self._pin = pin
        self.pad = None
        self.clk_in = Signal()
        self.clk_out = Signal()
        self.locked = Signal()

    def request(self, platform) -> None:
        self.pad = platform.request(self._pin, 0, dir="-")

    def _pll(self, m: Module, platform) -> None:
        raise NotImplementedError

    def elaborate(self, platform) -> Module:
        m = Module()
        if self.pad is None:
            raise ValueError(f"{type(self).__name__}.request(platform) must run before elaboration")
        m.submodules.clk_buffer = buffer = io.Buffer("i", self.pad)
        m.d.comb += self.clk_in.eq(buffer.i)
        self._pll(m, platform)
        m.d.comb += ClockSignal(self._domain).eq(self.clk_out)
        if self._ref_domain is not None:
            m.d.comb += ClockSignal(self._ref_domain).eq(self.clk_in)
        hold_reset_after_lock(m, clock=self.clk_out, locked=self.locked, hold_cycles=self._hold,
                              domain=self._domain, ref_domain=self._ref_domain)
        return m
