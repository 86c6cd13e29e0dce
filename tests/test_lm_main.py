"""``python -m lm`` (make demo): passes when the engines agree, fails loudly when they do not, and
refuses bad input with exit code 2 and a message."""

import json

import pytest

from boards import get_board
from hw.config import ArrayConfig
from lm import __main__ as demo
from lm.engines import SimEngine
from lm.model import DEFAULT_MODEL


def test_demo_agrees_and_reports(tmp_path, capsys):
    report = tmp_path / "summary.json"
    assert demo.main(["--tokens", "3", "--report", str(report), "--fmax-mhz", "30"]) == 0
    out = capsys.readouterr().out
    assert "bit-exact: 3/3 tokens; identical integer accumulators" in out
    summary = json.loads(report.read_text())
    assert summary["bit_exact"] and summary["golden_text"] == summary["hardware_text"]
    assert len(summary["hardware_text"]) == 3
    assert summary["cycles_per_token"] == summary["cycles_total"] / 3
    assert summary["projected_tokens_per_second"] == pytest.approx(30e6 / summary["cycles_per_token"],
                                                                   abs=0.1)


def test_demo_fails_when_an_accumulator_differs(tmp_path, capsys, monkeypatch):
    honest = SimEngine.__call__

    def off_by_one(self, layer, x_codes):
        acc = honest(self, layer, x_codes)
        if layer == "fc2":
            acc = acc.copy()
            acc[0, 5] += 1
        return acc

    monkeypatch.setattr(SimEngine, "__call__", off_by_one)
    assert demo.main(["--tokens", "2", "--report", str(tmp_path / "s.json")]) == 1
    err = capsys.readouterr().err
    assert "MISMATCH at token 0: layer fc2 accumulator (0, 5)" in err
    assert json.loads((tmp_path / "s.json").read_text())["bit_exact"] is False


def test_a_damaged_model_file_exits_2(tmp_path, capsys):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(DEFAULT_MODEL.read_bytes()[:-100])
    assert demo.main(["--model", str(broken)]) == 2
    assert "not a readable model file" in capsys.readouterr().err


def test_a_layer_longer_than_max_k_is_tiled(tmp_path):
    """fc1's K = 256 on an array with max K 128: two partial sums a tile, still bit-exact."""
    assert demo.main(["--set", "max_k=128", "--tokens", "2", "--report", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text())["bit_exact"] is True


def test_a_bad_config_override_exits_2(capsys):
    assert demo.main(["--set", "lanes=0"]) == 2
    assert "lanes" in capsys.readouterr().err


def test_the_projection_uses_a_matching_build_report(tmp_path):
    config = ArrayConfig.icebreaker()
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"config": config.to_dict(), "fmax_mhz": 41.5, "seed": 2}))
    assert demo.clock_for_projection(config, None, report)[0] == 41.5
    other = config.replace(rows=2)
    mhz, source = demo.clock_for_projection(other, None, report)
    assert "target clock" in source
    assert mhz == get_board("icebreaker").default_target_hz / 1e6
    spram = ArrayConfig.icebreaker_spram()      # a preset with a clock of its own
    assert demo.clock_for_projection(spram, None, report)[0] == \
        get_board("icebreaker").target_hz(spram) / 1e6


