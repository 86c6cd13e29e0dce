"""NumPy training: the backward pass is the true gradient (float twin) and training learns."""

import numpy as np
import pytest

from lm.model import ModelShape
from lm.train import TrainConfig, init_params, loss_and_grads, train, windows

SMALL = ModelShape(context=3, embed=4, hidden=8)


@pytest.mark.parametrize("seed", [0, 1])
def test_float_gradients_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    params = {k: v.astype(np.float64) for k, v in init_params(SMALL, rng).items()}
    x = rng.integers(SMALL.vocab, size=(6, SMALL.context))
    y = rng.integers(SMALL.vocab, size=6)
    _, grads = loss_and_grads(params, SMALL, x, y, quantized=False)
    for key, value in params.items():
        for _ in range(3):
            index = (int(x[0, 1]), int(rng.integers(SMALL.embed))) if key == "embedding" else \
                tuple(int(rng.integers(s)) for s in value.shape)
            old, eps = value[index], 1e-6
            value[index] = old + eps
            up, _ = loss_and_grads(params, SMALL, x, y, quantized=False)
            value[index] = old - eps
            down, _ = loss_and_grads(params, SMALL, x, y, quantized=False)
            value[index] = old
            assert grads[key][index] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8), \
                f"seed {seed}: d loss / d {key}{index}"


def test_ternary_training_lowers_the_loss():
    shape = ModelShape(context=4, embed=8, hidden=32)
    _, curve = train(shape, TrainConfig(steps=300, batch=64, train_chars=5000), quantized=True)
    assert np.mean(curve[-20:]) < 0.75 * np.mean(curve[:20])


def test_windows_predict_every_character_from_a_newline_padded_context():
    ids = np.array([5, 6, 7])
    x, y = windows(ids, 2)
    assert x.tolist() == [[0, 0], [0, 5], [5, 6]]
    assert y.tolist() == [5, 6, 7]
