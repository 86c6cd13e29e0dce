"""The int8-weight baseline: a conventional quantized linear layer, to measure ternary against.

Weights are quantized per tensor to int8 with an absmax scale (``127 / max|w|``), activations as
in BitLinear (per-token absmax int8), and the product needs real multiplies. The hardware baseline
(``pe_kind="mul8"`` / ``"mul8_dsp"``) computes ``int8_matmul`` bit for bit, on the same array,
streams and schedule as the ternary kinds.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_code_array, as_float_array

__all__ = ["quantize_weights_int8", "int8_matmul", "INT8_MAX_K"]

#: Largest K whose int8 × int8 sums stay inside int32: K · 128 · 128 < 2**31.
INT8_MAX_K = (2**31 - 1) // (128 * 128)


def quantize_weights_int8(w) -> tuple[np.ndarray, np.float32]:
    """``(codes, scale)``: ``scale = 127 / max(max|w|, 1e-5)`` (float32), codes int8 in
    [-127, 127], round half to even."""
    w = as_float_array(w, "w", ndim=2)
    scale = np.float32(127.0) / np.maximum(np.max(np.abs(w)), np.float32(1e-5))
    codes = np.clip(np.rint(w * scale), -127, 127).astype(np.int8)
    return codes, np.float32(scale)


def int8_matmul(x_codes, w_codes) -> np.ndarray:
    """Exact ``x_codes @ w_codes.T`` for int8 activations (…×K) and int8 weights (N×K): int32."""
    x = as_code_array(x_codes, "x_codes", low=-128, high=127)
    w = as_code_array(w_codes, "w_codes", low=-128, high=127, ndim=2)
    if x.shape[-1] != w.shape[1]:
        raise ValueError(f"x_codes and w_codes: K differs ({x.shape[-1]} vs {w.shape[1]})")
    if w.shape[1] > INT8_MAX_K:
        raise ValueError(f"w_codes: K = {w.shape[1]} exceeds {INT8_MAX_K}, the int32 limit")
    # float64 is exact: every partial sum is an integer below 2**31 < 2**53.
    return (x.astype(np.float64) @ w.astype(np.float64).T).astype(np.int32)
