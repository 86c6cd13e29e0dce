"""8N1 UART receiver and transmitter with byte streams: the host link of the board tops."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["UARTReceiver", "UARTTransmitter", "uart_divisor"]


def uart_divisor(clk_hz: float, baud: int) -> int:
    """Clock cycles per bit; raises ValueError when the rate would be more than 2 % off."""
    divisor = round(clk_hz / baud)
    if divisor < 4:
        raise ValueError(f"baud {baud} is too fast for a {clk_hz / 1e6:g} MHz clock "
                         f"(needs at least 4 cycles a bit)")
    error = abs(clk_hz / divisor - baud) / baud
    if error > 0.02:
        raise ValueError(f"baud {baud} is {error:.1%} off at {clk_hz / 1e6:g} MHz "
                         f"(divisor {divisor}); pick a rate within 2 %")
    return divisor


def _check_divisor(divisor):
    if not isinstance(divisor, int) or divisor < 4:
        raise ValueError(f"divisor must be an integer >= 4 clock cycles a bit, got {divisor!r}")


class UARTReceiver(wiring.Component):
    """Samples ``rx`` mid-bit after a start bit; each good byte is one beat on ``data``.

    A byte that arrives while the previous one was not taken sets ``overrun`` (sticky until
    ``clear``) and is dropped, as is a byte without its stop bit (``framing_error``).

    Members
    -------
    rx : In(1, init=1)
    data : Out(stream.Signature(8))
    overrun, framing_error : Out(1)
    clear : In(1)
    """

    def __init__(self, *, divisor: int):
        _check_divisor(divisor)
        self._divisor = divisor
        super().__init__({
            "rx": In(1, init=1),
            "data": Out(stream.Signature(8)),
            "overrun": Out(1),
            "framing_error": Out(1),
            "clear": In(1),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        divisor = self._divisor
        rx = Signal(init=1)
        rx_meta = Signal(init=1)
        m.d.sync += [rx_meta.eq(self.rx), rx.eq(rx_meta)]  # two flops: rx is asynchronous
        timer = Signal(range(divisor * 3 // 2 + 1))
        bits = Signal(range(9))
        shift = Signal(8)

        with m.If(self.data.ready):
            m.d.sync += self.data.valid.eq(0)
        with m.If(self.clear):
            m.d.sync += [self.overrun.eq(0), self.framing_error.eq(0)]

        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):
                    # first sample in the middle of data bit 0
                    m.d.sync += [timer.eq(divisor + divisor // 2 - 1), bits.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [shift.eq(Cat(shift[1:], rx)),
                                 timer.eq(divisor - 1), bits.eq(bits + 1)]
                    with m.If(bits == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    with m.If(~rx):
                        m.d.sync += self.framing_error.eq(1)
                        m.next = "BREAK"
                    with m.Elif(self.data.valid & ~self.data.ready):
                        m.d.sync += self.overrun.eq(1)
                        m.next = "IDLE"
                    with m.Else():
                        m.d.sync += [self.data.payload.eq(shift), self.data.valid.eq(1)]
                        m.next = "IDLE"
            with m.State("BREAK"):  # wait for the line to go idle before the next start bit
                with m.If(rx):
                    m.next = "IDLE"
        return m


class UARTTransmitter(wiring.Component):
    """Sends each beat of ``data`` as start bit, 8 data bits (LSB first), stop bit.

    Members
    -------
    data : In(stream.Signature(8))
    tx : Out(1, init=1)
    """

    def __init__(self, *, divisor: int):
        _check_divisor(divisor)
        self._divisor = divisor
        super().__init__({
            "data": In(stream.Signature(8)),
            "tx": Out(1, init=1),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        divisor = self._divisor
        timer = Signal(range(divisor))
        frame = Signal(10, init=0x3FF)   # stop . data . start, shifted out LSB first
        bits = Signal(range(11))
        m.d.comb += [self.tx.eq(frame[0]), self.data.ready.eq(bits == 0)]
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += [frame.eq((1 << 9) | (self.data.payload << 1)), bits.eq(10),
                         timer.eq(divisor - 1)]
        with m.Elif(bits != 0):
            with m.If(timer != 0):
                m.d.sync += timer.eq(timer - 1)
            with m.Else():
                m.d.sync += [frame.eq((frame >> 1) | (1 << 9)), bits.eq(bits - 1),
                             timer.eq(divisor - 1)]
        return m
