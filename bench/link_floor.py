"""The least a host link costs on the UP5K: ``python -m bench.link_floor [--config icebreaker]``.

Issue 13 asks for a link (engine + UART + crossings) of at most 600 logic cells. This measures a
floor under any design of it that carries today's protocol to today's array: the sequencer
(``hw.link.sequencer``, running a random program: the protocol as its firmware would add ROM
words, not cells) and nothing but what the wire and the array's ports need: the UART, the beat
and result crossings, bit-serial CRC-16 and CRC-32 units (the smallest there are), the payload
buffer and its address, the beat register the array's load ports take whole, the byte selects of
a result beat and of the counters, the shape registers, and the port decoding. No protocol
logic at all. It is synthesized with ``synth_ice40`` (flattened, as nextpnr gets it) and counted
the way ``hw.resources`` counts; today's link is measured beside it from ``hw.resources``'s
breakdown of the board top. Writes ``link_floor.json`` and prints both.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from amaranth.back import rtlil
from amaranth.hdl import Array, Cat, Module, Mux, Shape, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.crc import catalog
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from boards import get_board
from hw.cli import CommandLine, output_dir
from hw.config import ArrayConfig
from hw.datapath.perf import PERF_COUNTERS
from hw.formats import acc_word_layout, act_word_layout, stored_word_layout
from hw.link.cdc import HandshakeCDC
from hw.link.protocol import MAX_PAYLOAD, RESULT_BYTES
from hw.link.sequencer import PROGRAM_DEPTH, Sequencer
from hw.link.uart import UARTReceiver, UARTTransmitter, uart_divisor
from hw.resources import breakdown, module_resources
from hw.toolchain import run_yosys, temporary_environ, yowasp_env

__all__ = ["SerialCRC", "LinkFloor", "measure", "todays_link", "main"]



class SerialCRC(wiring.Component):
    """A CRC folded in a bit a cycle: a byte in (``feed``), eight cycles later the next may
    come. ``algorithm``: one of ``amaranth.lib.crc.catalog``'s (its width, polynomial, initial
    value and bit order; no output XOR: a check compares the residue)."""

    def __init__(self, algorithm):
        self._algorithm = algorithm
        width = algorithm.crc_width
        super().__init__({"start": In(1), "feed": In(1), "byte": In(8), "crc": Out(width)})

    def elaborate(self, platform) -> Module:
        algorithm = self._algorithm
        width = algorithm.crc_width
        reflected = algorithm.reflect_input
        poly = algorithm.polynomial
        if reflected:   # LSB first: the polynomial bit-reversed, shifting right
            poly = int(f"{poly:0{width}b}"[::-1], 2)
        m = Module()
        shift = Signal(8)
        left = Signal(range(9))
        crc = self.crc
        with m.If(self.start):
            m.d.sync += [crc.eq(algorithm.initial_crc), left.eq(0)]
        with m.Elif(self.feed):
            m.d.sync += [shift.eq(self.byte), left.eq(8)]
        with m.Elif(left != 0):
            m.d.sync += left.eq(left - 1)
            if reflected:
                feedback = crc[0] ^ shift[0]
                m.d.sync += [crc.eq((crc >> 1) ^ Mux(feedback, poly, 0)), shift.eq(shift >> 1)]
            else:
                feedback = crc[-1] ^ shift[7]
                m.d.sync += [crc.eq((crc << 1)[:width] ^ Mux(feedback, poly, 0)),
                             shift.eq(shift << 1)]
        return m


class LinkFloor(wiring.Component):
    """The sequencer with the link's ports and nothing else (see the module doc). Its members
    are the board top's pins and the array's side of today's link, so synthesis keeps all of
    it."""

    def __init__(self, config: ArrayConfig):
        self._config = config
        beat = max(Shape.cast(stored_word_layout(config)).width,
                   Shape.cast(act_word_layout(config)).width)
        super().__init__({
            "rx": In(1, init=1), "tx": Out(1),
            "beat": Out(beat), "beat_valid": Out(1), "beat_ready": In(1), "weights": Out(1),
            "acc": In(acc_word_layout(config)), "acc_valid": In(1), "acc_ready": Out(1),
            "k": Out(range(config.max_k + 1)), "n": Out(range(config.max_n + 1)),
            "w_base": Out(range(config.bank_words)), "pulses": Out(4),
            "perf": In(len(PERF_COUNTERS) * config.perf_bits), "weights_loaded": In(1),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        board = get_board("icebreaker")     # the link runs on its input clock, at its baud
        divisor = uart_divisor(board.input_clock_hz, board.default_baud)
        rng = random.Random(1)
        m.submodules.sequencer = cpu = Sequencer([rng.randrange(1 << 16)
                                                  for _ in range(PROGRAM_DEPTH)])
        m.submodules.uart_rx = uart_rx = UARTReceiver(divisor=divisor)
        m.submodules.uart_tx = uart_tx = UARTTransmitter(divisor=divisor)
        m.submodules.crc16 = crc16 = SerialCRC(catalog.CRC16_CCITT_FALSE)
        m.submodules.crc32 = crc32 = SerialCRC(catalog.CRC32_ISO_HDLC)
        m.submodules.beats_cdc = beats = HandshakeCDC()
        m.submodules.results_cdc = results = HandshakeCDC()
        m.submodules.buffer = buffer = Memory(shape=8, depth=MAX_PAYLOAD, init=[])
        write, read = buffer.write_port(), buffer.read_port()
        address = Signal(range(MAX_PAYLOAD))
        m.d.comb += [uart_rx.rx.eq(self.rx), self.tx.eq(uart_tx.tx),
                     self.beat_valid.eq(beats.o_valid), beats.o_ready.eq(self.beat_ready),
                     results.i_valid.eq(self.acc_valid), self.acc_ready.eq(results.i_ready),
                     read.addr.eq(address), write.addr.eq(address), write.data.eq(cpu.io_wdata)]
        selects = self._selects(m)
        inputs = [Cat(uart_rx.data.valid, uart_rx.overrun, uart_rx.framing_error),
                  uart_rx.data.payload, uart_tx.data.ready, crc16.crc[:8], crc16.crc[8:],
                  selects["result"], selects["perf"],
                  Cat(self.weights_loaded, results.o_valid, beats.i_valid & ~beats.i_ready,
                      crc32.crc == catalog.CRC32_ISO_HDLC(data_width=8).residue()),
                  read.data]
        m.d.comb += [cpu.io_rdata.eq(Array(inputs)[cpu.io_addr[:4]]),
                     uart_rx.data.ready.eq(cpu.io_rd & (cpu.io_addr == 1))]
        with m.If(cpu.io_rd & (cpu.io_addr == 8)):   # the buffer's next byte
            m.d.sync += address.eq(address + 1)
        pulses = Signal(4)
        m.d.sync += pulses.eq(0)
        m.d.comb += self.pulses.eq(pulses)
        data = cpu.io_wdata
        buffer_write = [write.en.eq(1)]
        outputs = [
            [uart_tx.data.valid.eq(1), uart_tx.data.payload.eq(data)],
            [crc16.feed.eq(1), crc16.byte.eq(data)],
            [crc16.start.eq(1), crc32.start.eq(data[0])],
            [beats.i_valid.eq(1)],
            [crc32.feed.eq(1), crc32.byte.eq(data)],
            buffer_write,
            [results.o_ready.eq(data[2])],
        ]
        registers = [selects["result_index"], selects["perf_index"], self.weights,
                     self.k[:8], self.k[8:], self.n[:8], self.n[8:], self.w_base[:8],
                     self.w_base[8:], address[:8], address[8:], pulses,
                     selects["beat_shift"]]
        with m.If(cpu.io_wr):
            with m.Switch(cpu.io_addr[:5]):
                for port, statements in enumerate(outputs):
                    with m.Case(port):
                        m.d.comb += statements
                        if statements is buffer_write:      # the address moves on
                            m.d.sync += address.eq(address + 1)
                for port, register in enumerate(registers, start=len(outputs)):
                    with m.Case(port):
                        if register is selects["beat_shift"]:
                            m.d.sync += register.eq(Cat(register[8:], data))
                        else:
                            m.d.sync += register.eq(data)
        m.d.comb += self.beat.eq(selects["beat_shift"])
        return m

    def _selects(self, m: Module) -> dict:
        """The byte selects the sequencer reads results and counters through (a row's int32,
        then its byte, as ``ResultSerializer`` does), and the beat shift register."""
        config = self._config
        result_index = Signal(range(config.rows * RESULT_BYTES))
        value = Signal(signed(8 * RESULT_BYTES))
        m.d.comb += value.eq(Array(self.acc[row] for row in range(config.rows))
                             [result_index[2:] if config.rows > 1 else 0])
        perf_bytes = [self.perf[8 * i:8 * i + 8] for i in range(len(self.perf) // 8)]
        perf_index = Signal(range(len(perf_bytes)))
        return {"result_index": result_index, "perf_index": perf_index,
                "result": Array(value[8 * i:8 * i + 8] for i in range(RESULT_BYTES))
                          [result_index[:2]],
                "perf": Array(perf_bytes)[perf_index],
                "beat_shift": Signal(len(self.beat), name="beat_shift")}


_SCRIPT = """\
read_rtlil floor.il
synth_ice40 -top top
write_json floor.json
"""


def measure(config: ArrayConfig, out: Path) -> dict:
    """The floor's flattened iCE40 synthesis: LCs (estimated as ``hw.resources`` does), LUT4s,
    flip-flops, carries, EBRs."""
    out.mkdir(parents=True, exist_ok=True)
    floor = LinkFloor(config)
    (out / "floor.il").write_text(rtlil.convert(floor, name="top"))
    (out / "floor.ys").write_text(_SCRIPT)
    with temporary_environ(yowasp_env()):
        run_yosys(out, "floor.ys")
    netlist = json.loads((out / "floor.json").read_text())
    return module_resources(netlist["modules"]["top"])


def todays_link(config: ArrayConfig, out: Path) -> dict:
    """Today's link on the iCEBreaker's board top, as issue 13 counts it: the protocol engine,
    the UART and the clock crossings (inclusive LCs from ``hw.resources.breakdown``)."""
    instances = breakdown(config, board="icebreaker", out=out, flat=False)["instances"]
    parts = {"engine": ["link.link.link"], "uart": ["link.uart_rx", "link.uart_tx"],
             "crossings": [path for path in instances
                           if path.startswith("link.link.") and path.endswith("_cdc")]}
    counted = {name: sum(instances[path]["total"]["lc"] for path in paths)
               for name, paths in parts.items()}
    return {**counted, "lc": sum(counted.values())}


def main(argv=None) -> int:
    parser = CommandLine(prog="python -m bench.link_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="icebreaker",
                        help=f"preset ({', '.join(ArrayConfig.presets())}; default icebreaker)")
    parser.add_argument("--out", type=output_dir, default=Path("build/bench/link_floor"),
                        help="output directory (default build/bench/link_floor)")
    args = parser.parse_args(argv)
    presets = ArrayConfig.presets()
    if args.config not in presets:
        parser.error(f"unknown config {args.config!r}; known presets: {', '.join(presets)}")
    config = presets[args.config]
    out = Path(args.out)
    print(f"synthesizing the link floor for {args.config} ...", file=sys.stderr)
    floor = measure(config, out / "floor")
    print("synthesizing today's board top (hw.resources) ...", file=sys.stderr)
    today = todays_link(config, out / "today")
    report = {"config": args.config, "floor": floor, "today": today, "goal_lc": 600}
    (out / "link_floor.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'':<34} {'LC est':>7} {'LUT4':>6} {'FF':>6} {'carry':>6} {'EBR':>4}")
    print(f"{'floor (sequencer + ports only)':<34} {floor['lc']:>7} {floor['lut']:>6} "
          f"{floor['ff']:>6} {floor['carry']:>6} {floor['ebr']:>4}")
    print(f"{'today: engine + UART + crossings':<34} {today['lc']:>7}   (engine {today['engine']}, "
          f"UART {today['uart']}, crossings {today['crossings']})")
    print(f"report: {out / 'link_floor.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
