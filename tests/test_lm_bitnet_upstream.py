"""Agreement with Hugging Face transformers' own BitNetForCausalLM, where torch, transformers and
accelerate are installed (``pip install -e ".[upstream]"``; CI does not install them: they are
large).

transformers builds a tiny BitNetForCausalLM and writes it with ``save_pretrained`` in each layout:
float master weights with online quantization, and the offline layouts made with upstream's own
``pack_weights`` ("bitlinear": packed, ``weight_scale`` dividing; "autobitlinear": ternary floats,
``weight_scale`` multiplying). Upstream's ``from_pretrained`` and ``lm.bitnet.load`` read the same
directory; logits must agree within 1e-4 (both float32) and greedy generation must give the same
tokens.
"""

import json

import numpy as np
import pytest

from lm.bitnet import load

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

CONFIG = dict(vocab_size=48, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
              rope_theta=10000.0, tie_word_embeddings=True)
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
LAYOUTS = {"online": ("autobitlinear", "online"), "bitlinear": ("bitlinear", "offline"),
           "autobitlinear": ("autobitlinear", "offline")}


@pytest.fixture(scope="module")
def float_model():
    torch.manual_seed(0)
    model = transformers.BitNetForCausalLM(transformers.BitNetConfig(**CONFIG)).float()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("norm.weight"):         # not all ones: the norms' weights matter
                parameter.uniform_(0.5, 1.5)
    return model


def save_layout(model, directory, layout):
    """``save_pretrained`` in ``layout``, the offline ones packed by upstream's own code."""
    from transformers.integrations.bitnet import pack_weights

    linear_class, mode = LAYOUTS[layout]
    state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    if mode == "offline":
        for name in [n for n in state if n.endswith(".weight") and n.split(".")[-2] in PROJECTIONS]:
            weight = state[name].float()
            s = 1.0 / weight.abs().mean().clamp(min=1e-5)            # upstream's WeightQuant
            codes = (weight * s).round().clamp(-1, 1)
            base = name.removesuffix(".weight")
            if linear_class == "bitlinear":
                state[name] = pack_weights(codes.to(torch.int8).clone())
                state[base + ".weight_scale"] = s.reshape(1)
            else:
                state[name] = codes
                state[base + ".weight_scale"] = (1 / s).reshape(1)
    state.pop("lm_head.weight", None)                               # tied
    model.save_pretrained(directory, state_dict=state, safe_serialization=True)
    config = json.loads((directory / "config.json").read_text())
    config["quantization_config"] = {"quant_method": "bitnet", "linear_class": linear_class,
                                     "quantization_mode": mode}
    (directory / "config.json").write_text(json.dumps(config))
    return directory


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_logits_and_greedy_tokens_agree_with_upstream(tmp_path, float_model, layout):
    directory = save_layout(float_model, tmp_path / layout, layout)
    upstream = transformers.BitNetForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
    ours = load(directory)
    ids = [3, 17, 5, 40, 0, 9, 22, 11]
    with torch.no_grad():
        theirs = upstream(torch.tensor([ids])).logits[0].numpy()
        generated = upstream.generate(torch.tensor([ids[:3]]), max_new_tokens=6, do_sample=False,
                                      attention_mask=torch.ones(1, 3, dtype=torch.long))[0].tolist()
    np.testing.assert_allclose(ours.logits(ids), theirs, rtol=0, atol=1e-4)
    assert ours.generate(ids[:3], 6) == generated
