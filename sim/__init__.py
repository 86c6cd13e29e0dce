"""Simulation harnesses shared by the tests, ``make sim`` and researchers."""

from .harness import BitLinearResult, ScoreboardError, run_bitlinear

__all__ = ["BitLinearResult", "ScoreboardError", "run_bitlinear"]
