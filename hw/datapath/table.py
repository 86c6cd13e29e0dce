"""The table-lookup PE kind ("table2"): activations in pairs, each pair's partial sums formed once
per chunk for every row, each row's pair of trits selecting one.

A pair (a, b) against trits (s, t) gives ``s·a + t·b``, one of nine values; up to sign they are
0, a, b, a + b and a - b. ``PairTable`` forms a, b, a + b, a - b once per chunk (two adders a pair,
shared by all rows); in each row a ``TableGroup`` selects the entry its two trits name and
negates it the xor way (``~e = -e - 1``, the +1 counted by the row), so a row has one
group a pair and half the adders of a tree over lanes. This is bitnet.cpp's TL1 / T-MAC's idea
with g = 2 on a 4-input-LUT fabric, where a 4:1 selection costs more LUTs a bit than the adder it
replaces (``make bench`` measures it).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.ints import ceil_log2

from ..config import ArrayConfig
from ..formats import TRIT_CODE, act_word_layout, trit_word_layout
from .adder_tree import AdderTree
from .pe import check_act_bits, decode_trit
from .row import RowArray, popcount

__all__ = ["PairTable", "TableGroup", "TableRow", "TableArray"]

#: The entries of a pair's table, in order.
ENTRIES = ("a", "b", "a+b", "a-b")


def pairs(config: ArrayConfig) -> int:
    """Pairs of lanes: an odd last lane pairs with a zero."""
    return (config.lanes + 1) // 2


def entry_layout(config: ArrayConfig) -> data.ArrayLayout:
    """One pair's four entries (``ENTRIES``), one bit wider than an activation."""
    return data.ArrayLayout(signed(TableGroup.out_bits(config.act_bits)), len(ENTRIES))


def table_layout(config: ArrayConfig) -> data.ArrayLayout:
    return data.ArrayLayout(entry_layout(config), pairs(config))


