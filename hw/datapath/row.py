"""One row of the ternary array: ``lanes`` PEs into an adder tree (plus the correction popcount)."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..config import ArrayConfig
from ..formats import act_word_layout, trit_word_layout, weight_word_layout
from .adder_tree import AdderTree
from .pe import decode_trit

__all__ = ["TernaryRow", "RowArray", "popcount", "negatives"]


class TernaryRow(wiring.Component):
    """Dot product of one activation word and one trit word: ``sum = Σ act[l]·trit[l]``.

    The PEs are ``config.pe_kind``; their outputs go through an :class:`AdderTree` with
    ``config.tree_cuts``, and, for kinds with a correction, the correction bits through a popcount
    tree with the same cuts, added at the root. ``sum`` is registered and follows its inputs by
    ``latency = config.row_latency`` cycles.

    When the kind's correction is ``negative`` (``correction_is_negative``), the row counts the
    -1 codes itself (``negatives``: pairs of lanes from their codes) instead of the PEs'
    correction outputs.

    Members
    -------
    acts : In(act_word_layout(config))
    codes : In(trit_word_layout(config))
    en : In(1, init=1)
        Clock enable of every register in the row.
    sum : Out(signed(pe width + tree depth + 1))
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        self._pe_class = config.kind.element_class()
        super().__init__({
            "acts": In(act_word_layout(config)),
            "codes": In(trit_word_layout(config)),
            "en": In(1, init=1),
            "sum": Out(signed(RowArray.sum_bits(config))),
        })

    @property
    def latency(self) -> int:
        return self._config.row_latency

    def elaborate(self, platform) -> Module:
        config = self._config
        pe_class = self._pe_class
        m = Module()
        m.submodules.tree = tree = AdderTree(
            n_inputs=config.lanes, input_shape=signed(pe_class.out_bits(config.act_bits)),
            cuts=config.tree_cuts)
        m.d.comb += tree.en.eq(self.en)
        from_codes = pe_class.has_correction and pe_class.correction_is_negative
        corrections = []
        for lane in range(config.lanes):
            m.submodules[f"pe_{lane}"] = pe = pe_class(act_bits=config.act_bits)
            m.d.comb += [
                pe.act.eq(self.acts[lane]),
                pe.code.eq(self.codes[lane]),
                tree.inputs[lane].eq(pe.out),
            ]
            corrections.append(pe.correction)
        total = tree.out
        if from_codes:
            total = total + negatives(m, config, self.codes, self.en)
        elif pe_class.has_correction:
            total = total + popcount(m, corrections, cuts=config.tree_cuts, en=self.en)
        row_sum = Signal.like(self.sum, reset_less=True)    # data, as the tree's registers
        m.d.comb += self.sum.eq(row_sum)
        with m.If(self.en):
            m.d.sync += row_sum.eq(total)
        return m


def popcount(m: Module, bits: list, *, cuts: tuple, en, name="popcount"):
    """The number of ones among ``bits`` through an adder tree with ``cuts`` (a row's, so that it
    arrives beside the row's sum)."""
    m.submodules[name] = tree = AdderTree(n_inputs=len(bits), input_shape=unsigned(1), cuts=cuts)
    m.d.comb += tree.en.eq(en)
    for index, bit in enumerate(bits):
        m.d.comb += tree.inputs[index].eq(bit)
    return tree.out


def negatives(m: Module, config: ArrayConfig, codes, en, *, name="popcount"):
    """How many of a row's trit codes are -1, beside the tree's sum (the row's cuts).

    When level 0 is not a cut, the count's first level is built from the codes of each lane
    pair: the two bits of ``neg_a + neg_b`` are each one LUT4 of four code bits, where counting
    one bit a lane would take a LUT per lane and then the pair's adder. An odd last lane
    (lanes = 5) is a pair with nothing: ceil(lanes / 2) inputs keep the count one level shorter
    than the tree."""
    flags = [decode_trit(codes[lane])[0] for lane in range(config.lanes)]
    if config.lanes < 2 or 0 in config.tree_cuts:
        return popcount(m, flags, cuts=config.tree_cuts, en=en, name=name)
    pairs = (config.lanes + 1) // 2
    m.submodules[name] = tree = AdderTree(n_inputs=pairs, input_shape=unsigned(2),
                                          cuts=tuple(level - 1 for level in config.tree_cuts))
    m.d.comb += tree.en.eq(en)
    for pair in range(pairs):
        neg_a = flags[2 * pair]
        if 2 * pair + 1 == config.lanes:
            m.d.comb += tree.inputs[pair].eq(neg_a)
            continue
        neg_b = flags[2 * pair + 1]
        # written as logic, not ``+``: an adder would become a carry chain
        m.d.comb += tree.inputs[pair].eq(Cat(neg_a ^ neg_b, neg_a & neg_b))
    return tree.out


class RowArray(wiring.Component):
    """The ``rows`` rows of the array: what a PE kind contributes to ``BitLinear``. This one is a
    :class:`TernaryRow` of the kind's PEs per row; kinds that share work between rows subclass it
    (``PEKind.array``) and keep its members and ``latency``.

    Members
    -------
    acts : In(ArrayLayout(act_word_layout(config), config.act_copies))
        The chunk's activations, the same for every row: ``config.act_copies`` copies of them,
        row ``r`` taking copy ``config.act_copy(r)`` (kinds of their own have one).
    codes : In(weight_word_layout(config))
        Each row's weight codes.
    plane : In(range(config.cycles_per_chunk))
        Which cycle of the chunk this is (bit-serial kinds: the bit-plane, 0 the sign plane);
        zero bits wide for the others.
    en : In(ArrayLayout(1, config.act_copies), init=1 each)
        Clock enable of every register, in as many copies as the activations (row ``r`` takes
        copy ``config.act_copy(r)``): the enable reaches every row, so with row groups each
        group has its own (``BitLinear`` registers them).
    sums : Out(ArrayLayout(signed(sum_bits), rows))
        Each row's dot product of the chunk, ``latency`` cycles after its (last) cycle's inputs.
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        super().__init__({
            "acts": In(data.ArrayLayout(act_word_layout(config), config.act_copies)),
            "codes": In(weight_word_layout(config)),
            "plane": In(range(config.cycles_per_chunk)),
            "en": In(data.ArrayLayout(1, config.act_copies), init=[1] * config.act_copies),
            "sums": Out(data.ArrayLayout(signed(self.sum_bits(config)), config.rows)),
        })

    @staticmethod
    def sum_bits(config: ArrayConfig) -> int:
        """Width of a row's chunk sum: the PE output, one bit a tree level, one for the
        correction."""
        return config.kind.element_class().out_bits(config.act_bits) + config.tree_depth + 1

    @property
    def latency(self) -> int:
        return self._config.row_latency

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        for row in range(config.rows):
            m.submodules[f"row_{row}"] = ternary_row = TernaryRow(config)
            m.d.comb += [
                ternary_row.acts.eq(self.acts[config.act_copy(row)]),
                ternary_row.codes.eq(self.codes[row]),
                ternary_row.en.eq(self.en[config.act_copy(row)]),
                self.sums[row].eq(ternary_row.sum),
            ]
        return m
