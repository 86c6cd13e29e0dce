"""The training text: simple English sentences from a small seeded grammar, generated, not shipped.

A grammar instead of a downloaded book keeps the repository self-contained and makes the text
learnable by a model of ~50 k ternary weights: a short vocabulary, regular spelling, and structure
(article, adjective, noun, verb, ...) that a 16-character context can pick up.
"""

from __future__ import annotations

import numpy as np

__all__ = ["VOCAB", "generate", "encode", "decode"]

#: Every character the grammar can produce; index = token id.
VOCAB = "\n .abcdefghijklmnopqrstuvwxyz"

_ARTICLES = ("the", "a", "one", "every", "my", "your", "this")
_ADJECTIVES = ("small", "big", "red", "green", "old", "young", "quiet", "happy", "cold", "bright",
               "slow", "quick")
_NOUNS = ("cat", "dog", "bird", "fish", "tree", "house", "river", "child", "farmer", "boat",
          "garden", "king", "queen", "apple", "stone", "star")
_VERBS = ("sees", "likes", "finds", "has", "wants", "keeps", "makes", "watches", "helps", "follows")
_INTRANSITIVE = ("sleeps", "sings", "runs", "waits", "smiles", "falls", "grows", "shines")
_PLACES = ("in the garden", "by the river", "near the house", "under the tree", "at night",
           "in the morning", "on the hill")


def _noun_phrase(rng: np.random.Generator) -> str:
    words = [_ARTICLES[rng.integers(len(_ARTICLES))]]
    if rng.random() < 0.6:
        words.append(_ADJECTIVES[rng.integers(len(_ADJECTIVES))])
    words.append(_NOUNS[rng.integers(len(_NOUNS))])
    return " ".join(words)


def _sentence(rng: np.random.Generator) -> str:
    subject = _noun_phrase(rng)
    if rng.random() < 0.35:
        predicate = _INTRANSITIVE[rng.integers(len(_INTRANSITIVE))]
    else:
        predicate = f"{_VERBS[rng.integers(len(_VERBS))]} {_noun_phrase(rng)}"
    if rng.random() < 0.4:
        predicate += " " + _PLACES[rng.integers(len(_PLACES))]
    return f"{subject} {predicate}."


def generate(chars: int, seed: int = 0) -> str:
    """At least ``chars`` characters of sentences (a line holds one to three), seeded."""
    if not isinstance(chars, int) or chars < 1:
        raise ValueError(f"chars: expected a positive integer, got {chars!r}")
    rng = np.random.default_rng(seed)
    lines, total = [], 0
    while total < chars:
        line = " ".join(_sentence(rng) for _ in range(1 + int(rng.integers(3)))) + "\n"
        lines.append(line)
        total += len(line)
    return "".join(lines)


def encode(text: str) -> np.ndarray:
    """Token ids (int64) of ``text``; a character outside VOCAB raises, naming it and its place."""
    lookup = {c: i for i, c in enumerate(VOCAB)}
    ids = np.empty(len(text), dtype=np.int64)
    for i, c in enumerate(text):
        if c not in lookup:
            raise ValueError(f"text: character {c!r} at index {i} is not in the vocabulary "
                             f"{VOCAB!r}")
        ids[i] = lookup[c]
    return ids


def decode(ids) -> str:
    ids = np.asarray(ids)
    if ids.size and (ids.min() < 0 or ids.max() >= len(VOCAB)):
        raise ValueError(f"ids: expected values in [0, {len(VOCAB)}), got {ids.min()}..{ids.max()}")
    return "".join(VOCAB[int(i)] for i in ids.reshape(-1))
