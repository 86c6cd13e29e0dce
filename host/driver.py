"""Host driver for the accelerator over its serial link: ``Accelerator(port)``.

``port`` is a device path (opened with pyserial) or any object with pyserial's ``write``/``read``
(for example ``sim.link.SimulatedSerial``, the simulated board). The host quantizes and packs with
golden/, the device computes the integer product, the host rescales exactly as golden.bitlinear:

    acc = Accelerator("/dev/ttyUSB1")
    acc.load_weights(w)        # float N×K (quantized here) or ternary codes
    y = acc.run(x)             # float M×K -> BitLinear output M×N, equal to golden.bitlinear(x, w)

Several matrices stay resident in the weight banks, each in a named slot (``golden.slots``: the
driver places them as the device's rule allows and keeps the table in ``slots``):

    acc.load_weights(w1, slot="fc1"); acc.load_weights(w2, slot="fc2")   # each sent once
    h = acc.run(x, slot="fc1"); y = acc.run(h2, slot="fc2")               # then only tokens
"""

from __future__ import annotations

import struct
import time

import numpy as np

from golden._checks import as_code_array
from golden.bitlinear import quantize_activations, quantize_weights, rescale
from golden.digits import join_products, split_codes
from golden.slots import Slot, SlotTable
from hw.formats import act_beats, weight_beats
from hw.link.protocol import (DEFAULT_BAUD, DEVICE_SYNC, FRAME_BYTES, HEADER_BYTES, MAX_PAYLOAD,
                              MAX_REPLY, OFFSET_BYTES, RESULT_BYTES, VERSION, Command,
                              ProtocolError, ShapeInfo, Status, commit_payload, encode_frame,
                              parse_identify, parse_reply, shape_payload, weight_beat_bytes,
                              weights_frame_payload)

__all__ = ["Accelerator", "ProtocolError", "NoAnswer"]

#: Replies worth asking again for: the request never executed.
RETRYABLE = (Status.BAD_CRC, Status.TIMEOUT)
#: How a weight load can fail as a whole (the device checked order and the CRC-32): worth one
#: more load from the start.
LOAD_FAILURES = (Status.BAD_ORDER, Status.BAD_CHECK, Status.NOT_READY)
#: The slot of a load without a name: the one-matrix use, which forgets every other slot.
ONLY_MATRIX = "matrix"
#: Stale replies (of requests given up on) skipped while waiting for one, at most.
MAX_STALE_REPLIES = 16
#: Bytes of a PERF reply: three u64 counters.
PERF_REPLY = struct.Struct("<QQQ")


class NoAnswer(ProtocolError):
    """Nothing that looks like the accelerator answers on this port."""


