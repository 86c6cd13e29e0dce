"""A pyserial-like port onto a simulated accelerator: the host driver talks to gateware.

``SimulatedSerial(LinkedArray(config, ...))`` (hw.system.accelerator) feeds written bytes into the
link's ``rx`` byte stream (a link whose ``array_domain`` is not ``sync`` gets a second, faster clock
for its array) and collects its ``tx`` bytes. ``SimulatedSerial(SerialAccelerator(config,
divisor=...))`` does the same
at the bit level: bytes go in as 8N1 frames on the ``rx`` line and come back decoded from the ``tx``
line, through the board's own UART. ``read`` runs the clock until enough bytes came out or its
cycle budget ran out (like a serial timeout). Faults are injected by the caller: drop or corrupt
bytes before ``write``, or ``drop_reply_byte`` to lose one byte on the way back.
"""

from __future__ import annotations

from collections import deque

from amaranth.hdl import ClockDomain, Module
from amaranth.sim import Simulator

__all__ = ["SimulatedSerial"]


class SimulatedSerial:
    def __init__(self, link, *, timeout_cycles: int = 200_000, slice_cycles: int = 2_000,
                 array_period: float = 0.37e-8):
        self._link = link
        self._to_device: deque[int] = deque()
        self._from_device = bytearray()
        self._drop_reply_bytes: set[int] = set()
        self._sent_back = 0
        self.timeout_cycles = timeout_cycles
        self._slice = slice_cycles
        self._period = 1e-8
        self._now = 0
        self.cycles = 0
        domain = getattr(link, "array_domain", "sync")
        if domain == "sync":
            self._sim = Simulator(link)
        else:
            # the array on its own, faster clock (the period is not a divisor of the link's,
            # so the crossings see every phase), as on a board
            top = Module()
            top.domains += ClockDomain(domain)
            top.submodules.link = link
            self._sim = Simulator(top)
            self._sim.add_clock(array_period, domain=domain)
        self._sim.add_clock(self._period)
        uart = getattr(link, "divisor", None)
        self._sim.add_testbench(self._bench if uart is None else self._uart_bench, background=True)

    def _received(self, byte: int):
        if self._sent_back not in self._drop_reply_bytes:
            self._from_device.append(byte)
        self._sent_back += 1

    async def _uart_bench(self, ctx):
        """Bit-level host side of the UART: 8N1 frames out on rx, decoded from tx."""
        link, divisor = self._link, self._link.divisor
        line_out = []          # levels still to drive on rx, one per cycle
        rx_state = None        # (cycles to the next sample, bits so far, value)
        while True:
            if not line_out and self._to_device:
                byte = self._to_device.popleft()
                for bit in [0] + [(byte >> i) & 1 for i in range(8)] + [1]:
                    line_out += [bit] * divisor
            level = line_out.pop(0) if line_out else 1
            ctx.set(link.rx, level)
            _, _, tx = await ctx.tick().sample(link.tx)
            self.cycles += 1
            if rx_state is None:
                if tx == 0:  # start bit: sample data bits in their middles
                    rx_state = (divisor + divisor // 2 - 1, 0, 0)
            else:
                wait, bits, value = rx_state
                if wait:
                    rx_state = (wait - 1, bits, value)
                elif bits < 8:
                    rx_state = (divisor - 1, bits + 1, value | (tx << bits))
                else:  # the stop bit
                    rx_state = None
                    if tx == 1:
                        self._received(value)

    async def _bench(self, ctx):
        link = self._link
        ctx.set(link.tx.ready, 1)
        offered = None
        while True:
            if self._to_device:
                if offered != self._to_device[0]:
                    offered = self._to_device[0]
                    ctx.set(link.rx.payload, offered)
                ctx.set(link.rx.valid, 1)
            else:
                ctx.set(link.rx.valid, 0)
            _, _, rx_valid, rx_ready, tx_valid, tx_byte = await ctx.tick().sample(
                link.rx.valid, link.rx.ready, link.tx.valid, link.tx.payload)
            self.cycles += 1
            if rx_valid and rx_ready:
                self._to_device.popleft()
                offered = None
            if tx_valid:
                self._received(tx_byte)

    def _run(self, cycles: int):
        self._now += cycles * self._period
        self._sim.run_until(self._now)

    # ---- the part of pyserial's interface the driver uses
    def write(self, data: bytes) -> int:
        self._to_device.extend(bytes(data))
        return len(data)

    def read(self, size: int = 1) -> bytes:
        waited = 0
        while len(self._from_device) < size and waited < self.timeout_cycles:
            self._run(self._slice)
            waited += self._slice
        out = bytes(self._from_device[:size])
        del self._from_device[:size]
        return out

    def reset_input_buffer(self) -> None:
        self._run(self._slice)
        self._from_device.clear()

    # ---- fault injection
    def drop_reply_byte(self, index_from_now: int) -> None:
        """Lose the reply byte that is ``index_from_now`` bytes after the last one sent."""
        self._drop_reply_bytes.add(self._sent_back + index_from_now)
