"""``BenchHarness``: the array alone on a chip, for resource and Fmax sweeps without the host link.

A 32-bit LFSR drives every input of a :class:`BitLinear` (payload bits, valids, ready, shape) and
an XOR of every output bit leaves on one pin, so synthesis can neither drop nor simplify any of the
array, while the harness itself stays small (the LFSR and the XOR tree, ~100 LC, the same for every
PE kind). Nothing it computes is meaningful; the sweep in bench/ reads only area and timing.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from ..datapath.bitlinear import BitLinear
from ..config import ArrayConfig

__all__ = ["BenchHarness"]

#: x^32 + x^22 + x^2 + x + 1 (maximal length), Galois form.
LFSR_TAPS = 0x80200003


class BenchHarness(wiring.Component):
    """Members
    -------
    digest : Out(1)
        XOR of every output of the array, registered: route it to a pin.
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        super().__init__({"digest": Out(1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.array = array = BitLinear(self._config)
        lfsr = Signal(32, init=1)
        m.d.sync += lfsr.eq((lfsr >> 1) ^ (lfsr[0].replicate(32) & LFSR_TAPS))

        def bits(width: int, offset: int):
            """``width`` LFSR bits starting at ``offset``, wrapping around the register."""
            return Cat(lfsr[(offset + i) % 32] for i in range(width))

        for number, port in enumerate([array.w_in.payload, array.x_in.payload, array.k, array.n]):
            target = Value.cast(port)
            m.d.comb += target.eq(bits(len(target), 7 * number))
        m.d.comb += [
            array.w_in.valid.eq(lfsr[3]),
            array.x_in.valid.eq(lfsr[11]),
            array.acc_out.ready.eq(lfsr[19]),
            array.perf.clear.eq(lfsr[27] & lfsr[28] & lfsr[29]),
        ]
        outputs = Cat(array.acc_out.payload, array.acc_out.valid, array.w_in.ready,
                      array.x_in.ready, array.weights_loaded, array.perf.busy,
                      array.perf.in_stall, array.perf.out_stall)
        m.d.sync += self.digest.eq(outputs.xor())
        return m