class PairTable(wiring.Component):
    """Each pair of activations' table, a, b, a + b, a - b: formed once for all rows. Registered
    when level 0 is a tree cut (level 0 is where the other kinds register their PE outputs).

    Members
    -------
    acts : In(act_word_layout(config))
    en : In(1, init=1)
    table : Out(table_layout(config))
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        super().__init__({
            "acts": In(act_word_layout(config)),
            "en": In(1, init=1),
            "table": Out(table_layout(config)),
        })

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        statements = []
        for pair in range(pairs(config)):
            a = self.acts[2 * pair]
            b = self.acts[2 * pair + 1] if 2 * pair + 1 < config.lanes else 0
            entries = self.table[pair]
            statements += [entries[0].eq(a), entries[1].eq(b), entries[2].eq(a + b),
                           entries[3].eq(a - b)]
        if 0 in config.tree_cuts:
            with m.If(self.en):
                m.d.sync += statements
        else:
            m.d.comb += statements
        return m


class TableGroup(wiring.Component):
    """One row's pair of lanes: the entry its two trits select, negated the xor way.

    ``s·a + t·b`` is 0 when both trits are 0; else ``±a`` (t = 0), ``±b`` (s = 0), ``±(a + b)``
    (s = t) or ``±(a - b)`` (s = -t), negative when s = -1, or s = 0 and t = -1. Then
    ``out = (entry ^ negative) & nonzero`` bit by bit and ``correction = negative``:
    ``out + correction = s·a + t·b``.

    Members
    -------
    entries : In(entry_layout)
        The pair's a, b, a + b, a - b (``ENTRIES``), from the ``PairTable``.
    codes : In(ArrayLayout(unsigned(2), 2))
        The trit codes of lanes 2p and 2p + 1.
    out : Out(signed(act_bits + 1))
    correction : Out(1)
    """

    has_correction = True

    def __init__(self, *, act_bits: int = 8):
        check_act_bits(act_bits)
        self._act_bits = act_bits
        width = self.out_bits(act_bits)
        super().__init__({
            "entries": In(data.ArrayLayout(signed(width), len(ENTRIES))),
            "codes": In(data.ArrayLayout(unsigned(2), 2)),
            "out": Out(signed(width)),
            "correction": Out(unsigned(1)),
        })

    @staticmethod
    def out_bits(act_bits: int) -> int:
        """a + b and a - b take a bit more than an activation."""
        return act_bits + 1

    def elaborate(self, platform) -> Module:
        m = Module()
        neg_a, nonzero_a = decode_trit(self.codes[0])
        neg_b, nonzero_b = decode_trit(self.codes[1])
        both = nonzero_a & nonzero_b
        # select bits: (0, 0) a, (0, 1) b, (1, 0) a + b, (1, 1) a - b
        opposite = Mux(both, neg_a ^ neg_b, ~nonzero_a)
        entries = self.entries
        entry = Signal.like(self.out)
        m.d.comb += entry.eq(Mux(both, Mux(opposite, entries[3], entries[2]),
                                 Mux(opposite, entries[1], entries[0])))
        negative = neg_a | (~nonzero_a & neg_b)
        width = len(self.out)
        m.d.comb += [
            self.out.eq(((entry.as_unsigned() ^ negative.replicate(width))
                         & (nonzero_a | nonzero_b).replicate(width)).as_signed()),
            self.correction.eq(negative),
        ]
        return m


class TableRow(wiring.Component):
    """One row: a ``TableGroup`` a pair of lanes, their outputs through an adder tree and their
    corrections through a popcount, summed into the registered ``sum``.

    The group outputs stand where the other kinds' first tree level is, so the configuration's
    cut at level ``l >= 1`` is the group tree's level ``l - 1``; a cut at level 0 registers the
    table and, beside it, the row's codes. The row's latency is ``config.row_latency``, as for
    every kind.

    Members
    -------
    table : In(table_layout(config))
    codes : In(trit_word_layout(config))
    en : In(1, init=1)
    sum : Out(signed(TableArray.sum_bits(config)))
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        super().__init__({
            "table": In(table_layout(config)),
            "codes": In(trit_word_layout(config)),
            "en": In(1, init=1),
            "sum": Out(signed(TableArray.sum_bits(config))),
        })

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        groups = pairs(config)
        group_cuts = tuple(level - 1 for level in config.tree_cuts if level >= 1)
        m.submodules.tree = tree = AdderTree(
            n_inputs=groups, input_shape=signed(TableGroup.out_bits(config.act_bits)),
            cuts=group_cuts)
        m.d.comb += tree.en.eq(self.en)
        codes = self.codes
        if 0 in config.tree_cuts:       # beside the table's register
            codes = Signal.like(self.codes)
            with m.If(self.en):
                m.d.sync += codes.eq(self.codes)
        corrections = []
        for pair in range(groups):
            m.submodules[f"group_{pair}"] = group = TableGroup(act_bits=config.act_bits)
            second = 2 * pair + 1
            m.d.comb += [
                group.entries.eq(self.table[pair]),
                group.codes[0].eq(codes[2 * pair]),
                group.codes[1].eq(codes[second] if second < config.lanes else TRIT_CODE[0]),
                tree.inputs[pair].eq(group.out),
            ]
            corrections.append(group.correction)
        count = popcount(m, corrections, cuts=group_cuts, en=self.en)
        with m.If(self.en):
            m.d.sync += self.sum.eq(tree.out + count)
        return m


class TableArray(RowArray):
    """The rows of the "table2" kind: one ``PairTable`` for all of them, a ``TableRow`` each."""

    @staticmethod
    def sum_bits(config: ArrayConfig) -> int:
        return TableGroup.out_bits(config.act_bits) + ceil_log2(pairs(config)) + 1

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        m.submodules.table = table = PairTable(config)
        m.d.comb += [table.acts.eq(self.acts[0]), table.en.eq(self.en[0])]
        for row in range(config.rows):
            m.submodules[f"row_{row}"] = table_row = TableRow(config)
            m.d.comb += [
                table_row.table.eq(table.table),
                table_row.codes.eq(self.codes[row]),
                table_row.en.eq(self.en[0]),
                self.sums[row].eq(table_row.sum),
            ]
        return m
