"""What every command line of the project shares: a parser whose errors are one line naming the
argument (exit 2, before any work starts), and argument types that refuse bad values."""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["CommandLine", "positive_int", "non_negative_int", "positive_float",
           "non_negative_float", "output_dir", "output_file"]


class CommandLine(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with one-line errors: ``prog: message (--help for usage)``."""

    def error(self, message: str):
        print(f"{self.prog}: {message} (--help for usage)", file=sys.stderr)
        raise SystemExit(2)


def _number(text: str, kind, low, inclusive: bool):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    if value < low or (value == low and not inclusive):
        bound = f">= {low}" if inclusive else f"> {low}"
        raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
    return value


def positive_int(text: str) -> int:
    return _number(text, int, 0, inclusive=False)


def non_negative_int(text: str) -> int:
    return _number(text, int, 0, inclusive=True)


def positive_float(text: str) -> float:
    return _number(text, float, 0.0, inclusive=False)


def non_negative_float(text: str) -> float:
    return _number(text, float, 0.0, inclusive=True)


def _writable(directory: Path, text: str) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise argparse.ArgumentTypeError(
            f"cannot write to {text} ({error.strerror or error})") from None


def output_dir(text: str) -> Path:
    """A directory the command will write into: created now, so a bad path fails before work."""
    path = Path(text)
    _writable(path, text)
    return path


def output_file(text: str) -> Path:
    """A file the command will write: its directory must be writable now."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory, expected a file path")
    _writable(path.parent if str(path.parent) else Path(os.curdir), text)
    return path
