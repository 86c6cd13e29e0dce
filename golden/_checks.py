"""Input checks shared by the golden model: one clear error naming the argument and the problem."""

from __future__ import annotations

import numpy as np

__all__ = ["as_float_array", "as_code_array"]


def _as_array(value, name: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise TypeError(f"{name}: cannot be read as an array ({error})") from None
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a numeric array, got dtype {array.dtype}")
    if array.dtype.kind == "b":
        raise TypeError(f"{name}: expected a numeric array, got booleans")
    return array


def _check_ndim(array: np.ndarray, name: str, ndim: int | None, min_ndim: int) -> None:
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got {array.ndim} (shape {array.shape})")
    if array.ndim < min_ndim:
        raise ValueError(f"{name}: expected at least {min_ndim} dimension(s), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name}: empty array (shape {array.shape})")


def as_float_array(value, name: str, *, ndim: int | None = None, min_ndim: int = 1) -> np.ndarray:
    """Return ``value`` as float32 (upstream calls ``x.float()`` first), rejecting NaN and inf."""
    array = _as_array(value, name)
    _check_ndim(array, name, ndim, min_ndim)
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        bad = "NaN" if np.any(np.isnan(array)) else "inf"
        raise ValueError(f"{name}: contains {bad}; quantization needs finite values")
    with np.errstate(over="ignore"):  # reported below as a clear error instead
        converted = array.astype(np.float32)
    if not np.all(np.isfinite(converted)):
        raise ValueError(f"{name}: values overflow float32 (max |value| {np.max(np.abs(array))})")
    return converted


def as_code_array(value, name: str, *, low: int, high: int, ndim: int | None = None,
                  min_ndim: int = 1) -> np.ndarray:
    """Return integer codes as int64 after checking every code lies in ``[low, high]``."""
    array = _as_array(value, name)
    if array.dtype.kind == "f":
        raise TypeError(f"{name}: expected integer codes, got dtype {array.dtype}")
    _check_ndim(array, name, ndim, min_ndim)
    codes = array.astype(np.int64)
    outside = (codes < low) | (codes > high)
    if np.any(outside):
        index = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(f"{name}: code {codes[index]} at index {index} is outside [{low}, {high}]")
    return codes
