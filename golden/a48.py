"""BitNet a4.8's activation quantizers (Wang, Ma, Wei, arXiv 2411.04965) in pure NumPy.

a4.8 keeps b1.58's ternary weights and changes what a BitLinear's input becomes:

- **INT4 absmean** for the inputs of attention and the FFN (q/k/v, gate/up projections), whose
  distributions are near Gaussian::

      Q_INT4(X) = (beta / sqrt 7) * RoundClip(sqrt(7) * X / beta, -8, 7),   beta = mean|X|

  ``quantize_activations_int4`` returns the codes and the scale ``sqrt(7) / beta`` (the factor
  that makes codes of ``X``, as b1.58's ``127 / max|X|`` does), so ``golden.bitlinear.rescale``
  serves both. The reduction is per token (one scale a row) or per tensor (``granularity``).
- **INT8 absmax** for the intermediate states, whose distributions are sharp with outliers: the
  down projection's input (the squared-ReLU GLU already makes most of it zero) and, after a
  **top-K** sparsification that keeps the largest-magnitude half of each token, the output
  projection's input. The INT8 quantizer is b1.58's own (``quantize_activations``), so top-K then
  INT8 is ``quantize_activations(sparsify_topk(x))``.

Precision follows golden.bitlinear: float32 throughout, ``beta`` the correctly rounded float32
mean (accumulated in float64), round half to even, and the paper's ``beta + eps`` written as
upstream writes b1.58's ``gamma + eps``: a clamp ``max(beta, 1e-5)`` (they differ only when
``beta`` is near 1e-5; an all-zero row gives zero codes either way). The paper publishes no code:
where it leaves a choice open this module says which one it takes (top-K's count and ties).
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import as_float_array
from .bitlinear import quantize_activations

__all__ = ["INT4_LOW", "INT4_HIGH", "ACT_MEAN_CLAMP", "GRANULARITIES", "TOPK_FRACTION",
           "int4_scale", "quantize_activations_int4", "topk_count", "sparsify_topk",
           "quantize_activations_int8_topk"]

INT4_LOW, INT4_HIGH = -8, 7
#: The clamp of the absmean reduction, as b1.58's reductions (upstream's ``clamp(min=1e-5)``).
ACT_MEAN_CLAMP = np.float32(1e-5)
#: ``token``: one beta per row (last axis); ``tensor``: one beta for the whole array.
GRANULARITIES = ("token", "tensor")
#: The share of each token the output projection keeps (the paper's top-K of 50 %).
TOPK_FRACTION = 0.5

_SQRT7 = np.float32(math.sqrt(7.0))


def int4_scale(beta) -> np.ndarray:
    """``sqrt(7) / max(beta, 1e-5)`` in float32 (one correctly rounded division)."""
    return _SQRT7 / np.maximum(np.asarray(beta, dtype=np.float32), ACT_MEAN_CLAMP)


def quantize_activations_int4(x, granularity: str = "token") -> tuple[np.ndarray, np.ndarray]:
    """a4.8's INT4 absmean quantization of ``x`` (…×K).

    Returns ``(codes, scale)``: ``codes = clip(round_half_even(x * scale), -8, 7)`` as int8 and
    ``scale = sqrt(7) / max(mean|x|, 1e-5)`` float32, of shape (…, 1) per token or all ones
    (broadcasting over ``x``) per tensor. An all-zero row (or tensor) gives zero codes.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity: expected one of {GRANULARITIES}, got {granularity!r}")
    x = as_float_array(x, "x")
    axis = -1 if granularity == "token" else None
    beta = np.mean(np.abs(x), axis=axis, keepdims=True, dtype=np.float64).astype(np.float32)
    scale = int4_scale(beta)
    codes = np.clip(np.rint(x * scale), INT4_LOW, INT4_HIGH).astype(np.int8)
    return codes, scale


def topk_count(k: int, fraction: float = TOPK_FRACTION) -> int:
    """How many of a token's ``k`` elements top-K keeps: ``ceil(fraction * k)`` (at least one)."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
            or not 0 < fraction <= 1:
        raise ValueError(f"fraction: expected a number in (0, 1], got {fraction!r}")
    return max(1, math.ceil(fraction * k))


def sparsify_topk(x, fraction: float = TOPK_FRACTION) -> np.ndarray:
    """Each token of ``x`` (…×K) with all but its ``topk_count(K, fraction)`` largest-magnitude
    elements set to zero (float32). Among equal magnitudes the lower index is kept, so the
    result does not depend on the sort."""
    x = as_float_array(x, "x")
    keep = topk_count(x.shape[-1], fraction)
    order = np.argsort(-np.abs(x), axis=-1, kind="stable")
    mask = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(mask, order[..., :keep], True, axis=-1)
    return np.where(mask, x, np.float32(0)).astype(np.float32)


def quantize_activations_int8_topk(x, fraction: float = TOPK_FRACTION,
                                   rounding: str = "torch") -> tuple[np.ndarray, np.ndarray]:
    """Top-K, then b1.58's per-token INT8 absmax: the output projection's input in a4.8. The
    largest element survives top-K, so the scale is that of ``x`` itself and the kept elements'
    codes are those ``quantize_activations(x)`` gives."""
    return quantize_activations(sparsify_topk(x, fraction), rounding)
