# amaranth: UnusedElaboratable=no
"""UART: bytes survive TX -> RX at the bit level, with framing errors and overruns reported."""

import numpy as np
import pytest
from amaranth.hdl import Elaboratable, Module

from hw.link.uart import UARTReceiver, UARTTransmitter, uart_divisor


class Loopback(Elaboratable):
    def __init__(self, divisor):
        self.tx = UARTTransmitter(divisor=divisor)
        self.rx = UARTReceiver(divisor=divisor)

    def elaborate(self, platform):
        m = Module()
        m.submodules.tx, m.submodules.rx = self.tx, self.rx
        m.d.comb += self.rx.rx.eq(self.tx.tx)
        return m


@pytest.mark.parametrize("divisor", [4, 7, 16])
def test_loopback_all_byte_values(run_sim, divisor):
    dut = Loopback(divisor)
    sent = list(range(256)) + list(np.random.default_rng(divisor).integers(0, 256, 40))
    received = []

    async def testbench(ctx):
        index = 0
        for _ in range(len(sent) * divisor * 12 + 100):
            valid = index < len(sent)
            ctx.set(dut.tx.data.valid, valid)
            if valid:
                ctx.set(dut.tx.data.payload, int(sent[index]))
            ctx.set(dut.rx.data.ready, 1)
            _, _, ready, rx_valid, rx_byte = await ctx.tick().sample(
                dut.tx.data.ready, dut.rx.data.valid, dut.rx.data.payload)
            if valid and ready:
                index += 1
            if rx_valid:
                received.append(rx_byte)
        assert not ctx.get(dut.rx.overrun) and not ctx.get(dut.rx.framing_error)

    run_sim(dut, testbench)
    assert received == [int(b) for b in sent]


def drive_line(bits_per_symbol, symbols):
    """Line levels for ``symbols``: each (level, bit times)."""
    line = []
    for level, count in symbols:
        line += [level] * (bits_per_symbol * count)
    return line


def byte_symbols(value, stop=1):
    return [(0, 1)] + [((value >> i) & 1, 1) for i in range(8)] + [(stop, 1)]


def test_framing_error_and_overrun(run_sim):
    divisor = 5
    rx = UARTReceiver(divisor=divisor)
    line = drive_line(divisor, [(1, 2)] + byte_symbols(0x3C, stop=0) + [(0, 3), (1, 3)]
                      + byte_symbols(0x11) + [(1, 2)] + byte_symbols(0x22) + [(1, 3)])
    seen = []

    async def testbench(ctx):
        ctx.set(rx.data.ready, 0)  # never take a byte: the second good byte overruns
        for level in line:
            ctx.set(rx.rx, level)
            _, _, valid, payload = await ctx.tick().sample(rx.data.valid, rx.data.payload)
            seen.append((valid, payload))
        assert ctx.get(rx.framing_error) and ctx.get(rx.overrun)
        assert ctx.get(rx.data.valid) and ctx.get(rx.data.payload) == 0x11  # the first kept
        ctx.set(rx.clear, 1)
        await ctx.tick()
        assert not ctx.get(rx.framing_error) and not ctx.get(rx.overrun)

    run_sim(rx, testbench)


@pytest.mark.parametrize("clk, baud, words", [
    (12e6, 10_000_000, "too fast"),
    (12e6, 1_000_000, None),
    (48e6, 3_000_000, None),
    (50e6, 3_500_000, "off at 50 MHz"),   # divisor 14 gives 3.571 Mbaud, 2.04 % off
])
def test_divisor(clk, baud, words):
    if words is None:
        assert abs(clk / uart_divisor(clk, baud) - baud) / baud <= 0.02
    else:
        with pytest.raises(ValueError, match=words):
            uart_divisor(clk, baud)
