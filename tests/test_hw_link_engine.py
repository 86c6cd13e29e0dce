# amaranth: UnusedElaboratable=no
"""The host link end to end: driver -> frames -> simulated gateware -> array -> replies -> driver,
with every result compared to golden/, and every kind of broken frame answered while the device
keeps serving."""

import struct

import numpy as np
import pytest

from golden.bitlinear import bitlinear, int_matmul
from golden.slots import SlotError
from hw.config import ArrayConfig
from host.driver import Accelerator
from hw.formats import act_beats, weight_beats
from hw.link.engine import HostLink
from hw.system.accelerator import LinkedArray
from hw.link.protocol import (MAX_PAYLOAD, VERSION, Command, Status, commit_payload, crc16,
                              encode_frame, parse_reply, shape_payload, weights_frame_payload)
from sim.link import SimulatedSerial

CONFIG = ArrayConfig.tiny()          # 4 lanes x 2 rows, max K 40, max N 12
DEVICE_TIMEOUT = 3000


def make_port(**kwargs):
    return SimulatedSerial(LinkedArray(CONFIG, timeout_cycles=DEVICE_TIMEOUT), **kwargs)


def raw(port, frame: bytes):
    """Send raw bytes, return the (status, payload) of the one reply."""
    port.write(frame)
    head = port.read(5)
    assert len(head) == 5, "no reply"
    length = struct.unpack_from("<H", head, 3)[0]
    return parse_reply(head + port.read(length + 2))[1:]


def test_crc_reference_value():
    assert crc16(b"123456789") == 0x29B1


def test_bitlinear_through_the_link_matches_golden():
    port = make_port()
    device = Accelerator(port)
    assert device.config == CONFIG and device.version == VERSION
    rng = np.random.default_rng(0)
    w = rng.standard_normal((11, 37)).astype(np.float32)
    x = rng.standard_normal((30, 37)).astype(np.float32)   # 30 tokens: three TOKENS frames
    device.load_weights(w)
    np.testing.assert_array_equal(device.run(x), bitlinear(x, w))
    perf = device.perf()
    assert perf["busy"] > 0 and perf["in_stall"] + perf["out_stall"] > 0
    device.clear_perf()
    assert device.perf() == {"busy": 0, "in_stall": 0, "out_stall": 0}


@pytest.mark.parametrize("store", ["ebr", "spram"])
def test_base3_weights_through_the_link(store):
    """Base-3 arrays (lanes 5 x 2^j: the engine counts chunks instead of shifting): IDENTIFY
    names the packing, the driver packs five trits a byte, results and slots are golden's."""
    config = ArrayConfig(lanes=10, rows=2, max_k=45, max_n=12, tree_cuts=(1,),
                         weight_packing="base3", weight_store=store)
    device = Accelerator(SimulatedSerial(LinkedArray(config, timeout_cycles=DEVICE_TIMEOUT)))
    assert device.config == config
    rng = np.random.default_rng(5)
    for n, k in [(11, 37), (3, 45), (1, 1), (12, 20)]:
        w, x = rng.integers(-1, 2, (n, k)), rng.integers(-128, 128, (3, k))
        device.load_weights(w)
        np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w), err_msg=f"{n}x{k}")
    wa, wb = rng.integers(-1, 2, (4, 13)), rng.integers(-1, 2, (6, 21))
    device.load_weights(wa, slot="a")
    device.load_weights(wb, slot="b")
    for w in (wb, wa):
        x = rng.integers(-128, 128, (2, w.shape[1]))
        np.testing.assert_array_equal(device.run_codes(x, slot="a" if w is wa else "b"),
                                      int_matmul(x, w))


def test_array_on_its_own_faster_clock():
    """As on the board: the link on one clock, the array on a faster, unrelated one; beats,
    results, the loaded flag and perf_clear cross between them."""
    port = SimulatedSerial(LinkedArray(CONFIG, timeout_cycles=DEVICE_TIMEOUT, array_domain="array"))
    device = Accelerator(port)
    rng = np.random.default_rng(3)
    for n, k in ((11, 37), (3, 5)):
        w = rng.standard_normal((n, k)).astype(np.float32)
        x = rng.standard_normal((13, k)).astype(np.float32)
        device.load_weights(w)
        np.testing.assert_array_equal(device.run(x), bitlinear(x, w))
    assert device.perf()["busy"] > 0
    device.clear_perf()
    assert device.perf() == {"busy": 0, "in_stall": 0, "out_stall": 0}


def run_matrices(device, rng, shapes, tokens):
    """Load an N×K matrix of each shape in turn and run ``tokens`` random tokens on it: golden's
    numbers every time."""
    for n, k in shapes:
        w = rng.integers(-1, 2, (n, k))
        x = rng.integers(-128, 128, (tokens, k))
        device.load_weights(w)
        np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))


