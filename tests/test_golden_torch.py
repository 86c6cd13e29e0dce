"""Cross-check of golden/ against PyTorch's own expressions, when torch is installed.

CI does not install torch (it is large); run it with ``pip install torch`` into the venv. The
expressions below are those of transformers' ``ActQuant``, ``WeightQuant`` and ``pack_weights``.
"""

import numpy as np
import pytest

from golden.bitlinear import quantize_activations, quantize_weights
from golden.packing import pack_2bit

torch = pytest.importorskip("torch")


def torch_act_quant(x):
    scale = 127 / x.abs().max(dim=-1, keepdim=True).values.clamp_(min=1e-5)
    return (x * scale).round().clamp(-128, 127).to(torch.int8), scale


def torch_pack_weights(codes):
    n = codes.shape[0]
    block = (n + 3) // 4
    packed = torch.zeros((block, *codes.shape[1:]), dtype=torch.uint8)
    shifted = (codes + 1).to(torch.uint8)
    for i in range(min(4, n // block + 1)):
        start, end = i * block, min(i * block + block, n)
        packed[: end - start] |= shifted[start:end] << 2 * i
    return packed


@pytest.mark.parametrize("seed", range(5))
def test_activations_match_torch_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        x = (rng.standard_normal((rng.integers(1, 30), rng.integers(1, 200)))
             * 10.0 ** rng.uniform(-4, 4)).astype(np.float32)
        codes, scale = torch_act_quant(torch.from_numpy(x))
        golden_codes, golden_scale = quantize_activations(x, rounding="torch")
        np.testing.assert_array_equal(golden_codes, codes.numpy())
        np.testing.assert_array_equal(golden_scale, scale.numpy())


def test_weight_codes_match_torch():
    rng = np.random.default_rng(11)
    for _ in range(50):
        w = rng.standard_normal((rng.integers(1, 60), rng.integers(1, 200))).astype(np.float32)
        t = torch.from_numpy(w)
        scale = 1.0 / t.abs().mean().clamp_(min=1e-5)
        codes = (t * scale).round().clamp(-1, 1).to(torch.int8)
        # The scale may differ by an ulp (torch sums in float32; see golden.bitlinear).
        np.testing.assert_array_equal(quantize_weights(w)[0], codes.numpy())


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 255, 257])
def test_pack_2bit_matches_upstream(n):
    codes = np.random.default_rng(n).integers(-1, 2, (n, 7)).astype(np.int8)
    np.testing.assert_array_equal(pack_2bit(codes), torch_pack_weights(torch.from_numpy(codes)).numpy())
