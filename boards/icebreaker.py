"""iCEBreaker (iCE40UP5K-SG48): UART on the FT2232H's channel B, 12 MHz in, PLL to the target."""

from __future__ import annotations

from amaranth.hdl import ClockDomain, Elaboratable, Module
from amaranth.lib import io

from hw.config import ArrayConfig
from hw.link.protocol import check_link_config
from hw.link.uart import uart_divisor
from hw.system.accelerator import SerialAccelerator
from hw.system.bench_harness import BenchHarness

from .base import Board
from .ice40 import BUILD_LOGS, BUILD_STAGES, DEVICE_BUDGETS, PLLClockReset, pll_params

__all__ = ["ICEBreaker"]


class ICEBreakerTop(Elaboratable):
    """PLL and reset hold, then the UART, host link and array (``SerialAccelerator``); LED 0
    lights while a request runs. Only the pins and the clock are board-specific.

    Two clocks: the array runs on the PLL output (``array`` domain, the target frequency), the
    UART and the protocol engine on the 12 MHz input clock itself (``sync``): their control
    paths then have 83 ns, and a 1 Mbaud UART divides 12 MHz exactly.
    """

    def __init__(self, link: SerialAccelerator, clock: PLLClockReset):
        self.link = link
        self.clock = clock

    def elaborate(self, platform) -> Module:
        m = Module()
        m.domains.sync = ClockDomain("sync")
        m.domains.array = ClockDomain("array")
        m.submodules.clock = clock = self.clock
        m.submodules.link = link = self.link
        clock.pad = platform.request("clk12", 0, dir="-")
        uart = platform.request("uart", 0, dir={"rx": "-", "tx": "-"})
        m.submodules.uart_rx_pin = rx_pin = io.Buffer("i", uart.rx)
        m.submodules.uart_tx_pin = tx_pin = io.Buffer("o", uart.tx)
        m.submodules.led = led = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.d.comb += [
            link.rx.eq(rx_pin.i),
            tx_pin.o.eq(link.tx),
            led.o.eq(link.busy),
        ]
        return m


class ICEBreakerBenchTop(Elaboratable):
    """PLL and reset hold, then the array fed by :class:`BenchHarness`; its digest drives LED 0.
    For sweeps of area and Fmax: no host link, nothing else on the chip."""

    def __init__(self, harness: BenchHarness, clock: PLLClockReset):
        self.harness = harness
        self.clock = clock

    def elaborate(self, platform) -> Module:
        m = Module()
        m.domains.sync = ClockDomain("sync")
        m.submodules.clock = clock = self.clock
        m.submodules.harness = harness = self.harness
        clock.pad = platform.request("clk12", 0, dir="-")
        m.submodules.led = led = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.d.comb += led.o.eq(harness.digest)
        return m


class ICEBreaker(Board):
    name = "icebreaker"
    input_clock_hz = 12e6
    # The array clock (the link runs on the 12 MHz input): the fastest the default array met
    # on every seed measured (README, "iCEBreaker builds").
    default_target_hz = 40e6
    build_stages = BUILD_STAGES
    build_logs = BUILD_LOGS

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
        return ICEBreakerTop(link, clock)

    def bench_top(self, config: ArrayConfig, *, target_hz: float):
        return ICEBreakerBenchTop(BenchHarness(config),
                                  PLLClockReset(in_hz=self.input_clock_hz, out_hz=target_hz))
