"""The projection's cycles are the simulated array's: one token of a small transformer through
SimEngine costs exactly the streamed and resident cycles token_cost predicts."""

import pytest

from hw.config import ArrayConfig
from lm.bitnet import load
from lm.bitnet.projection import BITNET_2B4T, main, project, token_cost
from lm.engines import SimEngine
from tests.bitnet_checkpoints import write_hf_checkpoint


def test_token_cost_is_what_the_simulated_array_takes(tmp_path):
    model = load(write_hf_checkpoint(tmp_path / "ckpt"))
    config = ArrayConfig(pe_kind="xor", lanes=8, rows=4, max_k=48, max_n=40, tree_cuts=(0, 2))
    engine = SimEngine(model, config, resident=False)         # every tile loaded, as streamed
    model.logits([5], engine=engine)                          # one token
    cost = token_cost(model.config, config)
    assert cost["tiles"] == len(engine.runs)
    assert cost["streamed_cycles"] == sum(run.cycles for run in engine.runs)
    assert cost["resident_cycles"] == sum(run.busy for run in engine.runs)


def test_2b4t_rows():
    rows = {row["board"]: row for row in project()}
    assert rows["icebreaker"]["ternary_weights"] == 30 * (2560 * (2560 + 640 + 640 + 2560) + 3 * 2560 * 6912)
    # resident: one chunk a cycle, every PE busy: weights / PEs cycles a token, to the tile padding
    for row in rows.values():
        assert row["resident_cycles"] == pytest.approx(row["ternary_weights"] / row["pes"], rel=0.01)
        assert row["streamed_cycles"] > row["resident_cycles"]
    assert BITNET_2B4T.layer_shapes()["model.layers.29.mlp.down_proj"] == (2560, 6912)


def test_cli_writes_json(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "projection.json").exists()
    assert "| ulx3s-85f | 32 × 32 (1024) |" in capsys.readouterr().out
