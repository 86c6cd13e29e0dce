"""WeightMemory: a matrix written row by row reads back in the bank layout, padded with zero trits."""

import numpy as np
import pytest

from golden.ints import ceil_div
from hw.config import ArrayConfig
from golden.packing import pack_base3, unpack_base3
from hw.formats import TRIT_CODE
from hw.datapath.weight_mem import WeightMemory


def expected_words(config, w, chunks):
    """What bank r holds at word b*chunks + c: row b*rows + r, lanes of chunk c; zero trit elsewhere."""
    n, k = w.shape
    blocks = ceil_div(n, config.rows)
    trits = np.zeros((blocks * config.rows, chunks * config.lanes), dtype=np.int64)
    trits[:n, :k] = w
    codes = trits + 1
    return {(r, b * chunks + c): codes[b * config.rows + r, c * config.lanes:(c + 1) * config.lanes]
            for b in range(blocks) for r in range(config.rows) for c in range(chunks)}


@pytest.mark.parametrize("n, k, stall_prob, seed", [(7, 10, 0.0, 0), (12, 40, 0.3, 1), (1, 1, 0.0, 2), (3, 4, 0.5, 3)])
@pytest.mark.parametrize("cuts", [{}, {"write_cuts": 2, "row_groups": 2},
                                  {"write_cuts": 3, "row_groups": 3, "row_regions": 2,
                                   "address_cuts": 2}])
def test_load_then_read_back(run_sim, n, k, stall_prob, seed, cuts):
    config = ArrayConfig.tiny(rows=3, read_cuts=1, **cuts)  # lanes 4, max_k 40, max_n 12
    mem = WeightMemory(config)
    rng = np.random.default_rng(seed)
    chunks = ceil_div(k, config.lanes)
    w = rng.integers(-1, 2, (n, k))
    # Beats: lanes past K carry +1 codes, which must not be stored.
    beats = np.full((n, chunks * config.lanes), TRIT_CODE[1])
    beats[:, :k] = w + 1
    beats = beats.reshape(n * chunks, config.lanes)
    want = expected_words(config, w, chunks)
    got = {}
    blocks = ceil_div(n, config.rows)

    async def testbench(ctx):
        ctx.set(mem.chunks, chunks)
        ctx.set(mem.last_chunk, chunks - 1)
        ctx.set(mem.last_row, n - 1)
        ctx.set(mem.last_lanes, sum(1 << lane for lane in range(config.lanes)
                                    if lane < k - (chunks - 1) * config.lanes))
        ctx.set(mem.allow, 1)
        await ctx.tick().repeat(2)   # the shape must be stable two cycles before the first beat
        sent = 0
        cycles = 0
        while not ctx.get(mem.loaded):
            valid = sent < len(beats) and rng.random() >= stall_prob
            ctx.set(mem.load.valid, valid)
            if valid:
                ctx.set(mem.load.payload, [int(v) for v in beats[sent]])
            _, _, ready = await ctx.tick().sample(mem.load.ready)
            sent += valid and ready
            cycles += 1
            assert cycles < 5000
        assert sent == len(beats)
        ctx.set(mem.load.valid, 0)
        lag = 1 + config.address_cuts + config.decode_latency   # the read pipeline
        for addr in range(blocks * chunks + lag):
            ctx.set(mem.rd_en, [1] * config.act_copies)
            if config.address_cuts == 2:
                ctx.set(mem.rd_region_en, [1] * config.row_regions)
            ctx.set(mem.rd_addr, min(addr, blocks * chunks - 1))
            _, _, data = await ctx.tick().sample(mem.rd_data)
            if addr >= lag:
                for r in range(config.rows):
                    got[(r, addr - lag)] = [int(v) for v in data[r]]

    run_sim(mem, testbench)
    assert set(got) == set(want)
    for key in want:
        assert got[key] == want[key].tolist(), f"bank {key[0]} word {key[1]}"


