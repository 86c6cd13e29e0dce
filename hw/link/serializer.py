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

    With ``config.result_chain`` the beat is instead taken at once into a chain of registers,
    one a row, each loaded from its row and shifted a word at a time toward the byte select:
    a register and a 2:1 select a bit where the mux over every row's word was, but no wire
    from every row to one place, which on a large die pulls the rows' accumulators toward the
    link. The chain is in the link's clock domain, so what crosses from the rows is read only
    while the crossing holds it still.

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
        m = Module()
        value = Signal(signed(8 * RESULT_BYTES))   # sign-extended to an int32 on the wire
        byte = Signal(range(RESULT_BYTES))
        word_sent = Signal()                        # the word's last byte goes this cycle
        m.d.comb += [
            self.data.payload.eq(Array(value[8 * i:8 * i + 8] for i in range(RESULT_BYTES))[byte]),
            word_sent.eq(self.data.valid & self.data.ready & (byte == RESULT_BYTES - 1)),
        ]
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += byte.eq(byte + 1)
        if self._config.result_chain:
            self._chain(m, value, word_sent)
        else:
            self._row_select(m, value, word_sent)
        return m

    def _row_select(self, m: Module, value, word_sent) -> None:
        """Each row's word in turn through a mux over the held beat; the beat is taken (a
        register) a cycle after its last row's last byte."""
        config = self._config
        row = Signal(range(config.rows))
        m.d.comb += [
            # Array muxes: indexing the payload view or word_select with a signal would put a
            # (constant) $mul in the netlist, which the build rejects
            value.eq(Array(self.acc.payload[r] for r in range(config.rows))[row]),
            self.data.valid.eq(self.acc.valid & ~self.acc.ready),
        ]
        m.d.sync += self.acc.ready.eq(0)
        with m.If(word_sent):
            with m.If(row == config.rows - 1):
                m.d.sync += [row.eq(0), self.acc.ready.eq(1)]
            with m.Else():
                m.d.sync += row.eq(row + 1)

    def _chain(self, m: Module, value, word_sent) -> None:
        """``config.result_chain``: the beat loads into the chain when it is empty (taken at
        once); its head goes out, then the chain shifts a word toward it."""
        config = self._config
        chain = [Signal(signed(config.acc_bits), name=f"chain_{row}", reset_less=True)
                 for row in range(config.rows)]
        left = Signal(range(config.rows + 1))      # words of the beat still to send
        m.d.comb += [value.eq(chain[0]), self.acc.ready.eq(left == 0),
                     self.data.valid.eq(left != 0)]
        with m.If(self.acc.valid & self.acc.ready):
            m.d.sync += [left.eq(config.rows),
                         *(word.eq(self.acc.payload[row]) for row, word in enumerate(chain))]
        with m.If(word_sent):
            m.d.sync += [left.eq(left - 1),
                         *(word.eq(after) for word, after in zip(chain, chain[1:]))]
