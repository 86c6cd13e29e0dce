"""``HostLink``: the protocol engine of hw.link.protocol, between a byte pipe and the array's ports.

Bytes in on ``rx``, bytes out on ``tx``; beats out on ``w_in``/``x_in``, results in on ``acc_out``,
the layer shape out on ``k``/``n``, the counters in on ``perf``. It owns no array: hw.system puts
one (and the clock crossings) behind it, a board a UART in front. A request is buffered whole in
block RAM and executed only after its CRC checked out, so a broken frame never reaches the array.
Results of TOKENS stream straight from ``acc_out`` into the reply while the tokens are still going
in. No multiplier anywhere: lengths are counted, not computed.

The parts, each its own module: ``FrameReceiver`` (frames into the buffer, CRC, timeout),
``RequestDecoder`` (checks -> action), ``BeatPusher`` (buffer -> beats), ``ResultSerializer``
(accumulators -> bytes), ``ReplyTransmitter`` (reply frames); this module holds the CRC unit they
share, the matrix CRC-32 a load is checked with, the layer shape and the load's counts, the reply's
payload sources and the short FSM that ties them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.crc import catalog
from amaranth.lib.wiring import In, Out

from golden.ints import ceil_log2

from ..config import ArrayConfig
from ..datapath.perf import PERF_COUNTERS, PerfSignature
from ..formats import acc_word_layout, act_word_layout, stored_word_layout
from ..memory.bram import ebr_memory, ebr_read_port
from .decoder import Action, RequestDecoder
from .protocol import (MAX_PAYLOAD, OFFSET_BYTES, RESULT_BYTES, ShapeInfo, Status,
                       check_link_config, identify_payload, token_beat_bytes, weight_beat_bytes)
from .pusher import BeatPusher
from .receiver import FrameReceiver
from .serializer import ResultSerializer
from .transmitter import ReplyTransmitter

__all__ = ["HostLink"]

#: Bytes of one counter in a PERF reply (u64).
PERF_BYTES = 8


@dataclass
class _Shape:
    """The engine's view of the layer shape (``k``, ``n`` are its ports) and of the load."""
    set: Signal             # a SET_SHAPE was answered OK (and no COMMIT failed since)
    committed: Signal       # a COMMIT of the whole matrix succeeded since that SET_SHAPE, or a
                            # SELECT of a resident matrix: tokens may run
    words: Signal           # words of every weight bank the matrix takes
    mark: Signal            # the end of the valid words: every slot below it is intact
    selecting: Signal       # the shape being summed is a SELECT's, not a load's
    token_bytes: Signal     # bytes of one token: ceil(k / lanes) beats of lanes bytes
    token_reply: Signal     # result bytes of one token: ceil(n / rows) beats of rows int32s
    written: Signal         # bytes of the matrix written so far
    total: Signal           # bytes of the whole matrix
    rows_left: Signal       # rows still to count while SET_SHAPE sums the sizes
    more_rows: Signal       # rows_left != 0
    row_in_block: Signal    # the counted row's place in its output block
    chunks: Signal          # ceil(k / lanes), and the bytes of a matrix row: counted when lanes
    row_bytes: Signal       # is not a power of two (else shifts of token_bytes)
    k_left: Signal          # lanes of k from the chunk being counted on


class Source(enum.IntEnum):
    """Where a reply's payload comes from."""
    NONE = 0
    IDENTIFY = 1
    PERF = 2
    RESULTS = 3