def test_codes_and_a_second_matrix():
    run_matrices(Accelerator(make_port()), np.random.default_rng(1), ((12, 40), (3, 5)), 4)


@pytest.fixture(scope="module")
def served():
    """A device with a matrix loaded (K = 6, N = 3), shared by the error tests."""
    port = make_port(timeout_cycles=20_000)
    device = Accelerator(port)
    w = np.random.default_rng(2).integers(-1, 2, (3, 6))
    device.load_weights(w)
    device.loaded_w = w
    return port, device


def still_serves(port, device):
    x = np.arange(12).reshape(2, 6) - 6
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, device.loaded_w))


@pytest.mark.parametrize("frame, status", [
    (encode_frame(Command.IDENTIFY)[:-1] + b"\x00", Status.BAD_CRC),
    (encode_frame(0x7E), Status.UNKNOWN_COMMAND),
    (encode_frame(Command.SET_SHAPE, shape_payload(41, 3)), Status.BAD_SHAPE),
    (encode_frame(Command.SET_SHAPE, shape_payload(6, 0)), Status.BAD_SHAPE),
    # high bytes count even where the low bits would be a valid shape
    (encode_frame(Command.SET_SHAPE, shape_payload((1 << 16) + 5, 3)), Status.BAD_SHAPE),
    (encode_frame(Command.SET_SHAPE, shape_payload(6, (1 << 31) + 3)), Status.BAD_SHAPE),
    (encode_frame(Command.SET_SHAPE, b"\x01\x02"), Status.BAD_LENGTH),
    (encode_frame(Command.IDENTIFY, b"\x00"), Status.BAD_LENGTH),
    (encode_frame(Command.TOKENS, bytes(7)), Status.BAD_LENGTH),        # not whole tokens (8 bytes)
    (encode_frame(Command.TOKENS, bytes(MAX_PAYLOAD + 8)), Status.BAD_LENGTH),   # too long
    (encode_frame(Command.WEIGHTS, bytes(4)), Status.BAD_LENGTH),       # an offset, no beats
    (encode_frame(Command.COMMIT, bytes(3)), Status.BAD_LENGTH),
    # the committed matrix is not overwritten: only a SET_SHAPE starts a new load
    (encode_frame(Command.WEIGHTS, weights_frame_payload(0, b"\x00")), Status.BAD_ORDER),
    (encode_frame(Command.COMMIT, bytes(4)), Status.NOT_READY),
])
def test_bad_frames_get_an_error_and_the_device_keeps_serving(served, frame, status):
    port, device = served
    got, payload = raw(port, frame)
    assert got == status and payload == b""
    still_serves(port, device)


def test_dropped_byte_times_out_and_the_device_keeps_serving(served):
    port, device = served
    frame = encode_frame(Command.SET_SHAPE, shape_payload(6, 3))
    got, _ = raw(port, frame[:5] + frame[6:])   # one payload byte lost on the way
    assert got == Status.TIMEOUT
    still_serves(port, device)


def weights(offset: int, data: bytes, seq: int = 0) -> bytes:
    return encode_frame(Command.WEIGHTS, weights_frame_payload(offset, data), seq=seq)


def shape(k: int, n: int, seq: int = 0) -> bytes:
    return encode_frame(Command.SET_SHAPE, shape_payload(k, n), seq=seq)


def test_not_ready_before_shape_and_weights():
    port = make_port(timeout_cycles=20_000)
    assert raw(port, weights(0, b"\x55"))[0] == Status.NOT_READY
    assert raw(port, shape(4, 2))[0] == Status.OK
    assert raw(port, encode_frame(Command.TOKENS, bytes(4)))[0] == Status.NOT_READY
    matrix = weight_beats(CONFIG, np.ones((2, 4), int)).tobytes()   # two rows, a byte each
    assert raw(port, weights(0, matrix[:1], seq=1))[0] == Status.OK
    assert raw(port, encode_frame(Command.TOKENS, bytes(4)))[0] == Status.NOT_READY
    assert raw(port, encode_frame(Command.COMMIT, commit_payload(matrix)))[0] == Status.NOT_READY
    assert raw(port, weights(1, matrix[1:], seq=2))[0] == Status.OK
    # every byte is in, but until a COMMIT checked them no token runs
    assert raw(port, encode_frame(Command.TOKENS, bytes(4)))[0] == Status.NOT_READY


# ---- loads are transactions: order, count and the CRC-32 of the whole matrix

