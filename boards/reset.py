"""The reset every board top holds after its PLL locks (shared by the families' clock modules)."""

from __future__ import annotations

from amaranth.hdl import ClockDomain, ClockSignal, ResetSignal, Signal
from amaranth.lib.cdc import ResetSynchronizer

__all__ = ["hold_reset_after_lock"]


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