class HostLink(wiring.Component):
    """The protocol engine (see the module doc).

    Members
    -------
    rx : In(stream.Signature(8))
        Request bytes.
    tx : Out(stream.Signature(8))
        Reply bytes.
    busy : Out(1)
        A request is being executed or answered.
    k : Out(range(max_k + 1)), n : Out(range(max_n + 1))
        The layer shape of the last SET_SHAPE or SELECT.
    w_base : Out(range(bank_words)), w_resident : Out(1)
        Its slot in the weight banks; the matrix there is resident (a SELECT that checked out).
    w_in : Out(stream.Signature(stored_word_layout(config)))
    x_in : Out(stream.Signature(act_word_layout(config)))
    acc_out : In(stream.Signature(acc_word_layout(config)))
    weights_loaded : In(1)
    array_reset : Out(1)
        A one-cycle pulse: the array returns to its state after reset, forgetting a matrix half
        loaded (SET_SHAPE, RESET; the engine is idle then, nothing is in flight).
    perf : In(PerfSignature(perf_bits))
        The array's counters; ``clear`` is a one-cycle pulse.
    """

    def __init__(self, config: ArrayConfig, *, timeout_cycles: int, baud: int = 0):
        if not isinstance(timeout_cycles, int) or timeout_cycles < 16:
            raise ValueError(f"timeout_cycles must be an integer >= 16, got {timeout_cycles!r}")
        check_link_config(config)
        self._config = config
        self._timeout = timeout_cycles
        self._baud = baud
        super().__init__({
            "rx": In(stream.Signature(8)), "tx": Out(stream.Signature(8)), "busy": Out(1),
            "k": Out(range(config.max_k + 1)), "n": Out(range(config.max_n + 1)),
            "w_base": Out(range(config.bank_words)), "w_resident": Out(1),
            "w_in": Out(stream.Signature(stored_word_layout(config))),
            "x_in": Out(stream.Signature(act_word_layout(config))),
            "acc_out": In(stream.Signature(acc_word_layout(config))),
            "weights_loaded": In(1), "array_reset": Out(1),
            "perf": In(PerfSignature(config.perf_bits)),
        })

    @property
    def config(self) -> ArrayConfig:
        return self._config

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        m.submodules.receiver = rx = FrameReceiver(config, timeout_cycles=self._timeout)
        m.submodules.decoder = decoder = RequestDecoder(config)
        m.submodules.pusher = pusher = BeatPusher(config)
        m.submodules.serializer = serializer = ResultSerializer(config)
        rom_bytes = max(len(identify_payload(config, self._baud)), len(PERF_COUNTERS) * PERF_BYTES)
        m.submodules.transmitter = tx = ReplyTransmitter(rom_bytes=rom_bytes)
        wiring.connect(m, wiring.flipped(self.rx), rx.rx)
        wiring.connect(m, tx.tx, wiring.flipped(self.tx))
        wiring.connect(m, pusher.w_in, wiring.flipped(self.w_in))
        wiring.connect(m, pusher.x_in, wiring.flipped(self.x_in))
        wiring.connect(m, wiring.flipped(self.acc_out), serializer.acc)
        self._payload_buffer(m, rx, pusher)
        self._crc_unit(m, rx, tx)
        matrix_crc = self._matrix_crc(m, pusher)
        shape = self._shape(m, rx)
        wiring.connect(m, rx.request, decoder.request)
        last_seq = Signal(8)           # of the last request executed
        last_valid = Signal()
        m.d.comb += [
            decoder.repeated.eq(last_valid & (rx.request.seq == last_seq)),
            decoder.shape_set.eq(shape.set), decoder.committed.eq(shape.committed),
            decoder.weights_loaded.eq(self.weights_loaded),
            decoder.written.eq(shape.written), decoder.total.eq(shape.total),
            pusher.length.eq(rx.request.length),
        ]
        source = self._reply_payload(m, tx, serializer)
        self._fsm(m, rx, decoder, pusher, tx, shape, source, (last_seq, last_valid), matrix_crc)
        # busy is an LED and a status: registered, so it shares no logic with the decisions
        m.d.sync += self.busy.eq(rx.done)
        return m

    def _payload_buffer(self, m: Module, rx: FrameReceiver, pusher: BeatPusher) -> None:
        """One EBR of request payload: written while a request arrives, read only after it was
        checked, so there is no collision to emulate."""
        m.submodules.buffer = buffer = ebr_memory(shape=8, depth=MAX_PAYLOAD)
        write = buffer.write_port()
        m.d.comb += [write.addr.eq(rx.wr_addr), write.data.eq(rx.wr_data), write.en.eq(rx.wr_en),
                     pusher.rd_data.eq(ebr_read_port(m, buffer, addr=pusher.rd_addr, en=1,
                                                     name="buf_rd_data"))]

    def _crc_unit(self, m: Module, rx: FrameReceiver, tx: ReplyTransmitter) -> None:
        """One CRC-16/CCITT-FALSE for both directions, a cycle behind: the part that is sending or
        receiving puts its byte on ``crc_byte`` and raises ``crc_add``; the byte is registered and
        folded in on the next cycle, so the XOR tree never sits behind a decision. Whoever reads
        ``crc`` waits for ``crc_busy`` to fall."""
        m.submodules.crc = crc = catalog.CRC16_CCITT_FALSE(data_width=8).create()
        byte = Signal(8)
        add = Signal()
        start = Signal()
        m.d.sync += [byte.eq(rx.crc_byte | tx.crc_byte), add.eq(rx.crc_add | tx.crc_add)]
        m.d.comb += [
            start.eq(rx.crc_start | tx.crc_start),
            crc.start.eq(start), crc.data.eq(byte), crc.valid.eq(add & ~start),
            rx.crc.eq(crc.crc), tx.crc.eq(crc.crc), rx.crc_busy.eq(add), tx.crc_busy.eq(add),
        ]

    def _matrix_crc(self, m: Module, pusher: BeatPusher):
        """The CRC-32 of every matrix byte pushed (and then of COMMIT's four), a nibble a cycle:
        the low one as the byte is shown, the high one a cycle later (the pusher shows a matrix
        byte at most every other cycle). Half as wide as a byte-wide CRC-32; the pusher spends
        that cycle waiting for the clock crossing anyway."""
        m.submodules.matrix_crc = crc = catalog.CRC32_ISO_HDLC(data_width=4).create()
        high = Signal(4)
        high_valid = Signal()
        m.d.sync += [high.eq(pusher.rd_data[4:]), high_valid.eq(pusher.matrix_byte)]
        m.d.comb += [crc.data.eq(Mux(high_valid, high, pusher.rd_data[:4])),
                     crc.valid.eq(pusher.matrix_byte | high_valid)]
        return crc

    def _shape(self, m: Module, rx: FrameReceiver) -> "_Shape":
        """The layer shape and what follows from it, counted without multipliers: bytes a token,
        reply bytes a token, bytes of the matrix; where the load stands."""
        config = self._config
        matrix = range(ShapeInfo.of(config, config.max_k, config.max_n).weight_bytes + 1)
        shape = _Shape(set=Signal(name="shape_set"), committed=Signal(name="committed"),
                       token_bytes=Signal(range(config.max_chunks * config.lanes + 1),
                                          name="token_bytes"),
                       token_reply=Signal(17, name="token_reply"),
                       written=Signal(matrix, name="written"), total=Signal(matrix, name="total"),
                       rows_left=Signal(range(config.max_n + 1), name="rows_left"),
                       words=Signal(range(config.bank_words + 1), name="words"),
                       mark=Signal(range(config.bank_words + 1), name="mark"),
                       selecting=Signal(name="selecting"),
                       more_rows=Signal(name="more_rows"),
                       row_in_block=Signal(range(config.rows), name="row_in_block"),
                       chunks=Signal(range(config.max_chunks + 1), name="chunks"),
                       row_bytes=Signal(range(config.max_chunks * weight_beat_bytes(config) + 1),
                                        name="row_bytes"),
                       k_left=Signal(range(config.max_k + 1), name="k_left"))
        m.d.comb += [rx.token_bytes.eq(shape.token_bytes),
                     rx.token_reply.eq(shape.token_reply)]
        return shape

    def _reply_payload(self, m: Module, tx: ReplyTransmitter, serializer: ResultSerializer):
        """The reply's payload bytes: the IDENTIFY ROM, the counters' snapshots (they change only
        on an output beat, and none is in flight while PERF is answered) or the results."""
        identify = identify_payload(self._config, self._baud)
        source = Signal(Source)
        perf_bytes = []
        for name in PERF_COUNTERS:
            value = getattr(self.perf, name)
            for i in range(PERF_BYTES):
                perf_bytes.append(value[8 * i:8 * i + 8] if 8 * i < len(value) else Const(0, 8))
        rom = Array(Const(b, 8) for b in identify)
        with m.Switch(source):
            with m.Case(Source.IDENTIFY):
                m.d.comb += [tx.payload.payload.eq(
                    rom[tx.index[:max(1, ceil_log2(len(identify)))]]),
                    tx.payload.valid.eq(1)]
            with m.Case(Source.PERF):
                m.d.comb += [tx.payload.payload.eq(Array(perf_bytes)[tx.index]),
                             tx.payload.valid.eq(1)]
            with m.Case(Source.RESULTS):
                wiring.connect(m, serializer.data, tx.payload)
        return source

    def _fsm(self, m: Module, rx, decoder, pusher, tx, shape: "_Shape", source, last,
             matrix_crc) -> None:
        """Wait for a frame, decide, act, answer (echoing the request's ``seq``)."""
        action = Signal(Action)
        status = Signal(Status)
        last_seq, last_valid = last

        def reply(code, payload_source=Source.NONE, size=0):
            m.d.comb += [tx.start.eq(1), tx.status.eq(code), tx.length.eq(size),
                         tx.seq.eq(rx.request.seq)]
            m.d.sync += source.eq(payload_source)
            m.next = "REPLY"

        with m.FSM(name="engine"):
            with m.State("IDLE"):
                with m.If(rx.done & (rx.status == Status.OK)):
                    m.next = "DECODE"
                with m.Elif(rx.done):
                    m.d.sync += [action.eq(Action.ANSWER), status.eq(rx.status)]
                    m.next = "EXECUTE"
            with m.State("DECODE"):
                # every check ends in two registers; acting on them in the same cycle as deciding
                # was the critical path
                m.d.sync += [action.eq(decoder.action), status.eq(decoder.status)]
                with m.If(decoder.action != Action.ANSWER):   # it will execute: remember it
                    m.d.sync += [last_seq.eq(rx.request.seq), last_valid.eq(1)]
                m.next = "EXECUTE"
            with m.State("EXECUTE"):
                self._execute(m, action, status, rx, pusher, shape, reply, matrix_crc)
                with m.If(action == Action.RESET):
                    m.d.sync += last_valid.eq(0)
            self._shape_states(m, shape, reply)
            with m.State("PUSH"):  # weights: answer once every beat is in
                with m.If(~pusher.active):
                    reply(Status.OK)
            with m.State("CHECK"):  # COMMIT: the CRC went through the matrix CRC; did it match?
                with m.If(~pusher.active & matrix_crc.match_detected):
                    m.d.sync += [shape.committed.eq(1), shape.mark.eq(self.w_base + shape.words)]
                    reply(Status.OK)
                with m.Elif(~pusher.active):   # the load is spoilt: only SET_SHAPE starts again
                    m.d.sync += shape.set.eq(0)
                    reply(Status.BAD_CHECK)
            with m.State("REPLY"):
                with m.If(tx.done):
                    m.d.comb += rx.ack.eq(1)
                    m.next = "IDLE"

    def _shape_states(self, m: Module, shape: "_Shape", reply) -> None:
        """After SET_SHAPE or SELECT: count the chunks of k (lanes not a power of two), then sum
        the matrix's and the reply's sizes a row a cycle, and check the slot."""
        config = self._config
        w_bytes_bits = ceil_log2(weight_beat_bytes(config))
        if not config.chunks_by_shifts:   # no such state for power-of-two lanes
            with m.State("CHUNKS"):  # lanes not a power of two: a chunk of k a cycle
                with m.If(shape.k_left > config.lanes):
                    m.d.sync += [shape.k_left.eq(shape.k_left - config.lanes),
                                 shape.chunks.eq(shape.chunks + 1),
                                 shape.token_bytes.eq(shape.token_bytes
                                                      + token_beat_bytes(config)),
                                 shape.row_bytes.eq(shape.row_bytes + weight_beat_bytes(config))]
                with m.Else():
                    m.next = "SHAPE"
        with m.State("SHAPE"):  # a row a cycle: the matrix's bytes and the reply's by adding
            if config.chunks_by_shifts:
                chunks = shape.token_bytes >> ceil_log2(token_beat_bytes(config))
                row_bytes = chunks << w_bytes_bits
            else:
                chunks, row_bytes = shape.chunks, shape.row_bytes
            with m.If(shape.more_rows):  # registered: rows_left != 0, as of this cycle
                m.d.sync += [shape.total.eq(shape.total + row_bytes),
                             shape.rows_left.eq(shape.rows_left - 1),
                             shape.more_rows.eq(shape.rows_left != 1),
                             shape.row_in_block.eq(Mux(shape.row_in_block == config.rows - 1,
                                                       0, shape.row_in_block + 1))]
                with m.If(shape.row_in_block == 0):   # a new output block: rows int32s
                    m.d.sync += [shape.token_reply.eq(shape.token_reply
                                                      + config.rows * RESULT_BYTES),
                                 shape.words.eq(shape.words + chunks)]
            with m.Elif(shape.selecting):   # a resident matrix: below the mark?
                with m.If(self.w_base + shape.words <= shape.mark):
                    m.d.sync += [shape.committed.eq(1), self.w_resident.eq(1)]
                    reply(Status.OK)
                with m.Else():
                    reply(Status.BAD_SLOT)
            with m.Elif((self.w_base <= shape.mark)
                        & (self.w_base + shape.words <= config.bank_words)):
                # the load may overwrite from its base up: slots there are gone
                m.d.sync += [shape.set.eq(1), shape.mark.eq(self.w_base)]
                reply(Status.OK)
            with m.Else():
                reply(Status.BAD_SLOT)
    def _execute(self, m: Module, action, status, rx, pusher, shape: "_Shape", reply,
                 matrix_crc) -> None:
        """Act on the decision: answer from a source, take the new shape, or start the pusher."""
        config = self._config
        identify_bytes = len(identify_payload(config, self._baud))
        with m.Switch(action):
            with m.Case(Action.IDENTIFY):
                reply(Status.OK, Source.IDENTIFY, identify_bytes)
            with m.Case(Action.PERF):
                reply(Status.OK, Source.PERF, len(PERF_COUNTERS) * PERF_BYTES)
            with m.Case(Action.PERF_CLEAR):
                m.d.comb += self.perf.clear.eq(1)
                reply(Status.OK)
            with m.Case(Action.RESET):
                m.d.comb += self.array_reset.eq(1)
                m.d.sync += [shape.set.eq(0), shape.committed.eq(0), shape.mark.eq(0),
                             self.w_resident.eq(0)]
                reply(Status.OK)
            with m.Case(Action.SET_SHAPE, Action.SELECT):
                lane_bits = config.tree_depth
                k, n = rx.request.arg0, rx.request.arg1
                selecting = action == Action.SELECT
                with m.If(~selecting):   # a load starts from the array's state after reset
                    m.d.comb += [self.array_reset.eq(1), matrix_crc.start.eq(1)]
                m.d.sync += [
                    self.k.eq(k), self.n.eq(n), self.w_base.eq(rx.request.arg2),
                    self.w_resident.eq(0), shape.set.eq(0), shape.committed.eq(0),
                    shape.selecting.eq(selecting),
                    shape.token_reply.eq(0), shape.written.eq(0), shape.total.eq(0),
                    shape.words.eq(0), shape.rows_left.eq(n), shape.more_rows.eq(1),  # n >= 1
                    shape.row_in_block.eq(0),
                ]
                if config.chunks_by_shifts:
                    m.d.sync += shape.token_bytes.eq(((k + config.lanes - 1) >> lane_bits)
                                                     << ceil_log2(token_beat_bytes(config)))
                    m.next = "SHAPE"
                else:   # counted in CHUNKS
                    m.d.sync += [shape.token_bytes.eq(token_beat_bytes(config)),
                                 shape.chunks.eq(1), shape.k_left.eq(k),
                                 shape.row_bytes.eq(weight_beat_bytes(config))]
                    m.next = "CHUNKS"
            with m.Case(Action.WEIGHTS):
                beats_bytes = rx.request.length - OFFSET_BYTES
                m.d.comb += [pusher.start.eq(1), pusher.weights.eq(1),
                             pusher.first.eq(OFFSET_BYTES)]
                m.d.sync += shape.written.eq(shape.written + beats_bytes)
                m.next = "PUSH"
            with m.Case(Action.COMMIT):
                m.d.comb += [pusher.start.eq(1), pusher.check.eq(1)]
                m.next = "CHECK"
            with m.Case(Action.TOKENS):
                m.d.comb += [pusher.start.eq(1), pusher.weights.eq(0)]
                reply(Status.OK, Source.RESULTS, rx.request.reply_length)
            with m.Default():
                reply(status)
