"""``ResultSerializer``: accumulator beats out as int32 little-endian bytes, row by row."""

from __future__ import annotations

from amaranth.hdl import Array, Module, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import ArrayConfig
from ..formats import acc_word_layout
from .protocol import RESULT_BYTES

__all__ = ["ResultSerializer"]


class ResultSerializer(wiring.Component):
    """Bytes are picked straight from the beat's payload (the array's accumulators, its output
    register), which holds still until the beat is taken: no copy of rows × 32 bits. The beat is
    taken with a register a cycle after its last byte, so the array's clock enable does not hang
    off the link's FSM and the UART.

    Members
    -------
    acc : In(stream.Signature(acc_word_layout(config)))
    data : Out(stream.Signature(8))
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        super().__init__({"acc": In(stream.Signature(acc_word_layout(config))),
                          "data": Out(stream.Signature(8))})

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        row = Signal(range(config.rows))
        byte = Signal(range(RESULT_BYTES))
        value = Signal(signed(8 * RESULT_BYTES))   # sign-extended to an int32 on the wire
        m.d.comb += [
            # Array muxes: indexing the payload view or word_select with a signal would put a
            # (constant) $mul in the netlist, which the build rejects
            value.eq(Array(self.acc.payload[r] for r in range(config.rows))[row]),
            self.data.payload.eq(Array(value[8 * i:8 * i + 8] for i in range(RESULT_BYTES))[byte]),
            self.data.valid.eq(self.acc.valid & ~self.acc.ready),
        ]
        m.d.sync += self.acc.ready.eq(0)
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += byte.eq(byte + 1)
            with m.If(byte == RESULT_BYTES - 1):
                with m.If(row == config.rows - 1):
                    m.d.sync += [row.eq(0), self.acc.ready.eq(1)]
                with m.Else():
                    m.d.sync += row.eq(row + 1)
        return m
