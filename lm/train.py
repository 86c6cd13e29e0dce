"""Train the tiny BitNet model with NumPy alone (straight-through estimator), and its float twin.

The quantized model trains with BitNet's recipe: the forward pass uses the same absmean ternary
weights and absmax int8 activations as golden/ (as dequantized floats), the backward pass treats
both quantizers as the identity (the straight-through estimator) and updates latent float weights
with Adam. The float twin trains the same architecture without quantization, as the reference for
what ternary costs in perplexity.

    python -m lm.train                  # writes lm/tiny_bitnet.npz and build/lm/train.json
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from golden.bitlinear import int_matmul, quantize_activations, quantize_weights
from hw.cli import CommandLine, non_negative_int, output_file, positive_int

from . import corpus
from .model import DEFAULT_MODEL, ModelShape, TernaryModel, rms_norm, softmax

__all__ = ["TrainConfig", "train", "windows", "loss_and_grads", "quantize_model", "evaluate"]


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 6000
    batch: int = 128
    lr: float = 3e-3
    train_chars: int = 200_000
    val_chars: int = 20_000
    seed: int = 0


def windows(ids: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (context window, next id) pair of a token stream, the stream padded on the left with
    newlines so the first characters are predicted too (the demo starts the same way)."""
    padded = np.concatenate([np.zeros(context, dtype=ids.dtype), ids])   # VOCAB[0] is "\n"
    index = np.arange(len(ids))[:, None] + np.arange(context)[None, :]
    return padded[index], ids


def _fake_quant_weights(w: np.ndarray) -> np.ndarray:
    codes, scale = quantize_weights(w)
    return codes.astype(np.float32) / scale


def _fake_quant_acts(u: np.ndarray) -> np.ndarray:
    codes, scale = quantize_activations(u)
    return codes.astype(np.float32) / scale


def init_params(shape: ModelShape, rng: np.random.Generator) -> dict[str, np.ndarray]:
    params = {"embedding": rng.standard_normal((shape.vocab, shape.embed)).astype(np.float32)}
    for name, (n, k) in shape.layers.items():
        params[name] = (rng.standard_normal((n, k)) / np.sqrt(k)).astype(np.float32)
    return params


def loss_and_grads(params: dict, shape: ModelShape, x_ids: np.ndarray, y_ids: np.ndarray,
                   quantized: bool) -> tuple[float, dict]:
    """Mean cross-entropy of the batch and the gradient of every parameter.

    With ``quantized`` the forward pass uses ternary weights and int8 activations (dequantized);
    gradients pass through both quantizers unchanged (STE).
    """
    batch = len(x_ids)
    h = params["embedding"][x_ids].reshape(batch, -1)
    names = list(shape.layers)
    cache = []
    for i, name in enumerate(names):
        rms = np.sqrt(np.mean(h * h, axis=-1, keepdims=True) + np.float32(1e-6))
        u = h / rms
        uq = _fake_quant_acts(u) if quantized else u
        wq = _fake_quant_weights(params[name]) if quantized else params[name]
        y = uq @ wq.T
        cache.append((u, rms, uq, wq, y))
        h = np.maximum(y, 0) if i < len(names) - 1 else y
    probs = softmax(h)
    loss = float(-np.mean(np.log(probs[np.arange(batch), y_ids] + 1e-12)))
    grads = {}
    dy = probs
    dy[np.arange(batch), y_ids] -= 1
    dy /= batch
    for i in reversed(range(len(names))):
        u, rms, uq, wq, y = cache[i]
        if i < len(names) - 1:
            dy = dy * (y > 0)
        grads[names[i]] = dy.T @ uq
        du = dy @ wq
        dy = (du - u * np.mean(du * u, axis=-1, keepdims=True)) / rms    # RMSNorm backward
    d_embed = np.zeros_like(params["embedding"])
    np.add.at(d_embed, x_ids, dy.reshape(batch, shape.context, shape.embed))
    grads["embedding"] = d_embed
    return loss, grads


def quantize_model(params: dict, shape: ModelShape, meta: dict) -> TernaryModel:
    codes, scales = {}, {}
    for name in shape.layers:
        codes[name], scales[name] = quantize_weights(params[name])
    return TernaryModel(shape, params["embedding"].astype(np.float32), codes, scales, meta)


