"""Every command line refuses bad input the same way: one line on stderr naming the argument,
exit code 2, before any work starts."""

import argparse
import importlib

import pytest

from hw.cli import (non_negative_float, non_negative_int, output_dir, output_file, positive_float,
                    positive_int)


@pytest.mark.parametrize("kind, text", [
    (positive_int, "0"), (positive_int, "-3"), (positive_int, "2.5"), (positive_int, "x"),
    (non_negative_int, "-1"), (positive_float, "0"), (positive_float, "nan"),
    (positive_float, "inf"), (positive_float, "-1e3"), (non_negative_float, "nan"),
    (non_negative_float, "-0.1"),
])
def test_number_types_refuse(kind, text):
    with pytest.raises(argparse.ArgumentTypeError):
        kind(text)


def test_number_types_accept():
    assert positive_int("3") == 3 and non_negative_int("0") == 0
    assert positive_float("1e-3") == 1e-3 and non_negative_float("0") == 0.0


def test_output_paths(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert output_dir(str(tmp_path / "new" / "dir")).is_dir()
    assert output_file(str(tmp_path / "x" / "report.json")).parent.is_dir()
    for bad in (blocker / "sub", ):
        with pytest.raises(argparse.ArgumentTypeError, match="cannot write to"):
            output_dir(str(bad))
        with pytest.raises(argparse.ArgumentTypeError, match="cannot write to"):
            output_file(str(bad / "report.json"))
    with pytest.raises(argparse.ArgumentTypeError, match="is a directory"):
        output_file(str(tmp_path))


def unwritable(tmp_path) -> str:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    return str(blocker / "out")


@pytest.mark.parametrize("module, argv, names", [
    ("hw.build", ["--board", "icebreaker", "--baud", "0"], "--baud"),
    ("hw.build", ["--board", "icebreaker", "--target-mhz", "0"], "--target-mhz"),
    ("hw.build", ["--board", "icebreaker", "--target-mhz", "nan"], "--target-mhz"),
    ("hw.build", ["--board", "icebreaker", "--seed", "-1"], "--seed"),
    ("hw.build", ["--board", "icebreaker", "--out", "UNWRITABLE"], "--out"),
    ("hw.export", ["-o", "UNWRITABLE"], "-o/--out"),
    ("hw.resources", ["--out", "UNWRITABLE"], "--out"),
    ("sim.__main__", ["--out", "UNWRITABLE"], "--out"),
    ("bench.__main__", ["--out", "UNWRITABLE"], "--out"),
    ("bench.__main__", ["--seeds", "1,x"], "--seeds"),
    ("lm.__main__", ["--temperature", "nan"], "--temperature"),
    ("lm.__main__", ["--fmax-mhz", "-1"], "--fmax-mhz"),
    ("lm.__main__", ["--tokens", "0"], "--tokens"),
    ("lm.__main__", ["--baud", "0"], "--baud"),
    ("lm.__main__", ["--report", "UNWRITABLE/summary.json"], "--report"),
    ("lm.train", ["--steps", "0"], "--steps"),
    ("lm.train", ["--out", "UNWRITABLE/model.npz"], "--out"),
])
def test_bad_arguments_exit_2_with_one_line(module, argv, names, tmp_path, capsys):
    argv = [a.replace("UNWRITABLE", unwritable(tmp_path)) for a in argv]
    main = importlib.import_module(module).main
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and names in err, err
