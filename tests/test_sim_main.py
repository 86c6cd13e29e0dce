"""``python -m sim``: a summary line and JSON on success, exit status 1 on a mismatch."""

import json

import pytest

import sim.scoreboard as scoreboard
from sim.__main__ import main


def test_summary_line_and_json(tmp_path, capsys):
    assert main(["--quick", "--only", "tiny/xor", "--only", "amaranth:tiny/mux+stalls",
                 "--only", "verilator:tiny/xor+stalls", "--out", str(tmp_path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("make sim: amaranth: 2 configs, 96 beats, ")
    assert "; verilator: 1 configs, 2400 beats, " in last
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["beats_checked"] == 96 + 2400 and len(summary["runs"]) == 3
    assert summary["backends"]["verilator"]["beats_checked"] == 2400
    assert summary["cycles_simulated"] == sum(run["cycles"] for run in summary["runs"])


def test_mismatch_exits_nonzero(tmp_path, monkeypatch, capsys):
    original = scoreboard.schedule

    def wrong(*args):
        s = original(*args)
        s.beats[0].acc[0] += 1
        return s

    monkeypatch.setattr(scoreboard, "schedule", wrong)
    assert main(["--only", "amaranth:tiny/xor", "--out", str(tmp_path)]) == 1
    assert "MISMATCH in amaranth:tiny/xor" in capsys.readouterr().err


def test_unknown_label_lists_known(capsys):
    with pytest.raises(SystemExit):
        main(["--only", "nope"])
    assert "known: amaranth:icebreaker/mux" in capsys.readouterr().err
