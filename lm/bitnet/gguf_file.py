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
converter does not permute q/k).

bitnet.cpp's I2_S (ggml type 36, not in the ``gguf`` package's type table: the reader below sets
those tensors aside before the package builds the others) is read in the layout of bitnet.cpp's
x86 ``quantize_i2_s`` (src/ggml-bitnet-mad.cpp, ``QK_I2_S`` 128): the N×K codes, flattened row by
row, in blocks of 128; element ``j`` of block ``b`` is bits ``6 - 2·(j // 32)`` and up of byte
``32·b + j % 32``, stored as code + 1; after the ``N·K/4`` bytes one float32, the tensor's scale
(its largest magnitude, so ``w = code · scale``). bitnet.cpp's ARM builds pack other blocks; such
a file decodes to codes that do not match the model, which only a comparison with bitnet.cpp
itself would show.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .model import PROJECTIONS, BitNetTransformer, CheckpointError, TransformerConfig

__all__ = ["load_gguf", "GGUF_PROJECTIONS", "GGUF_FLOATS", "ternary_from_values", "I2S_TYPE", "pack_i2s",
           "unpack_i2s"]

#: bitnet.cpp's ggml type id of I2_S, and its block of codes.
I2S_TYPE = 36
I2S_BLOCK = 128


def pack_i2s(codes: np.ndarray, scale: float) -> bytes:
    """N×K ternary codes and their scale in bitnet.cpp's I2_S layout (module docstring)."""
    flat = (np.asarray(codes).astype(np.int16).reshape(-1) + 1).astype(np.uint8)
    if flat.size % I2S_BLOCK:
        raise ValueError(f"I2_S packs blocks of {I2S_BLOCK} codes; got {flat.size}")
    groups = flat.reshape(-1, 4, 32)          # block, j // 32, j % 32
    packed = np.zeros((groups.shape[0], 32), np.uint8)
    for group in range(4):
        packed |= groups[:, group, :] << (6 - 2 * group)
    return packed.tobytes() + np.float32(scale).tobytes()


def unpack_i2s(data: np.ndarray, shape: tuple[int, int], name: str) -> tuple[np.ndarray, np.float32]:
    """(codes N×K, scale) of an I2_S tensor's bytes."""
    n = shape[0] * shape[1]
    data = np.asarray(data, np.uint8).reshape(-1)
    if n % I2S_BLOCK or data.size < n // 4 + 4:
        raise CheckpointError(f"{name}: I2_S needs blocks of {I2S_BLOCK} codes and {n // 4 + 4} "
                              f"bytes, got {n} codes in {data.size} bytes")
    packed = data[: n // 4].reshape(-1, 1, 32)
    values = (packed >> np.array([6, 4, 2, 0], np.uint8).reshape(1, 4, 1)) & 3
    if (values == 3).any():
        raise CheckpointError(f"{name}: an I2_S code is 0b11, which is no ternary value")
    scale = np.float32(data[n // 4: n // 4 + 4].view(np.float32)[0])
    codes = values.reshape(shape).astype(np.int8) - 1
    if not (np.isfinite(scale) and scale > 0):
        if codes.any():
            raise CheckpointError(f"{name}: I2_S scale {scale} is not a positive number")
        scale = np.float32(1)
    return codes, scale


def _reader_class():
    """``gguf.GGUFReader`` that keeps I2_S tensors (which it cannot type) aside in ``i2s``:
    name -> (N×K shape, their bytes). It overrides the package's ``_build_tensors`` step."""
    from gguf import GGUFReader

    class Reader(GGUFReader):
        def _build_tensors(self, start_offs, fields):
            self.i2s, rest = {}, []
            for field in fields:
                _, name, _, dims, raw_dtype, offset = field.parts
                if int(raw_dtype[0]) != I2S_TYPE:
                    rest.append(field)
                    continue
                shape = tuple(int(d) for d in reversed(dims.tolist()))
                start = int(start_offs + offset[0])
                count = shape[0] * shape[1] // 4 + 4
                self.i2s[str(bytes(name), encoding="utf-8")] = (shape, self.data[start:start + count])
            super()._build_tensors(start_offs, rest)

    return Reader

#: llama.cpp's name of each projection (PROJECTIONS' order) and of the float tensors.
GGUF_PROJECTIONS = dict(zip(PROJECTIONS, ("attn_q", "attn_k", "attn_v", "attn_output",
                                          "ffn_gate", "ffn_up", "ffn_down")))
GGUF_FLOATS = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
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
    from gguf.quants import dequantize

    path = Path(path)
    try:
        reader = _reader_class()(path)
    except ValueError as error:
        raise CheckpointError(f"{path}: not a GGUF file this loader can read: {error}") from None
    except (OSError, IndexError, KeyError, TypeError) as error:
        raise CheckpointError(f"{path}: not a readable GGUF file ({type(error).__name__}: {error})") from None
    arch = _field(reader, "general.architecture")
    if arch != "bitnet":
        raise CheckpointError(f"{path}: general.architecture is {arch!r}, not 'bitnet'")
    tensors = {t.name: t for t in reader.tensors}
    i2s = reader.i2s
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
            if name in i2s:
                codes[f"model.layers.{i}.{hf_name}"], d = unpack_i2s(i2s[name][1], i2s[name][0],
                                                                     f"{path}: {name}")
            else:
                codes[f"model.layers.{i}.{hf_name}"], d = ternary_from_values(values(name),
                                                                              f"{path}: {name}")
            w_scales[f"model.layers.{i}.{hf_name}"] = np.float32(1) / d
        for hf_name, gguf_name in GGUF_FLOATS.items():
            floats[f"model.layers.{i}.{hf_name}.weight"] = values(f"blk.{i}.{gguf_name}.weight")
    return BitNetTransformer(config, codes, w_scales, floats, source=str(path))
