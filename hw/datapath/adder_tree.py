"""Pipelined adder tree: sums ``n_inputs`` values, one bit of growth per level, registers at cuts."""

from __future__ import annotations

from amaranth.hdl import Module, Shape, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.ints import ceil_log2

__all__ = ["AdderTree"]


class AdderTree(wiring.Component):
    """Sum of ``n_inputs`` values of ``input_shape``; the sum appears ``latency`` cycles later.

    Level 0 holds the inputs and level ``l`` the sums of pairs from level ``l-1`` (an odd value
    passes through). A cut at level ``l`` registers that level; registers load only while ``en``.
    They are data (``reset_less``): what reads the tree knows from its own flags which cycles'
    sums count, so no reset net has to reach every row's tree.

    Members
    -------
    inputs : In(ArrayLayout(input_shape, n_inputs))
    en : In(1, init=1)
        Clock enable of every pipeline register (the controller's global stall).
    out : Out(input width + depth bits, same signedness)
    """

    def __init__(self, *, n_inputs: int, input_shape, cuts: tuple[int, ...] = ()):
        shape = Shape.cast(input_shape)
        if not isinstance(n_inputs, int) or n_inputs < 1:
            raise ValueError(f"n_inputs must be a positive integer, got {n_inputs!r}")
        depth = ceil_log2(n_inputs)
        cuts = tuple(cuts)
        if any(not isinstance(c, int) or not 0 <= c <= depth for c in cuts) or len(set(cuts)) != len(cuts):
            raise ValueError(f"cuts must be distinct levels in [0, {depth}], got {cuts!r}")
        self._n_inputs = n_inputs
        self._shape = shape
        self._depth = depth
        self._cuts = frozenset(cuts)
        out_shape = (signed if shape.signed else unsigned)(shape.width + depth)
        super().__init__({
            "inputs": In(data.ArrayLayout(shape, n_inputs)),
            "en": In(1, init=1),
            "out": Out(out_shape),
        })

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def latency(self) -> int:
        return len(self._cuts)

    def elaborate(self, platform) -> Module:
        m = Module()
        make = signed if self._shape.signed else unsigned
        level = [self.inputs[i] for i in range(self._n_inputs)]
        for depth in range(self._depth + 1):
            width = self._shape.width + depth
            if depth > 0:
                pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
                level = pairs + ([level[-1]] if len(level) % 2 else [])
            # Every level becomes named signals once, so no expression is duplicated downstream.
            signals = []
            for index, value in enumerate(level):
                node = Signal(make(width), name=f"l{depth}_{index}",
                              reset_less=depth in self._cuts)
                if depth in self._cuts:
                    with m.If(self.en):
                        m.d.sync += node.eq(value)
                else:
                    m.d.comb += node.eq(value)
                signals.append(node)
            level = signals
        m.d.comb += self.out.eq(level[0])
        return m
