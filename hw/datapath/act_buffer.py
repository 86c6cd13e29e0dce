"""Double-buffered int8 activation buffer: one token loads while the previous one computes."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from golden.ints import ceil_log2

from ..config import ArrayConfig
from ..formats import act_word_layout
from ..memory.bram import ebr_memory, ebr_read_port

__all__ = ["ActBuffer"]


class ActBuffer(wiring.Component):
    """Two banks of ``max_chunks`` words of ``lanes`` codes in block RAM.

    A token is ``last_chunk + 1`` beats on ``load``; when its last beat is written the bank is *available*
    to the reader, which reads one word a cycle (synchronous: data one cycle after ``rd_en``) and
    pulses ``release`` after its last read. ``load`` is ready while the bank it fills is free.

    With ``config.decode_latency`` (base-3 weights, which take a cycle more to reach the PEs) the
    read goes through one more register, loading on ``rd_en`` like the read: the address and bank
    are taken on ``rd_en`` and read at the next ``rd_en``, so the data follows by two steps of the
    read pipeline; a released bank is freed after that last read, a cycle later.

    Members
    -------
    load : In(stream.Signature(act_word_layout(config)))
    last_chunk : In(range(max_chunks))
        Index of a token's last beat, ceil(K / lanes) - 1 (a register upstream: a subtraction
        here would sit on the write path); held stable while tokens are in flight.
    available : Out(1)
        The read bank holds a whole token.
    rd_en : In(1)
    rd_addr : In(range(max_chunks))
    rd_data : Out(act_word_layout(config))
    release : In(1)
        The reader is done with the read bank; it becomes free next cycle.
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        super().__init__({
            "load": In(stream.Signature(act_word_layout(config))),
            "last_chunk": In(range(config.max_chunks)),
            "available": Out(1),
            "rd_en": In(1),
            "rd_addr": In(range(config.max_chunks)),
            "rd_data": Out(act_word_layout(config)),
            "release": In(1),
        })

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        chunk_bits = ceil_log2(config.max_chunks)
        # The reader never uses a word of the bank being written (it waits for ``available``).
        m.submodules.mem = mem = ebr_memory(shape=act_word_layout(config), depth=2 << chunk_bits)
        wr = mem.write_port()

        full = Signal(2)
        wr_bank = Signal()
        wr_chunk = Signal(range(config.max_chunks))
        rd_bank = Signal()

        m.d.comb += [
            self.load.ready.eq(~full.bit_select(wr_bank, 1)),
            wr.addr.eq(Cat(wr_chunk[:chunk_bits], wr_bank)),
            wr.data.eq(self.load.payload),
            wr.en.eq(self.load.valid & self.load.ready),
        ]
        read_addr = Cat(self.rd_addr[:chunk_bits], rd_bank)
        free, free_bank = self.release, rd_bank     # the bank whose last word is read now
        if config.decode_latency:
            delayed = Signal(len(read_addr))
            releasing = Signal()    # the delayed read is a released token's last
            with m.If(self.rd_en):
                m.d.sync += [delayed.eq(read_addr), releasing.eq(self.release)]
            read_addr = delayed
            free, free_bank = releasing & self.rd_en, delayed[-1]
        m.d.comb += self.rd_data.eq(ebr_read_port(m, mem, addr=read_addr, en=self.rd_en))
        filled = Signal(2)
        freed = Signal(2)
        with m.If(wr.en):
            with m.If(wr_chunk == self.last_chunk):
                m.d.comb += filled.bit_select(wr_bank, 1).eq(1)
                m.d.sync += [wr_chunk.eq(0), wr_bank.eq(~wr_bank)]
            with m.Else():
                m.d.sync += wr_chunk.eq(wr_chunk + 1)
        with m.If(self.release):
            m.d.sync += rd_bank.eq(~rd_bank)
        with m.If(free):
            m.d.comb += freed.bit_select(free_bank, 1).eq(1)
        # ``available`` is a register computed from the next state (exact, not a cycle late): it
        # starts the issue/allow logic of the controller, which must not begin behind a mux
        full_next = Signal(2)
        m.d.comb += full_next.eq((full | filled) & ~freed)
        m.d.sync += [full.eq(full_next),
                     self.available.eq(full_next.bit_select(rd_bank ^ self.release, 1))]
        return m
