"""``python -m host``: identify, run and perf against the simulated board, with results equal to
golden/, and one-line errors with meaningful exit codes."""

import json

import numpy as np

from golden.bitlinear import bitlinear, int_matmul
from hw.config import ArrayConfig
from host.__main__ import main
from hw.link.protocol import VERSION


def test_identify_reports_the_config(capsys):
    assert main(["identify", "--port", "sim:tiny"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["config"] == ArrayConfig.tiny().to_dict()
    assert report["version"] == list(VERSION) and report["baud"] is None     # no UART in front


def test_ping_times_round_trips(capsys):
    assert main(["ping", "--port", "sim:tiny"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["round_trips"] == 5 and 0 < report["ms_min"] <= report["ms_median"] <= report["ms_max"]


def test_run_floats_and_codes_match_golden(tmp_path, capsys):
    rng = np.random.default_rng(3)
    w, x = rng.standard_normal((5, 9)).astype(np.float32), rng.standard_normal((3, 9)).astype(np.float32)
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "x.npy", x)
    assert main(["run", "--port", "sim:tiny", "--weights", str(tmp_path / "w.npy"),
                 "--inputs", str(tmp_path / "x.npy"), "--out", str(tmp_path / "y.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), bitlinear(x, w))
    wc, xc = rng.integers(-1, 2, (5, 9)), rng.integers(-128, 128, (3, 9))
    np.save(tmp_path / "wc.npy", wc)
    np.save(tmp_path / "xc.npy", xc)
    assert main(["run", "--port", "sim:tiny", "--weights", str(tmp_path / "wc.npy"),
                 "--inputs", str(tmp_path / "xc.npy"), "--out", str(tmp_path / "acc.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "acc.npy"), int_matmul(xc, wc))


def test_errors_are_one_line_with_exit_2(tmp_path, capsys):
    assert main(["identify", "--port", "sim:nosuch"]) == 2
    assert "no preset 'nosuch'" in capsys.readouterr().err
    assert main(["run", "--port", "sim:tiny", "--weights", str(tmp_path / "missing.npy"),
                 "--inputs", str(tmp_path / "missing.npy"), "--out", str(tmp_path / "y.npy")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a readable .npy file" in err
    np.save(tmp_path / "big.npy", np.ones((2, 100), dtype=np.float32))    # K over tiny's max_k 40
    assert main(["run", "--port", "sim:tiny", "--weights", str(tmp_path / "big.npy"),
                 "--inputs", str(tmp_path / "big.npy"), "--out", str(tmp_path / "y.npy")]) == 2
    assert "outside the device's" in capsys.readouterr().err
