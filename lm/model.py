"""The tiny BitNet b1.58 language model: architecture, forward pass, and its packed model file.

A character-level MLP language model (Bengio et al. 2003, with BitNet's BitLinear layers)::

    context ids (C) ─ embedding (float, host) ─ concat C·D
        ─ RMSNorm ─ BitLinear fc1 (C·D → H) ─ ReLU
        ─ RMSNorm ─ BitLinear fc2 (H → H)   ─ ReLU
        ─ RMSNorm ─ BitLinear head (H → V)  ─ logits

Each BitLinear quantizes its input per token to int8 (absmax) and holds absmean ternary weights,
exactly as golden/bitlinear.py; only the integer product ``x_codes @ w_codes.T`` goes to an engine
(lm/engines.py). Embedding, norms, ReLU, rescale and sampling stay on the host in float32, so two
engines that return the same accumulators generate the same text.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from golden.bitlinear import quantize_activations, rescale
from golden.packing import pack_2bit, unpack_2bit

from .corpus import VOCAB, decode, encode

__all__ = ["FORMAT", "ModelFileError", "ModelShape", "TernaryModel", "Generation", "rms_norm",
           "softmax", "DEFAULT_MODEL"]

#: Written into every model file and checked on load.
FORMAT = "bitnet-accel-lm/1"
#: The trained model shipped with the repository (``python -m lm.train`` rewrites it).
DEFAULT_MODEL = Path(__file__).parent / "tiny_bitnet.npz"
RMS_EPS = np.float32(1e-6)


class ModelFileError(ValueError):
    """A model file that is missing, corrupted or inconsistent; the message names the file and why."""


@dataclass(frozen=True)
class ModelShape:
    vocab: int = len(VOCAB)
    context: int = 16      # characters the model sees
    embed: int = 16        # embedding width per character
    hidden: int = 128

    def __post_init__(self):
        for name in ("vocab", "context", "embed", "hidden"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ModelShape.{name}: expected a positive integer, got {value!r}")

    @property
    def layers(self) -> dict[str, tuple[int, int]]:
        """BitLinear layers in execution order: name → (N, K) of the weight matrix."""
        return {"fc1": (self.hidden, self.context * self.embed),
                "fc2": (self.hidden, self.hidden),
                "head": (self.vocab, self.hidden)}

    @property
    def ternary_weights(self) -> int:
        return sum(n * k for n, k in self.layers.values())


def rms_norm(h: np.ndarray) -> np.ndarray:
    """Parameter-free RMSNorm along the last axis, in float32."""
    h = h.astype(np.float32, copy=False)
    return h / np.sqrt(np.mean(h * h, axis=-1, keepdims=True) + RMS_EPS)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class Generation:
    """What one engine generated: the token ids after the prompt and, per step, each layer's
    accumulators (so two engines can be compared value by value, not only by the text)."""
    prompt: str
    ids: list[int]
    accs: list[dict[str, np.ndarray]]

    @property
    def text(self) -> str:
        return decode(self.ids)


@dataclass
class TernaryModel:
    """The deployed model: float embedding, ternary codes and a float32 scale per BitLinear."""
    shape: ModelShape
    embedding: np.ndarray                 # float32 V×D
    codes: dict[str, np.ndarray]          # int8 N×K in {-1, 0, 1}, per layer
    scales: dict[str, np.float32]         # absmean weight scale (1 / mean|w|), per layer
    meta: dict                            # training facts: steps, seconds, metrics

    def __post_init__(self):
        v, d = self.shape.vocab, self.shape.embed
        if self.embedding.shape != (v, d):
            raise ValueError(f"embedding: expected shape {(v, d)}, got {self.embedding.shape}")
        for name, (n, k) in self.shape.layers.items():
            if name not in self.codes or name not in self.scales:
                raise ValueError(f"layer {name!r}: codes or scale missing")
            if self.codes[name].shape != (n, k):
                raise ValueError(f"layer {name!r}: expected codes of shape {(n, k)}, "
                                 f"got {self.codes[name].shape}")

    # ---------------------------------------------------------------- inference
    def forward(self, context_ids: np.ndarray, matmul) -> tuple[np.ndarray, dict]:
        """Logits (float32 M×V) for M windows of ``context`` ids, and each layer's accumulators.

        ``matmul(layer_name, x_codes)`` is the engine: int8 M×K codes in, int32 M×N out.
        """
        ids = np.asarray(context_ids)
        if ids.ndim != 2 or ids.shape[1] != self.shape.context:
            raise ValueError(f"context_ids: expected M×{self.shape.context}, got shape {ids.shape}")
        h = self.embedding[ids].reshape(len(ids), -1)
        accs = {}
        names = list(self.shape.layers)
        for i, name in enumerate(names):
            x_codes, x_scale = quantize_activations(rms_norm(h))
            acc = np.asarray(matmul(name, x_codes))
            n = self.shape.layers[name][0]
            if acc.shape != (len(ids), n):
                raise ValueError(f"engine returned accumulators of shape {acc.shape} for layer "
                                 f"{name!r}; expected {(len(ids), n)}")
            accs[name] = acc.astype(np.int32)
            h = rescale(acc, self.scales[name], x_scale)
            if i < len(names) - 1:
                h = np.maximum(h, np.float32(0))
        return h, accs

    def generate(self, matmul, prompt: str, tokens: int, *, seed: int = 0,
                 temperature: float = 0.8, on_token=None) -> Generation:
        """Sample ``tokens`` characters after ``prompt`` (left-padded with newlines to the
        context). The sampler is seeded and reads only the logits, so engines with equal
        accumulators draw equal text. ``temperature`` 0 is greedy. ``on_token(step, id)`` reports
        progress."""
        if not isinstance(tokens, int) or tokens < 1:
            raise ValueError(f"tokens: expected a positive integer, got {tokens!r}")
        if not temperature >= 0:
            raise ValueError(f"temperature: expected a number >= 0, got {temperature!r}")
        context = [0] * self.shape.context + list(encode(prompt))
        rng = np.random.default_rng(seed)
        ids, accs = [], []
        for step in range(tokens):
            window = np.asarray(context[-self.shape.context:])[None, :]
            logits, layer_accs = self.forward(window, matmul)
            logits = logits[0].astype(np.float64)
            if temperature == 0:
                token = int(np.argmax(logits))
            else:
                cdf = np.cumsum(softmax(logits / temperature))
                token = int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"),
                                len(cdf) - 1))
            ids.append(token)
            accs.append(layer_accs)
            context.append(token)
            if on_token is not None:
                on_token(step, token)
        return Generation(prompt, ids, accs)

    # ---------------------------------------------------------------- file
    def _arrays(self) -> dict[str, np.ndarray]:
        arrays = {"embedding": self.embedding.astype(np.float32)}
        for name in self.shape.layers:
            arrays[f"{name}.packed"] = pack_2bit(self.codes[name])
            arrays[f"{name}.scale"] = np.asarray(self.scales[name], dtype=np.float32)
        arrays["format"] = np.asarray(FORMAT)
        arrays["meta"] = np.asarray(json.dumps({"shape": asdict(self.shape), **self.meta},
                                               sort_keys=True))
        return arrays

    def save(self, path) -> Path:
        """Write the packed model (2 bits per trit) with a SHA-256 over every array."""
        path = Path(path)
        arrays = self._arrays()
        arrays["sha256"] = np.asarray(_digest(arrays))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)
        return path

    @classmethod
    def load(cls, path=DEFAULT_MODEL) -> "TernaryModel":
        """Read and verify a model file; any damage raises :class:`ModelFileError`."""
        path = Path(path)
        if not path.is_file():
            raise ModelFileError(f"{path}: no such model file (train one with `python -m lm.train`)")
        try:
            # Opened here, not by np.load, which leaves the file open when the archive is bad.
            with open(path, "rb") as f, np.load(f, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as error:
            raise ModelFileError(f"{path}: not a readable model file ({error})") from None
        for key in ("format", "meta", "sha256", "embedding"):
            if key not in arrays:
                raise ModelFileError(f"{path}: missing array {key!r}")
        if str(arrays["format"]) != FORMAT:
            raise ModelFileError(f"{path}: format {str(arrays['format'])!r}, expected {FORMAT!r}")
        stored = str(arrays.pop("sha256"))
        if _digest(arrays) != stored:
            raise ModelFileError(f"{path}: checksum mismatch: the file is corrupted (stored "
                                 f"sha256 {stored[:12]}…, contents hash to {_digest(arrays)[:12]}…)")
        try:
            meta = json.loads(str(arrays["meta"]))
            shape = ModelShape(**meta.pop("shape"))
            codes, scales = {}, {}
            for name, (n, _) in shape.layers.items():
                codes[name] = unpack_2bit(arrays[f"{name}.packed"], n).astype(np.int8)
                scales[name] = np.float32(arrays[f"{name}.scale"])
            return cls(shape, arrays["embedding"].astype(np.float32), codes, scales, meta)
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFileError(f"{path}: inconsistent contents ({error})") from None


def _digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of the arrays, in name order."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        h.update(f"{key}|{array.dtype.str}|{array.shape}|".encode())
        h.update(array.tobytes())
    return h.hexdigest()
