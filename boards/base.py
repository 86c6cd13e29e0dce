"""What a board module provides to hw.build, the host driver docs and the benchmarks."""

from __future__ import annotations

from hw.config import ArrayConfig

__all__ = ["Board"]


class Board:
    """A board: its platform, its device budget, its clock plan and its default array.

    Subclasses set ``name``, ``device``, ``budget`` (lc, ebr, spram, dsp), ``input_clock_hz``,
    ``default_target_hz``, ``default_baud`` and implement ``platform()``, ``default_config()`` and
    ``top(config, target_hz=..., baud=...)`` (the full board: clock, host link, array) and
    ``bench_top(config, target_hz=...)`` (clock and ``hw.bench_harness.BenchHarness``: the array
    alone, for resource and Fmax sweeps).
    """

    name: str
    device: str
    budget: dict
    input_clock_hz: float
    default_target_hz: float
    default_baud: int

    @staticmethod
    def platform():
        raise NotImplementedError

    @staticmethod
    def default_config() -> ArrayConfig:
        raise NotImplementedError

    def top(self, config: ArrayConfig, *, target_hz=None, baud=None):
        raise NotImplementedError

    def bench_top(self, config: ArrayConfig, *, target_hz=None):
        raise NotImplementedError
