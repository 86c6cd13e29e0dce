"""golden.slots: where resident matrices go, and which ones a new load drops (the device's rule)."""

import pytest

from golden.slots import SlotError, SlotTable
from hw.config import ArrayConfig

CONFIG = ArrayConfig.tiny()     # 4 lanes x 2 rows, max 12 x 40: 6 blocks x 10 chunks = 60 words


def load(table, name, n, k):
    slot = table.plan(name, n, k)
    table.place(slot)
    return slot


def test_a_matrix_that_does_not_fit_is_refused_and_changes_nothing():
    table = SlotTable(CONFIG)
    load(table, "a", 5, 9)
    with pytest.raises(SlotError, match=r"slot 'b': an 12×40 matrix needs 60 words of each "
                                        r"weight bank, but only 51 of 60 are free"):
        table.plan("b", 12, 40)
    assert [s.name for s in table.slots] == ["a"] and table.used == 9


def test_words_follow_blocks_and_chunks():
    table = SlotTable(CONFIG)
    a = load(table, "a", 5, 9)
    b = load(table, "b", 2, 4)
    c = load(table, "c", 12, 12)
    assert (a.base, a.words) == (0, 3 * 3)
    assert (b.base, b.words) == (9, 1 * 1)
    assert (c.base, c.words) == (10, 6 * 3)
    assert table.used == 28 and table.capacity == CONFIG.bank_words == 60


def test_reloading_the_last_slot_stays_in_place():
    table = SlotTable(CONFIG)
    load(table, "a", 5, 9)
    load(table, "b", 2, 4)
    again = load(table, "b", 12, 40 - 4 * 3)     # bigger, still fits from base 9
    assert again.base == 9 and [s.name for s in table.slots] == ["a", "b"]


def test_reloading_an_earlier_slot_goes_to_the_end_and_keeps_the_others():
    table = SlotTable(CONFIG)
    load(table, "a", 5, 9)
    load(table, "b", 2, 4)
    again = load(table, "a", 2, 4)
    assert again.base == 10
    assert [(s.name, s.base) for s in table.slots] == [("b", 9), ("a", 10)]


def test_an_interrupted_load_drops_the_slots_it_may_have_touched():
    table = SlotTable(CONFIG)
    load(table, "a", 5, 9)
    load(table, "b", 2, 4)
    load(table, "c", 2, 4)
    table.forget_from(9)
    assert [s.name for s in table.slots] == ["a"] and table.used == 9


@pytest.mark.parametrize("name, n, k, message", [
    ("", 1, 1, "non-empty string"), (3, 1, 1, "non-empty string"),
    ("x", 13, 4, r"exceeds the array's largest 12×40"), ("x", 4, 41, "exceeds"),
    ("x", 0, 4, "exceeds")])
def test_bad_placements_are_refused(name, n, k, message):
    with pytest.raises(SlotError, match=message):
        SlotTable(CONFIG).plan(name, n, k)


def test_an_unknown_slot_names_the_resident_ones():
    table = SlotTable(CONFIG)
    load(table, "fc1", 2, 4)
    with pytest.raises(SlotError, match=r"slot 'fc2' is not resident \(resident: 'fc1'\)"):
        table["fc2"]
