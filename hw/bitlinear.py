"""BitLinear datapath top: streams in, weights in block RAM, ternary rows, accumulators, streams out.

Schedule (the same one golden/cycle.py models): for each token, for each block of ``rows`` outputs,
for each ``lanes``-wide chunk of K, one *issue* a cycle reads one activation word and one weight word
per row; the words reach the PEs a cycle later, pass the row's ``row_latency`` registers and
are accumulated; after the last chunk of a block the ``rows`` accumulators are one beat of
``acc_out`` (they are the output register: no copy). A beat that is not accepted freezes the whole
pipeline (one clock enable, ``advance``), so nothing is lost and the timing stays exact.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .act_buffer import ActBuffer, act_word_layout
from .array import TernaryRow
from .config import ArrayConfig
from .weight_mem import WeightMemory, trit_word_layout

__all__ = ["BitLinear", "SHAPE_SETTLE_CYCLES", "acc_word_layout"]

#: Cycles between changing ``k``/``n`` and the first beat that may use them (the shape is
#: registered once; one spare cycle keeps drivers clear of the edge).
SHAPE_SETTLE_CYCLES = 2


def acc_word_layout(config: ArrayConfig) -> data.ArrayLayout:
    """One output beat: the accumulators of one block of ``rows`` outputs."""
    return data.ArrayLayout(signed(config.acc_bits), config.rows)


class BitLinear(wiring.Component):
    """Ternary matrix product ``acc = x_codes @ w_codes.T`` for M tokens through an N×K matrix.

    Weights first: ``w_in`` carries the N rows of K trit codes, ``ceil(K/lanes)`` beats a row.
    Then each token is ``ceil(K/lanes)`` beats of ``lanes`` int8 codes on ``x_in`` (lanes past K
    are ignored), and gives ``ceil(N/rows)`` beats on ``acc_out``; accumulators past N read 0.
    ``k`` and ``n`` are registered: set them at least ``SHAPE_SETTLE_CYCLES`` cycles before the
    first beat that uses them, and keep them constant while a matrix or tokens are in flight. ``w_in`` is accepted
    only between tokens and never while a buffered token could start; its first beat clears
    ``weights_loaded``, and tokens wait until the whole matrix is in. So a token computes with the
    new matrix if that matrix's first beat is taken before the token's last beat.

    Members
    -------
    k : In(range(max_k + 1))
    n : In(range(max_n + 1))
    w_in : In(stream.Signature(trit_word_layout(config)))
    x_in : In(stream.Signature(act_word_layout(config)))
    acc_out : Out(stream.Signature(acc_word_layout(config)))
    weights_loaded : Out(1)
    perf_clear : In(1)
        Zero the counters; they restart with the next ``x_in`` beat.
    perf_busy, perf_in_stall, perf_out_stall : Out(perf_bits)
        Cycles from the first ``x_in`` beat to the latest ``acc_out`` beat, split three ways:
        a chunk was issued; the output stalled the pipeline; nothing to issue (waiting for
        activations or weights, or draining the pipeline). They settle three cycles after that beat.
    """

    def __init__(self, config: ArrayConfig, *, spram_primitive: bool | None = None):
        if not isinstance(config, ArrayConfig):
            self._MustUse__silence = True  # a rejected component is not an unused one
            raise TypeError(f"config: expected an ArrayConfig, got {type(config).__name__}")
        self._config = config
        self._spram_primitive = spram_primitive  # see hw.spram.SPRAMBank
        perf = unsigned(config.perf_bits)
        super().__init__({
            "k": In(range(config.max_k + 1)),
            "n": In(range(config.max_n + 1)),
            "w_in": In(stream.Signature(trit_word_layout(config))),
            "x_in": In(stream.Signature(act_word_layout(config))),
            "acc_out": Out(stream.Signature(acc_word_layout(config))),
            "weights_loaded": Out(1),
            "perf_clear": In(1),
            "perf_busy": Out(perf),
            "perf_in_stall": Out(perf),
            "perf_out_stall": Out(perf),
        })

    @property
    def config(self) -> ArrayConfig:
        return self._config

    @property
    def latency(self) -> int:
        """Cycles from issuing a block's last chunk to its beat on ``acc_out``."""
        return 2 + self._config.row_latency

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        lane_bits = config.tree_depth  # log2(lanes), lanes is a power of two

        m.submodules.act_buffer = act = ActBuffer(config)
        m.submodules.weight_mem = wmem = WeightMemory(config, spram_primitive=self._spram_primitive)
        wiring.connect(m, wiring.flipped(self.x_in), act.load)
        wiring.connect(m, wiring.flipped(self.w_in), wmem.load)

        # Layer shape, registered: k and n are quasi-static, and computing chunks - 1 or a lane
        # mask from them combinationally put a subtraction and a compare chain on every path
        # that decides a handshake. lanes is a power of two, so these are shifts and masks.
        chunks = Signal(range(config.max_chunks + 1))
        last_chunk_index = Signal(range(config.max_chunks))
        last_lanes = Signal(config.lanes)
        last_row = Signal(range(config.max_n))
        last_block_start = Signal(signed(max(config.max_n, config.rows).bit_length() + 2))
        k_low = Signal(max(lane_bits, 1))
        m.d.comb += k_low.eq((self.k - 1)[:lane_bits] if lane_bits else 0)
        m.d.sync += [
            chunks.eq((self.k + (config.lanes - 1)) >> lane_bits),
            last_chunk_index.eq(((self.k + (config.lanes - 1)) >> lane_bits) - 1),
            last_row.eq(self.n - 1),
            last_block_start.eq(self.n - config.rows),  # the last block starts at row >= this
        ]
        for lane in range(config.lanes):
            m.d.sync += last_lanes[lane].eq(k_low >= lane)
        m.d.comb += [
            act.last_chunk.eq(last_chunk_index),
            wmem.chunks.eq(chunks),
            wmem.last_chunk.eq(last_chunk_index),
            wmem.last_lanes.eq(last_lanes),
            wmem.last_row.eq(last_row),
            self.weights_loaded.eq(wmem.loaded),
        ]

        # ---- issue stage
        advance = Signal()
        can_issue = Signal()
        issue = Signal()
        chunk = Signal(range(config.max_chunks))
        block_row = Signal(range(config.max_n + config.rows))  # first output row of the block
        addr = Signal(range(config.max_blocks * config.max_chunks))
        last_chunk = Signal()
        last_block = Signal()
        # chunk == 0 and block_row == 0, as a register: the weight loader's permission is on the
        # path into the weight banks' write enables. last_chunk and last_block are registers too,
        # computed from the next chunk / block_row (the compares sit in front of the flops, not
        # between ``issue`` and the counters' and the activation buffer's enables); the shape
        # registers above settle before any token can be issued.
        at_start = Signal(init=1)
        m.d.sync += [last_chunk.eq(chunk == last_chunk_index),
                     last_block.eq(block_row >= last_block_start)]
        m.d.comb += [
            advance.eq(~self.acc_out.valid | self.acc_out.ready),
            can_issue.eq(act.available & wmem.loaded),
            issue.eq(can_issue & advance),
            act.rd_addr.eq(chunk),
            act.rd_en.eq(advance),
            wmem.rd_addr.eq(addr),
            wmem.rd_en.eq(advance),
            wmem.allow.eq(at_start & ~can_issue),
        ]
        with m.If(issue):
            with m.If(~last_chunk):
                m.d.sync += [chunk.eq(chunk + 1), addr.eq(addr + 1), at_start.eq(0),
                             last_chunk.eq(chunk + 1 == last_chunk_index)]
            with m.Elif(~last_block):
                m.d.sync += [chunk.eq(0), addr.eq(addr + 1), block_row.eq(block_row + config.rows),
                             at_start.eq(0), last_chunk.eq(last_chunk_index == 0),
                             last_block.eq(block_row + config.rows >= last_block_start)]
            with m.Else():
                m.d.sync += [chunk.eq(0), addr.eq(0), block_row.eq(0), at_start.eq(1),
                             last_chunk.eq(last_chunk_index == 0),
                             last_block.eq(last_block_start <= 0)]
                m.d.comb += act.release.eq(1)

        # ---- rows of PEs and trees; the pipeline depth follows their latency
        rows = []
        for row in range(config.rows):
            m.submodules[f"row_{row}"] = ternary_row = TernaryRow(config)
            m.d.comb += [
                ternary_row.acts.eq(act.rd_data),
                ternary_row.codes.eq(wmem.rd_data[row]),
                ternary_row.en.eq(advance),
            ]
            rows.append(ternary_row)

        # ---- pipeline flags: stage 0 is the issue, stage 1 the memory data, then the row's registers
        stages = 1 + rows[0].latency
        valid = [Signal(name=f"valid_{s}") for s in range(stages + 1)]
        first = [Signal(name=f"first_{s}") for s in range(stages + 1)]
        last = [Signal(name=f"last_{s}") for s in range(stages + 1)]
        m.d.comb += [valid[0].eq(issue), first[0].eq(chunk == 0), last[0].eq(last_chunk)]
        with m.If(advance):
            for s in range(stages):
                m.d.sync += [valid[s + 1].eq(valid[s]), first[s + 1].eq(first[s]),
                             last[s + 1].eq(last[s])]

        # ---- accumulators, which are the output register: while a beat waits, ``advance`` is low
        # and nothing accumulates; the cycle it is taken, the next block's first chunk may land.
        done = Signal()
        m.d.comb += done.eq(advance & valid[stages] & last[stages])
        for row, ternary_row in enumerate(rows):
            row_sum = ternary_row.sum
            acc = self.acc_out.payload[row]
            total = Signal(signed(config.acc_bits), name=f"total_{row}")
            # the mux after the adder, not on its input: each bit is then one LUT4 of (first,
            # acc, row_sum, carry) beside its SB_CARRY, where masking acc took a LUT of its own
            m.d.comb += total.eq(Mux(first[stages], row_sum, acc + row_sum))
            with m.If(advance & valid[stages]):
                m.d.sync += acc.eq(total)

        with m.If(done):
            m.d.sync += self.acc_out.valid.eq(1)
        with m.Elif(self.acc_out.ready):
            m.d.sync += self.acc_out.valid.eq(0)

        # ---- performance counters
        # Each cycle is classified now and counted a cycle later, so the 32-bit adders do not sit
        # behind the handshake logic; the snapshot strobe is delayed to match.
        started = Signal()
        counting = Signal()
        out_beat = Signal()
        m.d.comb += [
            counting.eq(started | (self.x_in.valid & self.x_in.ready)),
            out_beat.eq(self.acc_out.valid & self.acc_out.ready),
        ]
        out_beat_seen = Signal()
        snapshot_now = Signal()
        m.d.sync += [out_beat_seen.eq(out_beat & ~self.perf_clear),
                     snapshot_now.eq(out_beat_seen & ~self.perf_clear)]
        counters = {
            "busy": (self.perf_busy, issue),
            "in_stall": (self.perf_in_stall, advance & ~issue),
            "out_stall": (self.perf_out_stall, ~advance),
        }
        # A counter is two halves, the upper one taking the lower one's carry a cycle later (a
        # 32-bit carry chain limited the array clock at 44 MHz); its value is
        # ``(high + carry) << half | low``, which the snapshot takes a cycle after the strobe.
        half = config.perf_bits // 2
        for name, (snapshot, condition) in counters.items():
            seen = Signal(name=f"perf_{name}_seen")
            low = Signal(half, name=f"perf_{name}_low")
            high = Signal(config.perf_bits - half, name=f"perf_{name}_high")
            carry = Signal(name=f"perf_{name}_carry")
            low_next = Signal(half + 1, name=f"perf_{name}_low_next")
            m.d.sync += seen.eq(counting & condition & ~self.perf_clear)
            m.d.comb += low_next.eq(low + seen)
            m.d.sync += [low.eq(low_next[:half]), carry.eq(low_next[half]),
                         high.eq(high + carry)]
            with m.If(snapshot_now):
                m.d.sync += snapshot.eq(Cat(low, high + carry))
            with m.If(self.perf_clear):
                m.d.sync += [low.eq(0), high.eq(0), carry.eq(0), snapshot.eq(0)]
        m.d.sync += started.eq(counting & ~self.perf_clear)
        return m
