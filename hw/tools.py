"""Small helpers for running external tools (YoWASP, Verilator, cocotb) from Python."""

from __future__ import annotations

import contextlib
import os

__all__ = ["temporary_environ"]


@contextlib.contextmanager
def temporary_environ(changes: dict):
    """Set environment variables for the duration of a block (tools read them from os.environ),
    then put back exactly what was there."""
    saved = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
