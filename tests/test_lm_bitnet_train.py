"""lm.bitnet.train: the shipped transformer is trained and loads as a released checkpoint does; with
torch installed, the exported checkpoint computes what the torch model trained."""

import numpy as np
import pytest

from lm import corpus
from lm.bitnet import load
from lm.bitnet.train import DEFAULT_DIR, TINY_TRANSFORMER, main, validation_loss


@pytest.fixture(scope="module")
def shipped():
    return load(DEFAULT_DIR)


def test_shipped_transformer_has_the_trained_shape(shipped):
    c = shipped.config
    assert (c.vocab_size, c.hidden_size, c.intermediate_size, c.num_hidden_layers) == \
        (len(corpus.VOCAB), TINY_TRANSFORMER["hidden_size"], TINY_TRANSFORMER["intermediate_size"],
         TINY_TRANSFORMER["num_hidden_layers"])
    for codes in shipped.codes.values():
        assert set(np.unique(codes)) <= {-1, 0, 1} and np.mean(codes == 0) < 0.6


def test_shipped_transformer_predicts_text_it_never_saw(shipped):
    """Unseen sentences of the grammar, through golden/'s integer products: far better than the
    uniform guess (ln 29 = 3.37 nats a character, 1/29 right)."""
    metrics = validation_loss(shipped, corpus.generate(1_500, seed=99))
    assert metrics["loss"] < 1.0 and metrics["accuracy"] > 0.6


def test_shipped_transformer_down_proj_inputs_are_mostly_zero(shipped):
    """The squared-ReLU GLU's output, quantized per token to int8: what BitNet a4.8 calls sparse."""
    seen = {}

    def recorder(layer, x_codes):
        seen.setdefault(layer, []).append(np.asarray(x_codes))
        return np.asarray(x_codes, np.int64) @ shipped.codes[layer].T.astype(np.int64)

    shipped.generate(corpus.encode("a quiet dog "), 8, engine=recorder)
    for i in range(shipped.config.num_hidden_layers):
        down = np.concatenate(seen[f"model.layers.{i}.mlp.down_proj"])
        up = np.concatenate(seen[f"model.layers.{i}.mlp.up_proj"])
        assert np.mean(down == 0) > 0.5 > np.mean(up == 0)


def test_training_needs_torch_and_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    assert main(["--out", str(tmp_path / "ckpt"), "--report", str(tmp_path / "r.json")]) == 2
    assert "needs PyTorch" in capsys.readouterr().err


def test_exported_checkpoint_computes_what_torch_trained(tmp_path):
    """A few training steps, exported and loaded: the NumPy forward pass (golden/ quantizers and
    integer products) gives torch's logits up to float rounding (a code that rounds the other
    way at a .5 boundary moves a logit by little)."""
    torch = pytest.importorskip("torch")
    from lm.bitnet.train import export, train

    model = train(TINY_TRANSFORMER, steps=20, seed=3)
    export(model, tmp_path / "ckpt")
    loaded = load(tmp_path / "ckpt")
    ids = corpus.encode("the red cat sleeps. a bird")
    with torch.no_grad():
        expected = model(torch.from_numpy(ids)[None])[0].numpy()
    got = loaded.logits(ids)
    assert np.abs(got - expected).max() < 0.01 * np.abs(expected).max()
    assert np.mean(got.argmax(-1) == expected.argmax(-1)) > 0.9
