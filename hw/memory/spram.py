"""``SPRAMBank``: a weight bank in the iCE40UP5K's single-port RAM (SB_SPRAM256KA, 16 K × 16 bit).

One bank is ``width / 16`` SPRAMs side by side, 16 K words deep, with the read behaviour of the
EBR banks it replaces: a registered read one cycle after ``rd_en``, the word held while ``rd_en``
is low. The port is single: a cycle either writes (``wr_en``) or reads, and the weight memory never
needs both (tokens wait until the matrix is loaded).

On an iCE40 platform each slice is the ``SB_SPRAM256KA`` primitive (``lib.memory.Memory`` is never
mapped onto SPRAM); anywhere else (simulation, exported Verilog) the bank is a behavioural memory
with the same timing. ``primitive=True`` forces the primitive, so a test can check the wiring
against yosys's own simulation model of the cell.
"""

from __future__ import annotations

from amaranth.hdl import ClockSignal, Const, Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .geometry import SPRAM_BITS, SPRAM_WORDS

__all__ = ["SPRAMBank"]


def _is_ice40(platform) -> bool:
    from amaranth.vendor import SiliconBluePlatform
    return isinstance(platform, SiliconBluePlatform)


class SPRAMBank(wiring.Component):
    """Members
    -------
    addr : In(range(depth))
    wr_data : In(width)
    wr_en : In(1)
    rd_en : In(1)
    rd_data : Out(width)
        The word at ``addr`` of the last cycle with ``rd_en`` and not ``wr_en``.
    """

    def __init__(self, *, width: int, depth: int = SPRAM_WORDS, primitive: bool | None = None):
        if not isinstance(width, int) or width < SPRAM_BITS or width % SPRAM_BITS:
            raise ValueError(f"width: expected a positive multiple of {SPRAM_BITS}, got {width!r}")
        if not isinstance(depth, int) or not 1 <= depth <= SPRAM_WORDS:
            raise ValueError(f"depth: expected 1..{SPRAM_WORDS} words, got {depth!r}")
        self._width, self._depth, self._primitive = width, depth, primitive
        super().__init__({
            "addr": In(range(depth)),
            "wr_data": In(width),
            "wr_en": In(1),
            "rd_en": In(1),
            "rd_data": Out(width),
        })

    @property
    def sprams(self) -> int:
        return self._width // SPRAM_BITS

    def elaborate(self, platform) -> Module:
        m = Module()
        primitive = self._primitive if self._primitive is not None else _is_ice40(platform)
        if primitive:
            address = Signal(14)
            m.d.comb += address.eq(self.addr)
            for index in range(self.sprams):
                bits = slice(index * SPRAM_BITS, (index + 1) * SPRAM_BITS)
                m.submodules[f"spram_{index}"] = Instance(
                    "SB_SPRAM256KA",
                    i_ADDRESS=address, i_DATAIN=self.wr_data[bits],
                    i_MASKWREN=Const(0b1111, 4), i_WREN=self.wr_en,
                    i_CHIPSELECT=self.wr_en | self.rd_en, i_CLOCK=ClockSignal(),
                    # STANDBY/SLEEP high and POWEROFF low (it is active low) switch the RAM off
                    i_STANDBY=Const(0), i_SLEEP=Const(0), i_POWEROFF=Const(1),
                    o_DATAOUT=self.rd_data[bits])
        else:
            m.submodules.mem = mem = Memory(shape=self._width, depth=self._depth, init=[])
            write = mem.write_port()
            read = mem.read_port(domain="comb")
            m.d.comb += [
                write.addr.eq(self.addr), write.data.eq(self.wr_data), write.en.eq(self.wr_en),
                read.addr.eq(self.addr),
            ]
            with m.If(self.rd_en & ~self.wr_en):
                m.d.sync += self.rd_data.eq(read.data)
        return m
