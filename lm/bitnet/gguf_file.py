"""GGUF BitNet checkpoints (``general.architecture`` "bitnet", as llama.cpp's converter writes
them), read with the ``gguf`` package.

Tensor names are llama.cpp's (``token_embd``, ``blk.N.attn_q`` ... ``blk.N.ffn_sub_norm``,
``output_norm``, ``output`` unless tied), shapes NumPy order (N×K). The converter stores each
projection as ternary values times its scale; in ggml's TQ1_0 (base-3, five trits a byte) and
TQ2_0 (2 bits a trit) blocks of 256 every block carries that scale as its fp16 ``d`` (its
largest magnitude). The loader dequantizes with the package's own ``gguf.quants.dequantize`` and
takes ``d`` back out: every non-zero value of a projection must be ``±d`` for one ``d``, or the
tensor is not a BitLinear's and is refused. F32/F16/BF16 projections holding ``code · d`` load the
same way. The output is ``acc · d / x_scale``, i.e. rescale's ``w_scale = 1 / d``. The rotary
embedding is the one of the HF model (llama.cpp runs BitNet with NeoX-style rotation and the
converter does not permute q/k). bitnet.cpp's I2_S type (36) is not in the ``gguf`` package's
type table; such a file is refused with that reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .model import PROJECTIONS, BitNetTransformer, CheckpointError, TransformerConfig

__all__ = ["load_gguf", "GGUF_PROJECTIONS", "ternary_from_values"]

#: llama.cpp's name of each projection (PROJECTIONS' order) and of the float tensors.
GGUF_PROJECTIONS = dict(zip(PROJECTIONS, ("attn_q", "attn_k", "attn_v", "attn_output",
                                          "ffn_gate", "ffn_up", "ffn_down")))
_GGUF_FLOATS = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
                "self_attn.attn_sub_norm": "attn_sub_norm", "mlp.ffn_sub_norm": "ffn_sub_norm"}


def ternary_from_values(values: np.ndarray, name: str) -> tuple[np.ndarray, np.float32]:
    """(codes, d) with ``values == codes · d`` exactly, or a CheckpointError."""
    values = np.asarray(values, np.float32)
    d = np.float32(np.max(np.abs(values))) if values.size else np.float32(0)
    if d == 0:
        return np.zeros(values.shape, np.int8), np.float32(1)
    codes = np.rint(values / d)
    if not (np.isin(codes, (-1.0, 0.0, 1.0)).all() and np.array_equal(codes * d, values)):
        raise CheckpointError(f"{name}: its values are not one scale times -1/0/1 (blocks with "
                              f"different scales?): not a BitLinear projection")
    return codes.astype(np.int8), d


def _field(reader, key, default=None):
    field = reader.get_field(key)
    if field is None:
        return default
    value = field.contents()
    return value


def load_gguf(path) -> BitNetTransformer:
    """A BitNet ``.gguf`` file; one :class:`CheckpointError` for anything it cannot use."""
    from gguf import GGUFReader
    from gguf.quants import dequantize

    path = Path(path)
    try:
        reader = GGUFReader(path)
    except ValueError as error:
        hint = " (type 36 is bitnet.cpp's I2_S, which the gguf package does not know)" \
            if re.search(r"\b36\)? is not a valid", str(error)) else ""
        raise CheckpointError(f"{path}: not a GGUF file this loader can read: {error}{hint}") from None
    except (OSError, IndexError, KeyError, TypeError) as error:
        raise CheckpointError(f"{path}: not a readable GGUF file ({type(error).__name__}: {error})") from None
    arch = _field(reader, "general.architecture")
    if arch != "bitnet":
        raise CheckpointError(f"{path}: general.architecture is {arch!r}, not 'bitnet'")
    tensors = {t.name: t for t in reader.tensors}
    if "token_embd.weight" not in tensors:
        raise CheckpointError(f"{path}: no token_embd.weight")

    def values(name):
        if name not in tensors:
            raise CheckpointError(f"{path}: tensor {name} is missing")
        tensor = tensors[name]
        try:
            return np.asarray(dequantize(tensor.data, tensor.tensor_type), np.float32)
        except (NotImplementedError, ValueError) as error:
            raise CheckpointError(f"{path}: {name} is {tensor.tensor_type.name}: {error}") from None

    embed = values("token_embd.weight")
    hidden = _field(reader, "bitnet.embedding_length")
    scaling = _field(reader, "bitnet.rope.scaling.type")
    factor = _field(reader, "bitnet.rope.scaling.factor", 1.0)
    if scaling not in (None, "none", "linear") or factor != 1.0:
        raise CheckpointError(f"{path}: rope scaling {scaling!r} x{factor} is not supported")
    raw = {"vocab_size": int(embed.shape[0]), "hidden_size": hidden,
           "intermediate_size": _field(reader, "bitnet.feed_forward_length"),
           "num_hidden_layers": _field(reader, "bitnet.block_count"),
           "num_attention_heads": _field(reader, "bitnet.attention.head_count"),
           "num_key_value_heads": _field(reader, "bitnet.attention.head_count_kv"),
           "head_dim": _field(reader, "bitnet.attention.key_length"),
           "rms_norm_eps": _field(reader, "bitnet.attention.layer_norm_rms_epsilon", 1e-5),
           "rope_theta": _field(reader, "bitnet.rope.freq_base", 10000.0),
           "tie_word_embeddings": "output.weight" not in tensors}
    config = TransformerConfig.from_dict({k: v for k, v in raw.items() if v is not None}, str(path))
    codes, w_scales = {}, {}
    floats = {"model.embed_tokens.weight": embed, "model.norm.weight": values("output_norm.weight")}
    if not config.tie_word_embeddings:
        floats["lm_head.weight"] = values("output.weight")
    for i in range(config.num_hidden_layers):
        for hf_name, gguf_name in GGUF_PROJECTIONS.items():
            name = f"blk.{i}.{gguf_name}.weight"
            codes[f"model.layers.{i}.{hf_name}"], d = ternary_from_values(values(name), f"{path}: {name}")
            w_scales[f"model.layers.{i}.{hf_name}"] = np.float32(1) / d
        for hf_name, gguf_name in _GGUF_FLOATS.items():
            floats[f"model.layers.{i}.{hf_name}.weight"] = values(f"blk.{i}.{gguf_name}.weight")
    return BitNetTransformer(config, codes, w_scales, floats, source=str(path))
