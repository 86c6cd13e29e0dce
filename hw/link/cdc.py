"""Stream handshakes across clock domains, for payloads that the source holds still."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["HandshakeCDC"]


class HandshakeCDC(wiring.Component):
    """Moves the valid/ready handshake of a stream from ``i_domain`` to ``o_domain``.

    The payload is not copied: a stream source holds its payload from ``valid`` until the beat is
    taken, so the sink may read it across the domains while ``o_valid`` is high (it was stable for
    at least one ``i_domain`` cycle and two ``o_domain`` cycles before). A beat is a toggle of
    ``req`` (source side) answered by a toggle of ``ack`` (sink side), each through a two-flop
    synchronizer; ``i_ready`` and ``o_valid`` are flops. One beat is in flight
    at a time: about three cycles of each domain per beat, one more of the sink's. Works with ``i_domain == o_domain``.

    Members
    -------
    i_valid : In(1)
    i_ready : Out(1)
        The beat was taken (a one-cycle pulse in ``i_domain``, while ``i_valid`` is high).
    i_ready_next : Out(1)
        What ``i_ready`` will be in the next cycle (logic of flops only), for a source that
        wants its own handshake registered (``BitLinear(ready_ahead=True)``).
    o_valid : Out(1)
    o_ready : In(1)
    """

    def __init__(self, *, i_domain: str = "sync", o_domain: str = "sync"):
        self._i_domain = i_domain
        self._o_domain = o_domain
        super().__init__({"i_valid": In(1), "i_ready": Out(1), "i_ready_next": Out(1),
                          "o_valid": Out(1), "o_ready": In(1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        src, dst = m.d[self._i_domain], m.d[self._o_domain]
        req = Signal()          # source side: toggles when a beat is offered
        ack = Signal()          # sink side: toggles when the beat is taken
        req_seen = Signal()     # req, in the sink's domain
        ack_seen = Signal()     # ack, in the source's domain
        m.submodules.req_sync = FFSynchronizer(req, req_seen, o_domain=self._o_domain)
        m.submodules.ack_sync = FFSynchronizer(ack, ack_seen, o_domain=self._i_domain)

        busy = Signal()         # a beat is offered and not yet acknowledged
        m.d.comb += self.i_ready_next.eq(busy & (ack_seen == req))
        src += self.i_ready.eq(self.i_ready_next)
        with m.If(self.i_valid & ~busy & ~self.i_ready):
            src += [req.eq(~req), busy.eq(1)]
        with m.If(self.i_ready_next):
            src += busy.eq(0)

        # o_valid is a flop (a beat waits one more sink cycle): the sink's handshake logic then
        # starts from a register, not from the synchronizer's XOR (a critical path on the UP5K)
        ack_next = Signal()
        m.d.comb += ack_next.eq(ack ^ (self.o_valid & self.o_ready))
        dst += [ack.eq(ack_next), self.o_valid.eq(req_seen != ack_next)]
        return m
