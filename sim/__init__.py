"""Simulation harnesses shared by the tests, ``make sim`` and researchers."""

from .harness import BitLinearResult, run_bitlinear
from .scoreboard import ScoreboardError

__all__ = ["BitLinearResult", "ScoreboardError", "run_bitlinear"]
