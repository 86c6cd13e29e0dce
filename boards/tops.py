"""The two tops every board builds, written once: the full board (clock, UART, host link, array)
and the bench top (clock, array fed by the bench harness). A board supplies its clock/reset
module (its family's PLL, which requests its own clock pin through ``request(platform)``)."""

from __future__ import annotations

from amaranth.build import Subsignal
from amaranth.hdl import ClockDomain, Elaboratable, Module
from amaranth.lib import io

from hw.system.accelerator import SerialAccelerator
from hw.system.bench_harness import BenchHarness

__all__ = ["SerialBoardTop", "BenchBoardTop"]


class SerialBoardTop(Elaboratable):
    """PLL and reset hold, then the UART, host link and array (``SerialAccelerator``); LED 0
    lights while a request runs. Two clocks: the array runs on the PLL output (``array`` domain,
    the target frequency), the UART and the protocol engine on the board's input clock itself
    (``sync``): their control paths have a whole slow period, and the UART divides it."""

    def __init__(self, link: SerialAccelerator, clock):
        self.link = link
        self.clock = clock

    def elaborate(self, platform) -> Module:
        m = Module()
        m.domains.sync = ClockDomain("sync")
        m.domains.array = ClockDomain("array")
        m.submodules.clock = clock = self.clock
        m.submodules.link = link = self.link
        clock.request(platform)
        # every line of the board's UART raw (some boards add rts/dtr, which stay unused)
        lines = [line.name for line in platform.lookup("uart", 0).ios
                 if isinstance(line, Subsignal)]
        uart = platform.request("uart", 0, dir=dict.fromkeys(lines, "-"))
        m.submodules.uart_rx_pin = rx_pin = io.Buffer("i", uart.rx)
        m.submodules.uart_tx_pin = tx_pin = io.Buffer("o", uart.tx)
        m.submodules.led = led = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.d.comb += [
            link.rx.eq(rx_pin.i),
            tx_pin.o.eq(link.tx),
            led.o.eq(link.busy),
        ]
        return m


class BenchBoardTop(Elaboratable):
    """PLL and reset hold, then the array fed by :class:`BenchHarness`; its digest drives LED 0.
    For sweeps of area and Fmax: no host link, nothing else on the chip."""

    def __init__(self, harness: BenchHarness, clock):
        self.harness = harness
        self.clock = clock

    def elaborate(self, platform) -> Module:
        m = Module()
        m.domains.sync = ClockDomain("sync")
        m.submodules.clock = clock = self.clock
        m.submodules.harness = harness = self.harness
        clock.request(platform)
        m.submodules.led = led = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.d.comb += led.o.eq(harness.digest)
        return m
