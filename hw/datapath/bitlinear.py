"""BitLinear datapath top: streams in, weights in block RAM, ternary rows, accumulators, streams out.

Schedule (the same one golden/cycle.py models): for each token, for each block of ``rows`` outputs,
for each ``lanes``-wide chunk of K, one *issue* a cycle reads one activation word and one weight word
per row; the words reach the PEs a cycle later (two with base-3 weights: their decode ROMs, and
the activations are read a cycle later to match; ``read_cuts`` more registers if asked), pass
the row's ``row_latency`` registers and
are accumulated; after the last chunk of a block the ``rows`` accumulators are one beat of
``acc_out`` (they are the output register: no copy). A beat that is not accepted freezes the whole
pipeline (one clock enable, ``advance``), so nothing is lost and the timing stays exact. With
``config.output_slots`` nothing freezes: each row's two slots take the blocks in turn, and a block
starts only once the slot it will finish in was taken (``_slots``).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..config import ArrayConfig
from ..formats import acc_word_layout, act_word_layout, stored_word_layout
from ..copies import COPY_ATTR, group_copies, regional_copies, register_copies, row_copy
from .act_buffer import ActBuffer
from .chunks import ChunkCount
from .perf import PerfCounters, PerfSignature
from .weight_mem import WeightMemory

__all__ = ["BitLinear"]


class BitLinear(wiring.Component):
    """Ternary matrix product ``acc = x_codes @ w_codes.T`` for M tokens through an N×K matrix.

    Weights first: ``w_in`` carries the N rows of K trit codes, ``ceil(K/lanes)`` beats a row.
    Then each token is ``ceil(K/lanes)`` beats of ``lanes`` int8 codes on ``x_in`` (lanes past K
    are ignored), and gives ``ceil(N/rows)`` beats on ``acc_out``; accumulators past N read 0
    (beat formats: ``hw.formats``). ``k`` and ``n`` are registered: set them at least
    ``config.shape_settle_cycles`` cycles before the first beat that uses them, and keep them
    constant
    while a matrix or tokens are in flight. ``w_in`` is accepted only between tokens and never
    while a buffered token could start; its first beat clears ``weights_loaded``, and tokens wait
    until the whole matrix is in. So a token computes with the new matrix if that matrix's first
    beat is taken before the token's last beat.

    Matrices stay resident: ``w_base`` says where in the weight banks the next matrix is written
    and where tokens read theirs (a matrix takes ``config.matrix_words(n, k)`` words from there),
    so several layers can be loaded once, side by side, and used in turn. ``w_resident`` says the
    matrix at ``w_base`` is already complete (loaded earlier, with this ``k`` and ``n``): tokens
    then need no load. Like ``k`` and ``n``, both are registered.

    Loads overlap compute on block-RAM banks (a write port apart from the read port): a load takes
    the shape and base it sees at its first beat and keeps them to its last, so once it started,
    ``k``, ``n``, ``w_base`` may name a resident matrix with ``w_resident`` high, and tokens run
    on that one while the load goes on (into another slot: the caller keeps them apart). With
    ``w_resident`` low, ``w_in`` is taken only between tokens, as before; on SPRAM (one port) it
    is never taken while ``w_resident`` is high.

    Members
    -------
    k : In(range(max_k + 1))
    n : In(range(max_n + 1))
    w_base : In(range(bank_words))
    w_resident : In(1)
    w_in : In(stream.Signature(stored_word_layout(config)))
    x_in : In(stream.Signature(act_word_layout(config)))
    acc_out : Out(stream.Signature(acc_word_layout(config)))
    weights_loaded : Out(1)
    perf : Out(PerfSignature(perf_bits))
        The performance counters (``hw.datapath.perf``).
    acc_ready_next : In(1)
        Only with ``ready_ahead``: what ``acc_out.ready`` will be in the next cycle.

    ``ready_ahead`` is for a sink whose ready is a flop and so known a cycle early (the clock
    crossing's, ``HandshakeCDC.i_ready_next``): the pipeline's enable, ``advance``, is then a
    register set from the next cycle's output valid and ready, instead of logic behind
    ``acc_out.ready``, which on the UP5K crossed the die from the crossing to every pipeline
    enable. The schedule is the same cycle for cycle (no copy of the accumulators, unlike
    ``config.output_buffer``, which takes precedence).
    """

    def __init__(self, config: ArrayConfig, *, spram_primitive: bool | None = None,
                 ready_ahead: bool = False):
        if not isinstance(config, ArrayConfig):
            raise TypeError(f"config: expected an ArrayConfig, got {type(config).__name__}")
        self._config = config
        self._spram_primitive = spram_primitive  # see hw.memory.spram.SPRAMBank
        self._ready_ahead = bool(ready_ahead)
        super().__init__({
            "k": In(range(config.max_k + 1)),
            "n": In(range(config.max_n + 1)),
            "w_base": In(range(config.bank_words)),
            "w_resident": In(1),
            "w_in": In(stream.Signature(stored_word_layout(config))),
            "x_in": In(stream.Signature(act_word_layout(config))),
            "acc_out": Out(stream.Signature(acc_word_layout(config))),
            "weights_loaded": Out(1),
            "perf": Out(PerfSignature(config.perf_bits)),
            **({"acc_ready_next": In(1)} if ready_ahead else {}),
        })

    @property
    def config(self) -> ArrayConfig:
        return self._config

    @property
    def latency(self) -> int:
        """Cycles from issuing a block's last chunk to its beat on ``acc_out``."""
        return self._config.output_latency

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        m.submodules.act_buffer = act = ActBuffer(config)
        m.submodules.weight_mem = wmem = WeightMemory(config, spram_primitive=self._spram_primitive)
        wiring.connect(m, wiring.flipped(self.x_in), act.load)
        wiring.connect(m, wiring.flipped(self.w_in), wmem.load)
        m.d.comb += self.weights_loaded.eq(wmem.loaded)
        shape = self._shape_registers(m, act, wmem)

        advance, (enables, region_enables), advance_next, held = self._enable(m)
        owed_full = Signal() if config.output_slots else None    # two beats owed: no new block
        step, issue, plane, first, last, blocked = self._issue(m, act, wmem, shape, advance,
                                                               owed_full)
        m.submodules.rows = rows = config.kind.array_class()(config)
        pipeline = self._pipeline(m, rows, advance, issue, plane, first, last)
        acts, codes = self._read_cuts(m, act.rd_data, wmem.rd_data, advance,
                                      (enables, region_enables))
        at_rows = (1 + config.address_cuts + config.skip_latency + config.decode_latency
                   + config.read_latency)
        m.d.comb += [
            *(rows.acts[copy].eq(value) for copy, value in enumerate(acts)),
            rows.codes.eq(codes),
            rows.plane.eq(pipeline["plane"][at_rows]),
            Value.cast(rows.en).eq(Cat(*enables)),
            Value.cast(wmem.rd_en).eq(Cat(*enables)),   # a copy a group: beside its banks
            *([Value.cast(wmem.rd_region_en).eq(Cat(*region_enables))]
              if config.address_cuts == 2 else []),
        ]
        if config.output_slots:
            self._slots(m, rows, (enables, region_enables), pipeline, issue & first, owed_full)
        else:
            self._accumulate(m, rows, (advance, enables, region_enables, advance_next),
                             pipeline, held)

        m.submodules.perf = counters = PerfCounters(config.perf_bits)
        wiring.connect(m, counters.perf, wiring.flipped(self.perf))
        m.d.comb += [
            counters.token_beat.eq(self.x_in.valid & self.x_in.ready),
            counters.issue.eq(step),
            # with output slots the pipeline never stops: the cycles a block waits for a slot
            # are the output's stalls
            counters.advance.eq(~blocked if config.output_slots else advance),
            counters.out_beat.eq(self.acc_out.valid & self.acc_out.ready),
        ]
        return m

    def _enable(self, m: Module) -> tuple:
        """The pipeline's enable, ``advance``: low while a finished beat cannot leave. Returns
        ``(advance, (enables, region_enables), advance_next, held)``: the enable, its copies a
        row group and a row region (or it again), what it is next cycle where it is a register
        (``ready_ahead``), and the output buffer's ``held`` flag (None without one)."""
        config = self._config
        held = None
        if config.output_slots:     # the pipeline never stops: no enable at all
            return (Const(1), ([Const(1)] * config.act_copies, [Const(1)] * config.row_regions),
                    None, None)
        ahead = self._ready_ahead and not config.output_buffer
        advance_next = Signal()     # with ``ahead``: what ``advance`` is next cycle
        copied = ahead and config.act_copies > 1
        if ahead:   # set by _accumulate a cycle early; high after reset, when no beat waits
            # with copies, the original is kept apart from them too: yosys would otherwise fold
            # it into one of them, and that copy, beside its group, would drive the controller
            advance = Signal(init=1, name="advance_ahead",
                             attrs={COPY_ATTR: 1} if copied else {})
            m.d.sync += advance.eq(advance_next)
        else:
            advance = Signal()
        # the enable reaches every row: with row groups and a registered enable, each group
        # has its own copy of it (it reaches the rows' trees, the activations' copy, the
        # accumulate flags and the accumulators); the controller keeps the original
        enables = [advance] * config.act_copies
        region_enables = [advance] * config.row_regions
        if copied:
            enables = register_copies(m, advance_next, config.act_copies, name="advance_at_rows",
                                      init=1)
            if config.row_regions > 1:
                region_enables = register_copies(m, advance_next, config.row_regions,
                                                 name="advance_at_regions", init=1)
        if config.output_buffer:
            held = Signal()     # a finished beat waits in the accumulators
            m.d.comb += advance.eq(~held)
        elif not ahead:
            m.d.comb += advance.eq(~self.acc_out.valid | self.acc_out.ready)
        return advance, (enables, region_enables), advance_next, held

    def _shape_registers(self, m: Module, act: ActBuffer, wmem: WeightMemory) -> tuple:
        """The layer shape, registered, in the forms the parts need. ``k`` and ``n`` are
        quasi-static, and computing chunks - 1 or a lane mask from them combinationally put a
        subtraction and a compare chain on every path that decides a handshake. The chunks of K
        come from a ``ChunkCount`` (shifts and masks for power-of-two lanes). The weight loader
        registers its own copy (it holds it for the length of a load), so it takes them
        unregistered."""
        config = self._config
        m.submodules.chunk_count = count = ChunkCount(config)
        last_chunk_index = Signal(range(config.max_chunks))
        last_block_start = Signal(signed(max(config.max_n, config.rows).bit_length() + 2))
        first_word = Signal(range(config.bank_words))
        resident = Signal()
        last_lanes = Signal(config.lanes)
        chunks = Signal.like(count.chunks)      # words a block takes (zero skipping's stride)
        m.d.comb += count.k.eq(self.k)
        m.d.sync += [
            chunks.eq(count.chunks),
            last_chunk_index.eq(count.last_chunk),
            last_block_start.eq(self.n - config.rows),  # the last block starts at row >= this
            first_word.eq(self.w_base), resident.eq(self.w_resident),
            last_lanes.eq(count.last_lanes),
        ]
        m.d.comb += [
            act.last_chunk.eq(last_chunk_index),
            wmem.chunks.eq(count.chunks),
            wmem.last_chunk.eq(count.last_chunk),
            wmem.last_row.eq(self.n - 1),
            wmem.first_word.eq(first_word),
            wmem.last_lanes.eq(count.last_lanes),
            wmem.read_lanes.eq(last_lanes),
        ]
        if config.zero_skip == "codes":     # lanes past K never join a queue
            m.d.comb += act.last_lanes.eq(last_lanes)
        return last_chunk_index, last_block_start, first_word, resident, chunks

    def _issue(self, m: Module, act: ActBuffer, wmem: WeightMemory, shape: tuple, advance,
               owed_full):
        """The issue stage: one chunk a cycle (``cycles_per_chunk`` for a bit-serial kind, which
        reads the same words each cycle), block by block, while a token and the matrix are in
        and the pipeline advances (with output slots: and, for a block's first chunk, fewer
        than two beats are owed: ``owed_full`` low). Returns ``(step, issue, plane, first,
        last, blocked)``: the array works this cycle; on the chunk's last cycle (the chunk is
        issued); which cycle of the chunk; it is its block's first; it is its block's last; a
        block waits for a slot. With zero skipping the chunks are the token's kept ones (the
        activation buffer's addresses), and the last is the buffer's count."""
        config = self._config
        last_chunk_index, last_block_start, first_word, resident, chunks = shape
        can_issue = Signal()
        step = Signal()
        issue = Signal()
        plane = Signal(range(config.cycles_per_chunk))
        plane_last = Signal(init=config.cycles_per_chunk == 1)   # a register: plane == last
        if config.cycles_per_chunk > 1:
            with m.If(step):
                m.d.sync += [plane.eq(Mux(plane_last, 0, plane + 1)),
                             plane_last.eq(plane == config.cycles_per_chunk - 2)]
        chunk = Signal(range(config.max_chunks))
        block_row = Signal(range(config.max_n + config.rows))  # first output row of the block
        # chunk + 1 and block_row + rows as registers: the flags' compares start from flops
        chunk_next = Signal(range(config.max_chunks + 1), init=1)
        block_next = Signal(range(config.max_n + 2 * config.rows), init=config.rows)
        last_chunk = Signal()
        last_block = Signal()
        # chunk == 0 and block_row == 0, as a register: the weight loader's permission is on the
        # path into the weight banks' write enables. last_chunk and last_block are registers too,
        # computed from the next chunk / block_row (the compares sit in front of the flops, not
        # between ``issue`` and the counters' and the activation buffer's enables); the shape
        # registers settle before any token can be issued.
        at_start = Signal(init=1)
        if config.zero_skip != "off":   # a token's issues a block: known from the buffer
            token_last, at_last = act.rd_last, Mux(at_start, act.first_is_last, last_chunk)
        else:
            token_last, at_last = last_chunk_index, last_chunk
        m.d.sync += [last_chunk.eq(chunk == token_last),
                     last_block.eq(block_row >= last_block_start)]
        usable = wmem.loaded | resident
        if config.weight_store == "spram":  # one port: no read while a word is written
            usable = usable & ~wmem.writing
        blocked = Const(0)      # a block's first chunk waits for an output slot
        moves = can_issue & advance
        if owed_full is not None:
            blocked = Signal(name="blocked")
            m.d.comb += blocked.eq(can_issue & (chunk == 0) & owed_full)
            moves = moves & ~blocked
        m.d.comb += [
            can_issue.eq(act.available & usable),
            step.eq(moves),
            issue.eq(step & plane_last),
            act.rd_addr.eq(chunk),
            act.rd_en.eq(advance),
            wmem.allow.eq(Mux(resident, int(self._config.weight_store == "ebr"),
                              at_start & ~can_issue)),
        ]
        with m.If(issue):
            with m.If(~at_last):
                m.d.sync += [chunk.eq(chunk_next), chunk_next.eq(chunk_next + 1), at_start.eq(0),
                             last_chunk.eq(chunk_next == token_last)]
            with m.Elif(~last_block):
                m.d.sync += [chunk.eq(0), chunk_next.eq(1), block_row.eq(block_next),
                             block_next.eq(block_next + config.rows),
                             at_start.eq(0), last_chunk.eq(token_last == 0),
                             last_block.eq(block_next >= last_block_start)]
            with m.Else():
                m.d.sync += [chunk.eq(0), chunk_next.eq(1), block_row.eq(0),
                             block_next.eq(config.rows), at_start.eq(1),
                             last_chunk.eq(last_chunk_index == 0),
                             last_block.eq(last_block_start <= 0)]
                m.d.comb += act.release.eq(1)
        self._weight_address(m, act, wmem, issue, at_start, at_last, last_block, first_word,
                             chunks, advance)
        return step, issue, plane, chunk == 0, at_last, blocked

    def _weight_address(self, m: Module, act: ActBuffer, wmem: WeightMemory, issue, at_start,
                        at_last, last_block, first_word, chunks, advance) -> None:
        """The weight word each issue reads: the next one (a block's chunks and blocks lie in
        order from the matrix's first word), or, with zero skipping, the block's first word plus
        the kept chunk's index, which arrives from the buffer a cycle later: the weights are read
        then (``skip_latency``)."""
        config = self._config
        addr = Signal(range(config.bank_words))     # the next word / the block's first word
        if config.zero_skip == "off":
            # a token's first issue reads the matrix at w_base, the others the word after the
            # last: so the register loads only on ``issue`` (an enable without ``at_start``)
            read = Signal.like(addr)
            m.d.comb += read.eq(Mux(at_start, first_word, addr))
            with m.If(issue):
                m.d.sync += addr.eq(read + 1)
            m.d.comb += [wmem.rd_addr.eq(read), wmem.rd_last.eq(at_last)]
            return
        with m.If(at_start & ~issue):   # between tokens: the next one reads the matrix at w_base
            m.d.sync += addr.eq(first_word)
        with m.If(issue & at_last):
            m.d.sync += addr.eq(Mux(last_block, first_word, addr + chunks))
        block_first = Signal.like(addr)
        read_last = Signal()
        with m.If(advance):
            m.d.sync += [block_first.eq(addr), read_last.eq(at_last)]
        m.d.comb += wmem.rd_last.eq(read_last)
        if config.zero_skip == "chunks":
            m.d.comb += wmem.rd_addr.eq(block_first + act.rd_index)
            return
        for lane in range(config.lanes):     # "codes": each lane's bank at its code's column
            m.d.comb += wmem.rd_lane_addrs[lane].eq(block_first + act.rd_indices[lane])

    def _read_cuts(self, m: Module, acts, codes, advance, enables) -> tuple:
        """The memories' read data through ``config.read_cuts`` registers, loading while the
        pipeline advances (as the tree's cuts do), so the rows start from flops next to the
        block RAMs instead of from their outputs; the activations through ``address_cuts`` more
        first (the weights' address register delays their read). The activations' last register
        is in ``config.act_copies`` copies (a list of them is returned), each loading with its
        group's enable, and with row regions the one before in a copy a region (``enables``:
        the groups' and the regions'). Data: no reset (the pipeline's flags say which cycles
        count)."""
        config = self._config
        enables, region_enables = enables
        act_stages = config.address_cuts + config.read_cuts
        regional = config.act_copies > 1 and config.row_regions > 1
        for stage in range(act_stages):
            name = f"acts_cut_{stage}"
            if stage == act_stages - 2 and regional:
                acts = regional_copies(m, acts, config, name=name, region_en=region_enables,
                                       group_en=enables, reset_less=True)
                break
            if stage == act_stages - 1 and config.act_copies > 1:
                acts = register_copies(m, acts, config.act_copies, en=enables, name=name,
                                       reset_less=True)
                break
            acts_cut = Signal.like(acts, name=name, reset_less=True)
            with m.If(advance):
                m.d.sync += acts_cut.eq(acts)
            acts = acts_cut
        for stage in range(config.read_cuts):
            codes_cut = Signal.like(codes, name=f"codes_cut_{stage}", reset_less=True)
            if len(enables) == 1:
                with m.If(advance):
                    m.d.sync += codes_cut.eq(codes)
            else:   # each row's weights with its group's enable
                for row in range(config.rows):
                    with m.If(row_copy(enables, config, row)):
                        m.d.sync += codes_cut[row].eq(codes[row])
            codes = codes_cut
        return (acts if isinstance(acts, list) else [acts]), codes

    def _pipeline(self, m: Module, rows, advance, issue, plane, first, last) -> dict:
        """Each issue's flags carried down the pipeline, one register a stage while it advances
        (stage 0 the issue, stage 1 the memory data, then the weights' index wait and decode if
        any, then the rows' registers): ``valid``, ``first``, ``last`` and the chunk's
        ``plane``, each a list by stage; with output slots also ``slot``, the block's slot
        (blocks take them in turn)."""
        config = self._config
        stages = (1 + config.address_cuts + config.skip_latency + config.decode_latency
                  + config.read_latency + rows.latency + config.sum_cuts)
        pipeline = {}
        sources = [("valid", issue), ("first", first), ("last", last), ("plane", plane)]
        if config.output_slots:
            slot = Signal(name="block_slot")
            with m.If(issue & last):
                m.d.sync += slot.eq(~slot)
            sources.append(("slot", slot))
        for name, source in sources:
            shape = plane.shape() if name == "plane" else 1
            chain = [Signal(shape, name=f"{name}_{s}") for s in range(stages + 1)]
            m.d.comb += chain[0].eq(source)
            with m.If(advance):
                m.d.sync += [chain[s + 1].eq(chain[s]) for s in range(stages)]
            pipeline[name] = chain
        return pipeline

    def _row_flags(self, m: Module, pipeline: dict, names: tuple, enables: list,
                   region_enables: list) -> list:
        """The last stage's flags ``names`` as the rows take them: a tuple of them for each
        row group (``row_copy``), each group's from its own copies of the stage before (or,
        with row regions, its region's copy of the stage before that), else the original."""
        config = self._config
        if config.row_regions > 1:
            return list(zip(*(
                regional_copies(m, pipeline[name][-3], config, name=f"{name}_at_rows",
                                region_en=region_enables,
                                group_en=group_copies(enables, config), reset_less=True)
                for name in names)))
        if config.row_groups > 1:
            return list(zip(*(
                register_copies(m, pipeline[name][-2], config.row_groups,
                                en=group_copies(enables, config),
                                name=f"{name}_at_rows", reset_less=True)
                for name in names)))
        return [tuple(pipeline[name][-1] for name in names)]

    def _sums(self, m: Module, rows, enables: list) -> list:
        """Each row's sum through ``config.sum_cuts`` registers (data; each row's with its
        group's copy of the enable), as its accumulate stage takes it."""
        config = self._config
        sums = [rows.sums[row] for row in range(config.rows)]
        for stage in range(config.sum_cuts):
            for row in range(config.rows):
                cut = Signal.like(sums[row], name=f"sum_cut_{stage}_{row}", reset_less=True)
                with m.If(row_copy(enables, config, row)):
                    m.d.sync += cut.eq(sums[row])
                sums[row] = cut
        return sums

    def _slots(self, m: Module, rows, enables: tuple, pipeline: dict, block_start,
               owed_full) -> None:
        """``config.output_slots``: each row's two slots accumulate the blocks in turn (a
        block's chunks into its slot), and ``acc_out`` shows the oldest finished one. Nothing
        stops the pipeline: a block starts (``block_start``) only while fewer than two beats
        are owed, started and not yet taken (``owed_full``), so the slot it accumulates in was
        taken before. The rows' flags, from a copy a group, decide each slot's write there."""
        config = self._config
        out = self.acc_out
        row_flags = self._row_flags(m, pipeline, ("valid", "first", "slot"), *enables)
        sums = self._sums(m, rows, enables[0])
        read_slot = Signal()            # the slot of the oldest finished block
        for row in range(config.rows):
            row_valid, row_first, row_slot = row_copy(row_flags, config, row)
            slots = [Signal(signed(config.acc_bits), name=f"slot{index}_{row}", reset_less=True)
                     for index in range(2)]
            total = Signal(signed(config.acc_bits), name=f"total_{row}")
            m.d.comb += [
                total.eq(Mux(row_first, sums[row],
                             Mux(row_slot, slots[1], slots[0]) + sums[row])),
                out.payload[row].eq(Mux(read_slot, slots[1], slots[0])),
            ]
            for index, slot in enumerate(slots):
                with m.If(row_valid & (row_slot == index)):
                    m.d.sync += slot.eq(total)
        done = Signal()
        taken = Signal()
        finished = Signal(range(3))     # beats finished, not yet taken
        owed = Signal(range(3))         # blocks started, their beats not yet taken
        m.d.comb += [done.eq(pipeline["valid"][-1] & pipeline["last"][-1]),
                     taken.eq(out.valid & out.ready), owed_full.eq(owed == 2)]
        finished_next = finished + done - taken
        m.d.sync += [finished.eq(finished_next), out.valid.eq(finished_next != 0),
                     owed.eq(owed + block_start - taken)]
        with m.If(taken):
            m.d.sync += read_slot.eq(~read_slot)

    def _accumulate(self, m: Module, rows, enable: tuple, pipeline: dict, held) -> None:
        """Accumulate each row's chunk sums when the last stage holds an issue. Without an output
        buffer the accumulators are the output register: while a beat waits, ``advance`` is low
        and nothing accumulates; the cycle it is taken, the next block's first chunk may land.
        With one (``config.output_buffer``) a finished block goes to the buffer when it is free
        (or being taken) and otherwise stays in the accumulators, ``held``, stalling the
        pipeline until the buffer frees. ``enable``: the pipeline's ``advance``, its copies a
        row group and a row region (or it again), and what ``advance`` is next cycle, where it
        is a register."""
        config = self._config
        advance, enables, region_enables, advance_next = enable
        valid, firsts, lasts = pipeline["valid"][-1], pipeline["first"][-1], pipeline["last"][-1]
        # the rows' accumulators take the last stage's flags from a copy a row group (their
        # enable and select reach every row; the controller keeps the original beside it). The
        # copies steer data only, so they need no reset: they equal the original from the
        # first advances after a restart, before which no issue reaches them
        row_flags = self._row_flags(m, pipeline, ("valid", "first"), enables, region_enables)
        sums = self._sums(m, rows, enables)
        done = Signal()
        m.d.comb += done.eq(advance & valid & lasts)
        out = self.acc_out
        buffered = bool(config.output_buffer)
        if buffered:
            free = Signal()     # the output register may take a beat this cycle
            m.d.comb += free.eq(~out.valid | out.ready)
        for row in range(config.rows):
            row_valid, row_first = row_copy(row_flags, config, row)
            # data, without a reset (``out.valid`` and the flags say when they count): the
            # accumulators, and the output buffer's copy of them
            acc = Signal(signed(config.acc_bits), name=f"acc_{row}", reset_less=True)
            shown = acc
            if buffered:
                shown = Signal(signed(config.acc_bits), name=f"shown_{row}", reset_less=True)
            m.d.comb += out.payload[row].eq(shown)
            total = Signal(signed(config.acc_bits), name=f"total_{row}")
            # the mux after the adder, not on its input: each bit is then one LUT4 of (first,
            # acc, row_sum, carry) beside its SB_CARRY, where masking acc took a LUT of its own
            m.d.comb += total.eq(Mux(row_first, sums[row], acc + sums[row]))
            with m.If(row_copy(enables, config, row) & row_valid):
                m.d.sync += acc.eq(total)
            if buffered:
                with m.If((done | held) & free):
                    m.d.sync += shown.eq(Mux(held, acc, total))
        finished = done
        if buffered:
            with m.If(done & ~free):
                m.d.sync += held.eq(1)
            with m.Elif(held & free):
                m.d.sync += held.eq(0)
            finished = (done | held) & free
        with m.If(finished):
            m.d.sync += out.valid.eq(1)
        with m.Elif(out.ready):
            m.d.sync += out.valid.eq(0)
        if self._ready_ahead and not buffered:
            # next cycle's ~valid | ready, now: the same enable a cycle later, from a register
            valid_next = finished | (out.valid & ~out.ready)
            m.d.comb += advance_next.eq(~valid_next | self.acc_ready_next)
