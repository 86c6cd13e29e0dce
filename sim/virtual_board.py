"""``python -m sim.virtual_board``: a board you do not need to own, behind a pseudo-terminal.

The gateware a board runs, UART and both clock domains included (``hw.system.accelerator.
SerialAccelerator``: UART, protocol engine, crossings, array; only the PLL and the pins are left
out), is compiled with Verilator and clocked at the board's real frequencies; its UART pins are
wired to a pseudo-terminal at the bit level, at the board's baud. It prints the terminal's path:
the host driver, ``python -m host`` and ``make demo DEMO_ARGS='--port ...'`` use it as they would
use ``/dev/ttyUSB1``. It is slower than a board (the simulation runs a few hundred thousand
cycles a second), so give the driver a generous ``timeout``.

    python -m sim.virtual_board --config icebreaker        # prints e.g. /dev/pts/5, runs until ^C
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from amaranth.back import verilog

from hw.cli import CommandLine, positive_float, positive_int
from hw.config import ArrayConfig
from hw.link.uart import uart_divisor
from hw.system.accelerator import SerialAccelerator

from .backends.verilator import VerilatorError, compile_model

__all__ = ["VirtualBoard", "build_board"]

TOP = "board_top"
DRIVER = Path(__file__).parent / "verilator" / "board.cpp"
#: The board whose clock plan and baud the virtual board copies (from the board registry).
BOARD = "icebreaker"


def _board_clocks() -> tuple[float, float, int]:
    """(link clock, array clock, baud) of ``BOARD``: its input clock, its PLL's output for its
    default target, its default baud."""
    from boards import get_board
    board = get_board(BOARD)
    return (board.input_clock_hz, board.array_clock_hz(board.default_target_hz),
            board.default_baud)


def build_board(config: ArrayConfig, *, divisor: int, baud: int = 0,
                verbose: bool = False) -> Path:
    """The Verilator model of the board's gateware for ``config`` (compiled once, cached);
    ``baud`` is what its IDENTIFY reports."""
    def write(rtl: Path) -> Path:
        rtl.mkdir(parents=True, exist_ok=True)
        top = SerialAccelerator(config, divisor=divisor, array_domain="array", baud=baud)
        path = rtl / f"{TOP}.v"
        path.write_text(verilog.convert(top, name=TOP, emit_src=False))
        return path

    from hw.export import config_key
    return compile_model(f"board_{config_key(config)}_d{divisor}", top=TOP, driver=DRIVER,
                         write_verilog=write, fingerprint=repr((config, divisor, baud)).encode(),
                         verbose=verbose)


class VirtualBoard:
    """The virtual board as a context manager: ``with VirtualBoard(config) as board:`` gives
    ``board.port``, the pseudo-terminal to open; leaving the block stops the simulation and sets
    ``board.stats``: link cycles simulated, bytes each way, and the seconds a board would have
    taken (simulated time, the host's own delays not counted)."""

    def __init__(self, config: ArrayConfig, *, link_hz: float | None = None,
                 array_hz: float | None = None, baud: int | None = None):
        board_link, board_array, board_baud = _board_clocks()
        link_hz, array_hz, baud = link_hz or board_link, array_hz or board_array, baud or board_baud
        self.divisor = uart_divisor(link_hz, baud)
        self.binary = build_board(config, divisor=self.divisor, baud=baud)
        self._periods = [str(round(1e12 / link_hz)), str(round(1e12 / array_hz))]
        self._link_hz = link_hz
        self._stats = Path(tempfile.mkdtemp(prefix="bitnet_board_")) / "stats.json"
        self.process = None
        self.port = None
        self.stats = None

    def __enter__(self) -> "VirtualBoard":
        self.process = subprocess.Popen([str(self.binary), *self._periods, str(self.divisor),
                                         str(self._stats)], stdout=subprocess.PIPE, text=True)
        self.port = self.process.stdout.readline().strip()
        if not self.port:
            self.process.kill()
            self.process.stdout.close()
            raise VerilatorError(f"the virtual board exited ({self.process.wait()}) before "
                                 f"opening its terminal")
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        if self._stats.exists():
            self.stats = json.loads(self._stats.read_text())
            self.stats["seconds"] = self.stats["link_cycles"] / self._link_hz
            shutil.rmtree(self._stats.parent, ignore_errors=True)


def main(argv=None) -> int:
    presets = ArrayConfig.presets()
    parser = CommandLine(prog="python -m sim.virtual_board", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="icebreaker", choices=sorted(presets))
    _, board_array, board_baud = _board_clocks()
    parser.add_argument("--baud", type=positive_int, default=board_baud)
    parser.add_argument("--array-mhz", type=positive_float, default=board_array / 1e6,
                        help=f"array clock (default: the {BOARD} PLL's)")
    args = parser.parse_args(argv)
    config = presets[args.config]
    try:
        print(f"compiling the virtual board for {args.config} (once per config) ...",
              file=sys.stderr, flush=True)
        board = VirtualBoard(config, array_hz=args.array_mhz * 1e6, baud=args.baud)
    except (ValueError, VerilatorError) as error:
        print(f"python -m sim.virtual_board: {error}", file=sys.stderr)
        return 2
    with board:
        print(f"virtual board ({args.config}: {config.lanes} lanes x {config.rows} rows, "
              f"{args.baud} baud, array at {args.array_mhz:g} MHz) on {board.port}", flush=True)
        print(f"  python -m host identify --port {board.port} --baud {args.baud} --timeout 30",
              flush=True)
        try:
            board.process.wait()
        except KeyboardInterrupt:
            pass
    if board.stats:
        print(f"simulated {board.stats['seconds']:.3f} s of the board: "
              f"{board.stats['bytes_to_device']:,} bytes in, {board.stats['bytes_from_device']:,} out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
