"""The BitNet transformer: its forward pass against a plain per-head, per-position reference,
the key/value cache against recomputing, and the simulated array bit-exact against golden/ on
layers larger than the array (N and K tiled)."""

import numpy as np
import pytest

from golden.a48 import quantize_activations_int4, quantize_activations_int8_topk, topk_count
from golden.bitlinear import int_matmul, quantize_activations, rescale
from hw.config import ArrayConfig
from lm.bitnet import ACTIVATION_SCHEMES, load
from lm.engines import GoldenEngine, SimEngine
from tests.bitnet_checkpoints import TINY, write_hf_checkpoint


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return load(write_hf_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny"))


#: a4.8's layer assignment as the paper states it, written out again for the reference
A48 = {"q": quantize_activations_int4, "k": quantize_activations_int4, "v": quantize_activations_int4,
       "o": quantize_activations_int8_topk, "gate": quantize_activations_int4,
       "up": quantize_activations_int4, "down": quantize_activations}


def reference_logits(model, ids, quantizers=None):
    """The architecture written out the long way: one query position and one head at a time.
    ``quantizers``: projection short name (q, k, v, o, gate, up, down) -> quantizer; None: int8."""
    c, t = model.config, model.tensors
    eps = np.float32(c.rms_norm_eps)

    def norm(x, w):
        return w * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))

    def linear(name, x):
        short = name.rsplit(".", 1)[1].removesuffix("_proj")
        codes, scale = (quantizers or {}).get(short, quantize_activations)(x)
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


def test_a48_forward_matches_the_long_way(model):
    ids = np.array([3, 17, 5, 40, 0, 9, 22])
    a48 = model.with_activations("a4.8")
    assert a48.codes is model.codes and model.activations == "b1.58"
    logits = a48.logits(ids)
    np.testing.assert_allclose(logits, reference_logits(model, ids, A48), rtol=2e-3, atol=2e-3)
    # and it is another model: 4-bit inputs move the logits well past float noise
    assert np.max(np.abs(logits - model.logits(ids))) > 1e-2


class Recorder:
    """An engine that keeps every projection's input codes."""

    def __init__(self, model):
        self.model, self.inputs = model, {}

    def __call__(self, layer, x_codes):
        self.inputs[layer] = np.asarray(x_codes)
        return int_matmul(x_codes, self.model.codes[layer])


def test_a48_gives_each_projection_its_codes(model):
    recorder = Recorder(model)
    model.with_activations("a4.8").logits(np.array([3, 17, 5, 40]), engine=recorder)
    h = TINY["hidden_size"]
    for name, codes in recorder.inputs.items():
        short = name.rsplit(".", 1)[1]
        if short in ("q_proj", "k_proj", "v_proj", "gate_proj", "up_proj"):
            assert codes.min() >= -8 and codes.max() <= 7
        elif short == "o_proj":     # top-K keeps half of every token, in int8 codes
            assert np.all(np.count_nonzero(codes, axis=1) <= topk_count(h))
            assert np.abs(codes).max() == 127
        else:                       # the down projection: int8 absmax, no top-K
            assert short == "down_proj" and np.abs(codes).max() == 127


def test_an_unknown_activation_scheme_is_refused(model, tmp_path):
    assert set(ACTIVATION_SCHEMES) == {"b1.58", "a4.8"}
    with pytest.raises(ValueError, match=r"activations: expected one of \['a4.8', 'b1.58'\]"):
        model.with_activations("a4.4")
    with pytest.raises(ValueError, match="activations: expected one of"):
        load(tmp_path, activations="int4")


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


def test_a48_on_a_4_bit_array_is_bit_exact_with_golden(model):
    """a4.8 on an array built for 4-bit activations: the 4-bit projections in one pass a tile,
    the 8-bit ones (output and down projection) in one pass a signed digit, joined on the host;
    every accumulator equals golden/'s."""
    config = ArrayConfig(pe_kind="xor", lanes=8, rows=4, max_k=48, max_n=40, tree_cuts=(0, 2),
                         act_bits=4)
    a48 = model.with_activations("a4.8")
    engine = SimEngine(a48, config)
    golden_accs, array_accs = [], []
    reference = a48.generate([4, 8, 15], 2, engine=GoldenEngine(a48), accs=golden_accs)
    assert a48.generate([4, 8, 15], 2, engine=engine, accs=array_accs) == reference
    for want, got in zip(golden_accs, array_accs, strict=True):
        for name in want:
            np.testing.assert_array_equal(got[name], want[name])
    passes = {}
    for run in engine.runs:
        passes.setdefault(run.layer.rsplit(".", 1)[1], []).append(run)
    # per product: q/k/v one tile each; down_proj two K tiles, each run for two or three digits
    first_step = len(golden_accs[0]) // 7
    assert len(passes["q_proj"]) == first_step * 2 and len(passes["down_proj"]) >= 2 * 2 * first_step * 2


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
