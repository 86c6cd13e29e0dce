"""sim.session: matrices loaded once stay resident in the weight banks; tokens on any of them,
in any order, are bit-exact and cycle-exact against golden/ and the cycle model; a broken array
is caught there too."""

import numpy as np
import pytest

from golden.bitlinear import int_matmul
from golden.cycle import schedule
from golden.slots import SlotError
from hw.config import ArrayConfig
from sim import ScoreboardError
from sim.session import ArraySession
from tests.faults import FlipOutputBit

CONFIG = ArrayConfig.tiny()      # 4 lanes x 2 rows, 60 words a bank


@pytest.fixture
def session():
    with ArraySession(CONFIG) as array:
        yield array


def trits(rng, n, k):
    return rng.integers(-1, 2, (n, k))


def acts(rng, m, k):
    return rng.integers(-128, 128, (m, k))


def test_resident_matrices_serve_tokens_in_any_order(session):
    rng = np.random.default_rng(1)
    shapes = {"a": (5, 9), "b": (2, 4), "c": (12, 13), "d": (1, 1)}
    weights = {name: trits(rng, *shape) for name, shape in shapes.items()}
    for name, w in weights.items():
        load = session.load(name, w)
        n, k = w.shape
        assert load.cycles == (-(-n // CONFIG.rows) * CONFIG.rows * -(-k // CONFIG.lanes)
                               + CONFIG.weight_write_delay)
    assert session.slots.used == sum(CONFIG.matrix_words(*s) for s in shapes.values())
    for name in rng.permutation(list(shapes) * 3):       # each used three times, shuffled
        w = weights[name]
        x = acts(rng, int(rng.integers(1, 4)), w.shape[1])
        run = session.run(name, x)    # raises on any beat off in value or cycle
        np.testing.assert_array_equal(run.acc, int_matmul(x, w))
        expected = schedule(CONFIG, x, w, resident=True)
        assert run.cycles == expected.cycles
        assert run.perf == {"busy": expected.perf_busy, "in_stall": expected.perf_in_stall,
                            "out_stall": 0}


def test_a_reload_replaces_only_its_own_slot(session):
    rng = np.random.default_rng(2)
    a, b, b2 = trits(rng, 4, 8), trits(rng, 3, 5), trits(rng, 6, 12)
    session.load("a", a)
    session.load("b", b)
    session.load("b", b2)                       # the last slot: reloaded in place, larger
    assert session.slots["b"].base == session.slots["a"].end
    x = acts(rng, 2, 8)
    np.testing.assert_array_equal(session.run("a", x).acc, int_matmul(x, a))
    x = acts(rng, 2, 12)
    np.testing.assert_array_equal(session.run("b", x).acc, int_matmul(x, b2))
    a2 = trits(rng, 2, 3)
    session.load("a", a2)                       # not the last: goes after b, b stays
    x = acts(rng, 1, 12)
    np.testing.assert_array_equal(session.run("b", x).acc, int_matmul(x, b2))
    x = acts(rng, 3, 3)
    np.testing.assert_array_equal(session.run("a", x).acc, int_matmul(x, a2))


def test_the_banks_fill_to_the_last_word(session):
    rng = np.random.default_rng(3)
    big = trits(rng, CONFIG.max_n, CONFIG.max_k - CONFIG.lanes)     # 6 blocks x 9 chunks
    small = trits(rng, 2, 24)                                       # 1 block x 6 chunks
    session.load("big", big)
    session.load("small", small)
    assert session.slots.used == CONFIG.bank_words
    with pytest.raises(SlotError, match="only 0 of 60 are free"):
        session.load("more", trits(rng, 1, 1))
    for name, w in (("small", small), ("big", big)):
        x = acts(rng, 2, w.shape[1])
        np.testing.assert_array_equal(session.run(name, x).acc, int_matmul(x, w))


def test_unknown_slots_and_bad_operands_fail_before_simulation(session):
    with pytest.raises(SlotError, match="not resident"):
        session.run("nothing", np.zeros((1, 4), int))
    session.load("a", np.ones((2, 4), int))
    with pytest.raises(ValueError, match="K differs"):
        session.run("a", np.zeros((1, 5), int))
    with pytest.raises(ValueError, match="outside"):
        session.load("b", np.full((2, 4), 2))
    np.testing.assert_array_equal(session.run("a", np.ones((1, 4), int)).acc, [[4, 4]])


def test_a_broken_array_is_caught():
    with ArraySession(CONFIG, design=FlipOutputBit) as array:
        array.load("a", np.ones((2, 4), int))
        with pytest.raises(ScoreboardError):
            array.run("a", np.ones((1, 4), int))


def test_a_load_overlaps_compute_on_another_slot(session):
    """Double buffering: each tile loads into one slot while the other computes; every product
    is golden's, the load takes a beat a cycle from cycle 0 and the tokens keep the resident
    schedule (both checked against the cycle model inside overlap)."""
    rng = np.random.default_rng(5)
    tiles = [trits(rng, 6, 20) for _ in range(5)]                 # 15 words each: two fit
    x = acts(rng, 2, 20)
    session.load("even", tiles[0])
    for i, w in enumerate(tiles[1:], 1):
        slot, previous = ("odd", "even") if i % 2 else ("even", "odd")
        load, run = session.overlap(slot, w, previous, x)
        np.testing.assert_array_equal(run.acc, int_matmul(x, tiles[i - 1]))
        # 3 blocks x 2 rows x 5 chunks, then the last word's write
        assert load.cycles == 3 * CONFIG.rows * 5 + CONFIG.weight_write_delay
    assert session.slots["even"].base == 0 and session.slots["odd"].base == 15   # in place
    np.testing.assert_array_equal(session.run("even", x).acc, int_matmul(x, tiles[4]))


def test_overlap_refuses_what_would_be_wrong(session):
    rng = np.random.default_rng(6)
    session.load("a", trits(rng, 2, 4))
    with pytest.raises(ValueError, match="cannot be loaded while it computes"):
        session.overlap("a", trits(rng, 2, 4), "a", acts(rng, 1, 4))
    with pytest.raises(SlotError, match="not resident"):
        session.overlap("b", trits(rng, 2, 4), "c", acts(rng, 1, 4))


def test_spram_banks_have_one_port_so_nothing_overlaps():
    config = ArrayConfig(lanes=8, rows=1, max_k=16, max_n=4, tree_cuts=(), weight_store="spram")
    with ArraySession(config) as array:
        array.load("a", np.ones((2, 8), int))
        with pytest.raises(ValueError, match="block-RAM banks only"):
            array.overlap("b", np.ones((2, 8), int), "a", np.ones((1, 8), int))
        np.testing.assert_array_equal(array.run("a", np.ones((1, 8), int)).acc, [[8, 8]])


def test_base3_matrices_stay_resident_and_overlap_compute():
    """Base-3 banks (five trits a byte, decoded on reading) under Verilator: resident slots in
    any order, and a load overlapping compute, all against golden/ and the cycle model."""
    config = ArrayConfig(lanes=10, rows=2, max_k=40, max_n=16, tree_cuts=(1,),
                         weight_packing="base3")            # 32 words a bank
    rng = np.random.default_rng(7)
    weights = {"a": trits(rng, 5, 23), "b": trits(rng, 6, 40), "c": trits(rng, 1, 3)}
    with ArraySession(config) as array:
        for name, w in weights.items():
            array.load(name, w)
        for name in rng.permutation(list(weights) * 2):
            w = weights[name]
            x = acts(rng, 2, w.shape[1])
            run = array.run(name, x)
            np.testing.assert_array_equal(run.acc, int_matmul(x, w))
            assert run.cycles == schedule(config, x, w, resident=True).cycles
        w = trits(rng, 4, 17)
        x = acts(rng, 3, 40)
        load, run = array.overlap("d", w, "b", x)
        np.testing.assert_array_equal(run.acc, int_matmul(x, weights["b"]))
        x = acts(rng, 2, 17)
        np.testing.assert_array_equal(array.run("d", x).acc, int_matmul(x, w))
