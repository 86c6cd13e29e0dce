"""iCEBreaker (iCE40UP5K-SG48): UART on the FT2232H's channel B, 12 MHz in, PLL to the target."""

from __future__ import annotations

from amaranth.hdl import ClockDomain, Elaboratable, Module
from amaranth.lib import io

from hw.bench_harness import BenchHarness
from hw.config import ArrayConfig
from hw.host_link import UARTHostLink, check_link_config
from hw.uart import uart_divisor

from .base import Board
from .ice40 import PLLClockReset

__all__ = ["ICEBreaker"]


class ICEBreakerTop(Elaboratable):
    """PLL and reset hold, then the UART host link with its array; LED 0 lights while a request
    runs. Only the pins and the clock are board-specific.

    Two clocks: the array runs on the PLL output (``array`` domain, the target frequency), the
    UART and the protocol engine on the 12 MHz input clock itself (``sync``): their control
    paths then have 83 ns, and a 1 Mbaud UART divides 12 MHz exactly.
    """

    def __init__(self, board: "ICEBreaker", config: ArrayConfig, target_hz: float, baud: int):
        self.board = board
        self.config = config
        self.target_hz = target_hz
        self.baud = baud
        self.clock = PLLClockReset(in_hz=board.input_clock_hz, out_hz=target_hz,
                                   domain="array", ref_domain="sync")
        self.link = UARTHostLink(config, divisor=uart_divisor(board.input_clock_hz, baud),
                                 array_domain="array")

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

    baud = None

    def __init__(self, board: "ICEBreaker", config: ArrayConfig, target_hz: float):
        self.config = config
        self.clock = PLLClockReset(in_hz=board.input_clock_hz, out_hz=target_hz)
        self.harness = BenchHarness(config)

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
    device = "iCE40UP5K-SG48"
    budget = {"lc": 5280, "ebr": 30, "spram": 4, "dsp": 8}
    input_clock_hz = 12e6
    # The array clock (the link runs on the 12 MHz input). 40 MHz (the PLL gives 39.76), not the
    # 48 MHz goal: 16 x 8 PEs fill 88 % of the LCs and the array clock reached 40.7 / 40.1 /
    # 45.7 MHz on seeds 1-3, limited by routing on the weight loader's handshake into the weight
    # banks' write control. 16 x 4 reached 46.8 MHz (seed 1). See the README's figures.
    default_target_hz = 40e6
    default_baud = 1_000_000

    @staticmethod
    def platform():
        from amaranth_boards.icebreaker import ICEBreakerPlatform
        return ICEBreakerPlatform()

    @staticmethod
    def default_config() -> ArrayConfig:
        return ArrayConfig.icebreaker()

    def top(self, config: ArrayConfig, *, target_hz: float | None = None, baud: int | None = None):
        check_link_config(config)      # before the top exists: it must not go unused
        return ICEBreakerTop(self, config, target_hz or self.default_target_hz,
                             baud or self.default_baud)

    def bench_top(self, config: ArrayConfig, *, target_hz: float | None = None):
        return ICEBreakerBenchTop(self, config, target_hz or self.default_target_hz)
