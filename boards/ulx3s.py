"""ULX3S (ECP5 LFE5U-12F/25F/45F/85F, CABGA381): UART on the FT231X, 25 MHz in, PLL to the target.

The link and UART run on the 25 MHz input (1 Mbaud divides it exactly; the FT231X's 3 Mbaud does
not, within 2 %), the array on the EHXPLLL. One class per variant: they differ only in the device.
"""

from __future__ import annotations

from hw.config import ArrayConfig

from . import ecp5
from .base import Board
from .ecp5 import DEVICE_BUDGETS, ECP5ClockReset, with_output_registers

__all__ = ["ULX3S12F", "ULX3S25F", "ULX3S45F", "ULX3S85F"]


class _ULX3S(Board):
    input_clock_hz = 25e6
    default_target_hz = 70e6
    clock_pin = "clk25"
    clock_reset = ECP5ClockReset
    family = ecp5
    _platform = None             # the amaranth-boards class name of the variant
    smaller: dict = {}           # how this part's default array differs from the preset

    @classmethod
    def platform(cls):
        import amaranth_boards.ulx3s as ulx3s
        return with_output_registers(getattr(ulx3s, cls._platform))()

    @property
    def budget(self) -> dict:
        return DEVICE_BUDGETS[self.platform().device]

    def default_config(self) -> ArrayConfig:
        """The ``ulx3s`` preset (32 × 32, measured on the 85F), with fewer rows and a smaller N
        on the smaller parts (``smaller``: fewer rows make more output blocks, so the weight
        memory grows deeper unless N shrinks too; each measured: README)."""
        return ArrayConfig.ulx3s(**self.smaller)



class ULX3S12F(_ULX3S):
    name = "ulx3s-12f"
    _platform = "ULX3S_12F_Platform"
    smaller = {"rows": 8, "max_n": 64}


class ULX3S25F(_ULX3S):
    name = "ulx3s-25f"
    _platform = "ULX3S_25F_Platform"
    smaller = {"rows": 16, "max_n": 128}


class ULX3S45F(_ULX3S):
    name = "ulx3s-45f"
    _platform = "ULX3S_45F_Platform"


class ULX3S85F(_ULX3S):
    name = "ulx3s-85f"
    _platform = "ULX3S_85F_Platform"
    # the 2,048-PE preset: the clock it meets (README), and router2 (router1 did not converge
    # on 2,048 PEs)
    preset_targets_hz = {"ulx3s_a4_2048": 100e6}
    preset_routers = {"ulx3s_a4_2048": "router2"}
