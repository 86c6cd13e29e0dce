"""``FrameReceiver``: request frames in, byte by byte, into the payload buffer; the frame's verdict out.

It takes ``0xA5 | seq | cmd | len | payload | crc`` (hw.link.protocol), writes the payload to the
buffer, feeds every byte between sync and CRC to the shared CRC unit, and ends each frame in
``done`` with a status: OK, BAD_CRC, BAD_LENGTH (too long to buffer: swallowed, then refused) or
TIMEOUT (the line went quiet inside a frame). While the engine answers (until ``ack``) it takes
no byte, so a request is executed only after its CRC checked out and its payload stays put while
the engine reads it. On the way it keeps what the decoder needs without a multiplier: the payload's
first three u32 fields (SET_SHAPE's and SELECT's k, n and base, a WEIGHTS frame's offset; only as
wide as their largest valid values, plus a flag for any higher bit), whether the payload is whole tokens, and the reply
bytes those tokens will produce.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import ArrayConfig
from .protocol import HOST_SYNC, MAX_PAYLOAD, ShapeInfo, Status

__all__ = ["FrameReceiver", "RequestSignature"]


class RequestSignature(wiring.Signature):
    """What a received frame says, as the decoder and the engine read it (seen from the
    receiver: ``Out``).

    Members
    -------
    seq : Out(8), command : Out(8), length : Out(16)
    arg0, arg1, arg2 : Out
        The payload's u32 fields at bytes 0-3, 4-7 and 8-11: SET_SHAPE's and SELECT's k, n and
        base, a WEIGHTS frame's offset; ``arg0`` as wide as ``max_k`` or the largest offset,
        ``arg1`` as ``max_n``, ``arg2`` as ``bank_words``.
    arg0_high, arg1_high, arg2_high : Out(1)
        A bit above those widths was set (the value is out of range).
    whole_tokens : Out(1)
        The payload is a whole number of tokens of the current shape.
    reply_length : Out(18)
        Reply bytes of those tokens.
    """

    def __init__(self, config: ArrayConfig):
        largest = max(config.max_k, ShapeInfo.of(config, config.max_k, config.max_n).weight_bytes)
        super().__init__({
            "seq": Out(8), "command": Out(8), "length": Out(16),
            "arg0": Out(range(largest + 1)), "arg1": Out(range(config.max_n + 1)),
            "arg2": Out(range(config.bank_words + 1)),
            "arg0_high": Out(1), "arg1_high": Out(1), "arg2_high": Out(1), "whole_tokens": Out(1),
            "reply_length": Out(18),
        })


@dataclass
class _Counts:
    """The receiver's counters. Down-counters keep their "== 1" in a register beside them: the
    decisions then read one flop instead of an adder or a wide compare."""
    count: Signal           # payload bytes so far (the buffer's write address)
    left: Signal            # bytes still to come
    left_last: Signal       # left == 1
    token_left: Signal      # bytes still to come of the current token
    token_last: Signal      # token_left == 1
    crc_low: Signal         # the CRC's first byte
    oversized: Signal       # the payload is too long to buffer: discarded


class FrameReceiver(wiring.Component):
    """Members
    -------
    rx : In(stream.Signature(8))
        Request bytes.
    wr_addr, wr_data, wr_en : Out
        The payload buffer's write port.
    crc_start, crc_byte, crc_add : Out
        To the shared CRC unit: restart it; fold ``crc_byte`` in (a cycle later).
    crc : In(16), crc_busy : In(1)
        Its value, and whether a byte is still being folded in.
    token_bytes : In
        Bytes of one token for the current shape (0 before any SET_SHAPE).
    token_reply : In(17)
        Reply bytes of one token for the current shape.
    done : Out(1)
        A frame ended; ``status`` and the fields below hold until ``ack``.
    status : Out(Status)
        OK, BAD_CRC, BAD_LENGTH or TIMEOUT.
    request : Out(RequestSignature(config))
        The frame's fields.
    ack : In(1)
        The engine has answered: wait for the next frame.
    """

    def __init__(self, config: ArrayConfig, *, timeout_cycles: int):
        self._config = config
        self._timeout = timeout_cycles
        token_bytes = range(config.max_chunks * config.lanes + 1)
        super().__init__({
            "rx": In(stream.Signature(8)),
            "wr_addr": Out(range(MAX_PAYLOAD)), "wr_data": Out(8), "wr_en": Out(1),
            "crc_start": Out(1), "crc_byte": Out(8), "crc_add": Out(1),
            "crc": In(16), "crc_busy": In(1),
            "token_bytes": In(token_bytes), "token_reply": In(17),
            "done": Out(1), "status": Out(Status), "request": Out(RequestSignature(config)),
            "ack": In(1),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        # A one-byte input register: the byte source sees a ready that is a flop, and the FSM
        # decides on a held byte (``accept`` says whether this state takes it).
        byte = Signal(8)
        held = Signal()
        accept = Signal()
        got = Signal()
        m.d.comb += [self.rx.ready.eq(~held), got.eq(held & accept)]
        with m.If(self.rx.valid & ~held):
            m.d.sync += [byte.eq(self.rx.payload), held.eq(1)]
        with m.Elif(got):
            m.d.sync += held.eq(0)
        in_frame = Signal()
        timed_out = self._timer(m, got, in_frame)
        counts = self._counters(m)

        def finish(status):
            m.d.sync += self.status.eq(status)
            m.next = "DONE"

        with m.FSM(name="receiver"):
            with m.State("SYNC"):
                m.d.comb += accept.eq(1)
                with m.If(got & (byte == HOST_SYNC)):
                    m.d.comb += self.crc_start.eq(1)
                    m.next = "SEQ"
            for state in ("SEQ", "CMD", "LEN0", "LEN1", "PAYLOAD", "DISCARD", "CRC0", "CRC1"):
                with m.State(state):
                    m.d.comb += [accept.eq(1), in_frame.eq(1)]
                    if state not in ("DISCARD", "CRC0", "CRC1"):   # the checksummed bytes
                        m.d.comb += [self.crc_byte.eq(byte), self.crc_add.eq(got)]
                    if state == "CRC1":  # the last byte is folded in a cycle late
                        m.d.comb += accept.eq(~self.crc_busy)
                    with m.If(timed_out):
                        finish(Status.TIMEOUT)
                    with m.Elif(got):
                        self._take(m, state, byte, counts, finish)
            with m.State("DONE"):
                m.d.comb += self.done.eq(1)
                with m.If(self.ack):
                    m.next = "SYNC"
        return m

    def _timer(self, m: Module, got, in_frame):
        """High once the line has been quiet for ``timeout_cycles`` inside a frame (registered,
        so the wide compare is not in front of every decision)."""
        timer = Signal(range(self._timeout + 1))
        expired = Signal()
        with m.If(got | ~in_frame):
            m.d.sync += [timer.eq(0), expired.eq(0)]
        with m.Elif(~expired):
            m.d.sync += [timer.eq(timer + 1), expired.eq(timer == self._timeout - 1)]
        timed_out = Signal()
        m.d.comb += timed_out.eq(in_frame & expired)
        return timed_out

    def _counters(self, m: Module) -> "_Counts":
        config = self._config
        counts = _Counts(count=Signal(range(MAX_PAYLOAD + 1), name="count"),
                         left=Signal(16, name="left"), left_last=Signal(name="left_last"),
                         token_left=Signal(range(config.max_chunks * config.lanes + 1),
                                           name="token_left"),
                         token_last=Signal(name="token_last"), crc_low=Signal(8, name="crc_low"),
                         oversized=Signal(name="oversized"))
        m.d.comb += [self.wr_addr.eq(counts.count),
                     self.request.whole_tokens.eq(counts.token_left == self.token_bytes)]
        return counts

    def _take(self, m: Module, state: str, byte, c: "_Counts", finish) -> None:
        """What each state does with the byte it took."""
        if state == "SEQ":
            m.d.sync += self.request.seq.eq(byte)
            m.next = "CMD"
        elif state == "CMD":
            m.d.sync += self.request.command.eq(byte)
            m.next = "LEN0"
        elif state == "LEN0":
            m.d.sync += self.request.length[:8].eq(byte)
            m.next = "LEN1"
        elif state == "LEN1":
            full = Cat(self.request.length[:8], byte)
            m.d.sync += [self.request.length[8:].eq(byte), c.count.eq(0),
                         c.token_left.eq(self.token_bytes),
                         c.token_last.eq(self.token_bytes == 1), self.request.reply_length.eq(0),
                         c.left.eq(full), c.left_last.eq(full == 1), self.request.arg0_high.eq(0),
                         self.request.arg1_high.eq(0), self.request.arg2_high.eq(0), c.oversized.eq(full > MAX_PAYLOAD)]
            with m.If(full > MAX_PAYLOAD):
                m.next = "DISCARD"
            with m.Elif(full == 0):
                m.next = "CRC0"
            with m.Else():
                m.next = "PAYLOAD"
        elif state == "PAYLOAD":
            m.d.comb += [self.wr_data.eq(byte), self.wr_en.eq(1)]
            m.d.sync += c.count.eq(c.count + 1)
            self._fields(m, byte, c.count)
            # count whole tokens and their reply bytes as they arrive (no multiplier)
            with m.If(c.token_last):
                m.d.sync += [c.token_left.eq(self.token_bytes),
                             c.token_last.eq(self.token_bytes == 1),
                             self.request.reply_length.eq(self.request.reply_length + self.token_reply)]
            with m.Else():
                m.d.sync += [c.token_left.eq(c.token_left - 1),
                             c.token_last.eq(c.token_left == 2)]
        if state in ("PAYLOAD", "DISCARD"):   # too long to buffer: swallow it, refuse it in CRC1
            m.d.sync += [c.left.eq(c.left - 1), c.left_last.eq(c.left == 2)]
            with m.If(c.left_last):
                m.next = "CRC0"
        elif state == "CRC0":
            m.d.sync += c.crc_low.eq(byte)
            m.next = "CRC1"
        elif state == "CRC1":
            with m.If(c.oversized):
                finish(Status.BAD_LENGTH)
            with m.Elif(Cat(c.crc_low, byte) != self.crc):
                finish(Status.BAD_CRC)
            with m.Else():
                finish(Status.OK)

    def _fields(self, m: Module, byte, count) -> None:
        """Bytes 0-3 of a payload are ``arg0``, 4-7 ``arg1``, 8-11 ``arg2`` (little endian): keep
        the bits that fit, flag any that do not."""
        request = self.request
        fields = [(request.arg0, request.arg0_high), (request.arg1, request.arg1_high),
                  (request.arg2, request.arg2_high)]
        with m.If(count[4:] == 0):
            with m.Switch(count[:4]):
                for position in range(12):
                    value, high = fields[position // 4]
                    low = 8 * (position % 4)
                    kept = max(0, min(8, len(value) - low))
                    with m.Case(position):
                        if kept:
                            m.d.sync += value[low:low + kept].eq(byte[:kept])
                        if kept < 8:
                            with m.If(byte[kept:] != 0):
                                m.d.sync += high.eq(1)
