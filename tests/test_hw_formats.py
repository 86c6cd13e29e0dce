"""hw.formats: the one definition of every beat. Hand-worked beats, round trips over widths and
lanes, and agreement with the Amaranth layouts the gateware is built from."""

import numpy as np
import pytest
from amaranth.lib import data

from golden.packing import pack_base3, unpack_base3
from hw.config import ArrayConfig
from hw.formats import (TRIT_CODE, act_beats, act_word_layout, acc_word_layout, as_ints,
                        beat_bytes, chunked, decode_acc_word, pack_fields, stored_word_layout,
                        trit_word_layout, unpack_fields, weight_beats)


def test_a_weight_beat_by_hand():
    """Trits [+1, -1, 0, +1] are codes 2, 0, 1, 2 at bits 0, 2, 4, 6: 0b10_01_00_10 = 0x92."""
    config = ArrayConfig.tiny()                     # 4 lanes
    assert TRIT_CODE == {-1: 0, 0: 1, 1: 2}
    assert weight_beats(config, np.array([[1, -1, 0, 1]])).tobytes() == bytes([0x92])


def test_lanes_past_k_are_zero_trits_or_the_fill():
    config = ArrayConfig.tiny()
    beats = weight_beats(config, np.array([[1, 1, 1, 1, -1]]))    # K = 5: two beats
    assert beats.tobytes() == bytes([0xAA, 0b01_01_01_00])        # last beat: -1 then three 0s
    fill = np.full((1, 8), 1)
    assert weight_beats(config, np.array([[1, 1, 1, 1, -1]]), fill).tobytes() == bytes([0xAA, 0xA8])


def test_activation_beats_are_int8_bytes():
    config = ArrayConfig.tiny()
    x = np.array([[-128, 127, -1, 5, 9]])
    want = np.array([-128, 127, -1, 5, 9, 0, 0, 0], dtype=np.int8).tobytes()
    assert act_beats(config, x).tobytes() == want


def test_int8_baseline_weights_are_twos_complement():
    config = ArrayConfig.tiny(pe_kind="mul8")
    assert weight_beats(config, np.array([[-128, -1, 0, 127]])).tobytes() == bytes([0x80, 0xFF, 0, 0x7F])


def test_an_accumulator_word_by_hand():
    config = ArrayConfig(lanes=4, rows=2, max_k=1, act_bits=2, tree_cuts=())   # acc_bits = 3
    assert config.acc_bits == 3
    word = (0b111) | (0b011 << 3)                    # rows: -1, +3
    np.testing.assert_array_equal(decode_acc_word(config, word), [-1, 3])


@pytest.mark.parametrize("bits", [1, 2, 3, 7, 8, 9, 16, 17, 32])
@pytest.mark.parametrize("fields", [1, 3, 16])
def test_pack_and_unpack_round_trip(bits, fields):
    rng = np.random.default_rng(bits * 100 + fields)
    values = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (5, fields))
    packed = pack_fields(values, bits)
    assert packed.shape == (5, beat_bytes(bits * fields))
    np.testing.assert_array_equal(unpack_fields(packed, bits, fields, is_signed=True), values)
    ints = as_ints(packed)
    for row, word in zip(values, ints):     # field i at bits i*bits, two's complement
        assert word == sum((int(v) & ((1 << bits) - 1)) << (i * bits) for i, v in enumerate(row))


def test_base3_weight_beats_are_golden_bytes():
    """A 10-lane base-3 beat is two bytes of five trits (golden.packing's order), lanes past K
    filled with zero trits or the fill."""
    config = ArrayConfig(lanes=10, rows=1, max_k=20, max_n=2, tree_cuts=(),
                         weight_packing="base3")
    w = np.array([[1, -1, 0, 0, 1, 1, 1, 1, 1, 1, -1, 0]])
    beats = weight_beats(config, w)
    assert beats.shape == (2, 2)
    zero_pad = np.array([[-1, 0] + [0] * 8])
    np.testing.assert_array_equal(beats, pack_base3(np.concatenate([w[:, :10], zero_pad])))
    assert beats[0, 0] == 2 + 0 * 3 + 1 * 9 + 1 * 27 + 2 * 81
    fill = -np.ones((1, 20), int)
    assert unpack_base3(weight_beats(config, w, fill)[1:], 10).tolist() == [[-1, 0] + [-1] * 8]
    assert stored_word_layout(config).size == config.weight_word_bits == 16


def test_chunked_cuts_rows_into_beats():
    beats = chunked(np.arange(1, 6)[None], 2)
    np.testing.assert_array_equal(beats, [[1, 2], [3, 4], [5, 0]])


@pytest.mark.parametrize("config", [ArrayConfig.tiny(), ArrayConfig.icebreaker(),
                                    ArrayConfig.tiny(pe_kind="mul8", act_bits=4)])
def test_codecs_agree_with_the_gateware_layouts(config):
    """A beat the codec builds, read through the Amaranth layout, gives back each field."""
    rng = np.random.default_rng(1)
    w = rng.integers(-1, 2, (1, config.lanes)) if config.ternary else rng.integers(-128, 128, (1, config.lanes))
    x = rng.integers(-(1 << (config.act_bits - 1)), 1 << (config.act_bits - 1), (1, config.lanes))
    for layout, beat, values, offset in ((trit_word_layout(config), weight_beats(config, w), w, 1 if config.ternary else 0),
                                         (act_word_layout(config), act_beats(config, x), x, 0)):
        view = data.Const(layout, as_ints(beat)[0])
        got = [int(view[i]) for i in range(config.lanes)]
        bits = layout.elem_shape.width
        want = [int(v + offset) & ((1 << bits) - 1) if not layout.elem_shape.signed else int(v)
                for v in values[0]]
        assert got == want
    assert acc_word_layout(config).size == config.rows * config.acc_bits
