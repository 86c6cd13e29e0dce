"""hw.export: Verilog with the stream ports at the top, deterministic paths, a CLI that lists presets."""

import json

import pytest

from hw.config import ArrayConfig
from hw.export import TOP_NAME, config_key, export_verilog, main


def test_export_writes_top_and_config(tmp_path):
    config = ArrayConfig.tiny(pe_kind="mux")
    path = export_verilog(config, tmp_path)
    assert path == tmp_path / f"{TOP_NAME}.v"
    text = path.read_text()
    assert f"module {TOP_NAME}(" in text
    for port in ("x_in__valid", "x_in__ready", "x_in__payload", "w_in__payload",
                 "acc_out__payload", "perf__busy", "perf__out_stall", "clk", "rst"):
        assert port in text
    assert ArrayConfig.from_dict(json.loads((tmp_path / "config.json").read_text())) == config
    assert "$mul" not in text and " * " not in text


def test_config_key_is_stable():
    assert config_key(ArrayConfig.tiny()) == "tiny"
    assert config_key(ArrayConfig.icebreaker()) == "icebreaker"
    custom = ArrayConfig(lanes=8, rows=3)
    assert config_key(custom) == config_key(ArrayConfig(lanes=8, rows=3))
    assert config_key(custom) != config_key(ArrayConfig(lanes=8, rows=3, max_k=512))
    assert config_key(custom).startswith("xor_l8_r3_")


def test_cli(tmp_path, capsys):
    assert main(["--config", "tiny", "--pe-kind", "mux", "-o", str(tmp_path)]) == 0
    assert (tmp_path / f"{TOP_NAME}.v").exists()
    with pytest.raises(SystemExit):
        main(["--config", "huge"])
    assert "known presets: tiny, icebreaker" in capsys.readouterr().err


def test_config_dict_round_trip_rejects_unknown_and_wrong_derived():
    fields = ArrayConfig.tiny().to_dict()
    assert ArrayConfig.from_dict(fields) == ArrayConfig.tiny()
    with pytest.raises(ValueError, match="unknown field"):
        ArrayConfig.from_dict({**fields, "colour": 1})
    with pytest.raises(ValueError, match="ArrayConfig.acc_bits: 99 does not match"):
        ArrayConfig.from_dict({**fields, "acc_bits": 99})


def test_the_documented_synthesis_of_the_export_works(tmp_path):
    """The module docstring's recipe (``proc; opt_clean -purge`` before synth_ice40) synthesizes
    the exported top of the icebreaker preset, where plain synth_ice40 stops in abc9 (yosys
    #4349, yosys 0.70)."""
    import hw.export
    from hw.toolchain import run_yosys, temporary_environ, yowasp_env

    assert "proc; opt_clean -purge" in hw.export.__doc__
    export_verilog(ArrayConfig.icebreaker(), tmp_path)
    (tmp_path / "synth.ys").write_text(f"read_verilog {TOP_NAME}.v\nproc; opt_clean -purge\n"
                                       f"synth_ice40 -top {TOP_NAME}\ntee -q -o stat.json stat -json\n")
    with temporary_environ(yowasp_env()):
        run_yosys(tmp_path, "synth.ys")
    cells = json.loads((tmp_path / "stat.json").read_text())["modules"][f"\\{TOP_NAME}"]
    assert cells["num_cells_by_type"]["SB_RAM40_4K"] > 0
