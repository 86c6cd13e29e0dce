"""Integer arithmetic every layer shares (the golden model, the gateware's sizes, the codecs):
pure Python, so the config and the cycle model import without Amaranth."""

from __future__ import annotations

__all__ = ["ceil_div", "ceil_log2"]


def ceil_div(a: int, b: int) -> int:
    """``ceil(a / b)`` for integers, exactly (no float): chunks of K, blocks of N, bytes of bits."""
    return -(-a // b)


def ceil_log2(value: int) -> int:
    """Bits to count ``value`` things (``value >= 1``): the depth of a tree over them, the address
    width of a memory of ``value`` words. The same as ``amaranth.utils.ceil_log2``."""
    return max(0, (value - 1).bit_length())
