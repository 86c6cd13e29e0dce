"""Hugging Face BitNet checkpoints: a directory with ``config.json`` and ``model.safetensors``
(or shards listed in ``model.safetensors.index.json``), read without torch.

The conventions are upstream's (transformers ``integrations/bitnet.py``), chosen by
``config.json``'s ``quantization_config`` (``quant_method`` "bitnet"):

- ``linear_class`` "bitlinear" (microsoft/bitnet-b1.58-2B-4T): each projection's ``weight`` is
  uint8 ``[N/4, K]``, four 2-bit codes a byte stored as code + 1; bits ``2i..2i+1`` of byte
  ``[r, k]`` hold row ``i·N/4 + r`` (row *blocks*, not consecutive rows, share a byte). The output
  is ``acc / (weight_scale · x_scale)``: ``weight_scale`` *divides*, it is rescale's ``w_scale``.
- ``linear_class`` "autobitlinear", ``quantization_mode`` "offline": ``weight`` holds the ternary
  values (float, or packed as above) and the output is ``linear(x, w) · weight_scale``: it
  *multiplies*, so ``w_scale = 1 / weight_scale``.
- "autobitlinear", "online": ``weight`` is the float master weight, quantized here as upstream's
  ``WeightQuant`` does (golden.bitlinear.quantize_weights: absmean, ``w_scale = 1 / mean|w|``).

Activations are quantized per token to int8 (``ActQuant``) in every layout; embeddings, norms and
``lm_head`` stay float. bf16 tensors (what released checkpoints hold; NumPy has no bf16) are
widened to float32 exactly. ``use_rms_norm`` (an extra norm inside AutoBitLinear) is refused.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from golden.bitlinear import quantize_weights

from .model import BitNetTransformer, CheckpointError, TransformerConfig

__all__ = ["load_hf", "read_safetensors", "pack_ternary", "unpack_ternary"]

#: One uint8 holds this many 2-bit codes (upstream's VALUES_PER_ITEM).
CODES_PER_BYTE = 4


def pack_ternary(codes: np.ndarray) -> np.ndarray:
    """Upstream's ``pack_weights``: ternary N×K (N a multiple of 4) to uint8 [N/4, K]."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[0] % CODES_PER_BYTE:
        raise ValueError(f"codes: expected N×K with N a multiple of 4, got shape {codes.shape}")
    blocks = (codes.astype(np.int16) + 1).astype(np.uint8).reshape(CODES_PER_BYTE, -1, codes.shape[1])
    packed = np.zeros(blocks.shape[1:], np.uint8)
    for i, block in enumerate(blocks):
        packed |= block << (2 * i)
    return packed


def unpack_ternary(packed: np.ndarray, name: str = "weight") -> np.ndarray:
    """Upstream's ``unpack_weights``: uint8 [P, K] to int8 [4P, K] in {-1, 0, 1}."""
    packed = np.asarray(packed)
    if packed.dtype != np.uint8 or packed.ndim != 2:
        raise CheckpointError(f"{name}: expected packed uint8 [N/4, K], got {packed.dtype} {packed.shape}")
    values = np.concatenate([(packed >> (2 * i)) & 3 for i in range(CODES_PER_BYTE)])
    if (values == 3).any():
        raise CheckpointError(f"{name}: a packed code is 0b11, which is no ternary value")
    return values.astype(np.int8) - 1