def _float_forward(params: dict, shape: ModelShape, x_ids: np.ndarray) -> np.ndarray:
    h = params["embedding"][x_ids].reshape(len(x_ids), -1)
    names = list(shape.layers)
    for i, name in enumerate(names):
        h = rms_norm(h) @ params[name].T
        if i < len(names) - 1:
            h = np.maximum(h, 0)
    return h


def evaluate(logits_fn, x_ids: np.ndarray, y_ids: np.ndarray, chunk: int = 4096) -> dict:
    """Cross-entropy (nats/char), perplexity and next-character accuracy over a validation set."""
    nll, correct = 0.0, 0
    for start in range(0, len(x_ids), chunk):
        logits = logits_fn(x_ids[start:start + chunk]).astype(np.float64)
        target = y_ids[start:start + chunk]
        logp = logits - logits.max(-1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
        nll -= logp[np.arange(len(target)), target].sum()
        correct += int((logits.argmax(-1) == target).sum())
    loss = nll / len(x_ids)
    return {"loss": round(float(loss), 4), "perplexity": round(float(np.exp(loss)), 4),
            "accuracy": round(correct / len(x_ids), 4)}


def train(shape: ModelShape, config: TrainConfig, *, quantized: bool, log=None) -> tuple[dict, list]:
    """Adam with a cosine learning-rate decay; returns the parameters and the loss curve."""
    rng = np.random.default_rng(config.seed)
    x_all, y_all = windows(corpus.encode(corpus.generate(config.train_chars, config.seed)),
                           shape.context)
    params = init_params(shape, rng)
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    curve = []
    for step in range(1, config.steps + 1):
        pick = rng.integers(len(x_all), size=config.batch)
        loss, grads = loss_and_grads(params, shape, x_all[pick], y_all[pick], quantized)
        lr = config.lr * 0.5 * (1 + np.cos(np.pi * step / config.steps))
        for key, grad in grads.items():
            m, v = moments[key]
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            update = lr * (m / (1 - beta1 ** step)) / (np.sqrt(v / (1 - beta2 ** step)) + eps)
            params[key] -= update.astype(np.float32)
        curve.append(loss)
        if log and (step % 250 == 0 or step == config.steps):
            log(f"  {'ternary' if quantized else 'float  '} step {step:5d}/{config.steps}  "
                f"loss {np.mean(curve[-250:]):.3f}")
    return params, curve


def main(argv=None) -> int:
    parser = CommandLine(prog="python -m lm.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=output_file, default=str(DEFAULT_MODEL), help="model file to write")
    parser.add_argument("--report", type=output_file, default="build/lm/train.json")
    parser.add_argument("--steps", type=positive_int, default=TrainConfig.steps)
    parser.add_argument("--seed", type=non_negative_int, default=TrainConfig.seed)
    args = parser.parse_args(argv)
    shape = ModelShape()
    config = TrainConfig(steps=args.steps, seed=args.seed)
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    log(f"training on {config.train_chars:,} generated characters; {shape.ternary_weights:,} "
        f"ternary weights in {len(shape.layers)} BitLinear layers")
    x_val, y_val = windows(corpus.encode(corpus.generate(config.val_chars, config.seed + 1)),
                           shape.context)
    results = {}
    for quantized in (True, False):
        start = time.perf_counter()
        params, _ = train(shape, config, quantized=quantized, log=log)
        seconds = round(time.perf_counter() - start, 1)
        kind = "ternary" if quantized else "float"
        if quantized:
            model = quantize_model(params, shape, {})
            golden_matmul = lambda name, codes: int_matmul(codes, model.codes[name])  # noqa: E731
            metrics = evaluate(lambda ids: model.forward(ids, golden_matmul)[0], x_val, y_val)
        else:
            metrics = evaluate(lambda ids: _float_forward(params, shape, ids), x_val, y_val)
        results[kind] = {**metrics, "train_seconds": seconds}
        log(f"{kind}: validation perplexity {metrics['perplexity']:.3f}, accuracy "
            f"{metrics['accuracy']:.1%}, trained in {seconds} s")
    model.meta = {"train": asdict(config), "validation": results}
    model.save(args.out)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    report = {"model": str(args.out), "shape": asdict(shape), "ternary_weights": shape.ternary_weights,
              "file_bytes": args.out.stat().st_size, **model.meta}
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out} ({report['file_bytes']:,} bytes) and {args.report}")
    for kind, m in results.items():
        print(f"{kind:8s} perplexity {m['perplexity']:7.3f}  accuracy {m['accuracy']:6.1%}  "
              f"train {m['train_seconds']:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
