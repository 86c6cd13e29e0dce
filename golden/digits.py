"""Activation codes wider than an array's inputs, as signed digits the array can take.

An array built for ``bits``-bit activations (``act_bits=4`` for a4.8) still has to run the layers
whose inputs are 8-bit (a4.8's output and down projections). Any integer code is a sum of signed
digits ``x = sum(d_j << (bits * j))`` with every ``d_j`` in ``[-2**(bits-1), 2**(bits-1) - 1]``,
and the product is linear in ``x``, so

    int_matmul(x, w) == sum(int_matmul(d_j, w) << (bits * j))

exactly: one pass through the array a digit, combined on the host with shifts. The digits are
balanced (each the residue of the rest nearest to zero), so a zero code is zero in every digit and
a sparse input stays sparse in each pass. int8 codes on a 4-bit array take two digits, or three
when a code is above 119 (``127 = 1 << 8  -  8 << 4  -  1``).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_code_array

__all__ = ["split_codes", "join_products"]


def split_codes(x_codes, bits: int) -> list[tuple[int, np.ndarray]]:
    """``x_codes`` (integers, any shape) as ``[(shift, digits), ...]`` with ``digits`` int8 in
    ``[-2**(bits-1), 2**(bits-1) - 1]`` and ``x_codes == sum(digits << shift)``. Codes that
    already fit give one entry (shift 0); digits that are zero everywhere are left out."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 8:
        raise ValueError(f"bits: expected an integer in [2, 8], got {bits!r}")
    rest = as_code_array(x_codes, "x_codes", low=-(1 << 31), high=(1 << 31) - 1)
    half, mask = 1 << (bits - 1), (1 << bits) - 1
    parts, shift = [], 0
    while np.any((rest < -half) | (rest >= half)):
        digit = ((rest + half) & mask) - half
        if np.any(digit):
            parts.append((shift, digit.astype(np.int8)))
        rest = (rest - digit) >> bits
        shift += bits
    if np.any(rest) or not parts:
        parts.append((shift, rest.astype(np.int8)))
    return parts


def join_products(parts) -> np.ndarray:
    """``sum(acc << shift)`` of ``[(shift, acc), ...]`` (the products of split_codes' digits), in
    int64."""
    total = None
    for shift, acc in parts:
        term = np.asarray(acc, dtype=np.int64) << shift
        total = term if total is None else total + term
    if total is None:
        raise ValueError("parts: no products to join")
    return total
