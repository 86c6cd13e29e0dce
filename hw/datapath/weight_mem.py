"""Ternary weight memory: ``rows`` banks of trit codes, written from a stream, unpacked by PEs.
The banks are block RAM, or SPRAM with ``weight_store="spram"`` (hw/memory/spram.py); the codes
are 2 bits a trit, or five trits a byte with ``weight_packing="base3"``, decoded as they are read."""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from golden.packing import TRITS_PER_BYTE_BASE3, pack_base3

from ..config import ArrayConfig
from ..copies import group_copies, regional_copies, register_copies, row_copy
from ..formats import TRIT_CODE, base3_decode_table, stored_word_layout, weight_word_layout, zero_weight_code
from ..memory.bram import NO_RW_CHECK, ebr_memory, ebr_read_port
from ..memory.spram import SPRAMBank

__all__ = ["WeightMemory"]


@dataclass
class _RowCount:
    """The loader's count of rows written and its flags, all registers: ``next`` is ``written +
    1`` and ``after`` ``written + 2``, ``next_is_last`` is ``next == last row`` and ``at_last``
    ``written == last row``, so a row write copies them instead of adding and comparing (an
    adder's carry chain and then a compare in front of ``at_last`` were, in turn, the 128-PE
    default's critical path at 48 MHz)."""
    written: Signal
    next: Signal
    after: Signal
    next_is_last: Signal
    at_last: Signal

    @classmethod
    def create(cls, config: ArrayConfig) -> "_RowCount":
        return cls(written=Signal(range(config.max_n + 1), name="rows_written"),
                   next=Signal(range(config.max_n + 2), init=1, name="rows_next"),
                   after=Signal(range(config.max_n + 3), init=2, name="rows_after"),
                   next_is_last=Signal(name="next_is_last"), at_last=Signal(name="at_last_row"))


