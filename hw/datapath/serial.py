"""The bit-serial PE kind ("serial"): the activations one bit-plane a cycle, a popcount per row,
shifted and accumulated; a chunk takes ``act_bits`` cycles (``ArrayConfig.cycles_per_chunk``).

With two's-complement codes ``a = -2^(B-1)·a[B-1] + Σ 2^j·a[j]``, a row's chunk sum is
``Σ_j W_j·P_j`` over the planes, ``P_j = Σ_l a_l[j]·t_l``. A lane gives one bit a plane,
``(a[j] ^ neg) & nonzero``: ``a[j]`` for t = +1, ``1 - a[j]`` for t = -1, 0 for t = 0; their
popcount is ``P_j + n`` with n the chunk's -1 trits. Since ``Σ_j W_j = -1``, the chunk sum is
``Σ_j W_j·popcount_j + n``: one popcount a plane, and n (counted from the codes, as the xor kind
does) once a chunk. The planes arrive sign plane first, so the shift-accumulate is Horner's
``r = -x`` then ``r = 2r + x``, with n added on the last plane.

A PE is then one LUT (bit, two code bits) and its share of a 1-bit popcount; the price is
``act_bits`` cycles a chunk, and a bit-plane selector a lane shared by all rows.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..config import ArrayConfig
from ..formats import trit_word_layout
from .pe import decode_trit
from .row import RowArray, negatives, popcount

__all__ = ["SerialLane", "SerialRow", "SerialArray"]


class SerialLane(wiring.Component):
    """One lane of a bit-serial row for one plane: ``out = (bit ^ negative) & nonzero``.

    Members
    -------
    bit : In(1)
        The lane's activation bit of this plane.
    code : In(2)
        Its trit code.
    out : Out(1)
        ``bit·t + (1 if t = -1)``: the row adds the count of -1 trits back once a chunk.
    """

    def __init__(self):
        super().__init__({"bit": In(1), "code": In(unsigned(2)), "out": Out(1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        negative, nonzero = decode_trit(self.code)
        m.d.comb += self.out.eq((self.bit ^ negative) & nonzero)
        return m


class SerialRow(wiring.Component):
    """One row: the lanes' bits through a popcount tree (the configuration's cuts), then the
    shift-accumulate register, which is the row's ``sum`` and holds the chunk's dot product the
    cycle after its last plane.

    Members
    -------
    bits : In(lanes)
        This plane's bit of each lane's activation.
    codes : In(trit_word_layout(config))
    first, last : In(1)
        The plane is the chunk's first (the sign plane) / last.
    en : In(1, init=1)
    sum : Out(signed(SerialArray.sum_bits(config)))
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        super().__init__({
            "bits": In(config.lanes),
            "codes": In(trit_word_layout(config)),
            "first": In(1),
            "last": In(1),
            "en": In(1, init=1),
            "sum": Out(signed(SerialArray.sum_bits(config))),
        })

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        outs = []
        for lane in range(config.lanes):
            m.submodules[f"lane_{lane}"] = pe = SerialLane()
            m.d.comb += [pe.bit.eq(self.bits[lane]), pe.code.eq(self.codes[lane])]
            outs.append(pe.out)
        count = popcount(m, outs, cuts=config.tree_cuts, en=self.en)
        n_negative = negatives(m, config, self.codes, self.en, name="negatives")
        first, last = self.first, self.last
        for stage in range(config.tree_latency):    # the flags beside the trees' registers
            first_d, last_d = Signal(name=f"first_{stage}"), Signal(name=f"last_{stage}")
            with m.If(self.en):
                m.d.sync += [first_d.eq(first), last_d.eq(last)]
            first, last = first_d, last_d
        x = Signal(signed(len(count) + 2))
        m.d.comb += x.eq(count + Mux(last, n_negative, 0))
        with m.If(self.en):
            m.d.sync += self.sum.eq(Mux(first, -x, (self.sum << 1) + x))
        return m


class SerialArray(RowArray):
    """The rows of the "serial" kind: each lane's bit of the current plane is selected once for
    all rows (sign plane first: plane ``p`` is bit ``act_bits - 1 - p``), then a ``SerialRow``
    each. The controller keeps a chunk's words at the inputs for its ``act_bits`` cycles, which
    follow each other (a chunk is never interrupted but by a stall of everything)."""

    @staticmethod
    def sum_bits(config: ArrayConfig) -> int:
        """|sum| <= 2^(act_bits - 1) · lanes, as for the bit-parallel kinds."""
        return config.act_bits + config.tree_depth + 1

    def elaborate(self, platform) -> Module:
        config = self._config
        top = config.act_bits - 1
        m = Module()
        bits = Signal(config.lanes)
        for lane in range(config.lanes):
            planes = Cat(self.acts[0][lane][top - p] for p in range(config.act_bits))
            m.d.comb += bits[lane].eq(planes.bit_select(self.plane, 1))
        for row in range(config.rows):
            m.submodules[f"row_{row}"] = serial_row = SerialRow(config)
            m.d.comb += [
                serial_row.bits.eq(bits),
                serial_row.codes.eq(self.codes[row]),
                serial_row.first.eq(self.plane == 0),
                serial_row.last.eq(self.plane == top),
                serial_row.en.eq(self.en[0]),
                self.sums[row].eq(serial_row.sum),
            ]
        return m
