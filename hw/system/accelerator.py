"""What a board drops in: the protocol engine, the BitLinear array and the clock crossings between
them (``LinkedArray``), and the same behind a UART (``SerialAccelerator``)."""

from __future__ import annotations

from amaranth.hdl import DomainRenamer, Module, Mux, ResetInserter, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer, PulseSynchronizer
from amaranth.lib.wiring import In, Out

from ..config import ArrayConfig
from ..datapath.bitlinear import BitLinear
from ..link.cdc import HandshakeCDC
from ..link.engine import HostLink
from ..link.uart import UARTReceiver, UARTTransmitter

__all__ = ["LinkedArray", "SerialAccelerator"]


class LinkedArray(wiring.Component):
    """The host link's protocol engine (``sync``) driving a BitLinear array (``array_domain``).

    A board clocks the array fast and the link slowly (the UART needs little): beats cross with a
    :class:`~hw.link.cdc.HandshakeCDC` each way (payloads are held by their source, so nothing is
    copied; one crossing serves both input streams, as only one offers a beat at a time),
    ``weights_loaded`` through two flops, the counters' clear and the array's reset (SET_SHAPE,
    RESET) as synchronized pulses; the shape
    and the counters are read only while they hold still. The same logic runs when both are
    ``sync``, which is what most tests simulate.

    Members
    -------
    rx : In(stream.Signature(8))
    tx : Out(stream.Signature(8))
    busy : Out(1)
    """

    def __init__(self, config: ArrayConfig, *, timeout_cycles: int, array_domain: str = "sync",
                 baud: int = 0):
        # the engine checks the config first; IDENTIFY reports the baud
        self.engine = HostLink(config, timeout_cycles=timeout_cycles, baud=baud)
        # the results crossing's ready is a flop, known a cycle early: the array's enable is
        # then a register, not logic behind a ready that comes from across the die
        self.array = BitLinear(config, ready_ahead=True)
        self.array_domain = array_domain
        super().__init__({"rx": In(stream.Signature(8)), "tx": Out(stream.Signature(8)),
                          "busy": Out(1)})

    @property
    def config(self) -> ArrayConfig:
        return self.engine.config

    def elaborate(self, platform) -> Module:
        m = Module()
        fast = self.array_domain
        m.submodules.link = link = self.engine
        array = self.array
        # SET_SHAPE and RESET put the array back in its state after reset (the loader forgets a
        # matrix half loaded): a synchronous reset of the array's control, which stays beside
        # the controller (the data registers have none; when they had, the pulse crossed the
        # 85F's die to every row: its critical path, 11.8 ns, and 10.6 with the pulse a flop).
        m.submodules.restart_cdc = restart = PulseSynchronizer(i_domain="sync", o_domain=fast)
        m.d.comb += restart.i.eq(link.array_reset)
        # With row regions (an array that spans a large die) the pulse is a flop of its own
        # after the crossing: the crossing's toggle compare in front of the controller's resets
        # became a 2,048-PE build's critical path (7.5 ns of routing) once the copies' nets
        # were cut in two; the link is idle for many cycles after it, so a cycle later costs
        # nothing. On the full UP5K the flop cost the controller's enable logic its placement
        restart_pulse = restart.o
        if self.config.row_regions > 1:
            restart_pulse = Signal(name="restart_pulse")
            m.d[fast] += restart_pulse.eq(restart.o)
        restartable = ResetInserter({"sync": restart_pulse})(array)
        m.submodules.array = DomainRenamer(fast)(restartable) if fast != "sync" else restartable
        wiring.connect(m, wiring.flipped(self.rx), link.rx)
        wiring.connect(m, link.tx, wiring.flipped(self.tx))
        m.d.comb += self.busy.eq(link.busy)

        m.submodules.beats_cdc = beats = HandshakeCDC(i_domain="sync", o_domain=fast)
        weights = link.w_in.valid      # a flop, held with the beat like the payload
        m.d.comb += [
            array.w_in.payload.eq(link.w_in.payload), array.x_in.payload.eq(link.x_in.payload),
            beats.i_valid.eq(link.w_in.valid | link.x_in.valid),
            link.w_in.ready.eq(beats.i_ready), link.x_in.ready.eq(beats.i_ready),
            array.w_in.valid.eq(beats.o_valid & weights),
            array.x_in.valid.eq(beats.o_valid & ~weights),
            beats.o_ready.eq(Mux(weights, array.w_in.ready, array.x_in.ready)),
        ]
        m.submodules.results_cdc = results = HandshakeCDC(i_domain=fast, o_domain="sync")
        m.d.comb += [
            results.i_valid.eq(array.acc_out.valid), array.acc_out.ready.eq(results.i_ready),
            array.acc_ready_next.eq(results.i_ready_next),
            link.acc_out.payload.eq(array.acc_out.payload),
            link.acc_out.valid.eq(results.o_valid), results.o_ready.eq(link.acc_out.ready),
        ]
        m.submodules.perf_clear_cdc = clear = PulseSynchronizer(i_domain="sync", o_domain=fast)
        m.submodules.loaded_cdc = FFSynchronizer(array.weights_loaded, link.weights_loaded)
        m.d.comb += [
            # the counters have no reset (hw.datapath.perf): a restart clears them this way
            clear.i.eq(link.perf.clear | link.array_reset), array.perf.clear.eq(clear.o),
            link.perf.busy.eq(array.perf.busy), link.perf.in_stall.eq(array.perf.in_stall),
            link.perf.out_stall.eq(array.perf.out_stall),
            array.k.eq(link.k), array.n.eq(link.n),
            array.w_base.eq(link.w_base), array.w_resident.eq(link.w_resident),
        ]
        return m


class SerialAccelerator(wiring.Component):
    """A UART (8N1, ``divisor`` clocks a bit) in front of a :class:`LinkedArray`: what a board
    puts between its serial pins and its clocks, and what the simulated serial port talks to at
    the bit level. A request that stops for ``timeout_bytes`` byte-times is answered with TIMEOUT.
    ``baud`` is what IDENTIFY reports (the board knows its clock; 0 where the rate means nothing).

    Members
    -------
    rx : In(1, init=1)
    tx : Out(1, init=1)
    busy : Out(1)
    """

    def __init__(self, config: ArrayConfig, *, divisor: int, timeout_bytes: int = 64,
                 array_domain: str = "sync", baud: int = 0):
        self.link = LinkedArray(config, timeout_cycles=divisor * 10 * timeout_bytes,
                                array_domain=array_domain, baud=baud)
        self.uart_rx = UARTReceiver(divisor=divisor)
        self.uart_tx = UARTTransmitter(divisor=divisor)
        self.array_domain = array_domain
        self.divisor = divisor
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "busy": Out(1)})

    @property
    def config(self) -> ArrayConfig:
        return self.link.config

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.uart_rx = rx = self.uart_rx
        m.submodules.uart_tx = tx = self.uart_tx
        m.submodules.link = link = self.link
        wiring.connect(m, rx.data, link.rx)
        wiring.connect(m, link.tx, tx.data)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx), self.busy.eq(link.busy)]
        return m
