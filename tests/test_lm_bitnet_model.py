"""The BitNet transformer: its forward pass against a plain per-head, per-position reference,
the key/value cache against recomputing, and the simulated array bit-exact against golden/ on
layers larger than the array (N and K tiled)."""

import numpy as np
import pytest

from golden.bitlinear import int_matmul, quantize_activations, rescale
from hw.config import ArrayConfig
from lm.bitnet import load
from lm.engines import GoldenEngine, SimEngine
from tests.bitnet_checkpoints import TINY, write_hf_checkpoint


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return load(write_hf_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny"))


def reference_logits(model, ids):
    """The architecture written out the long way: one query position and one head at a time."""
    c, t = model.config, model.tensors
    eps = np.float32(c.rms_norm_eps)

    def norm(x, w):
        return w * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))

    def linear(name, x):
        codes, scale = quantize_activations(x)
        return rescale(int_matmul(codes, model.codes[name]), model.w_scales[name], scale)

    def rope(x, pos):
        half = c.head_dim // 2
        inv = 1.0 / (c.rope_theta ** (np.arange(half) * 2 / c.head_dim))
        angle = np.concatenate([pos * inv, pos * inv])
        rotated = np.concatenate([-x[half:], x[:half]])
        return x * np.cos(angle) + rotated * np.sin(angle)

    h = t["model.embed_tokens.weight"][ids].astype(np.float64)
    group = c.num_attention_heads // c.num_key_value_heads
    for i in range(c.num_hidden_layers):
        p = f"model.layers.{i}."
        x = norm(h, t[p + "input_layernorm.weight"])
        q, k, v = (linear(p + f"self_attn.{n}_proj", x) for n in "qkv")
        out = np.zeros((len(ids), c.num_attention_heads * c.head_dim))
        for head in range(c.num_attention_heads):
            kv = head // group
            sl, kvs = slice(head * c.head_dim, (head + 1) * c.head_dim), slice(kv * c.head_dim, (kv + 1) * c.head_dim)
            keys = np.array([rope(k[s, kvs], s) for s in range(len(ids))])
            for pos in range(len(ids)):
                scores = keys[:pos + 1] @ rope(q[pos, sl], pos) / np.sqrt(c.head_dim)
                weights = np.exp(scores - scores.max())
                out[pos, sl] = (weights / weights.sum()) @ v[:pos + 1, kvs]
        h = h + linear(p + "self_attn.o_proj", norm(out, t[p + "self_attn.attn_sub_norm.weight"]))
        x = norm(h, t[p + "post_attention_layernorm.weight"])
        mid = np.maximum(linear(p + "mlp.gate_proj", x), 0) ** 2 * linear(p + "mlp.up_proj", x)
        h = h + linear(p + "mlp.down_proj", norm(mid, t[p + "mlp.ffn_sub_norm.weight"]))
    return norm(h, t["model.norm.weight"]) @ t["model.embed_tokens.weight"].T


def test_forward_matches_the_long_way(model):
    ids = np.array([3, 17, 5, 40, 0, 9, 22])
    logits = model.logits(ids)
    assert logits.shape == (7, TINY["vocab_size"]) and logits.dtype == np.float32
    # float32 against float64 on the host: the quantized activations may flip a code at a
    # rounding boundary, so the check is close, not equal
    np.testing.assert_allclose(logits, reference_logits(model, ids), rtol=2e-3, atol=2e-3)


def test_generation_with_the_cache_equals_recomputing(model):
    prompt = [1, 2, 3]
    ids = model.generate(prompt, 5)
    assert ids[:3] == prompt and len(ids) == 8
    for step in range(5):
        assert int(np.argmax(model.logits(ids[:3 + step])[-1])) == ids[3 + step]
    assert model.generate(prompt, 4, temperature=0.9, seed=3) == model.generate(prompt, 4, temperature=0.9, seed=3)
    assert model.generate(prompt, 0) == prompt


def test_the_simulated_array_is_bit_exact_with_golden_on_tiled_layers(model):
    """Every projection runs tiled on a small array (N > max_n and K > max_k for the MLP);
    tokens and every accumulator at every step are equal to golden/'s."""
    config = ArrayConfig(pe_kind="xor", lanes=8, rows=4, max_k=48, max_n=40, tree_cuts=(0, 2))
    engine = SimEngine(model, config)
    golden_accs, array_accs = [], []
    reference = model.generate([4, 8, 15], 3, engine=GoldenEngine(model), accs=golden_accs)
    generated = model.generate([4, 8, 15], 3, engine=engine, accs=array_accs)
    assert generated == reference
    for want, got in zip(golden_accs, array_accs, strict=True):
        assert want.keys() == got.keys() and len(want) == 7 * TINY["num_hidden_layers"]
        for name in want:
            np.testing.assert_array_equal(got[name], want[name])
    assert {run.cols for run in engine.runs if run.layer.endswith("down_proj")} == {(0, 48), (48, 64)}
    assert any(run.rows == (40, 64) for run in engine.runs)


@pytest.mark.parametrize("ids, message", [
    ([], "non-empty"), ([[1, 2]], "1-D"), ([1, 48], r"\[0, 48\)"), ([-1], r"\[0, 48\)"),
    ([0.5], "integers"),
])
def test_bad_token_ids_are_refused(model, ids, message):
    with pytest.raises(ValueError, match=message):
        model.logits(np.array(ids))


def test_bad_generation_arguments_are_refused(model):
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate([1], -1)
    with pytest.raises(ValueError, match="temperature"):
        model.generate([1], 1, temperature=-0.5)