def loaded_port(n=5, k=9, seed=21):
    """A port with a SET_SHAPE answered and the matrix's bytes, for the transaction tests."""
    port = make_port(timeout_cycles=20_000)
    w = np.random.default_rng(seed).integers(-1, 2, (n, k))
    assert raw(port, encode_frame(Command.RESET))[0] == Status.OK
    assert raw(port, shape(k, n, seq=1))[0] == Status.OK
    return port, w, weight_beats(CONFIG, w).tobytes()


def run_raw(port, x, seq=50):
    status, reply = raw(port, encode_frame(Command.TOKENS, act_beats(CONFIG, x).tobytes(), seq=seq))
    return status, np.frombuffer(reply, "<i4")


def load_and_check(port, w, data, seq):
    """A fresh load (SET_SHAPE, one WEIGHTS frame, COMMIT) of ``w`` that works: the device
    serves again after whatever the test did before."""
    assert raw(port, shape(9, 5, seq=seq))[0] == Status.OK
    assert raw(port, weights(0, data, seq=seq + 1))[0] == Status.OK
    assert raw(port, encode_frame(Command.COMMIT, commit_payload(data), seq=seq + 2))[0] \
        == Status.OK
    x = np.ones((1, 9), int)
    status, acc = run_raw(port, x)
    assert status == Status.OK
    np.testing.assert_array_equal(acc[:5], int_matmul(x, w)[0])


def test_a_committed_load_runs_and_matches_golden():
    port, w, data = loaded_port()
    assert raw(port, weights(0, data[:6], seq=2))[0] == Status.OK
    assert raw(port, weights(6, data[6:], seq=3))[0] == Status.OK
    assert raw(port, encode_frame(Command.COMMIT, commit_payload(data), seq=4))[0] == Status.OK
    x = np.arange(9).reshape(1, 9) - 4
    status, acc = run_raw(port, x)
    assert status == Status.OK
    np.testing.assert_array_equal(acc[:5], int_matmul(x, w)[0])


def test_frames_out_of_order_are_refused_and_never_written():
    port, w, data = loaded_port()
    assert raw(port, weights(6, data[6:], seq=2))[0] == Status.BAD_ORDER    # the first is missing
    assert raw(port, weights(1, data[1:6], seq=3))[0] == Status.BAD_ORDER
    assert raw(port, weights(1 << 24, data[:6], seq=4))[0] == Status.BAD_ORDER  # past any matrix
    # nothing of them was written: the load still starts at 0 and commits
    assert raw(port, weights(0, data, seq=5))[0] == Status.OK
    assert raw(port, encode_frame(Command.COMMIT, commit_payload(data), seq=6))[0] == Status.OK


def test_a_frame_past_the_end_of_the_matrix_fails_the_commit():
    """More bytes than the matrix has: COMMIT is NOT_READY (the count is wrong, whatever the CRC
    says), and the next SET_SHAPE starts a load that works."""
    port, w, data = loaded_port()
    assert raw(port, weights(0, data, seq=2))[0] == Status.OK
    assert raw(port, weights(len(data), b"\x55", seq=3))[0] == Status.OK
    assert raw(port, encode_frame(Command.COMMIT, commit_payload(data + b"\x55"), seq=4))[0] \
        == Status.NOT_READY
    assert run_raw(port, np.zeros((1, 9), int))[0] == Status.NOT_READY
    load_and_check(port, w, data, seq=5)


def test_a_commit_whose_crc_differs_spoils_the_load_until_the_next_shape():
    """The CRC-32 covers what the device pushed into the array: a mismatch (here the host's
    CRC is of other bytes) is BAD_CHECK, tokens stay refused, the rest of the load too, and a new
    SET_SHAPE starts a load that works."""
    port, w, data = loaded_port()
    assert raw(port, weights(0, data, seq=2))[0] == Status.OK
    other = bytes([data[0] ^ 0x04]) + data[1:]          # one trit different
    assert raw(port, encode_frame(Command.COMMIT, commit_payload(other), seq=3))[0] == Status.BAD_CHECK
    assert run_raw(port, np.zeros((1, 9), int))[0] == Status.NOT_READY
    assert raw(port, encode_frame(Command.COMMIT, commit_payload(data), seq=4))[0] == Status.NOT_READY
    assert raw(port, weights(0, data, seq=5))[0] == Status.NOT_READY
    load_and_check(port, w, data, seq=6)


def test_a_resent_commit_is_answered_ok_and_a_second_one_is_not_ready():
    port, w, data = loaded_port()
    assert raw(port, weights(0, data, seq=2))[0] == Status.OK
    commit = encode_frame(Command.COMMIT, commit_payload(data), seq=3)
    assert raw(port, commit)[0] == Status.OK
    assert raw(port, commit)[0] == Status.OK            # its reply was lost: the same seq again
    assert raw(port, encode_frame(Command.COMMIT, commit_payload(data), seq=4))[0] == Status.NOT_READY


