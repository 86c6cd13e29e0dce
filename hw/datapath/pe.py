"""Ternary processing elements: a mux and an adder's worth of logic per lane, never a multiplier.

Weights arrive as the 2-bit code of golden.packing (``code = trit + 1``): ``0b00`` is -1, ``0b01`` is
0, ``0b10`` is +1 (``0b11`` is never written; it decodes as +1).

A PE kind is one ``TernaryPE`` subclass plus one line in ``hw.config.PE_KINDS``. Each lane gives ``out`` and a
1-bit ``correction``; a row sums all ``out`` values and all ``correction`` bits, so a kind that
negates in ones' complement (``~a = -a - 1``) hands its +1s to the row as one popcount.

``Int8MulPE`` is the exception that proves the rule: the int8-weight baseline (``pe_kind`` "mul8"
or "mul8_dsp"), a real multiplier with the same ports, kept here so the comparison runs on the very
same array, memories and schedule.
"""

from __future__ import annotations

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


__all__ = ["TernaryPE", "MuxPE", "XorPE", "Int8MulPE", "check_act_bits", "decode_trit"]


def check_act_bits(act_bits) -> None:
    if isinstance(act_bits, bool) or not isinstance(act_bits, int) or not 2 <= act_bits <= 16:
        raise ValueError(f"act_bits must be an integer in [2, 16], got {act_bits!r}")


def decode_trit(code):
    """``(negative, nonzero)`` from a 2-bit trit code (Amaranth values)."""
    negative = ~code[1] & ~code[0]
    nonzero = code[1] | ~code[0]
    return negative, nonzero


class TernaryPE(wiring.Component):
    """One lane of a ternary dot product.

    Members
    -------
    act : In(signed(act_bits))
        Activation code.
    code : In(code_bits)
        Weight code: a 2-bit trit code (see module doc); 8 bits for the int8 baseline.
    out : Out(signed(out_bits))
        Contribution of the lane, before correction.
    correction : Out(1)
        Added to the row sum (1 where the kind computed ``true - 1``).
    """

    #: Set by subclasses: does ``correction`` ever carry a 1? A row skips the popcount if not.
    has_correction = False
    #: Width of the weight code.
    code_bits = 2
    #: Set by subclasses whose ``correction`` is exactly ``decode_trit(code)``'s ``negative``
    #: whatever the activation: a row may then count it from the codes (see ``TernaryRow``).
    correction_is_negative = False

    def __init__(self, *, act_bits: int = 8):
        check_act_bits(act_bits)
        self._act_bits = act_bits
        super().__init__({
            "act": In(signed(act_bits)),
            "code": In(unsigned(self.code_bits)),
            "out": Out(signed(self.out_bits(act_bits))),
            "correction": Out(unsigned(1)),
        })

    @staticmethod
    def out_bits(act_bits: int) -> int:
        raise NotImplementedError

    @property
    def latency(self) -> int:
        return 0


class MuxPE(TernaryPE):
    """Select then add: ``out = act``, ``-act`` or ``0``. The negation needs one extra bit
    (``-(-128) = 128``) and a carry chain per lane."""

    @staticmethod
    def out_bits(act_bits: int) -> int:
        return act_bits + 1

    def elaborate(self, platform) -> Module:
        m = Module()
        negative, nonzero = decode_trit(self.code)
        with m.If(negative):
            m.d.comb += self.out.eq(-self.act)
        with m.Elif(nonzero):
            m.d.comb += self.out.eq(self.act)
        with m.Else():
            m.d.comb += self.out.eq(0)
        return m


class XorPE(TernaryPE):
    """Conditional inversion with an AND mask: ``out = (act ^ neg) & nonzero`` per bit.

    For w = -1 that is ``~act = -act - 1``; ``correction = 1`` restores the missing +1. The output
    keeps the activation's width and each bit is one LUT4 of (act bit, code[0], code[1]).
    """

    has_correction = True
    correction_is_negative = True

    @staticmethod
    def out_bits(act_bits: int) -> int:
        return act_bits

    def elaborate(self, platform) -> Module:
        m = Module()
        negative, nonzero = decode_trit(self.code)
        width = self._act_bits
        flip = negative.replicate(width)
        mask = nonzero.replicate(width)
        m.d.comb += [
            self.out.eq(((self.act.as_unsigned() ^ flip) & mask).as_signed()),
            self.correction.eq(negative),
        ]
        return m


class Int8MulPE(TernaryPE):
    """NOT ternary: the baseline lane, ``out = act * weight`` with an int8 weight (two's
    complement code). Synthesis maps the ``*`` to LUTs, or to SB_MAC16 DSPs for "mul8_dsp"."""

    code_bits = 8

    @staticmethod
    def out_bits(act_bits: int) -> int:
        return act_bits + 8

    def elaborate(self, platform) -> Module:
        m = Module()
        m.d.comb += self.out.eq(self.act * self.code.as_signed())
        return m

