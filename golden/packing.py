"""Ternary weight packing: 2 bits per trit (upstream's format) and base 3 (5 trits per byte).

2-bit format
    Byte-compatible with ``pack_weights`` / ``unpack_weights`` of transformers' BitNet integration:
    trit ``t`` is stored as the code ``t + 1`` in two bits; packing runs along axis 0 (N, the output
    features), which is cut into four blocks of ``ceil(N/4)`` rows; block ``i`` goes to bits
    ``2i..2i+1`` of every byte. Slots past N hold ``00`` as upstream leaves them, which upstream's
    unpack turns into -1; ``unpack_2bit(packed, rows=N)`` crops them away.

Base-3 format (1.6 bits per trit)
    ``3**5 = 243 <= 256``: five trits per byte, little-endian base 3 of the codes ``t + 1``
    (the first trit is the least significant digit). Packing runs along the last axis (K), each row
    padded with zero trits to a multiple of five, so every row starts on a byte, as a weight row
    streamed into the array needs. Bytes 243–255 are invalid.

The packed arrays carry no shape; pass the true length of the packed axis back to unpack
(``rows`` / ``length``): that is the record the round trip needs.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_code_array
from .ints import ceil_div

__all__ = ["pack_2bit", "unpack_2bit", "pack_base3", "unpack_base3", "TRITS_PER_BYTE_2BIT",
           "TRITS_PER_BYTE_BASE3"]

TRITS_PER_BYTE_2BIT = 4
TRITS_PER_BYTE_BASE3 = 5
_BASE3_WEIGHTS = 3 ** np.arange(TRITS_PER_BYTE_BASE3, dtype=np.int64)


def _as_packed(packed, name: str) -> np.ndarray:
    array = np.asarray(packed)
    if array.dtype != np.uint8:
        raise TypeError(f"{name}: expected uint8 bytes, got dtype {array.dtype}")
    if array.ndim < 1 or array.size == 0:
        raise ValueError(f"{name}: expected a non-empty array of at least 1 dimension, got shape {array.shape}")
    return array


def _check_length(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name}: {value} does not match the packed data, which holds {low}..{high}")
    return int(value)


def pack_2bit(codes) -> np.ndarray:
    """Pack ternary codes (N or N×… array) at 2 bits per trit along axis 0, as upstream does."""
    trits = as_code_array(codes, "codes", low=-1, high=1)
    n = trits.shape[0]
    block = ceil_div(n, TRITS_PER_BYTE_2BIT)
    padded = np.zeros((block * TRITS_PER_BYTE_2BIT, *trits.shape[1:]), dtype=np.uint8)
    padded[:n] = trits + 1  # padding keeps code 00, like upstream's zero-initialised buffer
    blocks = padded.reshape(TRITS_PER_BYTE_2BIT, block, *trits.shape[1:])
    packed = np.zeros((block, *trits.shape[1:]), dtype=np.uint8)
    for slot in range(TRITS_PER_BYTE_2BIT):
        packed |= blocks[slot] << np.uint8(2 * slot)
    return packed


def unpack_2bit(packed, rows: int | None = None) -> np.ndarray:
    """Inverse of :func:`pack_2bit`; ``rows`` is the true N (None keeps upstream's 4·P rows).

    A slot holding code ``11`` is not a trit and raises ``ValueError``.
    """
    data = _as_packed(packed, "packed")
    block = data.shape[0]
    codes = np.concatenate([(data >> np.uint8(2 * slot)) & np.uint8(3)
                            for slot in range(TRITS_PER_BYTE_2BIT)], axis=0)
    if rows is None:
        rows = codes.shape[0]
    rows = _check_length(rows, "rows", TRITS_PER_BYTE_2BIT * (block - 1) + 1, TRITS_PER_BYTE_2BIT * block)
    codes = codes[:rows]
    if np.any(codes == 3):
        index = tuple(int(i) for i in np.argwhere(codes == 3)[0])
        raise ValueError(f"packed: 2-bit code 0b11 (not a trit) at unpacked index {index}")
    return codes.astype(np.int8) - np.int8(1)


def pack_base3(codes) -> np.ndarray:
    """Pack ternary codes (…×K) five trits per byte along the last axis: shape (…, ceil(K/5))."""
    trits = as_code_array(codes, "codes", low=-1, high=1)
    k = trits.shape[-1]
    width = ceil_div(k, TRITS_PER_BYTE_BASE3) * TRITS_PER_BYTE_BASE3
    digits = np.ones((*trits.shape[:-1], width), dtype=np.int64)  # padding: trit 0 (digit 1)
    digits[..., :k] = trits + 1
    digits = digits.reshape(*trits.shape[:-1], width // TRITS_PER_BYTE_BASE3, TRITS_PER_BYTE_BASE3)
    return (digits @ _BASE3_WEIGHTS).astype(np.uint8)


def unpack_base3(packed, length: int) -> np.ndarray:
    """Inverse of :func:`pack_base3`; ``length`` is the true K of each row."""
    data = _as_packed(packed, "packed")
    if np.any(data >= 3 ** TRITS_PER_BYTE_BASE3):
        index = tuple(int(i) for i in np.argwhere(data >= 243)[0])
        raise ValueError(f"packed: byte {data[index]} at index {index} is not base-3 (must be < 243)")
    per_row = data.shape[-1]
    length = _check_length(length, "length", TRITS_PER_BYTE_BASE3 * (per_row - 1) + 1,
                           TRITS_PER_BYTE_BASE3 * per_row)
    digits = (data[..., None].astype(np.int64) // _BASE3_WEIGHTS) % 3
    trits = digits.reshape(*data.shape[:-1], per_row * TRITS_PER_BYTE_BASE3)[..., :length]
    return (trits - 1).astype(np.int8)
