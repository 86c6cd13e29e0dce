"""Tang Nano 9K (Gowin GW1NR-9C, QN88): UART on the BL702's USB serial, 27 MHz in, rPLL to the target.

The link and UART run on the 27 MHz input (1 Mbaud is 27 cycles a bit, exactly), the array on the
rPLL. Placed and routed with nextpnr-himbaechel (``boards.gowin.himbaechel``).
"""

from __future__ import annotations

from hw.config import ArrayConfig

from . import gowin
from .base import Board
from .gowin import DEVICE_BUDGETS, GowinClockReset, himbaechel

__all__ = ["TangNano9K"]


class TangNano9K(Board):
    name = "tang-nano-9k"
    input_clock_hz = 27e6
    default_target_hz = 100e6
    clock_pin = "clk27"
    clock_reset = GowinClockReset
    family = gowin

    @staticmethod
    def platform():
        from amaranth_boards.tang_nano_9k import TangNano9kPlatform
        return himbaechel(TangNano9kPlatform, chip_family="GW1N-9C")()

    @property
    def device(self) -> str:
        return self.platform().part

    @property
    def budget(self) -> dict:
        return DEVICE_BUDGETS[self.platform().family]

    @staticmethod
    def default_config() -> ArrayConfig:
        return ArrayConfig.tang_nano_9k()
