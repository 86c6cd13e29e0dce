"""Tang Primer 20K on its dock (Gowin GW2A-LV18PG256C8/I7): UART on the dock's BL616 USB serial,
27 MHz in, rPLL to the target.

As the Tang Nano 9K (``boards.tang_nano_9k``): the link and UART on the 27 MHz input, the array on
the rPLL, nextpnr-himbaechel; what differs is the device (``GW2A-18C``): its rPLL ranges, its
budget and synth_gowin's ``-family gw2a``.
"""

from __future__ import annotations

from hw.config import ArrayConfig

from . import gowin
from .base import Board
from .gowin import DEVICE_BUDGETS, GowinClockReset, himbaechel

__all__ = ["TangPrimer20K"]

DEVICE = "GW2A-18C"


class GW2AClockReset(GowinClockReset):
    device = DEVICE


class TangPrimer20K(Board):
    name = "tang-primer-20k"
    input_clock_hz = 27e6
    default_target_hz = 100e6
    clock_pin = "clk27"
    clock_reset = GW2AClockReset
    family = gowin

    @staticmethod
    def platform():
        from amaranth_boards.tang_primer_20k import TangPrimer20kDockPlatform
        return himbaechel(TangPrimer20kDockPlatform, chip_family=DEVICE)()

    @property
    def device(self) -> str:
        return self.platform().part

    @property
    def budget(self) -> dict:
        return DEVICE_BUDGETS[DEVICE]

    def synth_opts(self, dsp: bool) -> str:
        return gowin.synth_opts(dsp, DEVICE)

    @staticmethod
    def default_config() -> ArrayConfig:
        return ArrayConfig.tang_primer_20k()
