"""golden.cycle: hand-worked schedules, values from int_matmul, and no Amaranth import."""

import subprocess
import sys

import numpy as np
import pytest

from golden.bitlinear import int_matmul
from golden.cycle import kept_chunks, schedule
from hw.config import ArrayConfig


def test_hand_worked_schedule():
    # lanes 4, rows 2, one tree register and the row-sum register: delay 2 + 2 = 4.
    # K = 10 -> 3 chunks; N = 3 -> 2 blocks,
    # the 9 weight beats are taken on cycles 0-8 and written a cycle later (1-9), the padding
    # row's 3 chunks on 10-12: the matrix is usable on cycle 13.
    # Token 0 loads on cycles 0-2 but issues 13-18; token 1 loads 3-5, issues 19-24; token 2 waits
    # for bank 0 (free on 19), loads 19-21 and issues 25-30. A block's beat comes 4 cycles after its
    # last chunk: 15+4, 18+4, 21+4, 24+4, 27+4, 30+4.
    config = ArrayConfig(lanes=4, rows=2, max_k=16, max_n=4, tree_cuts=(1,))
    rng = np.random.default_rng(0)
    x, w = rng.integers(-128, 128, (3, 10)), rng.integers(-1, 2, (3, 10))
    s = schedule(config, x, w)
    assert (s.chunks, s.blocks, s.weights_ready_cycle) == (3, 2, 13)
    assert [b.cycle for b in s.beats] == [19, 22, 25, 28, 31, 34]
    assert [(b.token, b.block) for b in s.beats] == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    assert (s.perf_busy, s.perf_in_stall, s.perf_out_stall, s.cycles) == (18, 17, 0, 35)
    acc = int_matmul(x, w)
    for b in s.beats:
        want = np.zeros(2, np.int64)
        part = acc[b.token, 2 * b.block:2 * b.block + 2]
        want[:len(part)] = part
        np.testing.assert_array_equal(b.acc, want)


def test_one_chunk_one_block_streams_a_token_a_cycle():
    # K = 4 = lanes, N = 1: weights ready on cycle 3 (the row taken on 0, written on 1, a padding
    # row on 2). Token t issues on cycle 3 + t once the pipeline is full; with no tree cuts its beat comes 3 cycles later
    # (memory read, row sum, accumulator).
    config = ArrayConfig(lanes=4, rows=2, max_k=4, max_n=2, tree_cuts=())
    x, w = np.ones((5, 4), int), np.ones((1, 4), int)
    s = schedule(config, x, w)
    assert [b.cycle for b in s.beats] == [6, 7, 8, 9, 10]


def test_output_slots_hold_a_block_until_the_beat_two_before_is_taken():
    # The one-chunk case above with two output slots: a block starts only once the beat two
    # blocks back was taken (the cycle after it appears). Weights ready on 3; tokens 0 and 1
    # issue on 3 and 4 (beats 6 and 7); token 2 waits for beat 0 (taken on 6): issues 7, beat
    # 10; token 3 waits for beat 1 (7): issues 8, beat 11; token 4 issues 11, beat 14. The
    # waits are output stalls: 7 - 5 = 2, 8 - 8 = 0, 11 - 9 = 2.
    config = ArrayConfig(lanes=4, rows=2, max_k=4, max_n=2, tree_cuts=(), output_slots=2)
    x, w = np.ones((5, 4), int), np.ones((1, 4), int)
    s = schedule(config, x, w)
    assert [b.cycle for b in s.beats] == [6, 7, 10, 11, 14]
    assert (s.perf_busy, s.perf_out_stall, s.perf_in_stall) == (5, 4, 15 - 5 - 4)
    # blocks of at least output_latency (3) issues never wait: the schedule without slots;
    # one issue fewer, and they do
    long = ArrayConfig(lanes=4, rows=2, max_k=32, max_n=2, tree_cuts=(), output_slots=2)
    for k, waits in ((12, False), (8, True)):
        x, w = np.ones((4, k), int), np.ones((1, k), int)
        slots = schedule(long, x, w)
        assert ([b.cycle for b in slots.beats]
                != [b.cycle for b in schedule(long.replace(output_slots=0), x, w).beats]) == waits
        assert (slots.perf_out_stall > 0) == waits


def test_bit_serial_chunks_take_a_cycle_a_plane():
    # The hand-worked schedule above on the bit-serial kind at 4 bits: each chunk takes 4 cycles,
    # so a block 12 and a token 24. Weights ready on 13 as before; token 0 issues 13-36 (its
    # blocks' last planes on 24 and 36), token 1 (loaded 3-5) 37-60, token 2 waits for bank 0,
    # free on 37, loads 37-39 and issues 61-84; beats 4 cycles after a block's last plane.
    config = ArrayConfig(pe_kind="serial", lanes=4, rows=2, act_bits=4, max_k=16, max_n=4,
                         tree_cuts=(1,))
    rng = np.random.default_rng(0)
    x, w = rng.integers(-8, 8, (3, 10)), rng.integers(-1, 2, (3, 10))
    s = schedule(config, x, w)
    assert (s.chunks, s.blocks, s.weights_ready_cycle) == (3, 2, 13)
    assert [b.cycle for b in s.beats] == [c + 4 for c in (24, 36, 48, 60, 72, 84)]
    assert (s.perf_busy, s.cycles) == (72, 89)


