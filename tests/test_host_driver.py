"""host.driver on ports that misbehave: nothing answers, text instead of replies, replies of the
wrong length; and the driver as a context manager. (The driver against the simulated gateware,
with every fault the link handles, is tests/test_hw_link_engine.py.)"""

import time

import numpy as np
import pytest

from hw.config import ArrayConfig
from hw.link.protocol import VERSION, Command, Status, encode_reply, identify_payload
from host.driver import Accelerator, NoAnswer, ProtocolError


class FakePort:
    """A port that answers every request with the next canned ``(status, payload)``, echoing the
    request's sequence number (or sends ``stream`` forever). RESET is answered OK by itself."""

    def __init__(self, replies=(), stream=b""):
        self.replies = list(replies)
        self.stream = stream
        self.pending = bytearray()
        self.closed = False
        self.name = "fake0"

    def write(self, data):
        seq, command = data[1], data[2]
        if command == Command.RESET:
            self.pending += encode_reply(Status.OK, seq=seq)
        elif self.replies:
            status, payload = self.replies.pop(0)
            self.pending += encode_reply(status, payload, seq=seq)
        return len(data)

    def read(self, size=1):
        if self.stream:
            return (self.stream * size)[:size]
        out, self.pending = bytes(self.pending[:size]), self.pending[size:]
        return out

    def reset_input_buffer(self):
        self.pending.clear()

    def close(self):
        self.closed = True


IDENTIFY = (Status.OK, identify_payload(ArrayConfig.tiny()))


def test_nothing_answers_is_one_clear_error():
    start = time.monotonic()
    with pytest.raises(NoAnswer, match=r"no reply from fake0 within 0.1 s \(2 tries\): is the "
                                       r"board programmed .* does the baud match"):
        Accelerator(FakePort(), timeout=0.1, retries=1)
    assert time.monotonic() - start < 5


def test_a_port_that_streams_text_gives_up_after_the_timeout():
    start = time.monotonic()
    with pytest.raises(NoAnswer, match="sends bytes that are not replies"):
        Accelerator(FakePort(stream=b"hello, world\n"), timeout=0.2, retries=0)
    assert time.monotonic() - start < 5


def test_a_reply_of_the_wrong_length_is_an_error_not_an_empty_result():
    """TOKENS answered OK but with no payload (garbage that happened to frame): refused."""
    port = FakePort([IDENTIFY] + [(Status.OK, b"")] * 4)
    device = Accelerator(port)
    device.load_weights(np.ones((3, 4), dtype=int))     # SET_SHAPE, one WEIGHTS frame, COMMIT
    # 2 tokens x ceil(3 / 2) blocks x 2 rows x 4 bytes = 32
    with pytest.raises(ProtocolError, match="TOKENS: the reply has 0 payload bytes, expected 32"):
        device.run_codes(np.ones((2, 4), dtype=int))


def test_perf_checks_its_length():
    device = Accelerator(FakePort([IDENTIFY, (Status.OK, bytes(23))]))
    with pytest.raises(ProtocolError, match="PERF: the reply has 23 payload bytes, expected 24"):
        device.perf()


def test_context_manager_closes_only_a_port_it_opened(monkeypatch):
    port = FakePort([IDENTIFY])
    with Accelerator(port) as device:
        assert device.config == ArrayConfig.tiny()
    assert not port.closed                 # the caller's port stays the caller's

    import serial
    opened = FakePort([IDENTIFY])
    monkeypatch.setattr(serial, "Serial", lambda path, **kwargs: opened)
    with Accelerator("/dev/ttyFAKE") as device:
        assert device.config == ArrayConfig.tiny()
    assert opened.closed


def test_a_device_of_another_protocol_version_is_refused():
    payload = bytearray(identify_payload(ArrayConfig.tiny()))
    other_major = VERSION[0] - 1
    payload[4] = other_major                                 # an older major version, minor as ours
    port = FakePort([(Status.OK, bytes(payload))])
    with pytest.raises(ProtocolError, match=rf"speaks protocol {other_major}\.{VERSION[1]}, this "
                                            rf"host {VERSION[0]}\.{VERSION[1]}: rebuild the "
                                            "bitstream"):
        Accelerator(port)


def test_a_baud_other_than_the_bitstreams_is_named(monkeypatch):
    import serial
    opened = FakePort([(Status.OK, identify_payload(ArrayConfig.tiny(), baud=3_000_000))])
    monkeypatch.setattr(serial, "Serial", lambda path, **kwargs: opened)
    with pytest.raises(ProtocolError, match="the bitstream says it runs at 3000000 baud; open "
                                            "the port with that rate"):
        Accelerator("/dev/ttyFAKE", baudrate=1_000_000)
    assert opened.closed
    opened = FakePort([(Status.OK, identify_payload(ArrayConfig.tiny(), baud=3_000_000))])
    with Accelerator("/dev/ttyFAKE", baudrate=3_000_000) as device:
        assert device.baud == 3_000_000


def test_a_port_that_cannot_be_opened_names_it():
    with pytest.raises(NoAnswer, match="cannot open /nonexistent/tty at 1000000 baud"):
        Accelerator("/nonexistent/tty")
