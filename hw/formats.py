"""Every beat and word format, once: the Amaranth layouts the gateware is built from, and the
codecs that turn NumPy codes into those beats as integers or bytes, for the host driver, the
protocol and every simulator backend.

A beat holds ``lanes`` fields, field ``i`` at bits ``i * bits`` (little-endian). Its bytes are
the integer's little-endian bytes, ``ceil(lanes * bits / 8)`` of them.

=============  =======================================  =====================================
stream         field                                    lanes past K (last chunk of a row)
=============  =======================================  =====================================
``w_in``       weight code: trit + 1 in 2 bits          ``fill`` codes, ignored by the array
               (``TRIT_CODE``); int8 two's complement   (the driver sends zero trits)
               for the multiplier baseline; with
               base-3 packing ``lanes / 5`` bytes of
               five trits (``golden.packing``)
``x_in``       activation code, ``act_bits`` two's      the same
               complement
``acc_out``    accumulator, ``acc_bits`` two's          one field per row; rows past N read 0
               complement, ``rows`` fields
=============  =======================================  =====================================
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from golden.ints import ceil_div
from golden.packing import TRITS_PER_BYTE_BASE3, pack_base3, unpack_base3

from .config import ArrayConfig

__all__ = ["TRIT_CODE", "zero_weight_code", "base3_decode_table", "act_word_layout", "trit_word_layout", "stored_word_layout",
           "weight_word_layout",
           "acc_word_layout", "beat_bytes", "pack_fields", "unpack_fields", "chunked",
           "weight_codes", "weight_beats", "act_beats", "as_ints", "decode_acc_word"]

#: The 2-bit code stored and streamed per trit: ``trit + 1`` (``0b11`` is never written).
TRIT_CODE = {-1: 0b00, 0: 0b01, 1: 0b10}


def base3_decode_table() -> list[int]:
    """The base-3 decode ROM: for each byte, its five trits' 2-bit codes (trit ``i`` at bits
    ``2i..2i+1``), from golden.packing's unpack. Bytes 243-255 are not base 3 (the driver never
    sends them); they read as five zero trits, so they add nothing."""
    trits = np.zeros((256, TRITS_PER_BYTE_BASE3), dtype=np.int64)
    trits[:243] = unpack_base3(np.arange(243, dtype=np.uint8)[:, None], TRITS_PER_BYTE_BASE3)
    codes = trits + 1
    return [int(sum(int(c) << (2 * i) for i, c in enumerate(row))) for row in codes]


def zero_weight_code(config: ArrayConfig) -> int:
    """The code of a zero weight (what padding lanes and rows store): trit 0, or int8 0."""
    return TRIT_CODE[0] if config.ternary else 0


# ---------------------------------------------------------------------------- Amaranth layouts
def act_word_layout(config: ArrayConfig) -> data.ArrayLayout:
    """``lanes`` activation codes: one ``x_in`` beat, one word of the activation buffer."""
    return data.ArrayLayout(signed(config.act_bits), config.lanes)


def trit_word_layout(config: ArrayConfig) -> data.ArrayLayout:
    """``lanes`` weight codes (``weight_bits`` each): what a row's PEs take."""
    return data.ArrayLayout(unsigned(config.weight_bits), config.lanes)