def test_base3_weights_take_a_cycle_more_and_free_banks_a_cycle_later():
    # As above with base-3 weights (lanes 5): the decode ROMs add a cycle to every beat (4
    # instead of 3), and the activations, read a cycle later, free their bank a cycle later:
    # token t+2 waits for token t's bank, so one-chunk tokens issue two in every three cycles.
    config = ArrayConfig(lanes=5, rows=2, max_k=5, max_n=2, tree_cuts=(), weight_packing="base3")
    x, w = np.ones((5, 5), int), np.ones((1, 5), int)
    s = schedule(config, x, w)
    assert s.weights_ready_cycle == 3
    # issues: tokens 0, 1 on cycles 3, 4; token 2 loads once bank 0 is free (cycle 5), issues 6;
    # token 3 loads on bank 1 free at 6, issues 7; token 4 on bank 0 free at 8, loads 8, issues 9
    assert [b.cycle for b in s.beats] == [c + 4 for c in (3, 4, 6, 7, 9)]


def test_kept_chunks_hand_worked():
    # lanes 4, K = 10 -> chunks [0:4], [4:8], [8:10]
    config = ArrayConfig(lanes=4, rows=2, max_k=16, max_n=4, zero_skip="chunks")
    x = np.array([[1, 0, 0, 0, 0, 0, 0, 0, 0, 0],      # chunk 0, and the last: 2
                  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],      # nothing but the last: 1
                  [0, 0, 0, 0, 0, 0, 0, -3, 0, 5],     # chunks 1 and 2: 2
                  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]])     # all three
    assert kept_chunks(config, x).tolist() == [2, 1, 2, 3]
    assert kept_chunks(config.replace(zero_skip="off"), x).tolist() == [3, 3, 3, 3]
    # skipping codes: lane l holds k = l, l+4, l+8; the busiest lane's non-zero codes (>= 1)
    assert kept_chunks(config.replace(zero_skip="codes"), x).tolist() == [1, 1, 1, 3]
    y = np.array([[0, 2, 0, 0, 0, 3, 0, 0, 0, 4]])   # lane 1: k = 1, 5, 9
    assert kept_chunks(config.replace(zero_skip="codes"), y).tolist() == [3]


def test_zero_skipping_schedule_hand_worked():
    # lanes 4, rows 2, no tree cuts: output latency 2 + 1 (index read) + 1 (row sum) = 4.
    # K = 12 (3 chunks), N = 2 (1 block): weights ready on cycle 7 (2 rows x 3 chunks taken on
    # 0-5, written on 1-6). Token 0 keeps chunks 1, 2 (2 issues), token 1 only its last (1),
    # token 2 all three. Token 0 loads 0-2, issues 7-8; token 1 loads 3-5, issues 9; token 2
    # waits for bank 0, free on 8 + 1 + 1 = 10 (one read delay): loads 10-12, issues 13-15.
    # Beats 4 cycles after each token's last issue: 12, 13, 19.
    config = ArrayConfig(lanes=4, rows=2, max_k=12, max_n=2, tree_cuts=(), zero_skip="chunks")
    x = np.zeros((3, 12), int)
    x[0, 5], x[0, 11] = 7, -1
    x[2] = 1
    w = np.ones((2, 12), int)
    s = schedule(config, x, w)
    assert config.output_latency == 4 and s.weights_ready_cycle == 7
    assert [b.cycle for b in s.beats] == [12, 13, 19]
    assert s.perf_busy == 2 + 1 + 3
    assert [b.acc.tolist() for b in s.beats] == [[6, 6], [0, 0], [12, 12]]


def test_skipping_codes_schedule_hand_worked():
    # lanes 4, rows 2, no tree cuts: output latency 2 + 1 (index read) + 1 = 4; a token can issue
    # two cycles after its last beat (the lane queues' write stage). K = 8 (2 chunks), N = 2:
    # weights ready on cycle 5 (4 beats taken on 0-3, written on 1-4). Token 0: lane 1 holds
    # k = 1, 5, lane 0 k = 0: 2 issues, loads 0-1, issues 5-6, beat 10. Token 1, all zero:
    # 1 issue, loads 2-3, issues 7, beat 11. Token 2 waits for bank 0 (free on 7, no read
    # delay): loads 7-8, issues 10-11, beat 15.
    config = ArrayConfig(lanes=4, rows=2, max_k=8, max_n=2, tree_cuts=(), zero_skip="codes")
    x = np.zeros((3, 8), int)
    x[0, [0, 1, 5]] = [2, 3, -4]
    x[2] = 1
    w = np.ones((2, 8), int)
    s = schedule(config, x, w)
    assert (config.output_latency, config.act_write_delay, s.weights_ready_cycle) == (4, 1, 5)
    assert [b.cycle for b in s.beats] == [10, 11, 15]
    assert s.perf_busy == 2 + 1 + 2
    assert [b.acc.tolist() for b in s.beats] == [[1, 1], [0, 0], [8, 8]]


def test_cycle_model_does_not_import_amaranth():
    code = "import sys, golden.cycle, golden.bitlinear, hw.config; sys.exit('amaranth' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("m", [1, 3])
def test_tokens_held_until_the_weights_are_in_time_the_resident_matrix(m):
    """x_start at the end of the weight load: the counters see one token load, the issues and
    the pipeline, nothing of the weights."""
    config = ArrayConfig(lanes=8, rows=3, max_k=64, max_n=10, tree_cuts=(0, 3))
    rng = np.random.default_rng(m)
    x, w = rng.integers(-128, 128, (m, 50)), rng.integers(-1, 2, (10, 50))
    ready = schedule(config, x, w).weights_ready_cycle
    s = schedule(config, x, w, x_start=ready)
    chunks, blocks, delay = 7, 4, config.output_latency
    assert s.perf_busy == m * blocks * chunks
    assert s.perf_in_stall == chunks + delay
    assert s.cycles == ready + chunks + m * blocks * chunks + delay
    with pytest.raises(ValueError, match="x_start"):
        schedule(config, x, w, x_start=-1)
