"""Boards: one module per board and one line here. Only boards/ touches pins."""

from __future__ import annotations

import importlib

from .base import Board

__all__ = ["BOARDS", "FAMILIES", "Board", "get_board"]

#: name -> "module:class"; adding a board is one module plus one line.
BOARDS = {
    "icebreaker": "boards.icebreaker:ICEBreaker",
    "tang-nano-9k": "boards.tang_nano_9k:TangNano9K",
    "tang-primer-20k": "boards.tang_primer_20k:TangPrimer20K",
    "ulx3s-12f": "boards.ulx3s:ULX3S12F",
    "ulx3s-25f": "boards.ulx3s:ULX3S25F",
    "ulx3s-45f": "boards.ulx3s:ULX3S45F",
    "ulx3s-85f": "boards.ulx3s:ULX3S85F",
}

#: FPGA family -> its module (PLL, build stages, DSP cells, netlist simulation models, ...).
FAMILIES = {"ice40": "boards.ice40", "ecp5": "boards.ecp5", "gowin": "boards.gowin"}


def get_board(name: str) -> Board:
    if name not in BOARDS:
        raise ValueError(f"unknown board {name!r}; known boards: {', '.join(sorted(BOARDS))}")
    module, cls = BOARDS[name].split(":")
    return getattr(importlib.import_module(module), cls)()
