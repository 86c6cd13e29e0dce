"""The model file and forward pass: a packed file that round-trips and refuses damage, and a
forward pass that is golden.bitlinear layer after layer."""

import numpy as np
import pytest

from golden.bitlinear import bitlinear, int_matmul
from lm.corpus import encode
from lm.model import DEFAULT_MODEL, ModelFileError, ModelShape, TernaryModel, rms_norm
from lm.train import init_params, quantize_model

SHAPE = ModelShape(context=4, embed=6, hidden=20)


def small_model(seed=0):
    params = init_params(SHAPE, np.random.default_rng(seed))
    return quantize_model(params, SHAPE, {"note": "test"}), params


def golden_matmul(model):
    return lambda name, codes: int_matmul(codes, model.codes[name])


def test_forward_is_golden_bitlinear_layer_by_layer():
    model, params = small_model()
    ids = np.random.default_rng(1).integers(SHAPE.vocab, size=(7, SHAPE.context))
    logits, accs = model.forward(ids, golden_matmul(model))
    h = params["embedding"][ids].reshape(7, -1)
    for i, name in enumerate(SHAPE.layers):
        h = bitlinear(rms_norm(h), params[name])       # quantizes the float weights itself
        if i < 2:
            h = np.maximum(h, 0)
    np.testing.assert_array_equal(logits, h)
    assert set(accs) == set(SHAPE.layers) and accs["head"].shape == (7, SHAPE.vocab)


def test_save_load_round_trip(tmp_path):
    model, _ = small_model()
    loaded = TernaryModel.load(model.save(tmp_path / "m.npz"))
    assert loaded.shape == model.shape and loaded.meta == model.meta
    np.testing.assert_array_equal(loaded.embedding, model.embedding)
    for name in SHAPE.layers:
        np.testing.assert_array_equal(loaded.codes[name], model.codes[name])
        assert loaded.scales[name] == model.scales[name]


def test_shipped_model_loads_and_fits_its_description():
    model = TernaryModel.load(DEFAULT_MODEL)
    assert model.shape.ternary_weights == sum(c.size for c in model.codes.values())
    assert model.meta["validation"]["ternary"]["perplexity"] > 1


def test_damaged_files_are_refused_with_the_reason(tmp_path):
    model, _ = small_model()
    path = model.save(tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match="no such model file"):
        TernaryModel.load(tmp_path / "missing.npz")

    garbage = tmp_path / "garbage.npz"
    data = bytearray(path.read_bytes())
    garbage.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ModelFileError, match="not a readable model file"):
        TernaryModel.load(garbage)

    # A weight changed after saving, written back as a valid archive: only the checksum sees it.
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays["fc2.packed"] = arrays["fc2.packed"].copy()
    arrays["fc2.packed"][0, 0] ^= 0b01
    tampered = tmp_path / "tampered.npz"
    np.savez(tampered, **arrays)
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        TernaryModel.load(tampered)

    arrays = {key: value for key, value in arrays.items() if key != "embedding"}
    np.savez(tampered, **arrays)
    with pytest.raises(ModelFileError, match="missing array 'embedding'"):
        TernaryModel.load(tampered)


def test_generation_is_seeded_and_greedy_at_zero_temperature():
    model, _ = small_model()
    engine = golden_matmul(model)
    first = model.generate(engine, "the ", 5, seed=2)
    assert first.ids == model.generate(engine, "the ", 5, seed=2).ids
    assert len(first.accs) == 5 and len(first.text) == 5
    greedy = model.generate(engine, "a ", 3, temperature=0)
    context = [0] * SHAPE.context + list(encode("a "))     # newline padding, as generate() does
    for token in greedy.ids:
        logits, _ = model.forward(np.array([context[-SHAPE.context:]]), engine)
        assert token == int(np.argmax(logits[0]))
        context.append(token)


def test_an_engine_with_the_wrong_shape_is_caught():
    model, _ = small_model()
    with pytest.raises(ValueError, match="layer 'fc1'"):
        model.forward(np.zeros((1, SHAPE.context), int), lambda name, codes: np.zeros((1, 3), np.int32))
    with pytest.raises(ValueError, match="not in the vocabulary"):
        model.generate(golden_matmul(model), "The", 1)
