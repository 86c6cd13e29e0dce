"""``HostLink``: the framed byte protocol of hw/protocol.py in gateware, around a BitLinear array.

Bytes in on ``rx``, bytes out on ``tx``: a board adds a UART (or any byte pipe) and clocks. A
request is buffered whole in block RAM and executed only after its CRC checked out, so a broken
frame never reaches the array. Results of TOKENS stream straight from ``acc_out`` into the reply
while the tokens are still going in. No multiplier anywhere: lengths are counted, not computed.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, DomainRenamer, Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from amaranth.lib.cdc import FFSynchronizer, PulseSynchronizer

from .bitlinear import BitLinear
from .cdc import HandshakeCDC
from .config import ArrayConfig
from .bram import ebr_memory, ebr_read_port
from .uart import UARTReceiver, UARTTransmitter
from .protocol import (DEVICE_SYNC, HOST_SYNC, MAX_PAYLOAD, MAX_REPLY, Command, Status,
                       identify_payload, weight_beat_bytes)

__all__ = ["HostLink", "UARTHostLink", "check_link_config", "crc16_next"]


def crc16_next(m: Module, crc, byte) -> Signal:
    """A signal holding CRC-16/CCITT-FALSE after one more byte: XOR logic, each of the eight
    bit steps its own signal (chaining them as expressions would repeat each step twice)."""
    value = Signal(16, name="crc_step_0")
    m.d.comb += value.eq(crc ^ (byte << 8))
    for step in range(1, 9):
        following = Signal(16, name=f"crc_step_{step}")
        m.d.comb += following.eq((value << 1) ^ (value[15].replicate(16) & 0x1021))
        value = following
    return value


def check_link_config(config: ArrayConfig) -> None:
    """What the protocol can carry (ValueError otherwise): ternary weights, int8 activations,
    int32 accumulators. Boards call it before building anything around the link."""
    if not config.ternary:
        raise ValueError(f"the host link carries 2-bit trit weights; pe_kind {config.pe_kind!r} "
                         f"is the int8 baseline, built for benchmarks only (--top bench)")
    if config.acc_bits > 32:
        raise ValueError(f"the host link sends int32 accumulators; acc_bits must be <= 32, "
                         f"got {config.acc_bits} (max_k {config.max_k})")
    if config.act_bits != 8:
        raise ValueError(f"the host link sends one byte per activation code; "
                         f"act_bits must be 8, got {config.act_bits}")


class HostLink(wiring.Component):
    """Protocol engine plus the BitLinear array it drives.

    Members
    -------
    rx : In(stream.Signature(8))
        Request bytes.
    tx : Out(stream.Signature(8))
        Reply bytes.
    busy : Out(1)
        A request is being executed or answered.

    The protocol engine runs in ``sync``; the array in ``array_domain`` (default ``sync`` too).
    A board clocks the array fast and the link slowly (the UART needs little): beats cross with a
    :class:`~hw.cdc.HandshakeCDC` each way (payloads are held by their source, so nothing is
    copied), ``weights_loaded`` through two flops, ``perf_clear`` as a synchronized pulse; the
    shape (``k``, ``n``) and the performance counters are read only while they hold still. The
    same logic runs when both are ``sync``, which is what most tests simulate.
    """

    def __init__(self, config: ArrayConfig, *, timeout_cycles: int, array_domain: str = "sync"):
        if not isinstance(timeout_cycles, int) or timeout_cycles < 16:
            self._MustUse__silence = True
            raise ValueError(f"timeout_cycles must be an integer >= 16, got {timeout_cycles!r}")
        try:
            check_link_config(config)
        except ValueError:
            self._MustUse__silence = True
            raise
        self._config = config
        self._timeout = timeout_cycles
        self.array_domain = array_domain
        super().__init__({
            "rx": In(stream.Signature(8)),
            "tx": Out(stream.Signature(8)),
            "busy": Out(1),
        })

    @property
    def config(self) -> ArrayConfig:
        return self._config

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        fast = self.array_domain
        array = BitLinear(config)
        m.submodules.array = DomainRenamer(fast)(array) if fast != "sync" else array
        m.submodules.beats_cdc = beats_cdc = HandshakeCDC(i_domain="sync", o_domain=fast)
        m.submodules.results_cdc = results_cdc = HandshakeCDC(i_domain=fast, o_domain="sync")
        m.submodules.perf_clear_cdc = perf_clear_cdc = PulseSynchronizer(i_domain="sync",
                                                                          o_domain=fast)
        weights_loaded = Signal()
        m.submodules.loaded_cdc = FFSynchronizer(array.weights_loaded, weights_loaded)
        m.d.comb += array.perf_clear.eq(perf_clear_cdc.o)

        lane_bits = config.tree_depth
        w_bytes = weight_beat_bytes(config.lanes)
        identify = identify_payload(config)
        perf_bytes = 8

        # ---------------------------------------------------------------- state
        command = Signal(8)
        length = Signal(16)
        count = Signal(17)
        # Down-counters with their "== 1" kept in a register beside them: the decisions then
        # read one flop instead of an adder or a wide compare.
        left = Signal(18)                # bytes still to come
        left_last = Signal()             # left == 1
        token_left = Signal(range(config.max_chunks * config.lanes + 1))
        token_last = Signal()            # token_left == 1
        crc = Signal(16)
        crc_low = Signal(8)
        # SET_SHAPE's (k u32, n u32), kept only as wide as max_k / max_n, plus a flag for any
        # nonzero bit above: a 64-bit shift register and 32-bit compares are not needed.
        k_value = Signal(range(config.max_k + 1))
        n_value = Signal(range(config.max_n + 1))
        k_high = Signal()
        n_high = Signal()
        oversized = Signal()             # the payload is too long to buffer: discarded
        timer = Signal(range(self._timeout + 1))
        status = Signal(8)

        k = Signal(range(config.max_k + 1))
        n = Signal(range(config.max_n + 1))
        shape_set = Signal()
        weights_fresh = Signal()         # a full matrix was loaded since the last SET_SHAPE
        loaded_before = Signal()
        token_bytes = Signal(range(config.max_chunks * config.lanes + 1))
        token_reply = Signal(17)         # result bytes of one token
        covered = Signal(range(config.max_n + config.rows + 1))
        more_blocks = Signal()

        reply_length = Signal(18)

        m.d.comb += [array.k.eq(k), array.n.eq(n)]
        m.d.sync += loaded_before.eq(weights_loaded)
        with m.If(weights_loaded & ~loaded_before & shape_set):
            m.d.sync += weights_fresh.eq(1)

        # ---------------------------------------------------------------- payload buffer
        # written while a request arrives, read only after it was checked: no collision to emulate
        m.submodules.buffer = buffer = ebr_memory(shape=8, depth=MAX_PAYLOAD)
        buf_wr = buffer.write_port()
        read_addr = Signal(range(MAX_PAYLOAD + 1))
        buf_rd_data = ebr_read_port(m, buffer, addr=read_addr, en=1, name="buf_rd_data")

        # ---------------------------------------------------------------- beat pusher
        # Reads the buffer a byte a cycle, assembles beats, offers them on w_in or x_in.
        push_active = Signal()
        push_weights = Signal()
        push_word = Signal(config.lanes * 8)
        push_fill = Signal(range(max(config.lanes, w_bytes) + 1))
        push_pending = Signal()          # a read was issued last cycle
        push_valid = Signal()
        beat_bytes = Signal.like(push_fill)
        m.d.comb += [
            beat_bytes.eq(Mux(push_weights, w_bytes, config.lanes)),
            array.w_in.payload.eq(push_word[:2 * config.lanes]),
            array.x_in.payload.eq(push_word),
            beats_cdc.i_valid.eq(push_valid),
            array.w_in.valid.eq(beats_cdc.o_valid & push_weights),
            array.x_in.valid.eq(beats_cdc.o_valid & ~push_weights),
            beats_cdc.o_ready.eq(Mux(push_weights, array.w_in.ready, array.x_in.ready)),
        ]
        taken = Signal()
        m.d.comb += taken.eq(beats_cdc.i_ready)
        reading = Signal()
        m.d.comb += [
            reading.eq(push_active & ~push_valid & (push_fill + push_pending < beat_bytes)
                       & (read_addr < length)),
        ]
        with m.If(reading):
            m.d.sync += read_addr.eq(read_addr + 1)
        m.d.sync += push_pending.eq(reading)
        with m.If(push_pending):
            # bytes arrive in order: shift down, the newest byte enters at the top of the beat
            with m.Switch(beat_bytes):
                for size in sorted({w_bytes, config.lanes}):
                    with m.Case(size):
                        width = size * 8
                        m.d.sync += push_word[:width].eq(Cat(push_word[8:width], buf_rd_data))
            m.d.sync += push_fill.eq(push_fill + 1)
        with m.If(push_active & ~push_valid & (push_fill == beat_bytes)):
            m.d.sync += push_valid.eq(1)
        with m.If(push_valid & taken):
            m.d.sync += [push_valid.eq(0), push_fill.eq(0)]
            with m.If(read_addr == length):
                m.d.sync += push_active.eq(0)

        # ---------------------------------------------------------------- result serializer
        # Bytes are picked straight from the array's accumulators (its output register), which
        # hold still until the beat is released: no copy of rows x 32 bits. The release is a
        # register, so the array's clock enable does not hang off the FSM and the UART.
        result_row = Signal(range(config.rows))
        result_byte = Signal(2)
        result_release = Signal()
        result_take = Signal()
        result_value = Signal(signed(32))  # sign-extended to an int32 on the wire
        m.d.comb += [
            results_cdc.i_valid.eq(array.acc_out.valid),
            array.acc_out.ready.eq(results_cdc.i_ready),
            results_cdc.o_ready.eq(result_release),
            # Array muxes: indexing the payload view or word_select with a signal would put a
            # (constant) $mul in the netlist, which the build rejects
            result_value.eq(Array(array.acc_out.payload[r]
                                  for r in range(config.rows))[result_row]),
        ]
        m.d.sync += result_release.eq(0)
        with m.If(result_take):
            m.d.sync += result_byte.eq(result_byte + 1)
            with m.If(result_byte == 3):
                with m.If(result_row == config.rows - 1):
                    m.d.sync += [result_row.eq(0), result_release.eq(1)]
                with m.Else():
                    m.d.sync += result_row.eq(result_row + 1)

        # ---------------------------------------------------------------- reply sources
        reply_source = Signal(2)  # 0 none, 1 identify ROM, 2 perf, 3 results
        # PERF reads the counters' snapshots byte by byte: they only change on an output beat,
        # and none is in flight while a PERF request is answered.
        perf_bytes_all = []
        for value in (array.perf_busy, array.perf_in_stall, array.perf_out_stall):
            for i in range(perf_bytes):
                perf_bytes_all.append(value[8 * i:8 * i + 8] if 8 * i < len(value) else Const(0, 8))
        perf_rom = Array(perf_bytes_all)
        rom = Array(Const(b, 8) for b in identify)
        payload_byte = Signal(8)
        payload_ready = Signal()
        with m.Switch(reply_source):
            with m.Case(1):
                m.d.comb += [payload_byte.eq(rom[count[:max(1, (len(identify) - 1).bit_length())]]),
                             payload_ready.eq(1)]
            with m.Case(2):
                m.d.comb += [payload_byte.eq(perf_rom[count[:5]]), payload_ready.eq(1)]
            with m.Case(3):
                m.d.comb += [payload_byte.eq(Array(result_value[8 * i:8 * i + 8] for i in range(4))[result_byte]),
                             payload_ready.eq(results_cdc.o_valid & ~result_release)]

        ACT_ERROR, ACT_IDENTIFY, ACT_PERF, ACT_PERF_CLEAR, ACT_SET_SHAPE, ACT_WEIGHTS, ACT_TOKENS = range(7)
        decided_action = Signal(3)
        decided_status = Signal(8)

        def reply(code, source=0, size=0):
            """Statements that start a reply (to be placed inside an FSM state)."""
            m.d.sync += [status.eq(code), reply_source.eq(source), reply_length.eq(size),
                         count.eq(0), left.eq(size), left_last.eq(size == 1)]
            m.d.comb += crc_start.eq(1)
            m.next = "T_SYNC"

        # One CRC unit for both directions, a cycle behind: a state puts its byte on crc_byte and
        # raises crc_add; the byte is registered and folded in on the next cycle, so the XOR tree
        # never sits behind the FSM's decode. Whoever reads crc waits for crc_busy to fall.
        crc_byte = Signal(8)
        crc_add = Signal()
        crc_byte_r = Signal(8)
        crc_add_r = Signal()
        crc_start = Signal()
        crc_busy = Signal()
        crc_next = crc16_next(m, crc, crc_byte_r)
        m.d.sync += [crc_byte_r.eq(crc_byte), crc_add_r.eq(crc_add)]
        m.d.comb += crc_busy.eq(crc_add_r)
        with m.If(crc_start):
            m.d.sync += crc.eq(0xFFFF)
        with m.Elif(crc_add_r):
            m.d.sync += crc.eq(crc_next)

        def fail(code):
            """Answer ``code``: every error goes through EXECUTE, the one place replies start."""
            m.d.sync += [decided_action.eq(ACT_ERROR), decided_status.eq(code)]
            m.next = "EXECUTE"

        def send(byte, next_state, *, checksum=True):
            m.d.comb += [self.tx.payload.eq(byte), self.tx.valid.eq(1)]
            if checksum:
                m.d.comb += [crc_byte.eq(byte), crc_add.eq(self.tx.ready)]
            with m.If(self.tx.ready):
                m.next = next_state

        # w_bytes is 1 or a power of two (lanes is), so alignment is a look at the low bits
        misaligned_weights = (length[:(w_bytes - 1).bit_length()] != 0) if w_bytes > 1 else Const(0)

        # ---------------------------------------------------------------- main FSM
        # A one-byte input register: the byte source sees a ready that is a flop, and the FSM
        # decides on a held byte (``accept`` says whether this state takes it).
        byte = Signal(8)
        held = Signal()
        accept = Signal()
        got = Signal()
        m.d.comb += [self.rx.ready.eq(~held), got.eq(held & accept)]
        with m.If(self.rx.valid & ~held):
            m.d.sync += [byte.eq(self.rx.payload), held.eq(1)]
        with m.Elif(got):
            m.d.sync += held.eq(0)
        in_frame = Signal()
        expired = Signal()   # registered, so the wide compare is not in front of every decision
        with m.If(got | ~in_frame):
            m.d.sync += [timer.eq(0), expired.eq(0)]
        with m.Elif(~expired):
            m.d.sync += [timer.eq(timer + 1), expired.eq(timer == self._timeout - 1)]
        timed_out = Signal()
        m.d.comb += timed_out.eq(in_frame & expired)

        with m.FSM(name="link") as link_fsm:
            with m.State("SYNC"):
                m.d.comb += accept.eq(1)
                with m.If(got & (byte == HOST_SYNC)):
                    m.d.comb += crc_start.eq(1)
                    m.next = "CMD"
            for state, next_state in (("CMD", "LEN0"), ("LEN0", "LEN1"), ("LEN1", None)):
                with m.State(state):
                    m.d.comb += [accept.eq(1), in_frame.eq(1), crc_byte.eq(byte),
                                 crc_add.eq(got)]
                    with m.If(timed_out):
                        fail(Status.TIMEOUT)
                    with m.Elif(got):
                        if state == "CMD":
                            m.d.sync += command.eq(byte)
                            m.next = next_state
                        elif state == "LEN0":
                            m.d.sync += length[:8].eq(byte)
                            m.next = next_state
                        else:
                            full = Cat(length[:8], byte)
                            m.d.sync += [length[8:].eq(byte), count.eq(0),
                                         token_left.eq(token_bytes), reply_length.eq(0)]
                            m.d.sync += [token_last.eq(token_bytes == 1), left.eq(full),
                                         left_last.eq(full == 1), k_high.eq(0), n_high.eq(0),
                                         oversized.eq(full > MAX_PAYLOAD)]
                            with m.If(full > MAX_PAYLOAD):
                                m.next = "DISCARD"
                            with m.Elif(full == 0):
                                m.next = "CRC0"
                            with m.Else():
                                m.next = "PAYLOAD"
            with m.State("PAYLOAD"):
                m.d.comb += [accept.eq(1), in_frame.eq(1), crc_byte.eq(byte),
                             crc_add.eq(got),
                             buf_wr.addr.eq(count), buf_wr.data.eq(byte), buf_wr.en.eq(got)]
                with m.If(timed_out):
                    fail(Status.TIMEOUT)
                with m.Elif(got):
                    m.d.sync += count.eq(count + 1)
                    with m.If(count[3:] == 0):  # bytes 0-3 are k, 4-7 are n (little endian)
                        with m.Switch(count[:3]):
                            for position in range(8):
                                value, high = (k_value, k_high) if position < 4 else (n_value, n_high)
                                low = 8 * (position % 4)
                                kept = max(0, min(8, len(value) - low))
                                with m.Case(position):
                                    if kept:
                                        m.d.sync += value[low:low + kept].eq(byte[:kept])
                                    if kept < 8:
                                        with m.If(byte[kept:] != 0):
                                            m.d.sync += high.eq(1)
                    # count whole tokens and their reply bytes as they arrive (no multiplier)
                    m.d.sync += [left.eq(left - 1), left_last.eq(left == 2)]
                    with m.If(token_last):
                        m.d.sync += [token_left.eq(token_bytes), token_last.eq(token_bytes == 1),
                                     reply_length.eq(reply_length + token_reply)]
                    with m.Else():
                        m.d.sync += [token_left.eq(token_left - 1), token_last.eq(token_left == 2)]
                    with m.If(left_last):
                        m.next = "CRC0"
            with m.State("DISCARD"):  # too long to buffer: swallow it, then say so (in CRC1)
                m.d.comb += [accept.eq(1), in_frame.eq(1)]
                with m.If(timed_out):
                    fail(Status.TIMEOUT)
                with m.Elif(got):
                    m.d.sync += [left.eq(left - 1), left_last.eq(left == 2)]
                    with m.If(left_last):
                        m.next = "CRC0"
            with m.State("CRC0"):
                m.d.comb += [accept.eq(1), in_frame.eq(1)]
                with m.If(timed_out):
                    fail(Status.TIMEOUT)
                with m.Elif(got):
                    m.d.sync += crc_low.eq(byte)
                    m.next = "CRC1"
            with m.State("CRC1"):
                m.d.comb += [accept.eq(~crc_busy), in_frame.eq(1)]
                with m.If(timed_out):
                    fail(Status.TIMEOUT)
                with m.Elif(got):
                    with m.If(oversized):
                        fail(Status.BAD_LENGTH)
                    with m.Elif(Cat(crc_low, byte) != crc):
                        fail(Status.BAD_CRC)
                    with m.Else():
                        m.next = "DECODE"
            with m.State("DECODE"):
                # All checks of a request end in two registers (action, status); the next state
                # acts on them. Deciding and acting in one cycle made this the critical path.
                action = Signal(3)
                verdict = Signal(8)
                m.d.comb += verdict.eq(Status.OK)
                with m.Switch(command):
                    with m.Case(Command.IDENTIFY, Command.PERF, Command.PERF_CLEAR):
                        with m.If(length != 0):
                            m.d.comb += verdict.eq(Status.BAD_LENGTH)
                        with m.Else():
                            m.d.comb += action.eq(Mux(command == Command.IDENTIFY, ACT_IDENTIFY,
                                                      Mux(command == Command.PERF, ACT_PERF,
                                                          ACT_PERF_CLEAR)))
                    with m.Case(Command.SET_SHAPE):
                        with m.If(length != 8):
                            m.d.comb += verdict.eq(Status.BAD_LENGTH)
                        with m.Elif(k_high | (k_value == 0) | (k_value > config.max_k)
                                    | n_high | (n_value == 0) | (n_value > config.max_n)):
                            m.d.comb += verdict.eq(Status.BAD_SHAPE)
                        with m.Else():
                            m.d.comb += action.eq(ACT_SET_SHAPE)
                    with m.Case(Command.WEIGHTS):
                        with m.If(~shape_set):
                            m.d.comb += verdict.eq(Status.NOT_READY)
                        with m.Elif((length == 0) | misaligned_weights):
                            m.d.comb += verdict.eq(Status.BAD_LENGTH)
                        with m.Else():
                            m.d.comb += action.eq(ACT_WEIGHTS)
                    with m.Case(Command.TOKENS):
                        with m.If(~shape_set):
                            m.d.comb += verdict.eq(Status.NOT_READY)
                        with m.Elif((length == 0) | (token_left != token_bytes)
                                    | (reply_length > MAX_REPLY)):
                            m.d.comb += verdict.eq(Status.BAD_LENGTH)
                        with m.Elif(~weights_fresh | ~weights_loaded):
                            m.d.comb += verdict.eq(Status.NOT_READY)
                        with m.Else():
                            m.d.comb += action.eq(ACT_TOKENS)
                    with m.Default():
                        m.d.comb += verdict.eq(Status.UNKNOWN_COMMAND)
                m.d.sync += [decided_action.eq(action), decided_status.eq(verdict)]
                m.next = "EXECUTE"
            with m.State("EXECUTE"):
                with m.Switch(decided_action):
                    with m.Case(ACT_IDENTIFY):
                        reply(Status.OK, 1, len(identify))
                    with m.Case(ACT_PERF):
                        reply(Status.OK, 2, 3 * perf_bytes)
                    with m.Case(ACT_PERF_CLEAR):
                        m.d.comb += perf_clear_cdc.i.eq(1)
                        reply(Status.OK)
                    with m.Case(ACT_SET_SHAPE):
                        m.d.sync += [
                            k.eq(k_value), n.eq(n_value), shape_set.eq(0), weights_fresh.eq(0),
                            token_bytes.eq(((k_value + config.lanes - 1) >> lane_bits) << lane_bits),
                            token_reply.eq(0), covered.eq(0), more_blocks.eq(1),  # n >= 1
                        ]
                        m.next = "SHAPE"
                    with m.Case(ACT_WEIGHTS):
                        m.d.sync += [push_active.eq(1), push_weights.eq(1), read_addr.eq(0),
                                     push_fill.eq(0)]
                        m.next = "PUSH"
                    with m.Case(ACT_TOKENS):
                        m.d.sync += [push_active.eq(1), push_weights.eq(0), read_addr.eq(0),
                                     push_fill.eq(0)]
                        reply(Status.OK, 3, reply_length)
                    with m.Default():
                        reply(decided_status)
            with m.State("SHAPE"):  # blocks = ceil(n / rows) by counting, reply bytes likewise
                with m.If(more_blocks):  # registered: covered < n, as of this cycle
                    m.d.sync += [covered.eq(covered + config.rows),
                                 more_blocks.eq(covered + config.rows < n),
                                 token_reply.eq(token_reply + config.rows * 4)]
                with m.Else():
                    m.d.sync += shape_set.eq(1)
                    reply(Status.OK)
            with m.State("PUSH"):  # weights: answer once every beat is in
                with m.If(~push_active):
                    reply(Status.OK)
            # ---- reply serializer
            with m.State("T_SYNC"):
                send(DEVICE_SYNC, "T_STATUS", checksum=False)
            with m.State("T_STATUS"):
                send(status, "T_LEN0")
            with m.State("T_LEN0"):
                send(reply_length[:8], "T_LEN1")
            with m.State("T_LEN1"):
                send(reply_length[8:16], "T_PAYLOAD")
                with m.If(self.tx.ready & (reply_length == 0)):
                    m.next = "T_CRC0"
            with m.State("T_PAYLOAD"):
                m.d.comb += crc_byte.eq(payload_byte)
                with m.If(payload_ready):
                    m.d.comb += [self.tx.payload.eq(payload_byte), self.tx.valid.eq(1),
                                 crc_add.eq(self.tx.ready)]
                    with m.If(self.tx.ready):
                        m.d.sync += [count.eq(count + 1), left.eq(left - 1), left_last.eq(left == 2)]
                        m.d.comb += result_take.eq(reply_source == 3)
                        with m.If(left_last):
                            m.next = "T_CRC0"
            with m.State("T_CRC0"):
                with m.If(~crc_busy):  # the last payload byte is folded in a cycle late
                    send(crc[:8], "T_CRC1", checksum=False)
            with m.State("T_CRC1"):
                send(crc[8:], "SYNC", checksum=False)
        # busy is an LED and a status: registered, so it shares no logic with the decisions
        m.d.sync += self.busy.eq(~(link_fsm.ongoing("SYNC") | link_fsm.ongoing("CMD")
                                   | link_fsm.ongoing("LEN0") | link_fsm.ongoing("LEN1")
                                   | link_fsm.ongoing("PAYLOAD") | link_fsm.ongoing("DISCARD")
                                   | link_fsm.ongoing("CRC0") | link_fsm.ongoing("CRC1")))
        return m


class UARTHostLink(wiring.Component):
    """A UART (8N1, ``divisor`` clocks a bit) in front of a :class:`HostLink`: what a board puts
    between its serial pins and the array, and what the simulated serial port talks to.

    Members
    -------
    rx : In(1, init=1)
    tx : Out(1, init=1)
    busy : Out(1)
    """

    def __init__(self, config: ArrayConfig, *, divisor: int, timeout_bytes: int = 64,
                 array_domain: str = "sync"):
        check_link_config(config)      # before any part exists that would then go unused
        self.uart_rx = UARTReceiver(divisor=divisor)
        self.uart_tx = UARTTransmitter(divisor=divisor)
        # a request that stops for timeout_bytes byte-times is answered with TIMEOUT
        self.link = HostLink(config, timeout_cycles=divisor * 10 * timeout_bytes,
                             array_domain=array_domain)
        self.array_domain = array_domain
        self.divisor = divisor
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "busy": Out(1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.uart_rx = rx = self.uart_rx
        m.submodules.uart_tx = tx = self.uart_tx
        m.submodules.link = link = self.link
        wiring.connect(m, rx.data, link.rx)
        wiring.connect(m, link.tx, tx.data)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx), self.busy.eq(link.busy)]
        return m