def test_the_driver_loads_again_when_a_commit_fails():
    """A port that spoils the first COMMIT's CRC (re-framed, so the frame itself is valid): the
    driver sees BAD_CHECK, loads the matrix again from SET_SHAPE and gets golden's numbers."""
    class SpoilFirstCommit:
        def __init__(self, port):
            self._port, self.spoilt = port, 0

        def write(self, data):
            if data[2] == Command.COMMIT and not self.spoilt:
                self.spoilt += 1
                payload = bytes([data[5] ^ 1]) + data[6:-2]
                data = encode_frame(Command.COMMIT, payload, seq=data[1])
            return self._port.write(data)

        def read(self, size):
            return self._port.read(size)

    port = SpoilFirstCommit(make_port(timeout_cycles=20_000))
    log = []
    device = Accelerator(port, log=log.append)
    rng = np.random.default_rng(22)
    w, x = rng.integers(-1, 2, (5, 9)), rng.integers(-128, 128, (3, 9))
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))
    assert port.spoilt == 1 and any("BAD_CHECK" in line for line in log)


class CorruptFirstWrite:
    """A serial port that flips one bit of the first frame written and loses one reply byte of
    the second reply: the driver must retry both and still get golden's numbers."""

    def __init__(self, port):
        self._port = port
        self.writes = 0

    def write(self, data):
        self.writes += 1
        if self.writes == 3:
            data = bytearray(data)
            data[-3] ^= 0x10
        if self.writes == 5:
            self._port.drop_reply_byte(2)
        return self._port.write(bytes(data))

    def read(self, size):
        return self._port.read(size)

    def reset_input_buffer(self):
        self._port.reset_input_buffer()


def test_driver_retries_crc_errors_and_lost_reply_bytes():
    port = CorruptFirstWrite(make_port(timeout_cycles=20_000))
    log = []
    device = Accelerator(port, log=log.append)
    rng = np.random.default_rng(3)
    w, x = rng.integers(-1, 2, (5, 9)), rng.integers(-128, 128, (3, 9))
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))
    assert any("BAD_CRC" in line for line in log)
    assert any("timed out" in line for line in log)


def test_driver_rejects_bad_input(served):
    _, device = served
    with pytest.raises(ValueError, match="outside the device's 1..40"):
        device.set_shape(41, 3)
    with pytest.raises(ValueError, match=r"x_codes: K = 5, but the selected matrix \(.matrix.\) has K = 6"):
        device.run_codes(np.zeros((1, 5), int))
    with pytest.raises(ValueError, match="x_codes: code 300"):
        device.run_codes(np.full((1, 6), 300))
    with pytest.raises(RuntimeError, match="run\\(\\) needs float weights"):
        device.run(np.zeros((1, 6), np.float32))


@pytest.mark.parametrize("cuts", [(), (1, 2, 3, 4, 5)])
def test_identify_carries_every_tree_cut(cuts):
    """IDENTIFY's payload grows with the tree's cuts (33 bytes for five, as the ULX3S and base-3
    SPRAM presets have): the reply ROM's index must reach its last byte, or the host reads the
    magic's 'B' as a cut."""
    config = ArrayConfig(lanes=32, rows=1, max_k=64, max_n=4, tree_cuts=cuts)
    device = Accelerator(SimulatedSerial(LinkedArray(config, timeout_cycles=DEVICE_TIMEOUT)))
    assert device.config == config


@pytest.mark.parametrize("config", [
    ArrayConfig.tiny(act_bits=4),                                    # 2-byte token beats
    ArrayConfig(lanes=5, rows=2, max_k=40, max_n=12, act_bits=4,     # 3-byte beats, counted
                weight_packing="base3"),
], ids=["tiny", "base3-lanes5"])
def test_4_bit_activations_through_the_link(config):
    """An act_bits=4 device (BitNet a4.8): TOKENS carry two codes a byte; int4 codes take one
    pass, int8 codes (a4.8's o/down projections, or run() of floats) one pass a signed digit."""
    device = Accelerator(SimulatedSerial(LinkedArray(config, timeout_cycles=DEVICE_TIMEOUT)))
    assert device.config == config
    rng = np.random.default_rng(17)
    w = rng.integers(-1, 2, (7, 13))
    x4 = rng.integers(-8, 8, (5, 13))
    x8 = rng.integers(-128, 128, (5, 13))
    x8[0] = 127                                  # three digits: 127 = 256 - 128 - 1
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x4), int_matmul(x4, w))
    np.testing.assert_array_equal(device.run_codes(x8), int_matmul(x8, w))
    wf = rng.standard_normal((7, 13)).astype(np.float32)
    xf = rng.standard_normal((3, 13)).astype(np.float32)
    device.load_weights(wf)
    np.testing.assert_array_equal(device.run(xf), bitlinear(xf, wf))


