"""The generated corpus: seeded, inside the vocabulary, and encoded without loss."""

import numpy as np
import pytest

from lm import corpus


def test_generation_is_seeded_and_in_vocabulary():
    text = corpus.generate(5000, seed=3)
    assert len(text) >= 5000
    assert text == corpus.generate(5000, seed=3)
    assert text != corpus.generate(5000, seed=4)
    assert set(text) <= set(corpus.VOCAB)
    assert text.endswith(".\n")


def test_encode_decode_round_trip():
    text = corpus.generate(2000, seed=0)
    ids = corpus.encode(text)
    assert ids.min() >= 0 and ids.max() < len(corpus.VOCAB)
    assert corpus.decode(ids) == text


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"'X' at index 4"):
        corpus.encode("the X")
    with pytest.raises(ValueError, match="ids"):
        corpus.decode(np.array([0, len(corpus.VOCAB)]))
    with pytest.raises(ValueError, match="chars"):
        corpus.generate(0)
