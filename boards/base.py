"""What a board module provides to hw.build, hw.resources, the host driver docs and the benchmarks."""

from __future__ import annotations

from hw.config import ArrayConfig
from hw.link.protocol import DEFAULT_BAUD, check_link_config
from hw.link.uart import uart_divisor
from hw.system.accelerator import SerialAccelerator
from hw.system.bench_harness import BenchHarness

from .tops import BenchBoardTop, SerialBoardTop

__all__ = ["Board", "ProgrammingFailed"]


class ProgrammingFailed(RuntimeError):
    """The board could not be programmed (no programmer installed, or it failed)."""


class Board:
    """A board: its platform (the source of device facts and of programming), its clock plan and
    its default array.

    Subclasses set ``name``, ``input_clock_hz``, ``clock_pin``, ``default_target_hz``,
    ``default_baud`` (if not the protocol's ``DEFAULT_BAUD``), ``family`` (the module of their FPGA
    family, e.g. ``boards.ice40``: ``pll_params``, ``BUILD_STAGES`` (``[(stage, file that ends
    it), ...]``), ``BUILD_LOGS`` (tool -> log file), ``NETLIST``, ``BITSTREAM``, ``DSP_CELLS``
    (the netlist cells that multiply), ``UTILIZATION`` (report field -> nextpnr's names),
    ``TOOL_ENV`` (the tools) and ``synth_opts(dsp)``) and ``clock_reset`` (the family's PLL, its
    ``pll_params`` search, and the reset hold), and implement ``platform()``, ``default_config()``
    and ``budget`` (lc, ebr, spram, dsp of the device). The rest is here: the clock plan (``array_clock_hz``), ``top``
    (the full board: clock, host link, array) and ``bench_top`` (clock and the bench harness: the
    array alone, for resource and Fmax sweeps). A new board of a known family is one module of a
    dozen lines; a new family is one more module like ``boards/ecp5.py``.
    """

    name: str
    input_clock_hz: float
    default_target_hz: float
    #: Presets (``ArrayConfig.presets()`` names) held to another clock than the default one.
    preset_targets_hz: dict = {}
    #: Presets placed with another nextpnr router than nextpnr's default (``hw.build.ROUTERS``).
    preset_routers: dict = {}
    default_baud: int = DEFAULT_BAUD
    family = None
    clock_reset = None     # the family's clock/reset class (its PLL, the reset hold)
    clock_pin = None       # the platform's name of the input clock pin

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

    def target_hz(self, config: ArrayConfig) -> float:
        """The clock a build of ``config`` is held to when none is given: its preset's, if it
        is one of ``preset_targets_hz``, else the board's default."""
        presets = ArrayConfig.presets()
        for name, hz in self.preset_targets_hz.items():
            if presets[name] == config:
                return hz
        return self.default_target_hz

    def router(self, config: ArrayConfig) -> str | None:
        """The nextpnr router a build of ``config`` uses when none is given: its preset's, if it
        is one of ``preset_routers``, else nextpnr's default (None)."""
        presets = ArrayConfig.presets()
        return next((router for name, router in self.preset_routers.items()
                     if presets[name] == config), None)

    def array_clock_hz(self, target_hz: float) -> float:
        """What the board's PLL (its ``clock_reset``'s search) makes of ``target_hz`` from the
        board's input clock."""
        return self.clock_reset.pll_params(self.input_clock_hz, target_hz).out_hz

    def synth_opts(self, dsp: bool) -> str:
        """The synthesis options of the family (a board of another device of it may add some)."""
        return self.family.synth_opts(dsp)

    def _clock(self, target_hz: float, **domains):
        return self.clock_reset(in_hz=self.input_clock_hz, out_hz=target_hz, pin=self.clock_pin,
                                **domains)

    def top(self, config: ArrayConfig, *, target_hz: float, baud: int):
        """The full board: the array on the PLL (``array``), UART and link on the input clock."""
        check_link_config(config)   # a clear error before any part exists (and goes unused)
        link = SerialAccelerator(config, divisor=uart_divisor(self.input_clock_hz, baud),
                                 array_domain="array", baud=baud)
        return SerialBoardTop(link, self._clock(target_hz, domain="array", ref_domain="sync"))

    def bench_top(self, config: ArrayConfig, *, target_hz: float):
        """The array alone behind the bench harness, on the PLL."""
        return BenchBoardTop(BenchHarness(config), self._clock(target_hz))

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
