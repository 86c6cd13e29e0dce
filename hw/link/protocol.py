"""The host link's framed protocol: constants, CRC and frame codecs shared by gateware and host.

Host to device::

    0xA5 | seq (1) | cmd (1) | len (2, LE) | payload (len) | crc16 (2, LE)

Device to host::

    0x5A | seq (1) | status (1) | len (2, LE) | payload (len) | crc16 (2, LE)

The CRC is CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) over every byte between the
sync byte and the CRC. A reply echoes its request's ``seq``, so a host can tell the reply it waits
for from a stale one (of a request it gave up on) and skip the stale one. After any error reply the
device waits for the next sync byte and keeps serving. A frame that stops arriving (a dropped byte)
is answered with ``TIMEOUT`` once the line has been idle for ``timeout_cycles``.

A weight load is a transaction: SET_SHAPE (which returns the array to its state after reset, so a
load cut off halfway never mixes into the next, and says in which slot of the weight banks the
matrix goes), WEIGHTS frames that each say at which byte of the
matrix they start (a frame must start where the last one written ended: BAD_ORDER otherwise), then
COMMIT with the CRC-32 of the whole matrix, which the device checks against what it actually
pushed into the array, after checking that exactly the matrix's bytes arrived (NOT_READY if fewer
or more). TOKENS are NOT_READY until
a COMMIT succeeded. Matrices stay resident (golden.slots has the rule the host mirrors): the
device keeps a mark, the end of the valid words of the banks; a load may start at any base up to
the mark (BAD_SLOT beyond it, or if the matrix would not fit the banks), which moves the mark down
to that base (what lay above may be overwritten), and its COMMIT moves the mark to the matrix's
end. SELECT names a resident matrix (its shape and base) for the TOKENS that follow: BAD_SLOT
unless it lies below the mark. RESET drops every slot. The device remembers the ``seq`` of the last request it executed: a WEIGHTS
frame that comes again with that ``seq`` (the host resending because the reply was lost) is
answered OK and not written twice; a COMMIT that failed (BAD_CHECK) ends the load, and only a new
SET_SHAPE starts another.

Commands
--------
IDENTIFY        ()                    -> version, the full ArrayConfig, the baud (identify_payload)
SET_SHAPE       (k u32, n u32,        -> ()        BAD_SHAPE unless 1 <= k <= max_k, 1 <= n <= max_n;
                 base u32)                         BAD_SLOT unless base <= the mark and the matrix
                                                   (ceil(n/rows)·ceil(k/lanes) words from base)
                                                   fits the banks; starts a load into that slot
WEIGHTS         (offset u32, whole    -> ()        the matrix's bytes from ``offset`` on: rows in
                 w_in beats)                       order, ceil(K/lanes) beats a row, ceil(2·lanes/8)
                                                   bytes a beat (code t+1, 2 bits a trit, trit 0 in
                                                   the low bits), or lanes/5 bytes of five trits
                                                   with base-3 packing (golden.packing's order;
                                                   IDENTIFY says which); BAD_ORDER unless ``offset`` is
                                                   where the last frame written ended
COMMIT          (crc32 u32)           -> ()        the CRC-32 (ISO-HDLC, ``zlib.crc32``) of all the
                                                   matrix's bytes: OK, NOT_READY (bytes missing
                                                   or extra) or BAD_CHECK (they differ: load
                                                   again)
TOKENS          (whole tokens)        -> results   ceil(K/lanes) beats a token, lanes bytes a beat
                                                   (int8 codes); the reply holds, per token and
                                                   block, ``rows`` int32 LE accumulators (entries
                                                   past N are 0)
SELECT          (k u32, n u32,        -> ()        the resident matrix at ``base`` (loaded with this
                 base u32)                         k and n) serves the TOKENS that follow: BAD_SHAPE
                                                   as SET_SHAPE, BAD_SLOT unless it ends at or
                                                   below the mark; ends a load left halfway
PERF            ()                    -> busy, in_stall, out_stall (u64 LE each), counted since
                                                   the last PERF_CLEAR, SET_SHAPE or RESET (the
                                                   last two reset the whole array)
PERF_CLEAR      ()                    -> ()
RESET           ()                    -> ()        no shape, no matrix, nothing remembered: what a
                                                   host sends when it opens the port
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from golden.ints import ceil_div

from ..config import PE_KINDS, WEIGHT_PACKINGS, WEIGHT_STORES, ZERO_SKIPS, ArrayConfig
from ..formats import beat_bytes

__all__ = ["HOST_SYNC", "DEVICE_SYNC", "VERSION", "Command", "Status", "crc16",
           "encode_frame", "encode_reply", "parse_reply", "identify_payload", "parse_identify",
           "check_link_config", "ProtocolError", "MAX_PAYLOAD", "MAX_REPLY", "ShapeInfo",
           "weight_beat_bytes", "token_beat_bytes", "RESULT_BYTES", "FRAME_BYTES", "HEADER_BYTES",
           "OFFSET_BYTES", "COMMIT_BYTES", "Identity", "DEFAULT_BAUD", "matrix_crc", "weights_frame_payload", "commit_payload",
           "SHAPE_BYTES", "shape_payload"]

HOST_SYNC = 0xA5
DEVICE_SYNC = 0x5A
#: 1.0: sequence numbers, RESET; 2.0: loads are transactions (offsets, COMMIT); 3.0: resident
#: matrices (SET_SHAPE's base, SELECT); 3.1: IDENTIFY's flags byte (zero skipping); 3.2: the
#: flags' read cuts, output buffer and write cuts; 3.3: address cuts, row groups; 3.4: a second
#: write cut (flags bit 7); 3.5: a second address cut, a third write cut, row regions, output
#: slots, a sum cut (two bytes after ``row_groups - 1``); 3.6: the result chain (bit 3 of the
#: second flags byte)
VERSION = (3, 6)
#: The UART rate a board and a host use unless told otherwise (the iCEBreaker's FT2232H runs up
#: to 3 Mbaud; 1 Mbaud divides the common 12 MHz board clocks exactly and is kind to long cables).
DEFAULT_BAUD = 1_000_000
#: Largest request payload the device buffers (one EBR of 512 bytes).
MAX_PAYLOAD = 512
#: Largest reply payload (the length field is 16 bits).
MAX_REPLY = 0xFFFF

#: Bytes of one accumulator in a TOKENS reply (int32, little-endian).
RESULT_BYTES = 4
#: Bytes of a WEIGHTS frame's offset field, in front of its beats.
OFFSET_BYTES = 4
#: Bytes of COMMIT's payload: the matrix's CRC-32.
COMMIT_BYTES = 4
#: Bytes of SET_SHAPE's and SELECT's payload: k, n, base.
SHAPE_BYTES = 12


class Command(IntEnum):
    IDENTIFY = 0x01
    SET_SHAPE = 0x02
    WEIGHTS = 0x03
    TOKENS = 0x04
    PERF = 0x05
    PERF_CLEAR = 0x06
    RESET = 0x07
    COMMIT = 0x08
    SELECT = 0x09


class Status(IntEnum):
    OK = 0x00
    BAD_CRC = 0x01
    UNKNOWN_COMMAND = 0x02
    BAD_LENGTH = 0x03
    BAD_SHAPE = 0x04
    NOT_READY = 0x05
    TIMEOUT = 0x06
    BAD_ORDER = 0x07     # a WEIGHTS frame that does not start where the last one ended
    BAD_CHECK = 0x08     # COMMIT: the matrix's CRC-32 differs from what the device pushed
    BAD_SLOT = 0x09      # SET_SHAPE / SELECT: a slot past the mark, or past the banks' end


class ProtocolError(RuntimeError):
    """A reply that is malformed, or an error status from the device (``status`` says which)."""

    def __init__(self, message: str, status: Status | None = None):
        super().__init__(message)
        self.status = status


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE; ``crc16(b"123456789") == 0x29B1``."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


#: Bytes of a frame around its payload: sync, seq, code, length (2), CRC (2).
FRAME_BYTES = 7
#: Bytes before the payload: sync, seq, code, length.
HEADER_BYTES = 5


def _frame(sync: int, seq: int, code: int, payload: bytes) -> bytes:
    if len(payload) > MAX_REPLY:
        raise ValueError(f"payload of {len(payload)} bytes exceeds the 16-bit length field")
    if not 0 <= seq <= 0xFF:
        raise ValueError(f"seq {seq} is not a byte")
    body = bytes([seq, code]) + struct.pack("<H", len(payload)) + bytes(payload)
    return bytes([sync]) + body + struct.pack("<H", crc16(body))


def encode_frame(command: int, payload: bytes = b"", seq: int = 0) -> bytes:
    """A host-to-device frame."""
    return _frame(HOST_SYNC, seq, int(command), payload)


def encode_reply(status: int, payload: bytes = b"", seq: int = 0) -> bytes:
    """A device-to-host frame (what the gateware sends; used by tests)."""
    return _frame(DEVICE_SYNC, seq, int(status), payload)


def parse_reply(data: bytes) -> tuple[int, Status, bytes]:
    """Check one complete reply frame; return ``(seq, status, payload)``."""
    if len(data) < FRAME_BYTES:
        raise ProtocolError(f"reply of {len(data)} bytes is shorter than a frame ({FRAME_BYTES})")
    if data[0] != DEVICE_SYNC:
        raise ProtocolError(f"reply starts with 0x{data[0]:02X}, not the sync byte 0x{DEVICE_SYNC:02X}")
    length = struct.unpack_from("<H", data, 3)[0]
    if len(data) != FRAME_BYTES + length:
        raise ProtocolError(f"reply announces {length} payload bytes but has "
                            f"{len(data) - FRAME_BYTES}")
    body = data[1:HEADER_BYTES + length]
    (crc,) = struct.unpack_from("<H", data, HEADER_BYTES + length)
    if crc16(body) != crc:
        raise ProtocolError(f"reply CRC 0x{crc:04X} does not match 0x{crc16(body):04X}")
    try:
        status = Status(data[2])
    except ValueError:
        raise ProtocolError(f"unknown status 0x{data[2]:02X}") from None
    return data[1], status, bytes(data[HEADER_BYTES:HEADER_BYTES + length])


def matrix_crc(data: bytes) -> int:
    """The CRC-32 COMMIT carries: ISO-HDLC (zlib's), over the matrix's WEIGHTS bytes in order."""
    return zlib.crc32(bytes(data))


def commit_payload(data: bytes) -> bytes:
    """COMMIT's payload for the matrix bytes ``data``: the CRC-32, little-endian (so the device,
    folding it in after the data, sees the CRC's residue)."""
    return struct.pack("<I", matrix_crc(data))


def shape_payload(k: int, n: int, base: int = 0) -> bytes:
    """SET_SHAPE's and SELECT's payload: the matrix's K and N and its slot's first word."""
    return struct.pack("<III", k, n, base)


def weights_frame_payload(offset: int, beats: bytes) -> bytes:
    """A WEIGHTS payload: the offset of ``beats`` within the matrix's bytes, then the beats."""
    return struct.pack("<I", offset) + bytes(beats)


def check_link_config(config: ArrayConfig) -> None:
    """What the protocol can carry (ValueError otherwise): a PE kind with a wire id (ternary) and
    int32 accumulators. Activation codes travel packed as the ``x_in`` beat packs them (two 4-bit
    codes a byte), so a power-of-two ``lanes`` gives a power-of-two token beat."""
    if config.kind.wire_id is None:
        raise ValueError(f"the host link carries 2-bit trit weights; pe_kind {config.pe_kind!r} "
                         f"is the int8 baseline, built for benchmarks only (--top bench)")
    if 8 % config.act_bits:
        raise ValueError(f"the host link packs activation codes whole into bytes; act_bits must "
                         f"be 2, 4 or 8, got {config.act_bits}")
    if config.acc_bits > 8 * RESULT_BYTES:
        raise ValueError(f"the host link sends int32 accumulators; acc_bits must be <= 32, "
                         f"got {config.acc_bits} (max_k {config.max_k})")


def weight_beat_bytes(config: ArrayConfig) -> int:
    """Bytes of one ``w_in`` beat on the link (``hw.formats``: whole bytes)."""
    return beat_bytes(config.weight_word_bits)


def token_beat_bytes(config: ArrayConfig) -> int:
    """Bytes of one ``x_in`` beat on the link."""
    return beat_bytes(config.act_bits * config.lanes)


_IDENTIFY = struct.Struct("<4sBBBHHBIIBBBIB")


class Identity(NamedTuple):
    """What IDENTIFY says: the protocol version, the array, and the UART's baud (0: the link is
    not behind a UART, as in most simulations)."""
    version: tuple[int, int]
    config: ArrayConfig
    baud: int




def identify_payload(config, baud: int = 0) -> bytes:
    """What IDENTIFY returns: magic, version, every ArrayConfig field, the baud, the tree cuts,
    then a byte of flags (bits 0-1: the zero-skip mode's id in ``ZERO_SKIPS``, bits 2-3:
    ``read_cuts``, bit 4: ``output_buffer``, bits 5 and 7: ``write_cuts``' low and high bit
    (the high one since 3.4), bit 6: ``address_cuts``' low bit), ``row_groups - 1`` (since
    3.3), a second flags byte (bit 0: ``address_cuts``' high bit, bit 1: ``output_slots``
    is 2, bit 2: ``sum_cuts``, bit 3: ``result_chain`` (since 3.6)) and ``row_regions - 1``
    (since 3.5, and only where either is not zero)."""
    head = _IDENTIFY.pack(b"BNA1", VERSION[0], VERSION[1], config.kind.wire_id,
                          config.lanes, config.rows, config.act_bits, config.max_k, config.max_n,
                          config.perf_bits, WEIGHT_PACKINGS[config.weight_packing],
                          WEIGHT_STORES[config.weight_store], baud, len(config.tree_cuts))
    flags = (ZERO_SKIPS[config.zero_skip] | config.read_cuts << 2 | config.output_buffer << 4
             | (config.write_cuts & 1) << 5 | (config.address_cuts & 1) << 6
             | (config.write_cuts >> 1) << 7)
    more = bytes([config.address_cuts >> 1 | (config.output_slots >> 1) << 1
                  | config.sum_cuts << 2 | config.result_chain << 3, config.row_regions - 1])
    # without them the payload is 3.4's (a 3.5 host reads their absence as zeros)
    return (head + bytes(config.tree_cuts) + bytes([flags, config.row_groups - 1])
            + (more if any(more) else b""))


def parse_identify(payload: bytes) -> Identity:
    """The :class:`Identity` in an IDENTIFY payload; ``ProtocolError`` if it names a PE kind,
    packing or store this host does not know, or describes an invalid config."""
    if len(payload) < _IDENTIFY.size:
        raise ProtocolError(f"IDENTIFY payload of {len(payload)} bytes is too short")
    (magic, major, minor, kind, lanes, rows, act_bits, max_k, max_n, perf_bits, packing, store,
     baud, n_cuts) = _IDENTIFY.unpack_from(payload)
    if magic != b"BNA1":
        raise ProtocolError(f"IDENTIFY magic {magic!r} is not b'BNA1'")
    cuts = tuple(payload[_IDENTIFY.size:_IDENTIFY.size + n_cuts])
    rest = payload[_IDENTIFY.size + n_cuts:]
    flags = rest[0] if rest else 0          # a 3.0 device sends none: it does not skip
    row_groups = rest[1] + 1 if len(rest) > 1 else 1    # before 3.3: one group
    flags2 = rest[2] if len(rest) > 2 else 0            # before 3.5: none
    row_regions = rest[3] + 1 if len(rest) > 3 else 1
    names = {}
    for field, value, table in (
            ("PE kind", kind, {k.wire_id: name for name, k in PE_KINDS.items()
                               if k.wire_id is not None}),
            ("weight packing", packing, {v: k for k, v in WEIGHT_PACKINGS.items()}),
            ("weight store", store, {v: k for k, v in WEIGHT_STORES.items()}),
            ("zero-skip mode", flags & 3, {v: k for k, v in ZERO_SKIPS.items()})):
        if value not in table:
            raise ProtocolError(f"IDENTIFY names {field} id {value}, which this host does not "
                                f"know (known: {table}); update the host software")
        names[field] = table[value]
    try:
        config = ArrayConfig(pe_kind=names["PE kind"], lanes=lanes, rows=rows, act_bits=act_bits,
                             max_k=max_k, max_n=max_n, tree_cuts=cuts,
                             weight_packing=names["weight packing"], perf_bits=perf_bits,
                             weight_store=names["weight store"],
                             zero_skip=names["zero-skip mode"], read_cuts=flags >> 2 & 3,
                             output_buffer=flags >> 4 & 1,
                             write_cuts=(flags >> 5 & 1) | (flags >> 7 & 1) << 1,
                             address_cuts=(flags >> 6 & 1) | (flags2 & 1) << 1,
                             row_groups=row_groups, row_regions=row_regions,
                             output_slots=2 * (flags2 >> 1 & 1), sum_cuts=flags2 >> 2 & 1,
                             result_chain=flags2 >> 3 & 1)
    except ValueError as error:
        raise ProtocolError(f"IDENTIFY describes an invalid array: {error}") from None
    return Identity((major, minor), config, baud)


@dataclass(frozen=True)
class ShapeInfo:
    """Sizes the host and device derive from (config, k, n), without multipliers on the device."""

    chunks: int            # beats a token / a weight row
    blocks: int            # output beats a token
    token_bytes: int       # bytes of one token on the link
    token_reply_bytes: int  # result bytes of one token
    weight_bytes: int      # bytes of the whole matrix on the link (WEIGHTS payloads past offsets)

    @classmethod
    def of(cls, config, k: int, n: int) -> "ShapeInfo":
        chunks = ceil_div(k, config.lanes)
        blocks = ceil_div(n, config.rows)
        return cls(chunks=chunks, blocks=blocks, token_bytes=chunks * token_beat_bytes(config),
                   token_reply_bytes=blocks * config.rows * RESULT_BYTES,
                   weight_bytes=n * chunks * weight_beat_bytes(config))
