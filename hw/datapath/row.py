"""One row of the ternary array: ``lanes`` PEs into an adder tree (plus the correction popcount)."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..config import ArrayConfig
from ..formats import act_word_layout, trit_word_layout
from .adder_tree import AdderTree
from .pe import decode_trit

__all__ = ["TernaryRow"]


class TernaryRow(wiring.Component):
    """Dot product of one activation word and one trit word: ``sum = Σ act[l]·trit[l]``.

    The PEs are ``config.pe_kind``; their outputs go through an :class:`AdderTree` with
    ``config.tree_cuts``, and, for kinds with a correction, the correction bits through a popcount
    tree with the same cuts, added at the root. ``sum`` is registered and follows its inputs by
    ``latency = config.row_latency`` cycles.

    When the kind's correction is ``negative`` (``correction_is_negative``) and level 0 is not a
    cut, the popcount's first level is built from the trit codes of each lane pair: the two bits
    of ``neg_a + neg_b`` are each one LUT4 of four code bits, where counting the PEs' correction
    outputs would take a LUT per lane for the correction and then the pair's adder.

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
        width = self._pe_class.out_bits(config.act_bits) + config.tree_depth + 1
        super().__init__({
            "acts": In(act_word_layout(config)),
            "codes": In(trit_word_layout(config)),
            "en": In(1, init=1),
            "sum": Out(signed(width)),
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
        paired = (pe_class.has_correction and pe_class.correction_is_negative
                  and config.lanes >= 2 and 0 not in config.tree_cuts)
        if paired:
            # level 1 of the popcount from the codes; its levels shift down by one
            # an odd last lane (lanes = 5) is a pair with nothing: ceil(lanes / 2) inputs keep
            # the popcount one level shorter than the tree
            pairs = (config.lanes + 1) // 2
            m.submodules.popcount = popcount = AdderTree(
                n_inputs=pairs, input_shape=unsigned(2),
                cuts=tuple(level - 1 for level in config.tree_cuts))
            m.d.comb += popcount.en.eq(self.en)
            for pair in range(pairs):
                neg_a, _ = decode_trit(self.codes[2 * pair])
                if 2 * pair + 1 == config.lanes:
                    m.d.comb += popcount.inputs[pair].eq(neg_a)
                    continue
                neg_b, _ = decode_trit(self.codes[2 * pair + 1])
                # written as logic, not ``+``: an adder would become a carry chain
                m.d.comb += popcount.inputs[pair].eq(Cat(neg_a ^ neg_b, neg_a & neg_b))
        elif pe_class.has_correction:
            m.submodules.popcount = popcount = AdderTree(
                n_inputs=config.lanes, input_shape=unsigned(1), cuts=config.tree_cuts)
            m.d.comb += popcount.en.eq(self.en)
        for lane in range(config.lanes):
            m.submodules[f"pe_{lane}"] = pe = pe_class(act_bits=config.act_bits)
            m.d.comb += [
                pe.act.eq(self.acts[lane]),
                pe.code.eq(self.codes[lane]),
                tree.inputs[lane].eq(pe.out),
            ]
            if pe_class.has_correction and not paired:
                m.d.comb += popcount.inputs[lane].eq(pe.correction)
        with m.If(self.en):
            if pe_class.has_correction:
                m.d.sync += self.sum.eq(tree.out + popcount.out)
            else:
                m.d.sync += self.sum.eq(tree.out)
        return m
