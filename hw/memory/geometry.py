"""What the device memories hold, as numbers (pure Python: the config validates against them
without Amaranth; the resource estimate counts with them)."""

from __future__ import annotations

__all__ = ["SPRAM_COUNT", "SPRAM_WORDS", "SPRAM_BITS", "EBR_SHAPES"]

#: The iCE40UP5K's SPRAM: four SB_SPRAM256KA, each 16 K words of 16 bits.
SPRAM_COUNT, SPRAM_WORDS, SPRAM_BITS = 4, 16384, 16

#: Widths × depths an iCE40 EBR (4 Kbit) can take.
EBR_SHAPES = ((16, 256), (8, 512), (4, 1024), (2, 2048))