@pytest.mark.parametrize("mode, kept", [("chunks", [3, 3, 1, 3, 3, 3]), ("codes", None)])
def test_zero_skipping_device_through_the_link(mode, kept):
    """A zero-skipping array behind the link: IDENTIFY says so, results are golden's, and the
    busy counter shows only the issues the cycle model counts (chunks holding a code and each
    token's last; or the busiest lane's codes)."""
    from golden.cycle import kept_chunks
    config = ArrayConfig.tiny(zero_skip=mode, act_bits=4)
    device = Accelerator(SimulatedSerial(LinkedArray(config, timeout_cycles=DEVICE_TIMEOUT)))
    assert device.config == config and device.config.zero_skip == mode
    rng = np.random.default_rng(23)
    w = rng.integers(-1, 2, (5, 30))
    x = rng.integers(-8, 8, (6, 30))
    x[:, 4:24] = 0                       # chunks 1-5 of 8 hold nothing
    x[2] = 0
    device.load_weights(w)
    device.clear_perf()
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))
    assert device.perf()["busy"] == 3 * int(kept_chunks(config, x).sum())   # 3 blocks of 2 rows
    if kept:
        assert kept_chunks(config, x).tolist() == kept


def test_link_rejects_configs_it_cannot_carry():
    with pytest.raises(ValueError, match="int8 baseline"):
        HostLink(ArrayConfig.tiny(pe_kind="mul8"), timeout_cycles=100)
    with pytest.raises(ValueError, match="act_bits must be 2, 4 or 8, got 6"):
        HostLink(ArrayConfig.tiny(act_bits=6), timeout_cycles=100)
    with pytest.raises(ValueError, match="timeout_cycles must be an integer >= 16"):
        HostLink(CONFIG, timeout_cycles=3)


def test_through_the_uart_at_the_bit_level():
    """The board's composition (UART + link + array) with 8N1 frames on the wires, as on the
    iCEBreaker but without the PLL: the host driver gets golden's numbers."""
    from hw.system.accelerator import SerialAccelerator

    port = SimulatedSerial(SerialAccelerator(CONFIG, divisor=4, timeout_bytes=16),
                           timeout_cycles=400_000)
    device = Accelerator(port)
    assert device.config == CONFIG
    rng = np.random.default_rng(4)
    w = rng.standard_normal((3, 9)).astype(np.float32)
    x = rng.standard_normal((2, 9)).astype(np.float32)
    device.load_weights(w)
    np.testing.assert_array_equal(device.run(x), bitlinear(x, w))
    frame = encode_frame(Command.IDENTIFY)
    assert raw(port, frame[:-1] + bytes([frame[-1] ^ 1]))[0] == Status.BAD_CRC
    assert device.identify()[1] == CONFIG


def test_identify_round_trips_every_preset():
    from hw.link.protocol import identify_payload, parse_identify
    for name, config in ArrayConfig.presets().items():
        assert parse_identify(identify_payload(config, 115200)) == (VERSION, config, 115200), name
    for mode in ("chunks", "codes"):
        skipping = ArrayConfig.tiny(zero_skip=mode)
        assert parse_identify(identify_payload(skipping))[1] == skipping
    for cuts in (1, 2):   # the read cuts change the cycle model the host predicts with
        cut = ArrayConfig.tiny(zero_skip="chunks", read_cuts=cuts, output_buffer=cuts - 1,
                               write_cuts=2 - cuts)
        assert parse_identify(identify_payload(cut))[1] == cut
    assert parse_identify(identify_payload(ArrayConfig.tiny(read_cuts=3)))[1] \
        == ArrayConfig.tiny(read_cuts=3)
    grouped = ArrayConfig.tiny(rows=4, read_cuts=2, address_cuts=1, row_groups=4)
    assert parse_identify(identify_payload(grouped))[1] == grouped
    for write_cuts in (1, 2):   # the second write cut in its own bit, beside the address cut
        for address_cuts in (0, 1):
            cut = ArrayConfig.tiny(read_cuts=1, write_cuts=write_cuts, address_cuts=address_cuts)
            assert parse_identify(identify_payload(cut))[1] == cut
    regions = ArrayConfig.tiny(rows=4, read_cuts=1, address_cuts=2, write_cuts=3,
                               row_groups=4, row_regions=2, output_slots=2,
                               sum_cuts=1)    # the bytes of 3.5
    assert parse_identify(identify_payload(regions))[1] == regions
    for chained in (ArrayConfig.tiny(result_chain=1), regions.replace(result_chain=1)):
        assert parse_identify(identify_payload(chained))[1] == chained    # 3.6's bit
    # a protocol 3.0 device sends no flags byte (it does not skip), one before 3.3 no groups;
    # a config without 3.5's fields sends 3.4's payload (its two bytes would be zeros)
    assert parse_identify(identify_payload(ArrayConfig.tiny())[:-2])[1] == ArrayConfig.tiny()
    assert len(identify_payload(regions)) == len(identify_payload(grouped)) + 2
    cut = ArrayConfig.tiny(read_cuts=1)
    assert parse_identify(identify_payload(cut)[:-1])[1] == cut


