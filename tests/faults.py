# amaranth: UnusedElaboratable=no
"""Deliberately broken designs with BitLinear's signature: proof that the checkers can fail."""

from amaranth.hdl import Module
from amaranth.lib import wiring

from hw.datapath.bitlinear import BitLinear


class FlipOutputBit(wiring.Component):
    """A broken BitLinear: bit 0 of every acc_out payload is inverted. Test-only fault injection."""

    def __init__(self, config):
        self._config = config
        super().__init__(BitLinear(config).signature)   # built only for its signature

    def elaborate(self, platform):
        m = Module()
        m.submodules.inner = inner = BitLinear(self._config)
        wiring.connect(m, wiring.flipped(self.w_in), inner.w_in)
        wiring.connect(m, wiring.flipped(self.x_in), inner.x_in)
        wiring.connect(m, inner.perf, wiring.flipped(self.perf))
        m.d.comb += [
            inner.k.eq(self.k), inner.n.eq(self.n), inner.w_base.eq(self.w_base),
            inner.w_resident.eq(self.w_resident),
            self.weights_loaded.eq(inner.weights_loaded),
            self.acc_out.valid.eq(inner.acc_out.valid), inner.acc_out.ready.eq(self.acc_out.ready),
            self.acc_out.payload.eq(inner.acc_out.payload.as_value() ^ 1),
        ]
        return m
