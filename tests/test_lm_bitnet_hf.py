"""Hugging Face checkpoints: every layout upstream allows gives the same ternary model, the packed
layout is upstream's (its own docstring example), bf16 and shards load, and every checkpoint the
loader cannot use is refused with one clear error."""

import json

import numpy as np
import pytest

from golden.bitlinear import quantize_weights
from lm.bitnet import CheckpointError, load
from lm.bitnet.hf import pack_ternary, read_safetensors, unpack_ternary
from tests.bitnet_checkpoints import TINY, float_weights, save_safetensors, write_hf_checkpoint

NAME = "model.layers.1.mlp.down_proj"


def test_unpack_follows_upstreams_docstring_example():
    """transformers' unpack_weights docstring: rows come from row blocks, not neighbours."""
    packed = np.array([[0b10100001, 0b00011000], [0b10010000, 0b00001010]], np.uint8)
    expected = [[0, -1], [-1, 1], [-1, 1], [-1, 1], [1, 0], [0, -1], [1, -1], [1, -1]]
    np.testing.assert_array_equal(unpack_ternary(packed), expected)
    np.testing.assert_array_equal(pack_ternary(np.array(expected)), packed)


def test_pack_round_trip_and_bad_codes():
    codes = np.random.default_rng(0).integers(-1, 2, (12, 7))
    np.testing.assert_array_equal(unpack_ternary(pack_ternary(codes)), codes)
    with pytest.raises(CheckpointError, match="0b11"):
        unpack_ternary(np.array([[0b11]], np.uint8))


@pytest.mark.parametrize("layout, packed", [("bitlinear", True), ("autobitlinear", True),
                                             ("autobitlinear", False), ("online", False)])
def test_every_layout_gives_the_quantized_weights(tmp_path, layout, packed):
    model = load(write_hf_checkpoint(tmp_path / "ckpt", layout, packed=packed, seed=1))
    codes, scale = quantize_weights(float_weights(dict(TINY), 1)[NAME + ".weight"])
    np.testing.assert_array_equal(model.codes[NAME], codes)
    # bitlinear stores the scale that divides; autobitlinear its inverse, which multiplies
    np.testing.assert_allclose(model.w_scales[NAME], scale, rtol=1e-6)
    assert model.ternary_weights == sum(n * k for n, k in model.config.layer_shapes().values())


def test_layouts_agree_on_logits(tmp_path):
    ids = [5, 1, 30, 2]
    logits = [load(write_hf_checkpoint(tmp_path / layout, layout, seed=2)).logits(ids)
              for layout in ("bitlinear", "autobitlinear", "online")]
    for other in logits[1:]:
        np.testing.assert_allclose(other, logits[0], rtol=1e-4, atol=1e-4)


def test_bf16_checkpoint_is_widened_exactly(tmp_path):
    directory = write_hf_checkpoint(tmp_path / "bf16", bf16=True)
    model = load(directory)
    embed = float_weights(dict(TINY))["model.embed_tokens.weight"]
    truncated = ((embed.view(np.uint32) >> 16) << 16).view(np.float32)
    np.testing.assert_array_equal(model.tensors["model.embed_tokens.weight"], truncated)
    assert model.logits([1, 2]).shape == (2, TINY["vocab_size"])


def test_sharded_checkpoint(tmp_path):
    directory = write_hf_checkpoint(tmp_path / "one")
    tensors = read_safetensors(directory / "model.safetensors")
    names = sorted(tensors)
    shards = {"a.safetensors": names[::2], "b.safetensors": names[1::2]}
    for shard, part in shards.items():
        save_safetensors(directory / shard, {name: tensors[name] for name in part})
    (directory / "model.safetensors").unlink()
    (directory / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {name: shard for shard, part in shards.items() for name in part}}))
    np.testing.assert_array_equal(load(directory).codes[NAME], load(tmp_path / "one").codes[NAME])


def edit_config(directory, **changes):
    path = directory / "config.json"
    config = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    path.write_text(json.dumps(config))


@pytest.mark.parametrize("changes, message", [
    ({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}, "not a BitNet"),
    ({"quantization_config": None}, "no quantization_config"),
    ({"quantization_config": {"quant_method": "bitnet", "linear_class": "bitlinear",
                              "use_rms_norm": True}}, "use_rms_norm"),
    ({"quantization_config": {"quant_method": "bitnet", "linear_class": "bitlinear",
                              "modules_to_not_convert": ["lm_head", "mlp.up_proj"]}},
     "modules_to_not_convert"),
    ({"quantization_config": {"quant_method": "gptq"}}, "not 'bitnet'"),
    ({"hidden_act": "silu"}, "relu2"),
    ({"rope_scaling": {"rope_type": "llama3", "factor": 8.0}}, "rope .*llama3.*not supported"),
    ({"rope_parameters": {"rope_type": "yarn", "rope_theta": 1e4}}, "rope .*yarn.*not supported"),
    ({"intermediate_size": 48}, r"mlp.gate_proj.*packed shape|has shape"),
    ({"num_hidden_layers": 3}, "model.layers.2.*missing"),
    ({"tie_word_embeddings": False}, "lm_head.weight is missing"),
    ({"vocab_size": None}, "no 'vocab_size'"),
])
def test_checkpoints_that_cannot_be_used_are_refused(tmp_path, changes, message):
    directory = write_hf_checkpoint(tmp_path / "ckpt")
    edit_config(directory, **changes)
    with pytest.raises(CheckpointError, match=message):
        load(directory)


def test_broken_files_are_refused(tmp_path):
    directory = write_hf_checkpoint(tmp_path / "ckpt")
    tensors = directory / "model.safetensors"
    data = tensors.read_bytes()
    tensors.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="model.safetensors: not a readable safetensors file"):
        load(directory)
    tensors.unlink()
    with pytest.raises(CheckpointError, match="no model.safetensors"):
        load(directory)
    (directory / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not readable JSON"):
        load(directory)
    with pytest.raises(CheckpointError, match="no such file"):
        load(tmp_path / "nothing")
    (tmp_path / "x.bin").write_bytes(b"0")
    with pytest.raises(CheckpointError, match="expected a Hugging Face checkpoint directory"):
        load(tmp_path / "x.bin")


def test_a_float_weight_in_the_packed_layout_is_refused(tmp_path):
    directory = write_hf_checkpoint(tmp_path / "ckpt")
    tensors = read_safetensors(directory / "model.safetensors")
    tensors[NAME + ".weight"] = unpack_ternary(tensors[NAME + ".weight"]).astype(np.float32)
    save_safetensors(directory / "model.safetensors", tensors)
    with pytest.raises(CheckpointError, match="stores packed uint8"):
        load(directory)


def test_transformers_5_rope_parameters_are_read(tmp_path):
    """transformers 5 writes rope_parameters {rope_type, rope_theta} instead of rope_theta."""
    directory = write_hf_checkpoint(tmp_path / "ckpt")
    before = load(directory).logits([1, 2, 3, 4])
    edit_config(directory, rope_theta=None, rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
    model = load(directory)
    assert model.config.rope_theta == 10000.0
    np.testing.assert_array_equal(model.logits([1, 2, 3, 4]), before)
    edit_config(directory, rope_parameters={"rope_type": "default", "rope_theta": 500.0})
    assert not np.array_equal(load(directory).logits([1, 2, 3, 4]), before)