# ---- host link v2: the faults that used to end in wrong numbers or a wedged device (issue 13)

def test_an_interrupted_weight_load_never_mixes_into_the_next():
    """SET_SHAPE, then only half the rows of a matrix (what a Ctrl-C during load_weights leaves),
    then ordinary loads and runs of other shapes: every result is golden's. (Before protocol 1.0
    SET_SHAPE did not restart the loader, and N=1, K=4 came back [[161], [-56]], not golden's.)"""
    port = make_port(timeout_cycles=20_000)
    device = Accelerator(port)
    rng = np.random.default_rng(13)
    for n, k in ((1, 4), (5, 9), (12, 40)):
        device.set_shape(12, 6)
        half = weight_beats(CONFIG, rng.integers(-1, 2, (3, 12))).tobytes()   # 3 of 6 rows
        assert raw(port, weights(0, half, seq=200))[0] == Status.OK
        w, x = rng.integers(-1, 2, (n, k)), rng.integers(-128, 128, (2, k))
        device.load_weights(w)
        np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))


def test_a_lost_reply_during_a_multi_frame_load_is_resent_not_rewritten():
    """The reply to the first of two WEIGHTS frames loses a byte: the driver resends the frame with
    the same sequence number, the device answers OK without writing it again, and the result is
    golden's. (Before, the resend was written twice and later TOKENS answered NOT_READY.)"""
    config = ArrayConfig(lanes=4, rows=2, max_k=256, max_n=16, tree_cuts=(1,))
    port = SimulatedSerial(LinkedArray(config, timeout_cycles=3000), timeout_cycles=20_000)
    device = Accelerator(port)
    rng = np.random.default_rng(14)
    w, x = rng.integers(-1, 2, (16, 256)), rng.integers(-128, 128, (3, 256))
    assert len(weight_beats(config, w).tobytes()) > MAX_PAYLOAD          # two WEIGHTS frames
    port.drop_reply_byte(7 + 3)    # the SET_SHAPE reply is 7 bytes; then the first WEIGHTS reply
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))


def test_an_unread_reply_is_skipped_not_taken_for_the_next_one():
    """A request whose reply was never read (an interrupt between write and read): the next call
    gets its own reply, not the stale one, and the one after still works."""
    port = make_port(timeout_cycles=20_000)
    device = Accelerator(port)
    rng = np.random.default_rng(15)
    w = rng.integers(-1, 2, (5, 9))
    x1, x2 = rng.integers(-128, 128, (2, 9)), rng.integers(-128, 128, (3, 9))
    device.load_weights(w)
    port.write(encode_frame(Command.TOKENS, act_beats(CONFIG, x1).tobytes(), seq=77))
    np.testing.assert_array_equal(device.run_codes(x2), int_matmul(x2, w))
    assert set(device.perf()) == {"busy", "in_stall", "out_stall"}


def test_reset_returns_a_half_loaded_device_to_idle():
    port = make_port(timeout_cycles=20_000)
    device = Accelerator(port)
    assert raw(port, shape(12, 6, seq=9))[0] == Status.OK
    half = weight_beats(CONFIG, np.ones((3, 12), int)).tobytes()
    assert raw(port, weights(0, half, seq=10))[0] == Status.OK
    device.reset()
    assert raw(port, encode_frame(Command.TOKENS, bytes(4), seq=11))[0] == Status.NOT_READY
    w, x = np.array([[1, -1, 0, 1]]), np.array([[5, 6, 7, 8], [-1, -2, -3, -4]])
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))