def test_demo_on_a_board_through_the_serial_driver(tmp_path, capsys, monkeypatch):
    """``--port``: the hardware engine is the host driver talking to the (simulated) board."""
    import numpy as np

    from host.driver import Accelerator
    from hw.system.accelerator import LinkedArray
    from lm.model import ModelShape
    from lm.train import init_params, quantize_model
    from sim.link import SimulatedSerial

    shape = ModelShape(context=2, embed=8, hidden=16)          # fits the tiny config (max K 40)
    path = quantize_model(init_params(shape, np.random.default_rng(4)), shape, {}).save(
        tmp_path / "small.npz")
    opened = []

    def simulated_board(port, baudrate, timeout):
        opened.append(port)
        return Accelerator(SimulatedSerial(LinkedArray(ArrayConfig.tiny(), timeout_cycles=3000)))

    monkeypatch.setattr(demo, "open_accelerator", simulated_board)
    report = tmp_path / "board.json"
    assert demo.main(["--model", str(path), "--port", "/dev/fake", "--tokens", "2",
                      "--report", str(report)]) == 0
    assert opened == ["/dev/fake"]
    assert "bit-exact: 2/2 tokens; identical integer accumulators" in capsys.readouterr().out
    summary = json.loads(report.read_text())
    assert summary["engine"] == "board" and summary["config"] == ArrayConfig.tiny().to_dict()
    assert summary["busy_cycles_per_token"] > 0 and summary["measured_tokens_per_second"] > 0
    # the resident tiles went over the wire once; each token costs its own bytes only
    assert summary["resident_tiles"] and summary["placement_bytes"] > 0
    assert summary["wire_bytes_per_token"] > 0
    assert summary["link_bound_tokens_per_second"] == pytest.approx(
        summary["link_baud"] / 10 / summary["wire_bytes_per_token"], rel=1e-3)


def test_an_unopenable_port_exits_2(capsys):
    assert demo.main(["--port", "/dev/no-such-port-here"]) == 2
    assert "no-such-port-here" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["hf", "gguf"])
def test_demo_runs_a_checkpoint_bit_exact(tmp_path, capsys, kind):
    """``--checkpoint``: a BitNet transformer (HF directory or GGUF file written by the tests)
    generates the same ids on golden/ and on the Verilated array, every accumulator compared."""
    from tests.bitnet_checkpoints import write_gguf_checkpoint, write_hf_checkpoint
    path = (write_hf_checkpoint(tmp_path / "ckpt") if kind == "hf"
            else write_gguf_checkpoint(tmp_path / "m.gguf", "TQ2_0"))
    report = tmp_path / "s.json"
    assert demo.main(["--checkpoint", str(path), "--prompt-ids", "3,1,4", "--tokens", "3",
                      "--set", "max_k=128", "--report", str(report)]) == 0
    summary = json.loads(report.read_text())
    assert summary["bit_exact"] is True and summary["prompt"] == [3, 1, 4]
    assert summary["accumulators_compared"] > 0 and len(summary["layers"]) == 14
    assert "golden ids:" in capsys.readouterr().out


def test_demo_runs_a48_on_a_4_bit_array_bit_exact(tmp_path, capsys):
    """``--activations a4.8`` on an act_bits=4 array: int4 projections in one pass, the int8
    ones (o_proj after top-K, down_proj) as signed digits; every accumulator equals golden's."""
    from tests.bitnet_checkpoints import write_hf_checkpoint
    path = write_hf_checkpoint(tmp_path / "ckpt")
    report = tmp_path / "s.json"
    assert demo.main(["--checkpoint", str(path), "--activations", "a4.8", "--prompt-ids", "2,7",
                      "--tokens", "2", "--set", "max_k=128", "--set", "act_bits=4",
                      "--report", str(report)]) == 0
    summary = json.loads(report.read_text())
    assert summary["bit_exact"] is True and summary["activations"] == "a4.8"
    assert summary["config"]["act_bits"] == 4 and summary["accumulators_compared"] > 0
    assert demo.main(["--activations", "a4.8"]) == 2
    assert "--activations a4.8 needs --checkpoint" in capsys.readouterr().err


def test_a_bad_checkpoint_exits_2(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{}")
    assert demo.main(["--checkpoint", str(tmp_path)]) == 2
    assert "not a BitNet" in capsys.readouterr().err
    from tests.bitnet_checkpoints import write_hf_checkpoint
    path = write_hf_checkpoint(tmp_path / "ckpt")
    assert demo.main(["--checkpoint", str(path), "--prompt-ids", "1,x"]) == 2
    assert "--prompt-ids" in capsys.readouterr().err
    assert demo.main(["--checkpoint", str(path), "--prompt-ids", "999"]) == 2
    assert "ids must be in [0, 48)" in capsys.readouterr().err
