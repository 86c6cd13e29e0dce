"""One row of the ternary array: ``lanes`` PEs into an adder tree (plus the correction popcount)."""

from __future__ import annotations

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .act_buffer import act_word_layout
from .adder_tree import AdderTree
from .config import ArrayConfig
from .pe import PE_KINDS
from .weight_mem import trit_word_layout

__all__ = ["TernaryRow"]


class TernaryRow(wiring.Component):
    """Dot product of one activation word and one trit word: ``sum = Σ act[l]·trit[l]``.

    The PEs are ``config.pe_kind``; their outputs go through an :class:`AdderTree` with
    ``config.tree_cuts``, and, for kinds with a correction, the correction bits through a popcount
    tree with the same cuts, added at the root. ``sum`` is registered and follows its inputs by
    ``latency = config.row_latency`` cycles.

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
        self._pe_class = PE_KINDS[config.pe_kind]
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
        if pe_class.has_correction:
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
            if pe_class.has_correction:
                m.d.comb += popcount.inputs[lane].eq(pe.correction)
        with m.If(self.en):
            if pe_class.has_correction:
                m.d.sync += self.sum.eq(tree.out + popcount.out)
            else:
                m.d.sync += self.sum.eq(tree.out)
        return m
