"""Double-buffered int8 activation buffer: one token loads while the previous one computes."""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Module, Mux, Signal, Value
from amaranth.lib import data, stream, wiring
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

    Skipping zero chunks (``config.zero_skip == "chunks"``) a beat whose codes are all zero is
    not written (the token's last beat always is): the bank holds the token's *kept* chunks at addresses 0, 1, ... and, in a
    memory beside it, the chunk index of each, which ``rd_index`` gives one ``rd_en`` after the
    (undelayed) address, ahead of the codes. ``rd_last`` is the read bank's last address (its
    kept chunks - 1); ``first_is_last`` says it is 0, as a register valid with ``available``.

    Members
    -------
    load : In(stream.Signature(act_word_layout(config)))
    last_chunk : In(range(max_chunks))
        Index of a token's last beat, ceil(K / lanes) - 1 (a register upstream: a subtraction
        here would sit on the write path); set a cycle before a token's first beat (the buffer
        compares it with its write counter into a register) and held while tokens are in flight.
    available : Out(1)
        The read bank holds a whole token.
    rd_en : In(1)
    rd_addr : In(range(max_chunks))
    rd_data : Out(act_word_layout(config))
    release : In(1)
        The reader is done with the read bank; it becomes free next cycle.
    rd_index, rd_last, first_is_last : Out
        With zero skipping only (see above). Skipping zero codes (``"codes"``) each lane keeps a
        queue of its own (``_lane_queues``): ``rd_indices`` gives each lane's chunk index,
        ``rd_data`` its code a cycle later, and ``last_lanes`` (In) keeps lanes past K out.
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
        if config.zero_skip == "chunks":
            members |= {"rd_index": Out(chunk)}
        if config.zero_skip == "codes":
            members |= {"last_lanes": In(config.lanes),
                        "rd_indices": Out(data.ArrayLayout(ceil_log2(config.max_chunks) or 1,
                                                           config.lanes))}
        if config.zero_skip != "off":
            members |= {"rd_last": Out(chunk), "first_is_last": Out(1)}
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        chunk_bits = ceil_log2(config.max_chunks)
        full = Signal(2)
        wr_bank = Signal()
        wr_chunk = Signal(range(config.max_chunks))     # the beat's chunk of K
        rd_bank = Signal()
        taken = Signal()
        # wr_chunk == last_chunk as a register, for the next wr_chunk: the compare otherwise sits
        # between the handshake and every write-side enable (wr_bank, the counters). Both
        # outcomes are compared before ``taken`` picks one, so the handshake is a LUT from the
        # flop. It follows a change of last_chunk a cycle later, inside shape_settle_cycles.
        token_end = Signal(init=1)
        wr_chunk_next = Signal.like(wr_chunk)
        m.d.comb += [
            self.load.ready.eq(~full.bit_select(wr_bank, 1)),
            taken.eq(self.load.valid & self.load.ready),
            wr_chunk_next.eq(Mux(taken, Mux(token_end, 0, wr_chunk + 1), wr_chunk)),
        ]
        m.d.sync += token_end.eq(Mux(taken, Mux(token_end, self.last_chunk == 0,
                                                wr_chunk + 1 == self.last_chunk),
                                     wr_chunk == self.last_chunk))
        fill, fill_bank = Signal(), Signal()    # a token's last beat is written, into this bank
        if config.zero_skip == "codes":
            self._lane_queues(m, wr_chunk, wr_bank, rd_bank, taken, token_end, fill, fill_bank)
        else:
            m.d.comb += [fill.eq(taken & token_end), fill_bank.eq(wr_bank)]
            # The reader never uses a word of the bank being written (it waits for ``available``).
            m.submodules.mem = mem = ebr_memory(shape=act_word_layout(config),
                                                depth=2 << chunk_bits)
            wr = mem.write_port()
            m.d.comb += wr.data.eq(self.load.payload)
            if config.zero_skip == "chunks":
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
        if config.zero_skip != "codes":
            m.d.comb += self.rd_data.eq(ebr_read_port(m, mem, addr=read_addr, en=self.rd_en))
        filled = Signal(2)
        freed = Signal(2)
        with m.If(fill):
            m.d.comb += filled.bit_select(fill_bank, 1).eq(1)
        m.d.sync += wr_chunk.eq(wr_chunk_next)
        with m.If(taken & token_end):
            m.d.sync += wr_bank.eq(~wr_bank)
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

    def _token_last(self, m: Module, rd_bank, wr_bank, token_end_write, new_last,
                    new_single=None) -> None:
        """Each bank's last read address, written at its token's end (``new_last`` when
        ``token_end_write``, and ``new_single``, whether it is 0, where that is cheaper than a
        compare): ``rd_last`` of the read bank, and ``first_is_last``, registered from the next
        read bank's value like ``available``."""
        config = self._config
        size = range(config.max_chunks + 1)
        last = [Signal(size, name=f"last_slot_{bank}") for bank in range(2)]
        with m.If(token_end_write):
            m.d.sync += Array(last)[wr_bank].eq(new_last)
        stored = Mux(rd_bank, last[1], last[0])
        next_bank = rd_bank ^ self.release
        if new_single is None:
            m.d.comb += self.rd_last.eq(stored)
            next_last = Mux(token_end_write & (wr_bank == next_bank), new_last,
                            Mux(next_bank, last[1], last[0]))
            m.d.sync += self.first_is_last.eq(next_last == 0)
            return
        single = [Signal(name=f"single_{bank}") for bank in range(2)]
        with m.If(token_end_write):
            m.d.sync += Array(single)[wr_bank].eq(new_single)
        m.d.comb += self.rd_last.eq(stored)
        m.d.sync += self.first_is_last.eq(Mux(token_end_write & (wr_bank == next_bank),
                                              new_single, Mux(next_bank, single[1], single[0])))

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
        with m.If(wr.en):
            with m.If(token_end):
                m.d.sync += wr_slot.eq(0)
            with m.Else():
                m.d.sync += wr_slot.eq(wr_slot + 1)
        self._token_last(m, rd_bank, wr_bank, wr.en & token_end, wr_slot)
        return wr_slot

    def _lane_queues(self, m: Module, wr_chunk, wr_bank, rd_bank, taken, token_end, fill,
                     fill_bank) -> None:
        """``zero_skip="codes"``: a queue per lane of its non-zero codes (lanes past K left out)
        with their chunk index, in a memory per lane (each read at the same slot, written at its
        own). A block then takes as many issues as the busiest lane has codes (at least one), the
        count kept as a running maximum (counts grow by one a beat at most). Beats are written a
        cycle after they are taken (a register stage: the counting sits behind flops, not behind
        the stream's handshake), so a token is available a cycle later
        (``config.act_write_delay``). A lane past its count reads as zero; the codes come a cycle
        after their index (``rd_data`` registered), when the weights they address do."""
        config = self._config
        chunk_bits = ceil_log2(config.max_chunks) or 1
        depth_bits = ceil_log2(config.max_chunks)
        count = range(config.max_chunks + 1)
        # the write stage: the beat taken last cycle
        beat = Signal(act_word_layout(config), name="beat")
        beat_valid, beat_end, beat_bank = Signal(name="beat_valid"), Signal(name="beat_end"), \
            Signal(name="beat_bank")
        beat_chunk = Signal.like(wr_chunk, name="beat_chunk")
        beat_codes = Signal(config.lanes, name="beat_codes")   # non-zero codes inside K
        inside = Mux(token_end, self.last_lanes, (1 << config.lanes) - 1)
        m.d.sync += [beat_valid.eq(taken), beat.eq(self.load.payload), beat_end.eq(token_end),
                     beat_bank.eq(wr_bank), beat_chunk.eq(wr_chunk),
                     beat_codes.eq(Cat(Value.cast(self.load.payload[lane]).any() & inside[lane]
                                       for lane in range(config.lanes)))]
        m.d.comb += [fill.eq(beat_valid & beat_end), fill_bank.eq(beat_bank)]
        top = Signal(count, name="top")              # the busiest lane's count, this token
        grow = Signal(name="grow")                   # this beat raises it
        grows = []
        for lane in range(config.lanes):
            mem = ebr_memory(shape=config.act_bits + chunk_bits, depth=2 << depth_bits)
            m.submodules[f"queue_{lane}"] = mem
            wr = mem.write_port()
            ptr = Signal(count, name=f"wr_ptr_{lane}")
            counts = [Signal(count, name=f"count_{lane}_{bank}") for bank in range(2)]
            keep = Signal(name=f"keep_{lane}")
            m.d.comb += [keep.eq(beat_valid & beat_codes[lane]),
                         wr.en.eq(keep), wr.addr.eq(Cat(ptr[:depth_bits], beat_bank)),
                         wr.data.eq(Cat(beat[lane], beat_chunk[:chunk_bits]))]
            grows.append(keep & self._at_top(m, lane, keep, grow, fill, beat_valid))
            with m.If(fill):
                m.d.sync += [ptr.eq(0), Array(counts)[beat_bank].eq(ptr + keep)]
            with m.Elif(keep):
                m.d.sync += ptr.eq(ptr + 1)
            entry = ebr_read_port(m, mem, addr=Cat(self.rd_addr[:depth_bits], rd_bank),
                                  en=self.rd_en, name=f"entry_{lane}")
            valid = Signal(name=f"valid_{lane}")
            with m.If(self.rd_en):
                m.d.sync += [valid.eq(self.rd_addr < Mux(rd_bank, counts[1], counts[0])),
                             self.rd_data[lane].eq(Mux(valid, entry[:config.act_bits], 0))]
            m.d.comb += self.rd_indices[lane].eq(entry[config.act_bits:])
        m.d.comb += grow.eq(Cat(*grows).any())
        top_up = Signal(count, name="top_up", init=1)    # top + 1, so no adder follows ``grow``
        with m.If(beat_valid):
            m.d.sync += [top.eq(Mux(beat_end, 0, Mux(grow, top_up, top))),
                         top_up.eq(Mux(beat_end, 1, Mux(grow, top_up + 1, top_up)))]
        # the token's last slot (its issue count - 1, at least 0) and whether it is 0, chosen by
        # ``grow`` from values of ``top`` alone
        top_down = Signal(count, name="top_down")
        single = Signal(name="new_single")
        m.d.comb += [top_down.eq(Mux(top == 0, 0, top - 1)),
                     single.eq((top == 0) | ((top == 1) & ~grow))]
        self._token_last(m, rd_bank, beat_bank, fill, Mux(grow, top, top_down), single)

    def _at_top(self, m: Module, lane: int, keep, grow, fill, beat_valid):
        """Whether ``lane``'s count is the busiest one's, as a register: the lane's gap below it
        moves by ``grow - keep`` a beat, and the flags for a gap of 0 and of 1 follow from the
        flags, ``keep`` and ``grow`` alone (the gap's own compare is off that path), so the
        running maximum costs an AND and an OR tree a beat, not a compare."""
        count = range(self._config.max_chunks + 1)
        gap = Signal(count, name=f"gap_{lane}")
        at_top = Signal(init=1, name=f"at_top_{lane}")
        one_below = Signal(name=f"one_below_{lane}")
        two_below = Signal(name=f"two_below_{lane}")
        m.d.comb += two_below.eq(gap == 2)
        with m.If(fill):
            m.d.sync += [gap.eq(0), at_top.eq(1), one_below.eq(0)]
        with m.Elif(beat_valid):
            m.d.sync += [
                gap.eq(gap + grow - keep),
                at_top.eq((at_top & (keep == grow)) | (one_below & keep & ~grow)),
                one_below.eq((one_below & (keep == grow)) | (at_top & grow & ~keep)
                             | (two_below & keep & ~grow)),
            ]
        return at_top
