"""What zero skipping (``ArrayConfig.zero_skip``) saves, measured in Verilator against the cycle model.

Skipping ``"chunks"``, the array skips a chunk (``lanes`` activations) whose codes are all zero;
skipping ``"codes"``, each lane skips its own zeros and a block takes as many issues as the busiest
lane has codes. How much either saves depends on how the zeros fall:

* ``iid``: each code is zero with probability ``s`` on its own (a GLU's squared ReLU, a top-K
  mask): a chunk is all zero with probability ``s ** lanes``, so a wide array skipping chunks
  skips little, while skipping codes follows ``1 - s`` (up to the busiest lane's excess);
* ``chunked``: whole chunks are zero with probability ``s`` (zeros that cluster: neurons that stay
  silent for a token, ordered together; the high digit of small int8 codes on a 4-bit array).

Each point runs the same tokens through the array with and without skipping (weights resident,
tokens timed by the performance counters, every beat checked against golden/ and on the cycle
the cycle model predicts) and reports the busy cycles, the whole run's cycles and their ratio.
``layer_inputs`` measures the same on the inputs a trained model's layers really see.
"""

from __future__ import annotations

import numpy as np

from golden.bitlinear import int_matmul
from golden.cycle import kept_chunks, schedule
from golden.ints import ceil_div
from hw.config import ArrayConfig

__all__ = ["PATTERNS", "ZERO_SHARES", "sparse_codes", "measure", "sweep", "layer_inputs",
           "transformer_inputs"]

PATTERNS = ("iid", "chunked")
ZERO_SHARES = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95)


def sparse_codes(rng, config: ArrayConfig, m: int, k: int, zero_share: float,
                 pattern: str) -> np.ndarray:
    """Random non-zero ``act_bits`` codes, with zeros placed as ``pattern`` says (module doc)."""
    if pattern not in PATTERNS:
        raise ValueError(f"pattern: expected one of {PATTERNS}, got {pattern!r}")
    half = 1 << (config.act_bits - 1)
    x = rng.integers(1, half, (m, k)) * rng.choice([-1, 1], (m, k))
    if pattern == "iid":
        x[rng.random((m, k)) < zero_share] = 0
        return x
    chunks = ceil_div(k, config.lanes)
    silent = np.repeat(rng.random((m, chunks)) < zero_share, config.lanes, axis=1)[:, :k]
    x[silent] = 0
    return x


def measure(config: ArrayConfig, x, w, *, seed: int = 0, backend: str = "verilator") -> dict:
    """``x`` through a resident ``w`` on ``config`` (a zero-skipping array) and on the same array
    without skipping: busy and total cycles of both, the share of issues skipped, the speed-up."""
    from sim.harness import run_bitlinear

    out = {}
    for name, mode in (("dense", "off"), ("skipping", config.zero_skip)):
        array = config.replace(zero_skip=mode)
        ready = schedule(array, x, w).weights_ready_cycle
        result = run_bitlinear(array, x, w, backend=backend, seed=seed, x_start=ready)
        out[name] = {"busy": result.perf["busy"], "cycles": sum(result.perf.values())}
    chunks = x.shape[0] * ceil_div(x.shape[1], config.lanes)
    kept = int(kept_chunks(config, x).sum())
    return {"m": x.shape[0], "k": x.shape[1], "n": w.shape[0],
            "zero_codes": round(float(np.mean(np.asarray(x) == 0)), 4),
            "issues_skipped": round(1 - kept / chunks, 4), **out,
            "speedup": round(out["dense"]["cycles"] / out["skipping"]["cycles"], 3)}


def sweep(config: ArrayConfig, *, m: int = 8, k: int | None = None, n: int | None = None,
          zero_shares=ZERO_SHARES, seed: int = 0, log=None) -> list[dict]:
    """``measure`` at every zero share and pattern, on a matrix as large as ``config`` holds."""
    k, n = k or config.max_k, n or config.max_n
    rng = np.random.default_rng(seed)
    w = rng.integers(-1, 2, (n, k))
    points = []
    for pattern in PATTERNS:
        for share in zero_shares:
            x = sparse_codes(rng, config, m, k, share, pattern)
            point = {"pattern": pattern, "zero_share": share, **measure(config, x, w, seed=seed)}
            points.append(point)
            if log:
                log(f"[sparsity {config.lanes} lanes, {config.zero_skip}] {pattern} {share:.0%} zeros: "
                    f"{point['issues_skipped']:.1%} of issues skipped, "
                    f"{point['skipping']['cycles']:,} cycles against {point['dense']['cycles']:,} "
                    f"({point['speedup']:.2f}x)")
    return points


def layer_inputs(model, config: ArrayConfig, prompt: str, tokens: int = 16) -> list[dict]:
    """The tiny trained MLP (``lm.model.TernaryModel``): the codes each BitLinear really gets
    over ``tokens`` steps of generation, measured per layer as ``measure`` does (on ``config``
    with max K/N raised to hold every layer: a simulation of the dataflow, not of a build)."""
    seen = _Recorder(model.codes)
    model.generate(seen, prompt, tokens, seed=0, temperature=0.0)
    return seen.measure(config)


def transformer_inputs(model, config: ArrayConfig, prompt: str, tokens: int = 16,
                       layers=("mlp.down_proj",), backend: str = "verilator") -> list[dict]:
    """The same for a BitNet transformer (``lm.bitnet.BitNetTransformer``, e.g. the one
    ``lm.bitnet.train`` trained): every projection's share of zero codes over the prompt and
    ``tokens`` generated characters, and ``measure`` on the projections named in ``layers``
    (``down_proj``: the squared ReLU's output, the input BitNet a4.8 calls sparse)."""
    from lm.corpus import encode

    seen = _Recorder(model.codes)
    model.generate(encode(prompt), tokens, 0.0, engine=seen)
    picked = [name for name in seen.batches if name.endswith(tuple(layers))]
    return seen.measure(config, picked, backend) + [
        {"layer": name, "zero_codes": seen.zero_share(name)}
        for name in seen.batches if name not in picked]


class _Recorder:
    """An engine (golden/'s product) that keeps every batch of codes each layer was given."""

    def __init__(self, codes: dict):
        self.codes, self.batches = codes, {}

    def __call__(self, layer, x_codes):
        self.batches.setdefault(layer, []).append(np.asarray(x_codes))
        return int_matmul(x_codes, self.codes[layer])

    def zero_share(self, layer) -> float:
        return round(float(np.mean(np.concatenate(self.batches[layer]) == 0)), 4)

    def measure(self, config: ArrayConfig, layers=None, backend: str = "verilator") -> list[dict]:
        layers = list(self.batches) if layers is None else layers
        shapes = [self.codes[layer].shape for layer in layers]
        array = config.replace(max_k=max(config.max_k, *(k for _, k in shapes)),   # one simulator
                               max_n=max(config.max_n, *(n for n, _ in shapes)))
        return [{"layer": layer, **measure(array, np.concatenate(self.batches[layer]),
                                           self.codes[layer], backend=backend)} for layer in layers]