def _bf16_tensors(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    """bf16 tensors of a safetensors file as float32 (bf16 is the top half of a float32)."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        base = 8 + size
        out = {}
        for name in names:
            start, end = header[name]["data_offsets"]
            f.seek(base + start)
            raw = np.frombuffer(f.read(end - start), dtype="<u2")
            if raw.size != int(np.prod(header[name]["shape"])):
                raise CheckpointError(f"{path}: tensor {name} is truncated")
            out[name] = (raw.astype(np.uint32) << 16).view(np.float32).reshape(header[name]["shape"])
    return out


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of one safetensors file (safetensors' NumPy API; bf16 widened to float32)."""
    from safetensors import SafetensorError, safe_open
    try:
        with safe_open(str(path), framework="numpy") as f:
            names = list(f.keys())
            dtypes = {name: f.get_slice(name).get_dtype() for name in names}
            tensors = {name: f.get_tensor(name) for name in names if dtypes[name] != "BF16"}
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{path}: not a readable safetensors file ({error})") from None
    tensors.update(_bf16_tensors(path, [n for n in names if dtypes[n] == "BF16"]))
    return tensors


def _checkpoint_files(directory: Path) -> list[Path]:
    index = directory / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointError(f"{index}: not a safetensors index ({error})") from None
        return [directory / shard for shard in shards]
    single = directory / "model.safetensors"
    if not single.is_file():
        raise CheckpointError(f"{directory}: no model.safetensors (nor model.safetensors.index.json)")
    return [single]


def _quantization(raw: dict, source: str) -> tuple[str, str, list]:
    q = raw.get("quantization_config")
    if not q:
        raise CheckpointError(f"{source}: no quantization_config: upstream builds this model's "
                              f"projections as float nn.Linear, not BitLinear")
    if q.get("quant_method", "bitnet") != "bitnet":
        raise CheckpointError(f"{source}: quant_method {q.get('quant_method')!r} is not 'bitnet'")
    linear_class = q.get("linear_class", "bitlinear")
    mode = q.get("quantization_mode", "offline")
    if linear_class not in ("bitlinear", "autobitlinear") or mode not in ("offline", "online"):
        raise CheckpointError(f"{source}: linear_class {linear_class!r} / quantization_mode "
                              f"{mode!r} is not one upstream defines")
    if q.get("use_rms_norm"):
        raise CheckpointError(f"{source}: use_rms_norm (a norm inside AutoBitLinear) is not supported")
    return linear_class, mode, list(q.get("modules_to_not_convert") or [])


def _ternary(name: str, tensors: dict, linear_class: str, mode: str, n: int):
    """(codes, w_scale) of one projection, per its layout (module docstring)."""
    weight = tensors.get(name + ".weight")
    if weight is None:
        raise CheckpointError(f"{name}.weight is missing")
    if linear_class == "autobitlinear" and mode == "online":
        if weight.dtype == np.uint8:
            raise CheckpointError(f"{name}.weight: online quantization needs float weights, got uint8")
        return quantize_weights(weight.astype(np.float32))
    scale = tensors.get(name + ".weight_scale")
    if scale is None or np.asarray(scale).size != 1:
        raise CheckpointError(f"{name}.weight_scale: expected one value, got "
                              f"{'nothing' if scale is None else np.asarray(scale).shape}")
    scale = np.float32(np.asarray(scale, np.float32).reshape(()))
    if weight.dtype == np.uint8:
        if weight.shape[0] * CODES_PER_BYTE != n:
            raise CheckpointError(f"{name}.weight: packed shape {weight.shape} does not give N = {n} rows")
        codes = unpack_ternary(weight, f"{name}.weight")
    elif linear_class == "bitlinear":
        raise CheckpointError(f"{name}.weight: linear_class 'bitlinear' stores packed uint8, got {weight.dtype}")
    else:
        values = weight.astype(np.float32)
        if not np.isin(values, (-1.0, 0.0, 1.0)).all():
            raise CheckpointError(f"{name}.weight: offline autobitlinear weights must be -1, 0 or 1")
        codes = values.astype(np.int8)
    if not scale > 0:
        raise CheckpointError(f"{name}.weight_scale is {scale}, not a positive number")
    return codes, (scale if linear_class == "bitlinear" else np.float32(1) / scale)


def load_hf(directory) -> BitNetTransformer:
    """A ``BitNetForCausalLM`` checkpoint directory; one :class:`CheckpointError` for anything it
    cannot use (unknown architecture, layout, tensor type, shapes against the config, a truncated
    file)."""
    directory = Path(directory)
    source = directory / "config.json"
    try:
        raw = json.loads(source.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{directory}: no config.json (a Hugging Face checkpoint directory has one)") from None
    except (ValueError, OSError) as error:
        raise CheckpointError(f"{source}: not readable JSON ({error})") from None
    architectures = raw.get("architectures") or []
    if raw.get("model_type") != "bitnet" and "BitNetForCausalLM" not in architectures:
        raise CheckpointError(f"{source}: model_type {raw.get('model_type')!r} / architectures "
                              f"{architectures}: not a BitNet (BitNetForCausalLM) checkpoint")
    config = TransformerConfig.from_dict(raw, str(source))
    linear_class, mode, unconverted = _quantization(raw, str(source))
    tensors = {}
    for path in _checkpoint_files(directory):
        tensors.update(read_safetensors(path))
    codes, w_scales = {}, {}
    for name, (n, _) in config.layer_shapes().items():
        if any(module in name for module in unconverted):
            raise CheckpointError(f"{source}: {name} is in modules_to_not_convert: a float "
                                  f"projection cannot run on the ternary array")
        try:
            codes[name], w_scales[name] = _ternary(name, tensors, linear_class, mode, n)
        except CheckpointError as error:
            raise CheckpointError(f"{directory}: {error}") from None
    floats = {}
    for name in config.float_shapes():
        if name in tensors:
            if not np.issubdtype(tensors[name].dtype, np.floating):
                raise CheckpointError(f"{directory}: {name} is {tensors[name].dtype}, expected float")
            floats[name] = tensors[name].astype(np.float32)
    return BitNetTransformer(config, codes, w_scales, floats, source=str(directory))
