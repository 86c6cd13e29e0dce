"""The BitNet b1.58 transformer (Hugging Face ``BitNetForCausalLM``) on the host, in NumPy float32.

The architecture is upstream's (transformers ``models/bitnet/modeling_bitnet.py``): a Llama layout
of decoder layers, each

    h += o_proj(attn_sub_norm(attention(rope(q_proj(x)), rope(k_proj(x)), v_proj(x))))
                                              with x = input_layernorm(h)
    h += down_proj(ffn_sub_norm(relu(gate_proj(x))**2 * up_proj(x)))
                                              with x = post_attention_layernorm(h)

then ``norm`` and ``lm_head`` (the embedding when the config ties them). Attention is causal,
grouped-query (``num_key_value_heads`` K/V heads shared by ``num_attention_heads`` query heads),
scaled by ``head_dim**-0.5``, with the default rotary embedding (``rope_theta``). RMSNorm is
``weight * h / sqrt(mean(h**2) + eps)`` in float32.

Every one of the seven projections of a layer is a BitLinear: its input is quantized per token to
int8 (golden.bitlinear.quantize_activations, upstream's absmax with PyTorch's rounding), or, with
``activations="a4.8"``, as BitNet a4.8 assigns its quantizers (``ACTIVATION_SCHEMES``), the
integer product with the ternary codes runs on an engine (lm.engines: golden/, the simulated
array, a board), and the accumulators are rescaled by ``rescale(acc, w_scale, x_scale)``. The
host side is float32 throughout; the accumulators are exact integers whatever the engine, so two
engines that return the same accumulators give the same logits and tokens, bit for bit. Against
upstream running a bf16 checkpoint in bf16 the logits differ by bf16 rounding: upstream's own
BitLinear is not exact integer arithmetic there.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from golden.a48 import quantize_activations_int4, quantize_activations_int8_topk
from golden.bitlinear import quantize_activations, rescale

__all__ = ["CheckpointError", "TransformerConfig", "BitNetTransformer", "PROJECTIONS",
           "ACTIVATION_SCHEMES"]

#: The BitLinear projections of a decoder layer, in execution order, with their module paths.
PROJECTIONS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
               "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")

#: How each projection's input becomes codes and a scale. ``b1.58``: per-token INT8 absmax
#: everywhere. ``a4.8`` (arXiv 2411.04965): INT4 absmean for the inputs of attention and the FFN,
#: top-K (50 %) then INT8 for the output projection, INT8 for the down projection (whose input
#: the squared ReLU already makes sparse). A b1.58 checkpoint was not trained for a4.8's
#: quantizers: the option measures the hardware, not the model's quality.
ACTIVATION_SCHEMES = {
    "b1.58": dict.fromkeys(PROJECTIONS, quantize_activations),
    "a4.8": {"self_attn.q_proj": quantize_activations_int4,
             "self_attn.k_proj": quantize_activations_int4,
             "self_attn.v_proj": quantize_activations_int4,
             "self_attn.o_proj": quantize_activations_int8_topk,
             "mlp.gate_proj": quantize_activations_int4,
             "mlp.up_proj": quantize_activations_int4,
             "mlp.down_proj": quantize_activations},
}


class CheckpointError(ValueError):
    """A checkpoint this code cannot use; the message names the file and why."""


@dataclass(frozen=True)
class TransformerConfig:
    """The fields of a Hugging Face ``BitNetConfig`` (config.json) the forward pass uses."""
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    rms_norm_eps: float = 1e-5
    rope_theta: float = 500000.0
    attention_bias: bool = False
    tie_word_embeddings: bool = False

    @classmethod
    def from_dict(cls, raw: dict, source: str = "config.json") -> "TransformerConfig":
        """From config.json, with upstream's defaults; refuses what this forward pass does not do."""
        def need(name):
            if name not in raw:
                raise CheckpointError(f"{source}: no {name!r}")
            return raw[name]
        if raw.get("hidden_act", "relu2") != "relu2":
            raise CheckpointError(f"{source}: hidden_act {raw['hidden_act']!r}; BitNet's MLP is relu2")
        # transformers 5 writes rope_parameters {rope_type, rope_theta}; older configs rope_theta
        # and rope_scaling at the top
        rope = dict(raw.get("rope_scaling") or {}, **(raw.get("rope_parameters") or {}))
        if rope.get("rope_type", rope.get("type")) not in (None, "default"):
            raise CheckpointError(f"{source}: rope {rope!r} is not supported (only the default "
                                  f"rotary embedding)")
        heads = int(need("num_attention_heads"))
        values = {"vocab_size": need("vocab_size"), "hidden_size": need("hidden_size"),
                  "intermediate_size": need("intermediate_size"),
                  "num_hidden_layers": need("num_hidden_layers"), "num_attention_heads": heads,
                  "num_key_value_heads": raw.get("num_key_value_heads") or heads,
                  "head_dim": raw.get("head_dim") or int(need("hidden_size")) // heads}
        if "rope_theta" in rope:
            values["rope_theta"] = rope["rope_theta"]
        for field in fields(cls):
            if field.name not in values and field.name in raw:
                values[field.name] = raw[field.name]
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:
            raise CheckpointError(f"{source}: {error}") from None

    def __post_init__(self):
        for name in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                     "num_attention_heads", "num_key_value_heads", "head_dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive integer, got {value!r}")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError(f"num_attention_heads {self.num_attention_heads} is not a multiple of "
                             f"num_key_value_heads {self.num_key_value_heads}")
        if self.head_dim % 2:
            raise ValueError(f"head_dim {self.head_dim}: the rotary embedding needs an even head_dim")

    def layer_shapes(self) -> dict[str, tuple[int, int]]:
        """(N, K) of every BitLinear, by its name in the checkpoint (``model.layers.0.mlp.up_proj``)."""
        h, f = self.hidden_size, self.intermediate_size
        q, kv = self.num_attention_heads * self.head_dim, self.num_key_value_heads * self.head_dim
        per = {"self_attn.q_proj": (q, h), "self_attn.k_proj": (kv, h), "self_attn.v_proj": (kv, h),
               "self_attn.o_proj": (h, q), "mlp.gate_proj": (f, h), "mlp.up_proj": (f, h),
               "mlp.down_proj": (h, f)}
        return {f"model.layers.{i}.{name}": per[name]
                for i in range(self.num_hidden_layers) for name in PROJECTIONS}

    def float_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of the float tensors: embedding, norms, lm_head (unless tied), biases."""
        h = self.hidden_size
        out = {"model.embed_tokens.weight": (self.vocab_size, h), "model.norm.weight": (h,)}
        if not self.tie_word_embeddings:
            out["lm_head.weight"] = (self.vocab_size, h)
        q, kv = self.num_attention_heads * self.head_dim, self.num_key_value_heads * self.head_dim
        for i in range(self.num_hidden_layers):
            p = f"model.layers.{i}."
            out[p + "input_layernorm.weight"] = (h,)
            out[p + "post_attention_layernorm.weight"] = (h,)
            out[p + "self_attn.attn_sub_norm.weight"] = (q,)
            out[p + "mlp.ffn_sub_norm.weight"] = (self.intermediate_size,)
            if self.attention_bias:
                for name, n in (("q_proj", q), ("k_proj", kv), ("v_proj", kv), ("o_proj", h)):
                    out[p + f"self_attn.{name}.bias"] = (n,)
        return out


def rms_norm(h: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    h = h.astype(np.float32, copy=False)
    variance = np.mean(h * h, axis=-1, keepdims=True)
    return weight * (h / np.sqrt(variance + np.float32(eps)))


def _softmax(scores: np.ndarray) -> np.ndarray:
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _rotate_half(x: np.ndarray) -> np.ndarray:
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


class _Engine:
    """golden/ when no engine is given."""

    def __init__(self, codes):
        from golden.bitlinear import int_matmul
        self._product, self._codes = int_matmul, codes

    def __call__(self, layer, x_codes):
        return self._product(x_codes, self._codes[layer])


@dataclass
class BitNetTransformer:
    """A loaded checkpoint: config, ternary codes and a weight scale per BitLinear (``rescale``'s
    ``w_scale``: the output is ``acc / (w_scale * x_scale)``), float tensors for the rest, and
    the activation scheme (a key of ``ACTIVATION_SCHEMES``)."""
    config: TransformerConfig
    codes: dict[str, np.ndarray]         # int8 N×K in {-1, 0, 1}, by BitLinear name
    w_scales: dict[str, np.float32]
    tensors: dict[str, np.ndarray]       # float32: embedding, norms, lm_head, biases
    source: str = ""
    activations: str = "b1.58"

    def __post_init__(self):
        if self.activations not in ACTIVATION_SCHEMES:
            raise ValueError(f"activations: expected one of {sorted(ACTIVATION_SCHEMES)}, got "
                             f"{self.activations!r}")
        for name, shape in self.config.layer_shapes().items():
            if name not in self.codes or name not in self.w_scales:
                raise CheckpointError(f"{self.source}: BitLinear {name} is missing")
            if self.codes[name].shape != shape:
                raise CheckpointError(f"{self.source}: {name} has shape {self.codes[name].shape}, "
                                      f"the config says {shape} (N, K)")
        for name, shape in self.config.float_shapes().items():
            if name not in self.tensors:
                raise CheckpointError(f"{self.source}: tensor {name} is missing")
            if self.tensors[name].shape != shape:
                raise CheckpointError(f"{self.source}: {name} has shape {self.tensors[name].shape}, "
                                      f"the config says {shape}")

    @property
    def ternary_weights(self) -> int:
        return sum(codes.size for codes in self.codes.values())

    # ------------------------------------------------------------------ forward pass
    def with_activations(self, scheme: str) -> "BitNetTransformer":
        """The same weights with another activation scheme (``"b1.58"`` or ``"a4.8"``)."""
        return replace(self, activations=scheme)

    def _bitlinear(self, name, x, engine, accs):
        projection = name.split(".", 3)[3]          # model.layers.<i>.<projection>
        x_codes, x_scale = ACTIVATION_SCHEMES[self.activations][projection](x)
        acc = np.asarray(engine(name, x_codes))
        n = self.codes[name].shape[0]
        if acc.shape != (len(x), n):
            raise ValueError(f"engine returned accumulators of shape {acc.shape} for {name}; "
                             f"expected {(len(x), n)}")
        accs[name] = acc.astype(np.int32)
        y = rescale(acc, self.w_scales[name], x_scale)
        bias = self.tensors.get(name + ".bias")
        return y if bias is None else y + bias

    def _rope(self, positions):
        c = self.config
        inv_freq = (1.0 / (c.rope_theta ** (np.arange(0, c.head_dim, 2, dtype=np.int64)
                                            .astype(np.float32) / c.head_dim))).astype(np.float32)
        freqs = positions.astype(np.float32)[:, None] * inv_freq[None, :]
        emb = np.concatenate([freqs, freqs], axis=-1)
        return np.cos(emb).astype(np.float32), np.sin(emb).astype(np.float32)

    def _attention(self, i, x, cache, cos, sin, engine, accs):
        c, p = self.config, f"model.layers.{i}."
        t = len(x)
        q = self._bitlinear(p + "self_attn.q_proj", x, engine, accs).reshape(t, -1, c.head_dim)
        k = self._bitlinear(p + "self_attn.k_proj", x, engine, accs).reshape(t, -1, c.head_dim)
        v = self._bitlinear(p + "self_attn.v_proj", x, engine, accs).reshape(t, -1, c.head_dim)
        q = q * cos[:, None] + _rotate_half(q) * sin[:, None]
        k = k * cos[:, None] + _rotate_half(k) * sin[:, None]
        keys = np.concatenate([cache[i][0], k]) if cache[i] else k
        values = np.concatenate([cache[i][1], v]) if cache[i] else v
        cache[i] = (keys, values)
        group = c.num_attention_heads // c.num_key_value_heads
        keys, values = np.repeat(keys, group, axis=1), np.repeat(values, group, axis=1)
        scores = np.einsum("thd,shd->hts", q, keys) * np.float32(c.head_dim ** -0.5)
        past = len(keys) - t
        mask = np.arange(len(keys))[None, :] > (past + np.arange(t))[:, None]
        scores = np.where(mask[None], np.float32(-np.inf), scores).astype(np.float32)
        out = np.einsum("hts,shd->thd", _softmax(scores), values).reshape(t, -1)
        out = rms_norm(out, self.tensors[p + "self_attn.attn_sub_norm.weight"], c.rms_norm_eps)
        return self._bitlinear(p + "self_attn.o_proj", out, engine, accs)

    def _mlp(self, i, x, engine, accs):
        p = f"model.layers.{i}.mlp."
        gate = self._bitlinear(p + "gate_proj", x, engine, accs)
        up = self._bitlinear(p + "up_proj", x, engine, accs)
        hidden = np.square(np.maximum(gate, np.float32(0))) * up
        hidden = rms_norm(hidden, self.tensors[p + "ffn_sub_norm.weight"], self.config.rms_norm_eps)
        return self._bitlinear(p + "down_proj", hidden, engine, accs)

    def forward(self, token_ids, engine=None, cache=None) -> tuple[np.ndarray, dict]:
        """Logits (float32 T×vocab) of new tokens ``token_ids`` after those in ``cache`` (a list
        of per-layer keys and values, updated in place; None: a fresh sequence), and every
        BitLinear's accumulators."""
        c = self.config
        ids = np.asarray(token_ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer) or len(ids) == 0:
            raise ValueError(f"token_ids: expected a non-empty 1-D sequence of integers, got "
                             f"shape {ids.shape} of {ids.dtype}")
        if ids.min() < 0 or ids.max() >= c.vocab_size:
            raise ValueError(f"token_ids: ids must be in [0, {c.vocab_size}), got {ids.min()}..{ids.max()}")
        engine = engine or _Engine(self.codes)
        cache = [None] * c.num_hidden_layers if cache is None else cache
        past = len(cache[0][0]) if cache[0] else 0
        cos, sin = self._rope(np.arange(past, past + len(ids)))
        accs = {}
        h = self.tensors["model.embed_tokens.weight"][ids]
        for i in range(c.num_hidden_layers):
            p = f"model.layers.{i}."
            x = rms_norm(h, self.tensors[p + "input_layernorm.weight"], c.rms_norm_eps)
            h = h + self._attention(i, x, cache, cos, sin, engine, accs)
            x = rms_norm(h, self.tensors[p + "post_attention_layernorm.weight"], c.rms_norm_eps)
            h = h + self._mlp(i, x, engine, accs)
        h = rms_norm(h, self.tensors["model.norm.weight"], c.rms_norm_eps)
        head = self.tensors["model.embed_tokens.weight" if c.tie_word_embeddings else "lm_head.weight"]
        return (h @ head.T).astype(np.float32), accs

    def logits(self, token_ids, engine=None) -> np.ndarray:
        """float32 [T, vocab] for a 1-D sequence of token ids; ``engine`` None is golden/."""
        return self.forward(token_ids, engine)[0]

    def generate(self, token_ids, max_new_tokens: int, temperature: float = 0.0, engine=None,
                 *, seed: int = 0, on_token=None, accs: list | None = None) -> list[int]:
        """The prompt plus ``max_new_tokens`` new ids: greedy at ``temperature`` 0, else sampled
        (seeded by ``seed``) from softmax(logits / temperature). The prompt runs once, then one
        token a step with a key/value cache. ``accs``, if a list, receives each step's
        accumulators; ``on_token(step, id)`` reports progress."""
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
            raise ValueError(f"max_new_tokens: expected an integer >= 0, got {max_new_tokens!r}")
        if not (isinstance(temperature, (int, float)) and temperature >= 0):
            raise ValueError(f"temperature: expected a number >= 0, got {temperature!r}")
        ids = [int(i) for i in np.asarray(token_ids).reshape(-1)]
        rng = np.random.default_rng(seed)
        cache = [None] * self.config.num_hidden_layers
        step_input = ids
        for step in range(max_new_tokens):
            logits, step_accs = self.forward(step_input, engine, cache)
            if accs is not None:
                accs.append(step_accs)
            last = logits[-1].astype(np.float64)
            if temperature == 0:
                token = int(np.argmax(last))
            else:
                token = int(rng.choice(len(last), p=_softmax(last / temperature)))
            ids.append(token)
            step_input = [token]
            if on_token is not None:
                on_token(step, token)
        return ids