def stored_word_layout(config: ArrayConfig) -> data.ArrayLayout:
    """One ``w_in`` beat, one word of one bank: the trit word itself, or, with base-3 packing,
    its ``lanes / 5`` bytes."""
    if config.weight_packing == "base3":
        return data.ArrayLayout(unsigned(8), config.weight_word_bits // 8)
    return trit_word_layout(config)


def weight_word_layout(config: ArrayConfig) -> data.ArrayLayout:
    """What one read of the weight memory returns: a decoded trit word for each of the ``rows``
    banks."""
    return data.ArrayLayout(trit_word_layout(config), config.rows)


def acc_word_layout(config: ArrayConfig) -> data.ArrayLayout:
    """One ``acc_out`` beat: the accumulators of one block of ``rows`` outputs."""
    return data.ArrayLayout(signed(config.acc_bits), config.rows)


# ---------------------------------------------------------------------------- codecs
def beat_bytes(bits: int) -> int:
    """Bytes of a beat of ``bits`` bits (whole bytes)."""
    return ceil_div(bits, 8)


def pack_fields(values, bits: int) -> np.ndarray:
    """Each row of ``values`` (beats × fields, integers) as the little-endian bytes of one beat:
    uint8 of shape (beats, ``beat_bytes(fields * bits)``). Fields are taken modulo ``2**bits``
    (two's complement for negative codes)."""
    values = np.asarray(values, dtype=np.int64)
    shifts = np.arange(bits, dtype=np.int64)
    planes = ((values[..., None] >> shifts) & 1).astype(np.uint8)      # beats × fields × bits
    flat = planes.reshape(values.shape[0], -1)
    pad = (-flat.shape[1]) % 8
    if pad:
        flat = np.pad(flat, ((0, 0), (0, pad)))
    return np.packbits(flat, axis=1, bitorder="little")


def unpack_fields(beats, bits: int, count: int, *, is_signed: bool) -> np.ndarray:
    """Inverse of :func:`pack_fields`: ``count`` fields of ``bits`` from each row of bytes."""
    raw = np.unpackbits(np.asarray(beats, dtype=np.uint8), axis=1, bitorder="little")
    planes = raw[:, :count * bits].reshape(raw.shape[0], count, bits).astype(np.int64)
    values = planes @ (np.int64(1) << np.arange(bits, dtype=np.int64))
    if is_signed:
        values = np.where(values >> (bits - 1), values - (np.int64(1) << bits), values)
    return values


def chunked(values: np.ndarray, lanes: int, fill: np.ndarray | None = None) -> np.ndarray:
    """Rows × K as beats of ``lanes``: each row cut into ``ceil(K / lanes)`` chunks, the last one
    padded from ``fill`` (rows × chunks·lanes; zeros if None)."""
    rows, k = values.shape
    width = ceil_div(k, lanes) * lanes
    padded = (np.zeros((rows, width), dtype=np.int64) if fill is None
              else np.array(fill, dtype=np.int64)[:rows, :width].copy())
    padded[:, :k] = values
    return padded.reshape(-1, lanes)


def weight_codes(config: ArrayConfig, w) -> np.ndarray:
    """Weights as the codes the array stores: trit + 1 (ternary kinds), or the int8 value."""
    w = np.asarray(w, dtype=np.int64)
    return w + 1 if config.ternary else w


def weight_beats(config: ArrayConfig, w, fill=None) -> np.ndarray:
    """N×K weights as ``w_in`` beats (bytes): row by row, ``ceil(K/lanes)`` beats a row. Lanes
    past K take ``fill`` weights (N × chunks·lanes), or the zero weight."""
    chunks = chunked(np.asarray(w), config.lanes, fill)
    if config.weight_packing == "base3":
        return pack_base3(chunks)
    return pack_fields(weight_codes(config, chunks), config.weight_bits)


def act_beats(config: ArrayConfig, x, fill=None) -> np.ndarray:
    """M×K activation codes as ``x_in`` beats (bytes): token by token, ``ceil(K/lanes)`` beats a
    token; lanes past K take ``fill`` codes, or 0."""
    return pack_fields(chunked(np.asarray(x), config.lanes, fill), config.act_bits)


def as_ints(beats: np.ndarray) -> list[int]:
    """Beats (rows of little-endian bytes) as Python integers, as a simulator port takes them."""
    return [int.from_bytes(row.tobytes(), "little") for row in beats]


def decode_acc_word(config: ArrayConfig, word: int) -> np.ndarray:
    """The ``rows`` signed accumulators of one ``acc_out`` payload (an integer)."""
    size = beat_bytes(config.acc_bits * config.rows)
    row = np.frombuffer(word.to_bytes(size, "little"), dtype=np.uint8)[None]
    return unpack_fields(row, config.acc_bits, config.rows, is_signed=True)[0]