def test_an_array_in_row_groups_restarts_cleanly():
    """The 85F preset's structure (row groups with their register copies, address, read and
    write cuts, data registers without a reset, counters cleared by a pulse): results stay
    golden's across a run, a half load ended by RESET and a new shape, and the restart zeroes
    the performance counters."""
    config = ArrayConfig(lanes=4, rows=4, max_k=40, max_n=12, tree_cuts=(1,), read_cuts=2,
                         write_cuts=1, address_cuts=1, row_groups=2)
    port = SimulatedSerial(LinkedArray(config, timeout_cycles=20_000))
    device = Accelerator(port)
    rng = np.random.default_rng(21)
    w, x = rng.integers(-1, 2, (6, 12)), rng.integers(-128, 128, (3, 12))
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))
    assert device.perf()["busy"] > 0
    assert raw(port, shape(12, 6, seq=9))[0] == Status.OK
    half = weight_beats(config, np.ones((3, 12), int)).tobytes()
    assert raw(port, weights(0, half, seq=10))[0] == Status.OK
    device.reset()
    assert device.perf() == {"busy": 0, "in_stall": 0, "out_stall": 0}
    w, x = rng.integers(-1, 2, (9, 7)), rng.integers(-128, 128, (2, 7))
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))


def test_replies_echo_the_sequence_number():
    port = make_port()
    for seq in (0, 1, 254, 255):
        port.write(encode_frame(Command.IDENTIFY, seq=seq))
        head = port.read(5)
        rest = port.read(struct.unpack_from("<H", head, 3)[0] + 2)
        assert parse_reply(head + rest)[0] == seq


# ---- resident matrices: slots loaded once, selected per batch of tokens (protocol 3.0)

@pytest.fixture
def fresh():
    """A device of its own (port, driver): the slot tests change what is resident."""
    port = make_port(timeout_cycles=20_000)
    return port, Accelerator(port)


def select(k: int, n: int, base: int, seq: int = 0) -> bytes:
    return encode_frame(Command.SELECT, shape_payload(k, n, base), seq=seq)


def commit_raw(port, k, n, base, w, seq):
    """SET_SHAPE at ``base``, the whole matrix in one frame, COMMIT: each answered OK."""
    data = weight_beats(CONFIG, w).tobytes()
    assert raw(port, encode_frame(Command.SET_SHAPE, shape_payload(k, n, base), seq=seq))[0] \
        == Status.OK
    assert raw(port, weights(0, data, seq=seq + 1))[0] == Status.OK
    assert raw(port, encode_frame(Command.COMMIT, commit_payload(data), seq=seq + 2))[0] \
        == Status.OK


def test_resident_slots_serve_tokens_in_turn_through_the_driver(fresh):
    _, device = fresh
    rng = np.random.default_rng(40)
    weights_by_slot = {"a": rng.integers(-1, 2, (5, 9)), "b": rng.integers(-1, 2, (12, 16)),
                       "c": rng.standard_normal((3, 7)).astype(np.float32)}
    for name, w in weights_by_slot.items():
        device.load_weights(w, slot=name)
    assert [s.name for s in device.slots.slots] == ["a", "b", "c"]
    assert device.slots.used == 9 + 24 + 4         # 3x3, 6x4 and 2x2 blocks x chunks
    for name in ["b", "a", "c", "a", "b", "b"]:
        w = weights_by_slot[name]
        if name == "c":
            x = rng.standard_normal((2, 7)).astype(np.float32)
            np.testing.assert_array_equal(device.run(x, slot="c"), bitlinear(x, w))
        else:
            x = rng.integers(-128, 128, (3, w.shape[1]))
            np.testing.assert_array_equal(device.run_codes(x, slot=name), int_matmul(x, w))


def test_an_interrupted_load_into_a_slot_leaves_the_others_intact(fresh):
    """A Ctrl-C halfway through the load of a third slot: the first two still give golden's
    numbers; the third is not resident (host) and its region is refused (device)."""
    port, device = fresh
    rng = np.random.default_rng(41)
    a, b, c = (rng.integers(-1, 2, shape) for shape in ((5, 9), (4, 8), (6, 40)))
    device.load_weights(a, slot="a")
    device.load_weights(b, slot="b")
    base = device.slots.used
    device.set_shape(40, 6, base)
    data = weight_beats(CONFIG, c).tobytes()
    device.transact(Command.WEIGHTS, weights_frame_payload(0, data[:40]))     # then nothing
    for name, w in (("a", a), ("b", b)):
        x = rng.integers(-128, 128, (2, w.shape[1]))
        np.testing.assert_array_equal(device.run_codes(x, slot=name), int_matmul(x, w))
    with pytest.raises(SlotError, match="'c' is not resident"):
        device.run_codes(np.zeros((1, 40), int), slot="c")
    assert raw(port, select(40, 6, base, seq=200))[0] == Status.BAD_SLOT
    assert raw(port, encode_frame(Command.TOKENS, bytes(40), seq=201))[0] == Status.NOT_READY