class WeightMemory(wiring.Component):
    """N×K ternary weights, row ``n`` in bank ``n % rows`` at words
``first_word + (n // rows) * chunks + c``.

    The load stream carries the matrix row by row, each row as ``chunks`` beats of ``lanes`` codes
    (code = trit + 1, as golden.packing), or of ``lanes / 5`` base-3 bytes. After row N-1 the
    banks of the last block that have no row are filled with zero trits (one word a cycle, ``load``
    not ready). Lanes past K in a row's last beat read as zero whatever the beat held: 2-bit codes
    are stored as zero, base-3 ones (five lanes share a byte) are masked as they are read. So
    partial blocks and chunks add zero.
    A beat is written ``config.weight_write_delay`` cycles after it is taken. ``loaded`` rises
    after the last write and falls the cycle after the next matrix's first beat is taken.
    Several matrices may be resident side by side: each load starts at ``first_word``, and a
    matrix takes ``config.matrix_words(n, k)`` words of every bank.

    Members
    -------
    load : In(stream.Signature(trit_word_layout(config)))
    allow : In(1)
        The controller permits loading (it is not reading a token).
    chunks : In(range(max_chunks + 1))
        Beats per row, ceil(K / lanes).
    last_chunk : In(range(max_chunks))
        ``chunks - 1``.
    last_lanes : In(lanes)
        Lanes of a row's last beat that lie inside K (bit l set for l < K - (chunks-1)·lanes).
    last_row : In(range(max_n))
        N - 1.
    first_word : In(range(bank_words))
        Where the next matrix goes (its slot's first word in every bank).

    The shape inputs (``chunks`` … ``first_word``) are taken while no load is under way and held
    from a matrix's first ``load`` beat until its last, so they must be stable for two cycles
    before the first beat, and may then change: a load into one slot continues while the shape
    inputs (and the reads) serve another.
    loaded : Out(1)
    writing : Out(1)
        A word is written this cycle (a beat or padding): the single-port SPRAM cannot be read.
    rd_en : In(ArrayLayout(1, config.act_copies))
        The read enable, in as many copies as the activations: row ``r``'s bank (and its row
        group's address copy) reads on copy ``config.act_copy(r)``, so with row groups no one
        flop's enable reaches every bank across the die.
    rd_region_en : In(ArrayLayout(1, config.row_regions))
        With two address cuts: the enable of the first, a copy a row region (row ``r``'s
        address passes its region's copy, ``config.row_region``).
    rd_addr : In(range(bank_words))
    rd_last : In(1)
        The word read is a row's last chunk (base-3: its lanes past K are masked).
    read_lanes : In(lanes)
        ``last_lanes`` of the matrix being read (base-3), which a load may not share.
    rd_data : Out(weight_word_layout(config))
        The codes of the word at ``rd_addr``: a read pipeline of ``config.address_cuts + 1 +
        config.decode_latency`` registers, each loading when ``rd_en`` (the address register, a
        copy a row group; the bank's read; with base-3 packing then the decode ROMs'), so it
        moves with the array's clock enable.
    rd_lane_addrs : In(ArrayLayout(range(bank_words), lanes))
        With ``config.lane_banks`` (``zero_skip="codes"``) the banks are one per lane, not one
        per row: a word is the ``rows`` trits of one column of a block, at the same word
        addresses, written a row slot at a time (the block RAM's bit mask), and each lane's bank
        is read at its own address, from here; ``rd_addr`` is then unused.
    """

    def __init__(self, config: ArrayConfig, *, spram_primitive: bool | None = None):
        self._config = config
        self._spram_primitive = spram_primitive
        super().__init__({
            "load": In(stream.Signature(stored_word_layout(config))),
            "allow": In(1),
            "chunks": In(range(config.max_chunks + 1)),
            "last_chunk": In(range(config.max_chunks)),
            "last_lanes": In(config.lanes),
            "last_row": In(range(config.max_n)),
            "first_word": In(range(config.bank_words)),
            "loaded": Out(1),
            "writing": Out(1),
            "rd_en": In(data.ArrayLayout(1, config.act_copies)),
            "rd_addr": In(range(config.bank_words)),
            "rd_last": In(1),
            "read_lanes": In(config.lanes),
            "rd_data": Out(weight_word_layout(config)),
            **({"rd_lane_addrs": In(data.ArrayLayout(range(config.bank_words), config.lanes))}
               if config.lane_banks else {}),
            **({"rd_region_en": In(data.ArrayLayout(1, config.row_regions))}
               if config.address_cuts == 2 else {}),
        })

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        depth = config.bank_words

        bank = Signal(range(config.rows))
        chunk = Signal(range(config.max_chunks))
        base = Signal(range(depth + 1))     # the current block's first word
        loading = Signal()                  # a matrix's first beat was written, its last not yet
        rows = _RowCount.create(config)
        # chunk + 1 as a register: the flag below is then a compare of flops, without an adder's
        # carry chain in front (the 48 MHz build's critical path)
        chunk_next = Signal(range(config.max_chunks + 1), init=1)
        padding = Signal()

        chunks, last_chunk_index, last_lanes, last_row_index = self._held_shape(m, loading)

        # A beat taken is written a cycle later (``config.weight_write_delay``), from a register:
        # the handshake (``allow`` from the controller, ``valid`` from the link) then ends at that
        # register's enable, and the counters and bank enables start from flops. It was the
        # critical path of the 16 x 8 default and of the 4-bit 16 x 12 array.
        taken = Signal()
        beat = Signal(stored_word_layout(config))
        beat_valid = Signal()
        write = Signal()
        word = Signal(stored_word_layout(config))
        # chunk == last_chunk and bank == rows - 1 as registers computed from the next counts,
        # like the row flags: the compares sit in front of flops, not between ``write`` and the
        # counters' enables. Between loads the flags follow the held shape (a register) within
        # ``config.shape_settle_cycles``; during a load only the writes move the row flags.
        last_chunk = Signal()
        last_bank = Signal(init=config.rows == 1)
        m.d.sync += last_chunk.eq(chunk == last_chunk_index)
        with m.If(~loading):
            m.d.sync += [rows.at_last.eq(rows.written == last_row_index),
                         rows.next_is_last.eq(rows.next == last_row_index)]
        # The cycle after a matrix's last beat is taken, that beat is being written: the next
        # matrix's first beat waits for the padding (or ``loaded``) it starts.
        ending = beat_valid & last_chunk & rows.at_last
        m.d.comb += [
            self.load.ready.eq(self.allow & ~padding & ~ending),
            taken.eq(self.load.valid & self.load.ready),
            write.eq(beat_valid | padding),
            self.writing.eq(write),
        ]
        m.d.sync += [beat.eq(self.load.payload), beat_valid.eq(taken)]
        # padding rows fill the last block: five flops, two LUTs deep (nested below, it was four)
        m.d.sync += padding.eq(Mux(padding, ~(last_chunk & last_bank),
                                   beat_valid & last_chunk & rows.at_last & ~last_bank))
        with m.If(~loading):   # between matrices: the next one starts at its slot
            m.d.sync += base.eq(self.first_word)
        # complete as the counters see it: ``loaded`` itself, or, with write cuts, before them
        loaded = Signal(name="loaded_now") if config.write_cuts else self.loaded
        with m.If(taken):      # a matrix's first beat: the previous one is no longer usable
            m.d.sync += [loaded.eq(0), loading.eq(1)]
        self._store_word(m, word, beat, padding, last_chunk, last_lanes)
        self._banks(m, *self._write_cuts(m, word, write, bank, base + chunk, loaded))

        with m.If(write):
            with m.If(~last_chunk):
                m.d.sync += [chunk.eq(chunk_next), chunk_next.eq(chunk_next + 1),
                             last_chunk.eq(chunk_next == last_chunk_index)]
            with m.Else():
                m.d.sync += [chunk.eq(0), chunk_next.eq(1), last_chunk.eq(last_chunk_index == 0)]
                row_done = ~padding & rows.at_last     # the matrix's last row
                with m.If(~padding):
                    m.d.sync += [rows.written.eq(rows.next), rows.next.eq(rows.after),
                                 rows.after.eq(rows.after + 1), rows.at_last.eq(rows.next_is_last),
                                 rows.next_is_last.eq(rows.after == last_row_index)]
                with m.If(last_bank):
                    m.d.sync += [bank.eq(0), base.eq(base + chunks),
                                 last_bank.eq(config.rows == 1)]
                    with m.If(row_done | padding):  # the matrix is complete
                        m.d.sync += [loaded.eq(1), loading.eq(0), rows.written.eq(0),
                                     rows.next.eq(1), rows.after.eq(2),
                                     rows.at_last.eq(last_row_index == 0),
                                     rows.next_is_last.eq(last_row_index == 1)]
                with m.Else():
                    m.d.sync += [bank.eq(bank + 1), last_bank.eq(bank == config.rows - 2)]
        return m

    def _write_cuts(self, m: Module, word, write, bank, addr, loaded) -> tuple:
        """The banks' write through ``config.write_cuts`` registers: ``(words, enables,
        addrs)``, the word and address a list by row group (a copy a group with row groups,
        ``hw.copies``, data without a reset), the enables one a row (``write & bank == row``,
        registered with the last cut, so each is a flop beside its bank and no decode sits
        behind it). With two cuts a central register comes first, so the die-wide nets to the
        copies start from flops rather than from the address adder; with three a copy a row
        region follows it, so no hop spans the die (``config.row_regions``, ``hw.copies``; the
        enables then decode the region's copy of the bank). ``loaded`` is delayed as
        much, so it rises once the last write landed (it falls as late: the old matrix is
        intact until the new one's first write)."""
        config = self._config
        if not config.write_cuts:
            return [word], [write & (bank == row) for row in range(config.rows)], [addr]
        loaded_cuts = [loaded, *(Signal(name=f"loaded_cut_{cut}")
                                 for cut in range(config.write_cuts))]
        m.d.sync += [after.eq(before) for before, after in zip(loaded_cuts, loaded_cuts[1:])]
        m.d.comb += self.loaded.eq(loaded_cuts[-1])
        addr = Value.cast(addr)
        if config.write_cuts >= 2:   # a central stage first: the copies start from flops
            central = (Signal.like(word, name="wr_word_central", reset_less=True),
                       Signal.like(addr, name="wr_addr_central", reset_less=True),
                       Signal(name="wr_central"), Signal.like(bank, name="wr_bank_central"))
            m.d.sync += [flop.eq(value) for flop, value in zip(central, (word, addr, write, bank))]
            word, addr, write, bank = central
        enables = [Signal(name=f"wr_en_{row}") for row in range(config.rows)]
        if config.write_cuts == 3:
            words = regional_copies(m, word, config, name="wr_word", reset_less=True)
            addrs = regional_copies(m, addr, config, name="wr_addr", reset_less=True)
            writes = register_copies(m, write, config.row_regions, name="wr_region")
            banks = register_copies(m, bank, config.row_regions, name="wr_bank_region")
            for row, enable in enumerate(enables):
                region = config.row_region(config.row_group(row))
                m.d.sync += enable.eq(writes[region] & (banks[region] == row))
            return words, enables, addrs
        copies = 1 if config.lane_banks else config.row_groups
        words = register_copies(m, word, copies, name="wr_word", reset_less=True)
        addrs = register_copies(m, addr, copies, name="wr_addr", reset_less=True)
        m.d.sync += [enable.eq(write & (bank == row)) for row, enable in enumerate(enables)]
        return words, enables, addrs

    def _held_shape(self, m: Module, loading) -> tuple:
        """The shape of the matrix being loaded (chunks, last chunk, last lanes, last row):
        follows the inputs between loads, held during one."""
        held = (Signal.like(self.chunks, name="chunks"),
                Signal.like(self.last_chunk, name="last_chunk_index"),
                Signal.like(self.last_lanes, name="last_lanes"),
                Signal.like(self.last_row, name="last_row_index"))
        with m.If(~loading):
            m.d.sync += [register.eq(value) for register, value in
                         zip(held, (self.chunks, self.last_chunk, self.last_lanes, self.last_row))]
        return held

    def _store_word(self, m: Module, word, payload, padding, last_chunk, last_lanes) -> None:
        """What is written: the beat taken (``payload``), with zero weights for the padding rows
        and, for 2-bit codes, for the lanes outside K (base-3 lanes share bytes: they are masked
        on reading)."""
        config = self._config
        if config.weight_packing == "base3":
            zero = Const(int.from_bytes(pack_base3([[0] * config.lanes]).tobytes(), "little"),
                         config.weight_word_bits)
            m.d.comb += word.eq(Mux(padding, zero, payload.as_value()))
            return
        zero = zero_weight_code(config)
        for lane in range(config.lanes):
            keep = ~padding & (~last_chunk | last_lanes[lane])
            m.d.comb += word[lane].eq(Mux(keep, payload[lane], zero))

    def _banks(self, m: Module, words, enables, addrs) -> None:
        """The ``rows`` banks: a word written at its address into the bank whose enable is
        high, every bank read at ``rd_addr``, and the words read turned into codes. Words and
        addresses come as lists by row group, the enables one a row (``_write_cuts``)."""
        config = self._config
        depth = config.bank_words
        if config.lane_banks:
            self._lane_banks(m, words[0], enables, addrs[0])
            return
        addresses = [self.rd_addr]
        last = [self.rd_last]
        if config.address_cuts:
            read_enables = group_copies([self.rd_en[copy] for copy in range(config.act_copies)],
                                        config)
            if config.address_cuts == 2:    # a copy a region, then a copy a group
                addresses = regional_copies(
                    m, self.rd_addr, config, name="rd_addr_cut", reset_less=True,
                    region_en=[self.rd_region_en[r] for r in range(config.row_regions)],
                    group_en=read_enables)
            else:
                addresses = register_copies(m, self.rd_addr, config.row_groups,
                                            en=read_enables, name="rd_addr_cut",
                                            reset_less=True)
        if config.weight_packing == "base3":    # a row's last chunk, beside its bytes and codes
            last += [Signal(name=f"rd_last_{stage}")
                     for stage in range(config.address_cuts + 2)]
            with m.If(self.rd_en[0]):
                m.d.sync += [after.eq(before) for before, after in zip(last, last[1:])]
        for row in range(config.rows):
            word, addr = row_copy(words, config, row), row_copy(addrs, config, row)
            if config.weight_store == "spram":
                # single port: the write address wins while loading, when reads are unused
                m.submodules[f"bank_{row}"] = spram = SPRAMBank(
                    width=config.weight_word_bits, depth=depth, primitive=self._spram_primitive)
                m.d.comb += [
                    spram.addr.eq(Mux(self.writing, addr, self.rd_addr)),
                    spram.wr_data.eq(word),
                    spram.wr_en.eq(enables[row]),
                    spram.rd_en.eq(self.rd_en[config.act_copy(row)]),
                ]
                stored = spram.rd_data
            else:
                # simple dual port: reads go on while a load writes another slot
                mem = ebr_memory(shape=stored_word_layout(config), depth=depth)
                m.submodules[f"bank_{row}"] = mem
                wr = mem.write_port()
                m.d.comb += [wr.addr.eq(addr), wr.data.eq(word), wr.en.eq(enables[row])]
                stored = ebr_read_port(m, mem, addr=row_copy(addresses, config, row),
                                       en=self.rd_en[config.act_copy(row)], name=f"rd_data_{row}")
            if config.weight_packing == "base3":
                self._decode(m, row, stored, last[-1])
            else:
                m.d.comb += self.rd_data[row].eq(stored)

    def _lane_banks(self, m: Module, word, enables, addr) -> None:
        """A bank per lane: a word holds the block's ``rows`` codes of one column; a beat of row
        slot ``bank`` writes its lane's code into that slot of every lane's word (write enable
        per 2-bit slot), and each lane's bank is read at its own ``rd_lane_addrs``."""
        config = self._config
        slot_bits = config.weight_bits
        for lane in range(config.lanes):
            mem = Memory(shape=config.rows * slot_bits, depth=config.bank_words, init=[],
                         attrs=NO_RW_CHECK)
            m.submodules[f"lane_bank_{lane}"] = mem
            wr = mem.write_port(granularity=slot_bits)
            m.d.comb += [wr.addr.eq(addr), wr.data.eq(Cat([word[lane]] * config.rows))]
            for row in range(config.rows):
                m.d.comb += wr.en[row].eq(enables[row])
            stored = ebr_read_port(m, mem, addr=self.rd_lane_addrs[lane], en=self.rd_en[0],
                                   name=f"lane_data_{lane}")
            for row in range(config.rows):
                m.d.comb += self.rd_data[row][lane].eq(stored[row * slot_bits:(row + 1) * slot_bits])

    def _decode(self, m: Module, row: int, stored, last) -> None:
        """Base-3 bytes to codes: each byte the bank read addresses a 256-word ROM of its five
        trits' codes (one block RAM each, no logic), read on ``rd_en`` like the bank; lanes past K
        of a last chunk (``last``, aligned with the codes) then read as zero (a mux per lane,
        ahead of the PE)."""
        config = self._config
        trits = TRITS_PER_BYTE_BASE3
        for index in range(config.weight_word_bits // 8):
            rom = Memory(shape=2 * trits, depth=256, init=base3_decode_table(), attrs=NO_RW_CHECK)
            m.submodules[f"decode_{row}_{index}"] = rom
            codes = ebr_read_port(m, rom, addr=Value.cast(stored)[8 * index:8 * index + 8],
                                  en=self.rd_en[config.act_copy(row)],
                                  name=f"codes_{row}_{index}")
            for i in range(trits):
                lane = index * trits + i
                keep = ~last | self.read_lanes[lane]
                m.d.comb += self.rd_data[row][lane].eq(
                    Mux(keep, codes[2 * i:2 * i + 2], TRIT_CODE[0]))
