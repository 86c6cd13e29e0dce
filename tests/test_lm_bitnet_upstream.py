"""Cross-check of lm.bitnet against Hugging Face transformers' own BitNetForCausalLM, when torch
and transformers are installed (CI does not install them: they are large). Run with
``pip install torch transformers`` into the venv.

The same checkpoint directory, written by tests/bitnet_checkpoints.py in each layout, is loaded by
upstream's ``from_pretrained`` and by ``lm.bitnet.load``; the logits must agree to float32
rounding (both run float32 here) and greedy generation must pick the same tokens.
"""

import numpy as np
import pytest

from lm.bitnet import load
from tests.bitnet_checkpoints import write_hf_checkpoint

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def upstream_logits(directory, ids):
    model = transformers.BitNetForCausalLM.from_pretrained(directory, torch_dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].float().numpy()


@pytest.mark.parametrize("layout", ["bitlinear", "autobitlinear", "online"])
def test_logits_agree_with_upstream(tmp_path, layout):
    directory = write_hf_checkpoint(tmp_path / layout, layout, seed=4)
    ids = [3, 17, 5, 40, 0, 9, 22, 11]
    ours = load(directory).logits(ids)
    theirs = upstream_logits(directory, ids)
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-3)
    assert (ours.argmax(-1) == theirs.argmax(-1)).all()
