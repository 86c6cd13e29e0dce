"""BitNet b1.58 BitLinear in pure NumPy: the numbers every other part of the project must match.

The semantics follow Hugging Face transformers' BitNet integration
(``transformers/integrations/bitnet.py``): ``WeightQuant`` / ``ActQuant`` for the quantizers and the
offline ``BitLinear.forward`` for the order of the rescale. All arithmetic is float32, as upstream.

Torch versus exact rounding of the activation scale
---------------------------------------------------
Upstream writes ``127 / x.abs().max(...)``. For a tensor on the right of ``/`` PyTorch evaluates
``Tensor.__rtruediv__`` as ``self.reciprocal() * other``: two float32 roundings, first of ``1/m`` and
then of the product with 127. The correctly rounded quotient ``127/m`` is one rounding. The two
scales differ by one ulp for about a quarter of all maxima (24.97 % of 10**6 uniform draws); codes
differ only for elements within an ulp of a rounding boundary. Example: the row
``[1.0000038, 0.011811068]`` gives torch scale 126.99951 and codes ``[127, 1]`` (the product is
1.4999999) but exact scale 126.99952 and codes ``[127, 2]`` (the product is 1.5, a tie to even).
``rounding="torch"`` (the default) reproduces PyTorch; ``rounding="exact"`` uses the correctly
rounded division. The weight scale ``1.0 / mean`` is the same either way: multiplying by 1.0 adds
no rounding.

The weight mean is the correctly rounded float32 mean (accumulated in float64). PyTorch sums float32
in float32 (a cascade summation), so its mean can land an ulp or two away. Measured against
torch 2.13 (CPU, 1000 random matrices up to 200×600): 38 % of weight scales differed by 1–2 ulp and
no code differed. Released BitNet checkpoints store the weight scale, so this matters only when
quantizing float weights here.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_code_array, as_float_array

__all__ = [
    "ACT_MAX_CLAMP", "WEIGHT_MEAN_CLAMP", "acc_bits", "activation_scale", "bitlinear",
    "int_matmul", "quantize_activations", "quantize_weights", "rescale",
]

#: Upstream clamps the reductions with ``clamp(min=1e-5)``; the scalar becomes float32.
WEIGHT_MEAN_CLAMP = np.float32(1e-5)
ACT_MAX_CLAMP = np.float32(1e-5)

_ROUNDINGS = ("torch", "exact")


def quantize_weights(w) -> tuple[np.ndarray, np.float32]:
    """Ternary absmean quantization of an N×K weight matrix.

    Returns ``(codes, scale)``: ``scale = 1 / max(mean|w|, 1e-5)`` (float32) and
    ``codes = clip(round_half_even(w * scale), -1, 1)`` as int8. An all-zero matrix gives zeros.
    """
    w = as_float_array(w, "w", ndim=2)
    mean = np.float32(np.mean(np.abs(w), dtype=np.float64))
    scale = np.float32(1.0) / np.maximum(mean, WEIGHT_MEAN_CLAMP)
    codes = np.clip(np.rint(w * scale), -1, 1).astype(np.int8)
    return codes, np.float32(scale)


def activation_scale(row_max, rounding: str = "torch") -> np.ndarray:
    """``127 / max(row_max, 1e-5)`` in float32, rounded as PyTorch does or correctly (see module doc)."""
    if rounding not in _ROUNDINGS:
        raise ValueError(f"rounding: expected one of {_ROUNDINGS}, got {rounding!r}")
    clamped = np.maximum(np.asarray(row_max, dtype=np.float32), ACT_MAX_CLAMP)
    if rounding == "torch":
        return (np.float32(1.0) / clamped) * np.float32(127.0)
    return np.float32(127.0) / clamped


def quantize_activations(x, rounding: str = "torch") -> tuple[np.ndarray, np.ndarray]:
    """Per-token absmax int8 quantization of ``x`` (…×K, quantized along the last axis).

    Returns ``(codes, scale)``: ``scale`` float32 of shape (…, 1) (upstream's ``keepdim=True``),
    ``codes = clip(round_half_even(x * scale), -128, 127)`` as int8. An all-zero row gives zeros.
    """
    if rounding not in _ROUNDINGS:
        raise ValueError(f"rounding: expected one of {_ROUNDINGS}, got {rounding!r}")
    x = as_float_array(x, "x")
    scale = activation_scale(np.max(np.abs(x), axis=-1, keepdims=True), rounding)
    codes = np.clip(np.rint(x * scale), -128, 127).astype(np.int8)
    return codes, scale


def acc_bits(k: int, act_bits: int = 8, max_abs_weight: int = 1) -> int:
    """Signed accumulator width that can never overflow for a K-long dot product.

    The worst case is ``k * 2**(act_bits-1) * max_abs_weight`` (all activations at the most
    negative code, all weights at the most negative value), a positive number that needs its own
    bit length plus a sign bit. Ternary weights have ``max_abs_weight`` 1, int8 weights 128.
    """
    for name, value, low in (("k", k, 1), ("act_bits", act_bits, 2),
                             ("max_abs_weight", max_abs_weight, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name}: expected an integer, got {type(value).__name__}")
        if value < low:
            raise ValueError(f"{name}: must be >= {low}, got {value}")
    worst = (int(k) << (int(act_bits) - 1)) * int(max_abs_weight)
    return worst.bit_length() + 1


#: Largest K for which int_matmul's int32 result cannot overflow with int8 activations.
MAX_K_INT32 = (2**31 - 1) // 128


def int_matmul(x_codes, w_codes) -> np.ndarray:
    """Exact integer product ``x_codes @ w_codes.T``: int8 …×K by ternary N×K gives int32 …×N."""
    x = as_code_array(x_codes, "x_codes", low=-128, high=127)
    w = as_code_array(w_codes, "w_codes", low=-1, high=1, ndim=2)
    if x.shape[-1] != w.shape[1]:
        raise ValueError(f"x_codes and w_codes: K differs ({x.shape[-1]} vs {w.shape[1]}); "
                         f"x_codes is …×K, w_codes is N×K")
    if w.shape[1] > MAX_K_INT32:
        raise ValueError(f"w_codes: K = {w.shape[1]} exceeds {MAX_K_INT32}, the int32 limit")
    # float64 BLAS is exact here: every partial sum is an integer below 2**31 < 2**53.
    acc = x.astype(np.float64) @ w.astype(np.float64).T
    return acc.astype(np.int32)


def bitlinear(x, w, rounding: str = "torch") -> np.ndarray:
    """BitLinear forward: quantize both operands, integer product, rescale as upstream.

    Upstream's offline ``BitLinear`` computes ``y / (weight_scale * input_scale)`` in float32 on the
    float32 product of the codes; that product equals the integer one while |acc| < 2**24.
    """
    x_arr = as_float_array(x, "x")
    w_codes, w_scale = quantize_weights(w)
    if x_arr.shape[-1] != w_codes.shape[1]:
        raise ValueError(f"x and w: K differs ({x_arr.shape[-1]} vs {w_codes.shape[1]}); "
                         f"x is …×K, w is N×K")
    x_codes, x_scale = quantize_activations(x_arr, rounding)
    return rescale(int_matmul(x_codes, w_codes), w_scale, x_scale)


def rescale(acc, w_scale, x_scale) -> np.ndarray:
    """BitLinear output from the integer product, in upstream's order and precision:
    ``float32(acc) / (w_scale * x_scale)``. Every engine (NumPy, simulated array, board) ends here,
    so equal accumulators give equal outputs, bit for bit."""
    return np.asarray(acc).astype(np.float32) / (np.float32(w_scale) * np.asarray(x_scale, np.float32))
