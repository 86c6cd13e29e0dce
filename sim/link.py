"""A pyserial-like port onto a simulated accelerator: the host driver talks to gateware.

``SimulatedSerial(HostLink(config, ...))`` feeds written bytes into the link's ``rx`` stream and
collects its ``tx`` bytes; ``read`` runs the clock until enough bytes came out or its cycle budget
ran out (like a serial timeout). Faults are injected by the caller: drop or corrupt bytes before
``write``, or ``drop_reply_byte`` to lose one byte on the way back.
"""

from __future__ import annotations

from collections import deque

from amaranth.sim import Simulator

__all__ = ["SimulatedSerial"]


class SimulatedSerial:
    def __init__(self, link, *, timeout_cycles: int = 200_000, slice_cycles: int = 2_000):
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
        self._sim = Simulator(link)
        self._sim.add_clock(self._period)
        self._sim.add_testbench(self._bench, background=True)

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
                if self._sent_back not in self._drop_reply_bytes:
                    self._from_device.append(tx_byte)
                self._sent_back += 1

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
