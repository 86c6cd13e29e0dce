"""``ReplyTransmitter``: one reply frame out, ``0x5A | seq | status | len | payload | crc``.

The engine starts it with a status, a length and the payload's source; it sends the header, then
``length`` payload bytes from ``payload`` as each becomes ready (a ROM is always ready, results are
ready as the array delivers them), then the CRC of everything between sync and CRC from the
shared CRC unit, and raises ``done`` for one cycle.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .protocol import DEVICE_SYNC, MAX_REPLY, Status

__all__ = ["ReplyTransmitter"]


class ReplyTransmitter(wiring.Component):
    """Members
    -------
    tx : Out(stream.Signature(8))
        Reply bytes.
    start : In(1)
        Send a reply of ``length`` bytes with ``status`` and ``seq`` (read in this cycle).
    seq : In(8), status : In(Status), length : In(range(MAX_REPLY + 1))
    payload : In(stream.Signature(8))
        The payload bytes, in order; ``payload.ready`` takes one.
    index : Out(range(rom_bytes))
        Payload bytes sent so far, low bits (a ROM's address): wide enough for the longest
        payload read from a ROM (``rom_bytes``: IDENTIFY's grows with the tree's cuts).
    crc_start, crc_byte, crc_add : Out
        To the shared CRC unit (see ``FrameReceiver``).
    crc : In(16), crc_busy : In(1)
    done : Out(1)
        The last CRC byte was taken.
    """

    def __init__(self, rom_bytes: int = 32):
        if not isinstance(rom_bytes, int) or rom_bytes < 2:
            raise ValueError(f"rom_bytes: expected an integer >= 2, got {rom_bytes!r}")
        super().__init__({
            "tx": Out(stream.Signature(8)),
            "start": In(1), "seq": In(8), "status": In(Status),
            "length": In(range(MAX_REPLY + 1)),
            "payload": In(stream.Signature(8)), "index": Out(range(rom_bytes)),
            "crc_start": Out(1), "crc_byte": Out(8), "crc_add": Out(1),
            "crc": In(16), "crc_busy": In(1),
            "done": Out(1),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        status = Signal(Status)
        seq = Signal(8)
        left = Signal(range(MAX_REPLY + 1))    # the length until LEN1, then bytes still to send
        left_last = Signal()                   # left == 1

        def send(byte, next_state, *, checksum=True):
            m.d.comb += [self.tx.payload.eq(byte), self.tx.valid.eq(1)]
            if checksum:
                m.d.comb += [self.crc_byte.eq(byte), self.crc_add.eq(self.tx.ready)]
            with m.If(self.tx.ready):
                m.next = next_state

        m.d.comb += self.crc_start.eq(self.start)
        with m.FSM(name="transmitter"):
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [status.eq(self.status), seq.eq(self.seq), left.eq(self.length),
                                 left_last.eq(self.length == 1), self.index.eq(0)]
                    m.next = "SYNC"
            with m.State("SYNC"):
                send(DEVICE_SYNC, "SEQ", checksum=False)
            with m.State("SEQ"):
                send(seq, "STATUS")
            with m.State("STATUS"):
                send(status, "LEN0")
            with m.State("LEN0"):
                send(left[:8], "LEN1")
            with m.State("LEN1"):
                send(left[8:16], "PAYLOAD")
                with m.If(self.tx.ready & (left == 0)):
                    m.next = "CRC0"
            with m.State("PAYLOAD"):
                m.d.comb += self.crc_byte.eq(self.payload.payload)
                with m.If(self.payload.valid):
                    m.d.comb += [self.tx.payload.eq(self.payload.payload), self.tx.valid.eq(1),
                                 self.crc_add.eq(self.tx.ready), self.payload.ready.eq(self.tx.ready)]
                    with m.If(self.tx.ready):
                        m.d.sync += [self.index.eq(self.index + 1), left.eq(left - 1),
                                     left_last.eq(left == 2)]
                        with m.If(left_last):
                            m.next = "CRC0"
            with m.State("CRC0"):
                with m.If(~self.crc_busy):  # the last payload byte is folded in a cycle late
                    send(self.crc[:8], "CRC1", checksum=False)
            with m.State("CRC1"):
                send(self.crc[8:], "IDLE", checksum=False)
                m.d.comb += self.done.eq(self.tx.ready)
        return m
