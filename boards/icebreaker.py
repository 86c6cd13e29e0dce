"""iCEBreaker (iCE40UP5K-SG48): UART on the FT2232H's channel B, 12 MHz in, PLL to the target.

The link and UART run on the 12 MHz input (83 ns control paths; 1 and 3 Mbaud divide it exactly),
the array on the PLL."""

from __future__ import annotations

from hw.config import ArrayConfig
from hw.link.protocol import check_link_config
from hw.link.uart import uart_divisor
from hw.system.accelerator import SerialAccelerator
from hw.system.bench_harness import BenchHarness

from . import ice40
from .base import Board
from .ice40 import DEVICE_BUDGETS, PLLClockReset, pll_params
from .tops import BenchBoardTop, SerialBoardTop

__all__ = ["ICEBreaker"]


class ICEBreaker(Board):
    name = "icebreaker"
    input_clock_hz = 12e6
    # The array clock (the link runs on the 12 MHz input): the fastest the default array met
    # on every seed measured (README, "iCEBreaker builds").
    default_target_hz = 40e6
    family = ice40

    @staticmethod
    def platform():
        from amaranth_boards.icebreaker import ICEBreakerPlatform
        return ICEBreakerPlatform()

    @property
    def budget(self) -> dict:
        return DEVICE_BUDGETS[self.platform().device]

    @staticmethod
    def default_config() -> ArrayConfig:
        return ArrayConfig.icebreaker()

    def array_clock_hz(self, target_hz: float) -> float:
        return pll_params(self.input_clock_hz, target_hz).out_hz

    def top(self, config: ArrayConfig, *, target_hz: float, baud: int):
        check_link_config(config)   # a clear error before any part exists (and goes unused)
        link = SerialAccelerator(config, divisor=uart_divisor(self.input_clock_hz, baud),
                                 array_domain="array", baud=baud)
        clock = PLLClockReset(in_hz=self.input_clock_hz, out_hz=target_hz, domain="array",
                              ref_domain="sync")
        return SerialBoardTop(link, clock)

    def bench_top(self, config: ArrayConfig, *, target_hz: float):
        return BenchBoardTop(BenchHarness(config),
                             PLLClockReset(in_hz=self.input_clock_hz, out_hz=target_hz))
