"""What a board module provides to hw.build, hw.resources, the host driver docs and the benchmarks."""

from __future__ import annotations

from hw.config import ArrayConfig
from hw.link.protocol import DEFAULT_BAUD

__all__ = ["Board", "ProgrammingFailed"]


class ProgrammingFailed(RuntimeError):
    """The board could not be programmed (no programmer installed, or it failed)."""


class Board:
    """A board: its platform (the source of device facts and of programming), its clock plan and
    its default array.

    Subclasses set ``name``, ``input_clock_hz``, ``default_target_hz``, ``default_baud`` (if not
    the protocol's ``DEFAULT_BAUD``), ``family`` (the module of their FPGA family, e.g.
    ``boards.ice40``: its ``BUILD_STAGES`` (``[(stage, file that ends it), ...]``), ``BUILD_LOGS``
    (tool -> log file), ``BITSTREAM``, ``DSP_CELLS`` (the netlist cells that multiply),
    ``UTILIZATION`` (report field -> nextpnr's name), ``TOOL_ENV`` (the YoWASP tools) and
    ``synth_opts(dsp)``) and implement ``platform()``, ``default_config()``, ``budget`` (lc, ebr, spram, dsp of the device),
    ``array_clock_hz(target_hz)`` (what the clock plan makes of a target), ``top(config,
    target_hz=..., baud=...)`` (the full board: clock, host link, array) and ``bench_top(config,
    target_hz=...)`` (clock and ``hw.system.bench_harness.BenchHarness``: the array alone, for
    resource and Fmax sweeps).
    """

    name: str
    input_clock_hz: float
    default_target_hz: float
    default_baud: int = DEFAULT_BAUD
    family = None

    @property
    def build_stages(self) -> tuple:
        return self.family.BUILD_STAGES

    @property
    def build_logs(self) -> dict:
        return self.family.BUILD_LOGS

    @staticmethod
    def platform():
        raise NotImplementedError

    @property
    def device(self) -> str:
        """Device and package, as the platform names them."""
        platform = self.platform()
        return f"{platform.device}-{platform.package}"

    @property
    def budget(self) -> dict:
        raise NotImplementedError

    @staticmethod
    def default_config() -> ArrayConfig:
        raise NotImplementedError

    def array_clock_hz(self, target_hz: float) -> float:
        raise NotImplementedError

    def top(self, config: ArrayConfig, *, target_hz: float, baud: int):
        raise NotImplementedError

    def bench_top(self, config: ArrayConfig, *, target_hz: float):
        raise NotImplementedError

    def program(self, build_dir, name: str = "top") -> None:
        """Program the bitstream in ``build_dir`` with the platform's own programmer."""
        from amaranth.build.run import LocalBuildProducts
        try:
            self.platform().toolchain_program(LocalBuildProducts(str(build_dir)), name)
        except FileNotFoundError as error:
            raise ProgrammingFailed(f"the programmer is not installed ({error.filename}); the "
                                    f"bitstream is in {build_dir}") from None
        except Exception as error:  # the programmer's own failure (no board, no permission)
            raise ProgrammingFailed(f"programming failed: {error}") from None
