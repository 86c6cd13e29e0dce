"""Small BitNet transformer checkpoints written by the tests themselves (no download, no torch):
Hugging Face directories in each layout upstream allows, float32 or bf16."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from golden.bitlinear import quantize_weights
from lm.bitnet.hf import pack_ternary

#: A tiny BitNetForCausalLM: GQA (4 query heads on 2 K/V heads), two layers.
TINY = {"architectures": ["BitNetForCausalLM"], "model_type": "bitnet", "vocab_size": 48,
        "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "relu2",
        "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "tie_word_embeddings": True, "attention_bias": False}

LAYOUTS = {"bitlinear": ("bitlinear", "offline"), "autobitlinear": ("autobitlinear", "offline"),
           "online": ("autobitlinear", "online")}


def _shapes(config: dict) -> dict:
    """(N, K) of every BitLinear of a config.json dict, as the loader reads it."""
    from lm.bitnet import TransformerConfig
    return TransformerConfig.from_dict(config).layer_shapes()


def float_weights(config: dict, seed: int = 0) -> dict[str, np.ndarray]:
    """Float master weights of every tensor (projections as nn.Linear would hold them)."""
    rng = np.random.default_rng(seed)
    h, v = config["hidden_size"], config["vocab_size"]
    hd = config.get("head_dim") or h // config["num_attention_heads"]
    out = {"model.embed_tokens.weight": rng.normal(0, 1, (v, h)),
           "model.norm.weight": rng.uniform(0.5, 1.5, h)}
    if not config.get("tie_word_embeddings"):
        out["lm_head.weight"] = rng.normal(0, 0.2, (v, h))
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out[p + "input_layernorm.weight"] = rng.uniform(0.5, 1.5, h)
        out[p + "post_attention_layernorm.weight"] = rng.uniform(0.5, 1.5, h)
        out[p + "self_attn.attn_sub_norm.weight"] = rng.uniform(0.5, 1.5, config["num_attention_heads"] * hd)
        out[p + "mlp.ffn_sub_norm.weight"] = rng.uniform(0.5, 1.5, config["intermediate_size"])
    for name, shape in _shapes(config).items():
        out[name + ".weight"] = rng.normal(0, 0.05, shape)
    return {name: value.astype(np.float32) for name, value in out.items()}


def save_safetensors(path: Path, tensors: dict, bf16: bool = False) -> None:
    """The safetensors format by hand, so float tensors can be stored as bf16 (truncated to bf16
    here: the float32 the loader widens them to is exactly this value)."""
    header, chunks, offset = {}, [], 0
    for name, value in tensors.items():
        value = np.ascontiguousarray(value)
        if bf16 and value.dtype == np.float32:
            data, dtype = (value.view(np.uint32) >> 16).astype("<u2").tobytes(), "BF16"
        else:
            dtype = {np.dtype(np.float32): "F32", np.dtype(np.uint8): "U8",
                     np.dtype(np.int8): "I8"}[value.dtype]
            data = value.tobytes()
        header[name] = {"dtype": dtype, "shape": list(value.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def write_hf_checkpoint(directory: Path, layout: str = "bitlinear", *, config: dict | None = None,
                        seed: int = 0, bf16: bool = False, packed: bool = True) -> Path:
    """A checkpoint directory of ``config`` (default TINY) in ``layout`` (LAYOUTS): the float
    weights of ``float_weights(seed)`` quantized as that layout stores them."""
    config = dict(TINY if config is None else config)
    linear_class, mode = LAYOUTS[layout]
    config["quantization_config"] = {"quant_method": "bitnet", "linear_class": linear_class,
                                     "quantization_mode": mode}
    weights = float_weights(config, seed)
    tensors = {}
    for name, value in weights.items():
        base = name.removesuffix(".weight")
        if base not in _shapes(config) or mode == "online":
            tensors[name] = value
            continue
        codes, scale = quantize_weights(value)
        if linear_class == "bitlinear":      # weight_scale divides the product
            tensors[name], tensors[base + ".weight_scale"] = pack_ternary(codes), np.float32([scale])
        else:                                # weight_scale multiplies it
            tensors[name] = pack_ternary(codes) if packed else codes.astype(np.float32)
            tensors[base + ".weight_scale"] = np.float32([1 / scale])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    save_safetensors(directory / "model.safetensors", tensors, bf16=bf16)
    return directory


#: TQ1_0 / TQ2_0 blocks are 256 values of a row: K must be a multiple of 256.
TINY_GGUF = dict(TINY, hidden_size=256, intermediate_size=256)


def write_gguf_checkpoint(path: Path, qtype: str = "TQ2_0", *, config: dict | None = None,
                          seed: int = 0) -> Path:
    """A BitNet .gguf written by the ``gguf`` package's own writer and quantizer, as llama.cpp's
    converter writes one: projections as ternary · mean|w| quantized to ``qtype``, the rest F32.
    ``qtype`` "I2_S" (which the package cannot type): bitnet.cpp's bytes (lm.bitnet.gguf_file's
    ``pack_i2s``, plus its 28 bytes of alignment padding) written as an int8 tensor, then its
    type and dimensions patched to I2_S and N×K in place."""
    import gguf

    from lm.bitnet.gguf_file import GGUF_FLOATS, GGUF_PROJECTIONS, I2S_TYPE, pack_i2s

    config = dict(TINY_GGUF if config is None else config)
    weights = float_weights(config, seed)
    writer = gguf.GGUFWriter(str(path), "bitnet")
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_head_count_kv(config["num_key_value_heads"])
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_rope_freq_base(config["rope_theta"])
    writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
    writer.add_rope_scaling_factor(1.0)
    names = {**GGUF_PROJECTIONS, **GGUF_FLOATS}
    kind = None if qtype == "I2_S" else getattr(gguf.GGMLQuantizationType, qtype)
    i2s_shapes = {}
    for name, value in weights.items():
        if name == "model.embed_tokens.weight":
            writer.add_tensor("token_embd.weight", value)
        elif name == "model.norm.weight":
            writer.add_tensor("output_norm.weight", value)
        elif name == "lm_head.weight":
            writer.add_tensor("output.weight", value)
        else:
            layer, rest = name.removeprefix("model.layers.").split(".", 1)
            module = rest.removesuffix(".weight")
            target = f"blk.{layer}.{names[module]}.weight"
            if module in GGUF_FLOATS:
                writer.add_tensor(target, value)
                continue
            codes, scale = quantize_weights(value)      # the converter's weight_quant
            ternary = codes.astype(np.float32) / scale
            if kind is None:
                raw = pack_i2s(codes, np.max(np.abs(ternary))) + bytes(28)
                writer.add_tensor(target, np.frombuffer(raw, np.int8).reshape(1, -1))
                i2s_shapes[target] = codes.shape
            elif kind in (gguf.GGMLQuantizationType.F32,):
                writer.add_tensor(target, ternary)
            else:
                writer.add_tensor(target, gguf.quants.quantize(ternary, kind), raw_dtype=kind)
    finish_gguf(writer)
    patch_tensor_info(path, {(name, part): value for name, (n, k) in i2s_shapes.items()
                             for part, value in ((3, [k, n]), (4, [I2S_TYPE]))})
    return path


def patch_tensor_info(path: Path, changes: dict) -> None:
    """Overwrite fields of tensor infos in a GGUF file in place: ``{(tensor, part): value}`` with
    part 3 the dimensions, 4 the type; at the offsets the package's reader finds them."""
    import gguf

    reader = gguf.GGUFReader(path)
    base = reader.data.__array_interface__["data"][0]
    fields = {t.name: t.field for t in reader.tensors}
    edits = []
    for (name, part), value in changes.items():
        target = fields[name].parts[part]
        edits.append((target.__array_interface__["data"][0] - base,
                      np.asarray(value, target.dtype).tobytes()))
    del reader, fields
    data = bytearray(path.read_bytes())
    for offset, raw in edits:
        data[offset:offset + len(raw)] = raw
    path.write_bytes(bytes(data))


def finish_gguf(writer) -> None:
    """Write a ``gguf.GGUFWriter``'s header, metadata and tensors, and close it."""
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
