"""Real BitNet b1.58 transformers on the array: ``from lm.bitnet import load``.

    model = load("path/to/checkpoint")        # a Hugging Face directory (or a .gguf file)
    model = load(path, activations="a4.8")    # BitNet a4.8's 4-bit / sparse 8-bit activations
    model.logits(token_ids, engine=None)      # float32 [T, vocab]; engine None = golden/
    model.generate(token_ids, max_new_tokens, temperature=0.0, engine=None)

Engines are lm.engines' (``SimEngine(model, config)``: the Verilated array; ``BoardEngine``: a
board); layers of any size run as tiles of the array.
"""

from __future__ import annotations

from pathlib import Path

from .model import ACTIVATION_SCHEMES, BitNetTransformer, CheckpointError, TransformerConfig

__all__ = ["load", "BitNetTransformer", "CheckpointError", "TransformerConfig", "ACTIVATION_SCHEMES"]


def load(path, activations: str = "b1.58") -> BitNetTransformer:
    """A Hugging Face checkpoint directory (config.json + safetensors) or a ``.gguf`` file, its
    projections' inputs quantized as ``activations`` says (a key of ``ACTIVATION_SCHEMES``)."""
    if activations not in ACTIVATION_SCHEMES:
        raise ValueError(f"activations: expected one of {sorted(ACTIVATION_SCHEMES)}, got "
                         f"{activations!r}")
    path = Path(path)
    if path.is_dir():
        from .hf import load_hf
        return load_hf(path).with_activations(activations)
    if path.suffix == ".gguf" and path.is_file():
        from .gguf_file import load_gguf
        return load_gguf(path).with_activations(activations)
    if not path.exists():
        raise CheckpointError(f"{path}: no such file or directory")
    raise CheckpointError(f"{path}: expected a Hugging Face checkpoint directory or a .gguf file")
