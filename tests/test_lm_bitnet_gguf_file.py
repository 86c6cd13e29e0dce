"""GGUF BitNet files written by the ``gguf`` package's own writer and quantizers (TQ1_0, TQ2_0,
F32): the ternary codes and scales the loader takes out are exactly what the package's own
dequantization gives, the model equals the Hugging Face one, and files it cannot use are refused."""

import numpy as np
import pytest

from hw.config import ArrayConfig
from lm.bitnet import CheckpointError, load
from lm.engines import GoldenEngine, SimEngine
from lm.bitnet.gguf_file import pack_i2s, unpack_i2s
from tests.bitnet_checkpoints import (TINY_GGUF, finish_gguf, patch_tensor_info,
                                      write_gguf_checkpoint, write_hf_checkpoint)

gguf = pytest.importorskip("gguf")

NAME = "model.layers.1.mlp.down_proj"


@pytest.fixture(scope="module")
def hf_model(tmp_path_factory):
    return load(write_hf_checkpoint(tmp_path_factory.mktemp("hf") / "ckpt", config=TINY_GGUF))


@pytest.mark.parametrize("qtype", ["TQ1_0", "TQ2_0", "F32"])
def test_codes_and_scales_are_the_packages_own_dequantization(tmp_path, hf_model, qtype):
    path = write_gguf_checkpoint(tmp_path / f"m_{qtype}.gguf", qtype)
    model = load(path)
    reader = gguf.GGUFReader(path)
    tensor = next(t for t in reader.tensors if t.name == "blk.1.ffn_down.weight")
    assert tensor.tensor_type == getattr(gguf.GGMLQuantizationType, qtype)
    theirs = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
    np.testing.assert_array_equal(model.codes[NAME] / model.w_scales[NAME], theirs)
    for name, codes in hf_model.codes.items():
        np.testing.assert_array_equal(model.codes[name], codes)
        # TQ blocks keep the scale in fp16: within its rounding of the float32 one
        np.testing.assert_allclose(model.w_scales[name], hf_model.w_scales[name],
                                   rtol=0 if qtype == "F32" else 2 ** -11)
    if qtype == "F32":
        np.testing.assert_array_equal(model.logits([1, 2, 3]), hf_model.logits([1, 2, 3]))


def test_a_gguf_model_on_the_array_matches_golden(tmp_path):
    model = load(write_gguf_checkpoint(tmp_path / "m.gguf", "TQ1_0"))
    config = ArrayConfig(pe_kind="xor", lanes=16, rows=4, max_k=256, max_n=128, tree_cuts=(0, 2))
    golden_accs, array_accs = [], []
    reference = model.generate([7, 3], 2, engine=GoldenEngine(model), accs=golden_accs)
    assert model.generate([7, 3], 2, engine=SimEngine(model, config), accs=array_accs) == reference
    for want, got in zip(golden_accs, array_accs, strict=True):
        for name in want:
            np.testing.assert_array_equal(got[name], want[name])


def test_files_it_cannot_use_are_refused(tmp_path):
    path = write_gguf_checkpoint(tmp_path / "m.gguf")
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 3])
    with pytest.raises(CheckpointError, match="m.gguf: not a"):
        load(path)
    path.write_bytes(good)
    patch_tensor_info(path, {("blk.0.attn_q.weight", 4): [37]})     # a type no one defines
    with pytest.raises(CheckpointError, match="m.gguf: not a GGUF file this loader can read"):
        load(path)
    (tmp_path / "x.gguf").write_bytes(b"GGUF" + b"\0" * 8)
    with pytest.raises(CheckpointError, match="x.gguf"):
        load(tmp_path / "x.gguf")


def test_a_tensor_with_several_block_scales_is_refused(tmp_path, monkeypatch):
    """Float weights quantized to TQ2_0 directly (not ternary first): each block its own scale."""
    path = tmp_path / "m.gguf"
    real_quantize = gguf.quants.quantize

    def blockwise(data, kind):
        if data.shape == (TINY_GGUF["hidden_size"], TINY_GGUF["intermediate_size"]):
            data = data * np.repeat(np.arange(1, data.size // 256 + 1, dtype=np.float32), 256).reshape(data.shape)
        return real_quantize(data, kind)

    monkeypatch.setattr(gguf.quants, "quantize", blockwise)
    write_gguf_checkpoint(path, "TQ2_0")
    with pytest.raises(CheckpointError, match="not one scale times -1/0/1"):
        load(path)


def test_other_architectures_and_missing_tensors_are_refused(tmp_path):
    path = tmp_path / "llama.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), np.float32))
    finish_gguf(writer)
    with pytest.raises(CheckpointError, match="general.architecture is 'llama'"):
        load(path)
    path = tmp_path / "partial.gguf"
    writer = gguf.GGUFWriter(str(path), "bitnet")
    writer.add_embedding_length(8)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), np.float32))
    finish_gguf(writer)
    with pytest.raises(CheckpointError, match="partial.gguf"):
        load(path)


def test_i2s_layout_by_hand():
    """bitnet.cpp's x86 I2_S: element j of a 128-block in byte j % 32 at bits 6 - 2 (j // 32)."""
    codes = np.zeros((1, 128), np.int8)
    codes[0, 0], codes[0, 32], codes[0, 127] = 1, -1, 1
    raw = np.frombuffer(pack_i2s(codes, 0.5), np.uint8)
    assert raw[0] == (2 << 6) | (0 << 4) | (1 << 2) | 1          # j = 0 (+1), 32 (-1), 64, 96 (0)
    assert raw[31] == (1 << 6) | (1 << 4) | (1 << 2) | 2         # j = 127 (+1) in the low bits
    assert raw[32:].view(np.float32)[0] == 0.5
    back, scale = unpack_i2s(raw, (1, 128), "t")
    np.testing.assert_array_equal(back, codes)
    assert scale == np.float32(0.5)
    with pytest.raises(CheckpointError, match="0b11"):
        unpack_i2s(np.full(36, 0xFF, np.uint8), (1, 128), "t")


def test_an_i2s_file_gives_the_same_model(tmp_path, hf_model):
    model = load(write_gguf_checkpoint(tmp_path / "m.gguf", "I2_S"))
    for name, codes in hf_model.codes.items():
        np.testing.assert_array_equal(model.codes[name], codes)
        np.testing.assert_allclose(model.w_scales[name], hf_model.w_scales[name], rtol=1e-6)
    np.testing.assert_allclose(model.logits([4, 2]), hf_model.logits([4, 2]), rtol=1e-4, atol=1e-4)
