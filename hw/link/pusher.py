"""``BeatPusher``: a checked payload out of the buffer, a byte a cycle, as ``w_in`` or ``x_in`` beats
(or, for COMMIT, only through the matrix CRC)."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import ArrayConfig
from ..formats import act_word_layout, stored_word_layout
from .protocol import MAX_PAYLOAD, token_beat_bytes, weight_beat_bytes

__all__ = ["BeatPusher"]


class BeatPusher(wiring.Component):
    """Reads the buffer's bytes from ``first`` up to ``length`` and assembles them, in order, into
    beats of the array's streams (``hw.formats``: a beat's bytes are little-endian). One beat is
    offered at a time, on ``w_in`` or on ``x_in`` as ``start`` said; ``active`` falls with the last
    one taken. Every byte of a weight or check push is shown once on ``matrix_byte``, never two in a
row.

    Members
    -------
    start : In(1)
    weights : In(1), check : In(1)
        With ``start``: the payload is weight beats, or bytes for the matrix CRC only (else
        tokens).
    first : In(range(MAX_PAYLOAD + 1))
        With ``start``: the address of the first byte (past a WEIGHTS frame's offset field).
    length : In(range(MAX_PAYLOAD + 1))
    active : Out(1)
    rd_addr : Out(range(MAX_PAYLOAD + 1))
    rd_data : In(8)
        The buffer's byte at ``rd_addr`` of the previous cycle.
    matrix_byte : Out(1)
        ``rd_data`` is a byte of the matrix (a weight or check push) to fold into its CRC.
    w_in : Out(stream.Signature(stored_word_layout(config)))
    x_in : Out(stream.Signature(act_word_layout(config)))
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        super().__init__({
            "start": In(1), "weights": In(1), "check": In(1),
            "first": In(range(MAX_PAYLOAD + 1)), "length": In(range(MAX_PAYLOAD + 1)),
            "active": Out(1),
            "rd_addr": Out(range(MAX_PAYLOAD + 1)), "rd_data": In(8), "matrix_byte": Out(1),
            "w_in": Out(stream.Signature(stored_word_layout(config))),
            "x_in": Out(stream.Signature(act_word_layout(config))),
        })

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        w_bytes, x_bytes = weight_beat_bytes(config), token_beat_bytes(config)
        weights = Signal()
        check = Signal()
        word = Signal(8 * max(w_bytes, x_bytes))
        fill = Signal(range(max(w_bytes, x_bytes) + 1))
        pending = Signal()          # a read was issued last cycle
        # one flop per stream's valid: the array's side reads it across the clock crossing, where
        # ``valid & weights`` would add a LUT input in front of the weight loader's handshake
        w_valid = Signal()
        x_valid = Signal()
        valid = Signal()
        beat_bytes = Signal.like(fill)
        reading = Signal()
        taken = Signal()
        m.d.comb += [
            beat_bytes.eq(Mux(weights, w_bytes, x_bytes)),
            self.w_in.payload.eq(word[:len(self.w_in.payload.as_value())]),
            self.x_in.payload.eq(word),
            valid.eq(w_valid | x_valid),
            self.w_in.valid.eq(w_valid),
            self.x_in.valid.eq(x_valid),
            taken.eq((self.w_in.valid & self.w_in.ready) | (self.x_in.valid & self.x_in.ready)),
            # a matrix byte at most every other cycle (the matrix CRC takes a nibble a cycle)
            reading.eq(self.active & ~valid & (check | (fill + pending < beat_bytes))
                       & (self.rd_addr < self.length) & ~(pending & (weights | check))),
            self.matrix_byte.eq(pending & (weights | check)),
        ]
        with m.If(self.start):
            m.d.sync += [self.active.eq(1), weights.eq(self.weights), check.eq(self.check),
                         self.rd_addr.eq(self.first), fill.eq(0)]
        with m.If(reading):
            m.d.sync += self.rd_addr.eq(self.rd_addr + 1)
        m.d.sync += pending.eq(reading)
        with m.If(check):       # nothing to assemble: done once the last byte was shown
            with m.If(self.active & ~reading & ~pending & (self.rd_addr == self.length)):
                m.d.sync += self.active.eq(0)
        with m.Elif(pending):
            # bytes arrive in order: shift down, the newest byte enters at the top of the beat
            with m.Switch(beat_bytes):
                for size in sorted({w_bytes, x_bytes}):
                    with m.Case(size):
                        width = size * 8
                        m.d.sync += word[:width].eq(Cat(word[8:width], self.rd_data))
            m.d.sync += fill.eq(fill + 1)
        with m.If(self.active & ~check & ~valid & (fill == beat_bytes)):
            m.d.sync += [w_valid.eq(weights), x_valid.eq(~weights)]
        with m.If(valid & taken):
            m.d.sync += [w_valid.eq(0), x_valid.eq(0), fill.eq(0)]
            with m.If(self.rd_addr == self.length):
                m.d.sync += self.active.eq(0)
        return m
