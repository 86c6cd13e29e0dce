"""Resident matrices: where each one lives in the weight banks, and which survive a new load.

The weight banks hold ``bank_words`` words each; an N×K matrix takes ``ceil(N/rows)·ceil(K/lanes)``
words of every bank from its slot's base (``ArrayConfig.matrix_words``). Slots are placed one after
another. Behind the host link the rule is the device's (hw.link, ``mark=True``): the valid region
is every word below a mark; a load may start anywhere up to the mark, which drops every slot from
that base on (their words may be overwritten) and, once the load is committed, moves the mark to
the end of the new matrix. So a slot that is listed is always intact, and the host never selects
words that a later load touched. The array alone (``mark=False``, sim.session) knows no mark: a
load drops only the slots it overlaps, and a slot reloaded with a matrix no larger stays in place
(two slots loaded in turn while the other computes: double buffering).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Slot", "SlotError", "SlotTable"]


class SlotError(ValueError):
    """A placement that cannot be: a matrix that does not fit, an unknown slot, a bad name."""


@dataclass(frozen=True)
class Slot:
    name: str
    base: int     # first word in every bank
    n: int
    k: int
    words: int

    @property
    def end(self) -> int:
        return self.base + self.words


class SlotTable:
    """The resident matrices of one array, by name, in the order they sit in the banks.

    ``config`` needs ``bank_words`` and ``matrix_words(n, k)`` (an ``ArrayConfig``); ``mark``:
    the host link's rule (see the module doc)."""

    def __init__(self, config, *, mark: bool = True):
        self._config = config
        self._mark = mark
        self._slots: dict[str, Slot] = {}

    @property
    def capacity(self) -> int:
        return self._config.bank_words

    @property
    def used(self) -> int:
        """Words below the mark: the end of the last slot."""
        return max((slot.end for slot in self._slots.values()), default=0)

    @property
    def slots(self) -> list[Slot]:
        return sorted(self._slots.values(), key=lambda slot: slot.base)

    def __contains__(self, name) -> bool:
        return name in self._slots

    def __getitem__(self, name: str) -> Slot:
        try:
            return self._slots[name]
        except KeyError:
            known = ", ".join(repr(s) for s in self._slots) or "none"
            raise SlotError(f"slot {name!r} is not resident (resident: {known}); load it "
                            f"first") from None

    def plan(self, name: str, n: int, k: int) -> Slot:
        """Where a load of an N×K matrix into slot ``name`` goes, without placing it: the slot's
        own base if it is the last one (or, without the mark, if the new matrix is no larger),
        else after the last slot. ``SlotError`` if it does not fit in what is left."""
        if not isinstance(name, str) or not name:
            raise SlotError(f"slot name: expected a non-empty string, got {name!r}")
        config = self._config
        if not 1 <= n <= config.max_n or not 1 <= k <= config.max_k:
            raise SlotError(f"slot {name!r}: an {n}×{k} matrix exceeds the array's largest "
                            f"{config.max_n}×{config.max_k} (run it as tiles)")
        words = config.matrix_words(n, k)
        old = self._slots.get(name)
        # in place if it is the last slot; below another only without the mark (which would drop
        # every slot above it) and if the new matrix is no larger
        in_place = old is not None and (old.end == self.used or
                                        (not self._mark and words <= old.words))
        base = old.base if in_place else self.used
        if base + words > self.capacity:
            raise SlotError(f"slot {name!r}: an {n}×{k} matrix needs {words} words of each "
                            f"weight bank, but only {self.capacity - base} of {self.capacity} "
                            f"are free ({len(self._slots)} slot(s) resident); clear the slots "
                            f"or use a larger weight store")
        return Slot(name, base, n, k, words)

    def place(self, slot: Slot) -> None:
        """Record a committed load (from ``plan``): the slots it may have overwritten are gone
        (``forget``), the old slot of that name too."""
        self.forget(slot)
        self._slots.pop(slot.name, None)
        self._slots[slot.name] = slot

    def forget(self, slot: Slot) -> None:
        """A load into ``slot`` started: drop what it may overwrite, from its base on with the
        mark, the slots it overlaps without."""
        self._slots = {name: s for name, s in self._slots.items()
                       if s.end <= slot.base or (not self._mark and s.base >= slot.end)}

    def forget_from(self, base: int) -> None:
        """A load started at ``base`` (behind the link: the mark moved down to it)."""
        self.forget(Slot("", base, 0, 0, self.capacity - base))

    def clear(self) -> None:
        self._slots.clear()
