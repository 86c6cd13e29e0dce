"""Train a small BitNet b1.58 transformer (squared-ReLU GLU) with PyTorch, saved as a Hugging Face
checkpoint that ``lm.bitnet.load`` reads like a released one.

No published BitNet checkpoint can be downloaded here, and a model with random weights says
nothing about the activations a trained one produces: BitNet a4.8's case for skipping zeros rests
on the *trained* squared ReLU making most of ``down_proj``'s input codes zero. This trains the
upstream architecture (lm.bitnet.model) at a size a CPU trains in minutes, quantization-aware as
BitNet trains (absmean ternary weights and per-token absmax int8 activations in the forward
pass, the straight-through estimator in the backward pass), on lm.corpus' text, and writes it in
the ``bitlinear`` layout of microsoft/bitnet-b1.58-2B-4T (packed codes and ``weight_scale``), the
codes computed by golden/'s own quantizer from the float master weights.

    pip install torch                    # not a dependency of the project (it is large)
    python -m lm.bitnet.train            # writes lm/tiny_transformer/ and build/lm/train_transformer.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from golden.bitlinear import quantize_weights
from hw.cli import CommandLine, non_negative_int, output_dir, output_file, positive_int

from .. import corpus
from .hf import pack_ternary
from .model import PROJECTIONS

__all__ = ["TINY_TRANSFORMER", "DEFAULT_DIR", "train", "export", "validation_loss"]

#: The transformer trained here: the character vocabulary of lm.corpus, 2 layers, GQA 4 on 2.
TINY_TRANSFORMER = {
    "architectures": ["BitNetForCausalLM"], "model_type": "bitnet",
    "vocab_size": len(corpus.VOCAB), "hidden_size": 64, "intermediate_size": 256,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "hidden_act": "relu2", "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0, "tie_word_embeddings": True, "attention_bias": False,
    "quantization_config": {"quant_method": "bitnet", "linear_class": "bitlinear",
                            "quantization_mode": "offline"}}

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "tiny_transformer"


def _modules(torch):
    """The model's torch modules, built only when torch is there."""
    nn, F = torch.nn, torch.nn.functional

    class BitLinear(nn.Linear):
        """nn.Linear whose forward sees golden/'s quantizers (ternary absmean weights, per-token
        int8 absmax activations) and whose backward is the identity through both (STE)."""

        def forward(self, x):
            scale = 1.0 / self.weight.abs().mean().clamp(min=1e-5)
            w = self.weight + ((self.weight * scale).round().clamp(-1, 1) / scale - self.weight).detach()
            x_scale = 127.0 / x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
            x = x + ((x * x_scale).round().clamp(-128, 127) / x_scale - x).detach()
            return F.linear(x, w)

    class RMSNorm(nn.Module):
        def __init__(self, n, eps):
            super().__init__()
            self.weight, self.eps = nn.Parameter(torch.ones(n)), eps

        def forward(self, h):
            return self.weight * h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)

    class Layer(nn.Module):
        def __init__(self, c):
            super().__init__()
            h, f, hd = c["hidden_size"], c["intermediate_size"], c["hidden_size"] // c["num_attention_heads"]
            self.heads, self.kv_heads, self.head_dim = c["num_attention_heads"], c["num_key_value_heads"], hd
            eps = c["rms_norm_eps"]
            self.input_layernorm, self.post_attention_layernorm = RMSNorm(h, eps), RMSNorm(h, eps)
            self.attn_sub_norm, self.ffn_sub_norm = RMSNorm(self.heads * hd, eps), RMSNorm(f, eps)
            self.q_proj = BitLinear(h, self.heads * hd, bias=False)
            self.k_proj = BitLinear(h, self.kv_heads * hd, bias=False)
            self.v_proj = BitLinear(h, self.kv_heads * hd, bias=False)
            self.o_proj = BitLinear(self.heads * hd, h, bias=False)
            self.gate_proj, self.up_proj = BitLinear(h, f, bias=False), BitLinear(h, f, bias=False)
            self.down_proj = BitLinear(f, h, bias=False)

        def forward(self, h, cos, sin):
            b, t, _ = h.shape
            x = self.input_layernorm(h)
            q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            rotate = lambda y: torch.cat([-y[..., self.head_dim // 2:], y[..., :self.head_dim // 2]], -1)  # noqa: E731
            q, k = q * cos + rotate(q) * sin, k * cos + rotate(k) * sin
            group = self.heads // self.kv_heads
            k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            out = self.attn_sub_norm(out.transpose(1, 2).reshape(b, t, -1))
            h = h + self.o_proj(out)
            x = self.post_attention_layernorm(h)
            hidden = F.relu(self.gate_proj(x)).square() * self.up_proj(x)
            return h + self.down_proj(self.ffn_sub_norm(hidden))

    class Transformer(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.config = c
            self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
            self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
            self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

        def forward(self, ids):
            hd = self.config["hidden_size"] // self.config["num_attention_heads"]
            inv = 1.0 / self.config["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd)
            freqs = torch.arange(ids.shape[1]).float()[:, None] * inv[None]
            emb = torch.cat([freqs, freqs], -1)
            h = self.embed_tokens(ids)
            for layer in self.layers:
                h = layer(h, emb.cos(), emb.sin())
            return self.norm(h) @ self.embed_tokens.weight.T

    return Transformer


def train(config: dict, *, steps: int, seed: int, context: int = 64, batch: int = 32,
          lr: float = 3e-3, log=None):
    """AdamW with a cosine decay on windows of lm.corpus text; returns the torch model."""
    import torch

    torch.manual_seed(seed)
    model = _modules(torch)(config)
    ids = torch.from_numpy(corpus.encode(corpus.generate(400_000, seed)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    generator = torch.Generator().manual_seed(seed)
    recent = []
    for step in range(1, steps + 1):
        starts = torch.randint(0, len(ids) - context - 1, (batch,), generator=generator)
        window = torch.stack([ids[s:s + context + 1] for s in starts.tolist()])
        logits = model(window[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 window[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        recent.append(loss.item())
        if log and (step % 100 == 0 or step == steps):
            log(f"  step {step:5d}/{steps}  loss {np.mean(recent[-100:]):.3f}")
    return model


def export(model, directory: Path) -> Path:
    """``model`` as a ``bitlinear``-layout checkpoint: each projection's codes and scale from
    golden.bitlinear.quantize_weights of its float master weight, packed as upstream packs."""
    from safetensors.numpy import save_file

    config = model.config
    tensors = {"model.embed_tokens.weight": model.embed_tokens.weight,
               "model.norm.weight": model.norm.weight}
    for i, layer in enumerate(model.layers):
        p = f"model.layers.{i}."
        for name in ("input_layernorm", "post_attention_layernorm"):
            tensors[p + name + ".weight"] = getattr(layer, name).weight
        tensors[p + "self_attn.attn_sub_norm.weight"] = layer.attn_sub_norm.weight
        tensors[p + "mlp.ffn_sub_norm.weight"] = layer.ffn_sub_norm.weight
    out = {name: value.detach().numpy().astype(np.float32) for name, value in tensors.items()}
    for i, layer in enumerate(model.layers):
        for projection in PROJECTIONS:
            name = f"model.layers.{i}.{projection}"
            codes, scale = quantize_weights(getattr(layer, projection.split(".")[1]).weight.detach().numpy())
            out[name + ".weight"] = pack_ternary(codes)
            out[name + ".weight_scale"] = np.float32([scale])        # divides, as upstream's
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_file(out, str(directory / "model.safetensors"))
    return directory


def validation_loss(model, text: str, context: int = 64) -> dict:
    """Cross-entropy (nats/char) and next-character accuracy of a loaded ``BitNetTransformer``
    (golden/ integer products) over windows of ``text``: what the exported checkpoint does, not
    what torch did."""
    ids = corpus.encode(text)
    nll, correct, count = 0.0, 0, 0
    for start in range(0, len(ids) - context, context):
        window = ids[start:start + context + 1]
        logits = model.logits(window[:-1]).astype(np.float64)
        logp = logits - logits.max(-1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
        nll -= logp[np.arange(context), window[1:]].sum()
        correct += int((logits.argmax(-1) == window[1:]).sum())
        count += context
    loss = nll / count
    return {"loss": round(float(loss), 4), "perplexity": round(float(np.exp(loss)), 4),
            "accuracy": round(correct / count, 4), "characters": count}


def main(argv=None) -> int:
    parser = CommandLine(prog="python -m lm.bitnet.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=output_dir, default=str(DEFAULT_DIR), help="checkpoint directory to write")
    parser.add_argument("--report", type=output_file, default="build/lm/train_transformer.json")
    parser.add_argument("--steps", type=positive_int, default=3000,
                        help="training steps (default: those of the shipped checkpoint)")
    parser.add_argument("--seed", type=non_negative_int, default=0)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("python -m lm.bitnet.train: needs PyTorch, which the project does not install "
              "(pip install torch)", file=sys.stderr)
        return 2
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    from . import load
    start = time.perf_counter()
    model = train(TINY_TRANSFORMER, steps=args.steps, seed=args.seed, log=log)
    seconds = round(time.perf_counter() - start, 1)
    export(model, args.out)
    metrics = validation_loss(load(args.out), corpus.generate(4_000, args.seed + 1))
    report = {"checkpoint": str(args.out), "config": TINY_TRANSFORMER, "steps": args.steps,
              "seed": args.seed, "train_seconds": seconds, "torch": torch.__version__,
              "validation_golden": metrics}
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out} and {args.report}: trained {args.steps} steps in {seconds} s; "
          f"validation through golden/ perplexity {metrics['perplexity']:.3f}, accuracy "
          f"{metrics['accuracy']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
