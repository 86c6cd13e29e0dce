"""Double-buffered int8 activation buffer: one token loads while the previous one computes."""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Module, Mux, Signal
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

    With ``config.act_read_delay`` (base-3 weights, which take a cycle more to reach the PEs, and
    zero skipping, whose weights wait for their chunk index) the read goes through that many more
    registers, loading on ``rd_en`` like the read: the address and bank are taken on ``rd_en``
    and read ``act_read_delay`` enables later; a released bank is freed after that last read.

    With ``config.zero_skip`` a beat whose codes are all zero is not written (the token's last
    beat always is): the bank holds the token's *kept* chunks at addresses 0, 1, ... and, in a
    memory beside it, the chunk index of each, which ``rd_index`` gives one ``rd_en`` after the
    (undelayed) address, ahead of the codes. ``rd_last`` is the read bank's last address (its
    kept chunks - 1); ``first_is_last`` says it is 0, as a register valid with ``available``.

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
    rd_index, rd_last, first_is_last : Out
        With ``zero_skip`` only (see above).
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        chunk = range(config.max_chunks)
        members = {
            "load": In(stream.Signature(act_word_layout(config))),
            "last_chunk": In(chunk),
            "available": Out(1),
            "rd_en": In(1),
            "rd_addr": In(chunk),
            "rd_data": Out(act_word_layout(config)),
            "release": In(1),
        }
        if config.zero_skip:
            members |= {"rd_index": Out(chunk), "rd_last": Out(chunk), "first_is_last": Out(1)}
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        chunk_bits = ceil_log2(config.max_chunks)
        # The reader never uses a word of the bank being written (it waits for ``available``).
        m.submodules.mem = mem = ebr_memory(shape=act_word_layout(config), depth=2 << chunk_bits)
        wr = mem.write_port()

        full = Signal(2)
        wr_bank = Signal()
        wr_chunk = Signal(range(config.max_chunks))     # the beat's chunk of K
        rd_bank = Signal()
        taken = Signal()
        token_end = Signal()
        m.d.comb += [
            self.load.ready.eq(~full.bit_select(wr_bank, 1)),
            taken.eq(self.load.valid & self.load.ready),
            token_end.eq(wr_chunk == self.last_chunk),
            wr.data.eq(self.load.payload),
        ]
        if config.zero_skip:
            wr_slot = self._kept_chunks(m, wr_chunk, wr_bank, rd_bank, taken, token_end, wr)
        else:
            wr_slot = wr_chunk
            m.d.comb += wr.en.eq(taken)
        m.d.comb += wr.addr.eq(Cat(wr_slot[:chunk_bits], wr_bank))
        read_addr = Cat(self.rd_addr[:chunk_bits], rd_bank)
        free, free_bank = self.release, rd_bank     # the bank whose last word is read now
        for stage in range(config.act_read_delay):
            delayed = Signal(len(read_addr), name=f"rd_addr_{stage}")
            releasing = Signal(name=f"releasing_{stage}")   # the delayed read is a token's last
            with m.If(self.rd_en):
                m.d.sync += [delayed.eq(read_addr), releasing.eq(free)]
            read_addr, free = delayed, releasing
        if config.act_read_delay:
            free, free_bank = free & self.rd_en, read_addr[-1]
        m.d.comb += self.rd_data.eq(ebr_read_port(m, mem, addr=read_addr, en=self.rd_en))
        filled = Signal(2)
        freed = Signal(2)
        with m.If(taken):
            with m.If(token_end):
                m.d.comb += filled.bit_select(wr_bank, 1).eq(1)
                m.d.sync += [wr_chunk.eq(0), wr_bank.eq(~wr_bank)]
            with m.Else():
                m.d.sync += wr_chunk.eq(wr_chunk + 1)
        with m.If(self.release):
            m.d.sync += rd_bank.eq(~rd_bank)
        with m.If(free):
            m.d.comb += freed.bit_select(free_bank, 1).eq(1)
        # A bank is readable from its last write to its release, and full (not writable) until
        # its last delayed read: with two read delays and one-chunk tokens the reader is back at
        # a released bank before that read. ``available`` is a register computed from the next
        # state (exact, not a cycle late): it starts the issue/allow logic of the controller,
        # which must not begin behind a mux
        full_next = Signal(2)
        readable, readable_next, released = Signal(2), Signal(2), Signal(2)
        with m.If(self.release):
            m.d.comb += released.bit_select(rd_bank, 1).eq(1)
        m.d.comb += [full_next.eq((full | filled) & ~freed),
                     readable_next.eq((readable | filled) & ~released)]
        m.d.sync += [full.eq(full_next), readable.eq(readable_next),
                     self.available.eq(readable_next.bit_select(rd_bank ^ self.release, 1))]
        return m

    def _kept_chunks(self, m: Module, wr_chunk, wr_bank, rd_bank, taken, token_end, wr):
        """Zero skipping: write a beat only if a code is non-zero or it is the token's last, at
        the bank's next free address, its chunk index beside it; count each bank's kept chunks.
        Returns the write address within the bank."""
        config = self._config
        chunk_bits = ceil_log2(config.max_chunks)
        wr_slot = Signal(range(config.max_chunks), name="wr_slot")
        keep = Signal()
        m.d.comb += [keep.eq(self.load.payload.as_value().any() | token_end),
                     wr.en.eq(taken & keep)]
        m.submodules.index_mem = index_mem = ebr_memory(shape=max(1, chunk_bits),
                                                        depth=2 << chunk_bits)
        index_wr = index_mem.write_port()
        m.d.comb += [index_wr.addr.eq(Cat(wr_slot[:chunk_bits], wr_bank)),
                     index_wr.data.eq(wr_chunk), index_wr.en.eq(wr.en)]
        m.d.comb += self.rd_index.eq(ebr_read_port(
            m, index_mem, addr=Cat(self.rd_addr[:chunk_bits], rd_bank), en=self.rd_en,
            name="rd_index_data"))
        last = [Signal(range(config.max_chunks), name=f"last_slot_{bank}") for bank in range(2)]
        with m.If(wr.en):
            with m.If(token_end):
                m.d.sync += [wr_slot.eq(0), Array(last)[wr_bank].eq(wr_slot)]
            with m.Else():
                m.d.sync += wr_slot.eq(wr_slot + 1)
        m.d.comb += self.rd_last.eq(Mux(rd_bank, last[1], last[0]))
        # the next read bank's count, with this cycle's write: registered like ``available``
        next_bank = rd_bank ^ self.release
        next_last = Mux(wr.en & token_end & (wr_bank == next_bank), wr_slot,
                        Mux(next_bank, last[1], last[0]))
        m.d.sync += self.first_is_last.eq(next_last == 0)
        return wr_slot