@pytest.mark.parametrize("n, padding_words", [(4, 4), (6, 0)])
@pytest.mark.parametrize("write_cuts", [0, 1, 2, 3])
def test_loaded_flag_and_padding_cycles(run_sim, n, padding_words, write_cuts):
    # rows 3, 2 chunks a row: N = 4 pads rows 4 and 5 (2 chunks each); N = 6 fills both blocks.
    # The third write cut is a copy a row region: it needs groups
    regions = {"row_groups": 3, "row_regions": 2, "read_cuts": 2} if write_cuts == 3 else {}
    config = ArrayConfig.tiny(rows=3, write_cuts=write_cuts, **regions)
    mem = WeightMemory(config)
    beats = 2 * n

    async def testbench(ctx):
        ctx.set(mem.chunks, 2)
        ctx.set(mem.last_chunk, 1)
        ctx.set(mem.last_row, n - 1)
        ctx.set(mem.last_lanes, 0b1111)
        ctx.set(mem.allow, 1)
        await ctx.tick().repeat(2)   # the shape must be stable two cycles before the first beat
        ctx.set(mem.load.valid, 1)
        trace = []
        for _ in range(beats + padding_words + 5):
            _, _, ready, loaded, writing = await ctx.tick().sample(mem.load.ready, mem.loaded,
                                                                   mem.writing)
            trace.append((ready, loaded, writing))
        # the beats; ready low while the last is written (a cycle: the beat register) and while
        # padding, then the loader is done; the beat on that cycle begins the next matrix. Every
        # beat and padding word leaves the loader (``writing``) a cycle after it is taken, and
        # ``loaded`` rises the write cuts later: once the last write reached its bank.
        done = beats + 1 + padding_words
        assert [r for r, _, _ in trace[:done]] == [1] * beats + [0] * (1 + padding_words)
        assert [w for _, _, w in trace[:done + 1]] == [0] * 1 + [1] * (beats + padding_words) + [0]
        rises = done + config.write_cuts
        assert [l for _, l, _ in trace[:rises + 1]] == [0] * rises + [1]
        assert trace[done][0] == 1
        if not config.write_cuts:
            assert trace[done + 1][:2] == (1, 0)  # that beat cleared loaded
    run_sim(mem, testbench)


def test_allow_low_blocks_the_stream(run_sim):
    mem = WeightMemory(ArrayConfig.tiny())

    async def testbench(ctx):
        ctx.set(mem.load.valid, 1)
        ctx.set(mem.allow, 0)
        assert not ctx.get(mem.load.ready)

    run_sim(mem, testbench)


BASE3 = ArrayConfig(lanes=10, rows=2, max_k=10, max_n=256, tree_cuts=(), weight_packing="base3")


def load_and_read_base3(run_sim, mem, config, beats, reads):
    """Load ``beats`` (one chunk a row: K = lanes) then, for each ``(addr, last, read_lanes)``,
    read through both registers of the read pipeline (the bank, then the decode ROMs)."""
    got = []

    async def testbench(ctx):
        ctx.set(mem.chunks, 1)
        ctx.set(mem.last_chunk, 0)
        ctx.set(mem.last_row, len(beats) - 1)
        ctx.set(mem.last_lanes, (1 << config.lanes) - 1)
        ctx.set(mem.allow, 1)
        await ctx.tick().repeat(2)
        for beat in beats:
            ctx.set(mem.load.valid, 1)
            ctx.set(mem.load.payload, [int(b) for b in beat])
            await ctx.tick()
        ctx.set(mem.load.valid, 0)
        for _ in range(config.rows + 1):
            await ctx.tick()
        assert ctx.get(mem.loaded)
        ctx.set(mem.rd_en, [1] * config.act_copies)
        for addr, last, lanes in reads:
            ctx.set(mem.rd_addr, addr)
            ctx.set(mem.rd_last, last)
            ctx.set(mem.read_lanes, lanes)
            await ctx.tick().repeat(2)    # the bank reads addr, then the ROMs read its bytes
            got.append([[int(c) for c in ctx.get(mem.rd_data[r])] for r in range(config.rows)])

    run_sim(mem, testbench)
    return got


@pytest.mark.parametrize("store", ["ebr", "spram"])
def test_base3_decodes_every_byte(run_sim, store):
    """All 256 byte values through the banks and the decode ROMs: the 243 base-3 bytes read as
    golden.packing's five trits, the 13 others as five zero trits."""
    config = BASE3.replace(weight_store=store)
    mem = WeightMemory(config)
    every_byte = np.arange(256, dtype=np.uint8).reshape(128, 2)   # row r: bytes 2r, 2r+1
    words = ceil_div(128, config.rows)
    got = load_and_read_base3(run_sim, mem, config, every_byte,
                              [(a, 0, 0) for a in range(words)])
    for byte in range(256):
        row = byte // 2
        codes = got[row // config.rows][row % config.rows][5 * (byte % 2):5 * (byte % 2) + 5]
        if byte < 243:
            want = unpack_base3(np.array([byte], np.uint8), 5) + 1
        else:
            want = np.ones(5, int)
        assert codes == list(want), f"byte {byte}"


def test_base3_masks_lanes_past_k_of_a_last_chunk(run_sim):
    """Five lanes share a byte, so lanes past K cannot be dropped when stored: a last chunk's
    read masks them to zero trits, other reads do not."""
    mem = WeightMemory(BASE3)
    rng = np.random.default_rng(3)
    w = rng.integers(-1, 1, (2, 10))        # -1 or 0: a mask to +0 shows on every lane
    beats = pack_base3(w)
    lanes = 0b0000000111
    plain, last = load_and_read_base3(run_sim, mem, BASE3, beats, [(0, 0, lanes), (0, 1, lanes)])
    assert plain == (w + 1).tolist()
    masked = w + 1
    masked[:, 3:] = TRIT_CODE[0]
    assert last == masked.tolist()