class Accelerator:
    """One accelerator behind a serial port (see the module doc). Use it as a context manager to
    close a port it opened. ``timeout`` is in seconds: how long a reply may stay silent, and how
    long the driver skips bytes that are not a reply before it gives up.

    Every request carries a sequence number that its reply echoes: replies that do not match (a
    request interrupted before its reply was read) are skipped, and a resend after a lost reply
    reuses the number, so the device does not write a WEIGHTS frame twice. A weight load is a
    transaction the device checks (frames in order, then the CRC-32 of the whole matrix); one that
    fails is loaded again once from the start. Opening sends RESET, which also ends a weight load
    an earlier host left halfway."""

    def __init__(self, port, *, baudrate: int = DEFAULT_BAUD, timeout: float = 2.0,
                 retries: int = 3, log=None):
        self._owned = isinstance(port, str)
        self._where = (f"{port} at {baudrate} baud" if self._owned
                       else getattr(port, "name", None) or type(port).__name__)
        if self._owned:
            port = self._open(port, baudrate, timeout)
        self._port = port
        self._timeout = timeout
        self._retries = retries
        self._log = log
        self._shape = None          # ShapeInfo of the selected matrix (None: tokens cannot run)
        self._selected = None       # its Slot
        self._w_scales = {}         # slot name -> the absmean scale of float weights
        self.slots = None           # golden.slots.SlotTable, once the device said its config
        self.bytes_sent = 0         # every byte this driver wrote to the port, resends included
        self.bytes_received = 0     # every byte it read, skipped ones included
        self._seq = 0
        try:
            self._drain()
            self.reset()
            identity = self.identify()
        except ProtocolError as error:
            self.close()
            if error.status != Status.TIMEOUT:
                raise
            raise NoAnswer(
                f"no reply from {self._where} within {timeout:g} s ({retries + 1} tries): is the "
                f"board programmed (python -m hw.build --board icebreaker --program), is this its "
                f"UART (the iCEBreaker's second FTDI port, usually /dev/ttyUSB1), and does the "
                f"baud match the bitstream's (hw.build --baud, default {DEFAULT_BAUD})?",
                Status.TIMEOUT) from None
        self.version, self.config, self.baud = identity
        self.slots = SlotTable(self.config)
        problem = None
        if self.version[0] != VERSION[0]:
            problem = (f"{self._where} speaks protocol {self.version[0]}.{self.version[1]}, this "
                       f"host {VERSION[0]}.{VERSION[1]}: rebuild the bitstream from this checkout "
                       f"(python -m hw.build --board ... --program)")
        elif self._owned and self.baud and self.baud != baudrate:
            problem = (f"{self._where}: the bitstream says it runs at {self.baud} baud; open the "
                       f"port with that rate (--baud {self.baud})")
        if problem:
            self.close()
            raise ProtocolError(problem)

    @staticmethod
    def _open(path: str, baudrate: int, timeout: float):
        try:
            import serial
        except ImportError:
            raise RuntimeError("pyserial is needed to open a device path: pip install pyserial") from None
        try:
            return serial.Serial(path, baudrate=baudrate, timeout=timeout)
        except (serial.SerialException, ValueError) as error:
            raise NoAnswer(f"cannot open {path} at {baudrate} baud: {error}") from None

    def close(self) -> None:
        """Close the port if this driver opened it."""
        if self._owned:
            self._port.close()

    def __enter__(self) -> "Accelerator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ link
    def _read_exact(self, size: int) -> bytes:
        """``size`` bytes, however slowly they come, as long as the port is never silent for a
        whole read timeout (a simulated board is slow but steady)."""
        data = bytearray()
        while len(data) < size:
            chunk = self._port.read(size - len(data))
            if not chunk:
                raise ProtocolError(f"timed out: {len(data)} of {size} reply bytes arrived",
                                    Status.TIMEOUT)
            data += chunk
            self.bytes_received += len(chunk)
        return bytes(data)

    def _read_reply(self) -> tuple[int, Status, bytes]:
        skipped = 0
        deadline = time.monotonic() + self._timeout
        while True:  # skip anything before the sync byte (a torn earlier reply)
            first = self._read_exact(1)
            if first[0] == DEVICE_SYNC:
                break
            skipped += 1
            if time.monotonic() > deadline:
                raise NoAnswer(f"{self._where} sends bytes that are not replies ({skipped} in "
                               f"{self._timeout:g} s): is this the accelerator's port, at its baud?")
        head = self._read_exact(HEADER_BYTES - 1)
        length = struct.unpack_from("<H", head, HEADER_BYTES - 3)[0]
        rest = self._read_exact(length + FRAME_BYTES - HEADER_BYTES)
        return parse_reply(first + head + rest)

    def _reply_to(self, seq: int) -> tuple[Status, bytes]:
        """The reply echoing ``seq``, skipping stale ones."""
        for _ in range(MAX_STALE_REPLIES):
            got, status, reply = self._read_reply()
            if got == seq:
                return status, reply
            if self._log:
                self._log(f"skipped a stale reply (seq {got}, waiting for {seq})")
        raise ProtocolError(f"{MAX_STALE_REPLIES} replies in a row to other requests than {seq}")

    def transact(self, command: Command, payload: bytes = b"", *, reply_bytes: int | None = 0) -> bytes:
        """Send one request, return the reply payload (``reply_bytes`` long, unless None); retry
        when the device saw a broken frame or the reply was lost; raise ``ProtocolError`` on any
        other error status or a reply of the wrong length."""
        self._seq = (self._seq + 1) & 0xFF
        frame = encode_frame(command, payload, self._seq)
        for attempt in range(self._retries + 1):
            self._port.write(frame)     # a resend keeps the number: the device knows it
            self.bytes_sent += len(frame)
            try:
                status, reply = self._reply_to(self._seq)
            except ProtocolError as error:
                if attempt == self._retries:
                    raise
                if self._log:
                    self._log(f"{command.name}: {error}; retrying")
                self._drain()
                continue
            if status == Status.OK:
                if reply_bytes is not None and len(reply) != reply_bytes:
                    raise ProtocolError(f"{command.name}: the reply has {len(reply)} payload "
                                        f"bytes, expected {reply_bytes}")
                return reply
            if status in RETRYABLE and attempt < self._retries:
                if self._log:
                    self._log(f"{command.name}: device answered {status.name}; retrying")
                continue
            raise ProtocolError(f"{command.name} failed: {status.name}", status)
        raise AssertionError("unreachable")

    def _drain(self):
        reset = getattr(self._port, "reset_input_buffer", None)
        if reset:
            time.sleep(0.01)
            reset()

    # ------------------------------------------------------------------ commands
    def reset(self) -> None:
        """Return the device to idle: no shape, no matrix, no slot (a load left halfway is
        forgotten)."""
        self._forget_selection()        # first: a RESET cut off after its write still counts
        self._w_scales.clear()
        if self.slots is not None:
            self.slots.clear()
        self.transact(Command.RESET)

    def _forget_selection(self) -> None:
        self._shape = None
        self._selected = None

    def identify(self):
        """The device's :class:`~hw.link.protocol.Identity`: version, ArrayConfig, baud."""
        return parse_identify(self.transact(Command.IDENTIFY, reply_bytes=None))

    def _check_shape(self, k: int, n: int) -> None:
        config = self.config
        if not 1 <= k <= config.max_k or not 1 <= n <= config.max_n:
            raise ValueError(f"shape K={k}, N={n} is outside the device's 1..{config.max_k} × "
                             f"1..{config.max_n}")

    def set_shape(self, k: int, n: int, base: int = 0) -> ShapeInfo:
        """Start a load of a K×N matrix into the slot at word ``base`` (the slots there and above
        are gone once the device says OK). ``load_weights`` is the whole transaction."""
        self._check_shape(k, n)
        self._forget_selection()        # no matrix to run until a load of this shape commits
        self.slots.forget_from(base)
        self.transact(Command.SET_SHAPE, shape_payload(k, n, base))
        return ShapeInfo.of(self.config, k, n)

    def load_weights(self, w, slot: str | None = None) -> Slot:
        """Load an N×K matrix: float weights are quantized with golden (absmean), integer ones
        must already be ternary codes. With ``slot``, it stays resident beside the others under
        that name (``golden.slots.SlotError`` if it does not fit); without, it is the only
        matrix (every slot is forgotten). It is then selected: ``run``/``run_codes`` use it."""
        array = np.asarray(w)
        if array.dtype.kind in "iu":
            codes, scale = as_code_array(array, "w", low=-1, high=1, ndim=2), None
        else:
            codes, scale = quantize_weights(array)
        n, k = codes.shape
        self._check_shape(k, n)
        if slot is None:    # at word 0: its SET_SHAPE drops every slot (set_shape says so)
            place = SlotTable(self.config).plan(ONLY_MATRIX, n, k)
        else:
            place = self.slots.plan(slot, n, k)
        data = weight_beats(self.config, codes).tobytes()     # lanes past K: zero trits
        beat = weight_beat_bytes(self.config)
        per_frame = ((MAX_PAYLOAD - OFFSET_BYTES) // beat) * beat
        for attempt in range(2):
            shape = self.set_shape(k, n, place.base)
            try:
                for start in range(0, len(data), per_frame):
                    self.transact(Command.WEIGHTS,
                                  weights_frame_payload(start, data[start:start + per_frame]))
                self.transact(Command.COMMIT, commit_payload(data))
            except ProtocolError as error:
                if attempt or error.status not in LOAD_FAILURES:
                    raise
                if self._log:
                    self._log(f"weight load failed ({error}); loading again from the start")
                continue
            self.slots.place(place)
            self._w_scales = {name: v for name, v in self._w_scales.items() if name in self.slots}
            self._w_scales[place.name] = scale
            self._shape, self._selected = shape, place
            return place

    def select(self, slot: str) -> None:
        """Make the resident matrix ``slot`` the one tokens run through."""
        place = self.slots[slot]                 # SlotError if it is not resident
        if self._selected == place:
            return
        self._forget_selection()
        self.transact(Command.SELECT, shape_payload(place.k, place.n, place.base))
        self._shape, self._selected = ShapeInfo.of(self.config, place.k, place.n), place

    def run_codes(self, x_codes, slot: str | None = None) -> np.ndarray:
        """Integer product of int8 codes (M×K) with the selected ternary matrix (or the resident
        one in ``slot``): int32 M×N. On a device with narrower activations (``act_bits=4``)
        codes that do not fit run as one pass a signed digit (golden.digits), joined exactly."""
        if slot is not None:
            self.select(slot)
        if self._shape is None:
            raise RuntimeError("load_weights first (or select a resident slot)")
        x = as_code_array(x_codes, "x_codes", low=-128, high=127, ndim=2)
        k = self._selected.k
        if x.shape[1] != k:
            raise ValueError(f"x_codes: K = {x.shape[1]}, but the selected matrix "
                             f"({self._selected.name!r}) has K = {k}")
        if self._shape.token_bytes > MAX_PAYLOAD:
            raise ValueError(f"one token is {self._shape.token_bytes} bytes, over the "
                             f"{MAX_PAYLOAD}-byte frame limit")
        parts = [(shift, self._run_fitting(digits))
                 for shift, digits in split_codes(x, self.config.act_bits)]
        return join_products(parts).astype(np.int32)

    def _run_fitting(self, x: np.ndarray) -> np.ndarray:
        """TOKENS frames for codes that fit the device's ``act_bits``: int64 M×N."""
        shape, n = self._shape, self._selected.n
        per_frame = max(1, min(MAX_PAYLOAD // shape.token_bytes, MAX_REPLY // shape.token_reply_bytes))
        results = []
        for start in range(0, x.shape[0], per_frame):
            tokens = x[start:start + per_frame]
            reply = self.transact(Command.TOKENS, act_beats(self.config, tokens).tobytes(),
                                  reply_bytes=len(tokens) * shape.token_reply_bytes)
            acc = np.frombuffer(reply, dtype=f"<i{RESULT_BYTES}").reshape(len(tokens), -1)
            results.append(acc[:, :n])
        return np.concatenate(results).astype(np.int64)

    def run(self, x, slot: str | None = None) -> np.ndarray:
        """BitLinear forward: quantize ``x`` on the host, integer product on the device (the
        selected matrix, or ``slot``'s), rescale on the host in golden's order:
        ``acc / (w_scale * x_scale)``."""
        if slot is not None:
            self.select(slot)
        w_scale = self._w_scales.get(self._selected.name) if self._selected else None
        if w_scale is None:
            raise RuntimeError("run() needs float weights (load_weights(w_float)); use run_codes")
        codes, x_scale = quantize_activations(x)
        acc = self.run_codes(codes.reshape(-1, codes.shape[-1]))
        return rescale(acc.reshape(*codes.shape[:-1], -1), w_scale, x_scale)

    def perf(self) -> dict:
        busy, in_stall, out_stall = PERF_REPLY.unpack(
            self.transact(Command.PERF, reply_bytes=PERF_REPLY.size))
        return {"busy": busy, "in_stall": in_stall, "out_stall": out_stall}

    def clear_perf(self) -> None:
        self.transact(Command.PERF_CLEAR)