def test_the_device_checks_every_slot_against_its_mark():
    port = make_port(timeout_cycles=20_000)
    rng = np.random.default_rng(42)
    a, b = rng.integers(-1, 2, (5, 9)), rng.integers(-1, 2, (2, 4))   # 9 words, then 1
    assert raw(port, encode_frame(Command.RESET))[0] == Status.OK
    assert raw(port, select(9, 5, 0, seq=1))[0] == Status.BAD_SLOT        # nothing resident
    assert raw(port, encode_frame(Command.SET_SHAPE, shape_payload(9, 5, 1), seq=2))[0] \
        == Status.BAD_SLOT                                                 # past the mark (0)
    assert raw(port, weights(0, b"\x55", seq=3))[0] == Status.NOT_READY  # no load is open
    commit_raw(port, 9, 5, 0, a, seq=4)
    commit_raw(port, 4, 2, 9, b, seq=7)
    assert raw(port, encode_frame(Command.SET_SHAPE, shape_payload(40, 12, 9), seq=10))[0] \
        == Status.BAD_SLOT                                                 # 60 words from 9
    assert raw(port, select(9, 5, 0, seq=11))[0] == Status.OK
    x = rng.integers(-128, 128, (1, 9))
    status, acc = run_raw(port, x, seq=12)
    assert status == Status.OK and np.array_equal(acc[:5], int_matmul(x, a)[0])
    assert raw(port, weights(0, b"\x55", seq=13))[0] == Status.NOT_READY  # SELECT opens no load
    assert raw(port, select(4, 2, 9, seq=14))[0] == Status.OK
    x = rng.integers(-128, 128, (1, 4))
    status, acc = run_raw(port, x, seq=15)
    assert status == Status.OK and np.array_equal(acc[:2], int_matmul(x, b)[0])
    assert raw(port, select(4, 2, 10, seq=16))[0] == Status.BAD_SLOT      # past the mark (10)
    assert raw(port, encode_frame(Command.TOKENS, bytes(4), seq=17))[0] == Status.NOT_READY
    # a load at a's base moves the mark down: b may be overwritten, so it is refused from now on
    assert raw(port, encode_frame(Command.SET_SHAPE, shape_payload(9, 5, 0), seq=18))[0] \
        == Status.OK
    assert raw(port, select(4, 2, 9, seq=19))[0] == Status.BAD_SLOT
    assert raw(port, encode_frame(Command.RESET, seq=20))[0] == Status.OK
    assert raw(port, select(9, 5, 0, seq=21))[0] == Status.BAD_SLOT       # RESET drops them all


def test_a_slot_that_does_not_fit_is_refused_before_anything_is_sent(fresh):
    _, device = fresh
    device.load_weights(np.ones((12, 20), int), slot="a")      # 30 of 60 words
    with pytest.raises(SlotError, match="needs 60 words of each weight bank, but only 30"):
        device.load_weights(np.ones((12, 40), int), slot="b")
    x = np.ones((1, 20), int)
    np.testing.assert_array_equal(device.run_codes(x, slot="a"), np.full((1, 12), 20))


@pytest.mark.parametrize("chain", [0, 1])
def test_output_slots_and_row_regions_through_the_link(chain):
    """The array that never stops (two output slots) with row regions, behind the link: the
    link takes each beat a byte at a time (or, with the result chain, at once into the chain),
    so blocks wait for a slot while the results go out, and the numbers are golden's; a second
    matrix after the first, and tokens again."""
    config = ArrayConfig(lanes=8, rows=2, max_k=64, max_n=12, tree_cuts=(0, 3), read_cuts=1,
                         address_cuts=2, row_groups=2, row_regions=2, write_cuts=3,
                         output_slots=2, result_chain=chain)
    device = Accelerator(SimulatedSerial(LinkedArray(config, timeout_cycles=DEVICE_TIMEOUT)))
    assert device.config == config
    run_matrices(device, np.random.default_rng(23), ((11, 20), (4, 64)), 3)


def test_the_result_chain_through_the_link_on_two_clocks():
    """The result chain (each beat taken at once, sent from the chain's head a word at a time)
    with more rows than the tiny array, the array on its own faster clock: every word of every
    beat in its place, N not a multiple of the rows, and a full-size N."""
    config = ArrayConfig.tiny(rows=5, result_chain=1)
    device = Accelerator(SimulatedSerial(LinkedArray(config, timeout_cycles=DEVICE_TIMEOUT,
                                                     array_domain="array")))
    assert device.config == config
    run_matrices(device, np.random.default_rng(29), ((12, 40), (7, 9), (1, 3)), 4)
