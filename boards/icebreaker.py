"""iCEBreaker (iCE40UP5K-SG48): UART on the FT2232H's channel B, 12 MHz in, PLL to the target.

The link and UART run on the 12 MHz input (83 ns control paths; 1 and 3 Mbaud divide it exactly),
the array on the PLL."""

from __future__ import annotations

from hw.config import ArrayConfig

from . import ice40
from .base import Board
from .ice40 import DEVICE_BUDGETS, PLLClockReset

__all__ = ["ICEBreaker"]


class ICEBreaker(Board):
    name = "icebreaker"
    input_clock_hz = 12e6
    # The array clock (the link runs on the 12 MHz input): the default array meets it on most
    # seeds (README, "iCEBreaker builds": 2 of 3 with protocol 2.0).
    default_target_hz = 40e6
    clock_pin = "clk12"
    clock_reset = PLLClockReset
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
