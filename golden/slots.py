"""Resident matrices: where each one lives in the weight banks, and which survive a new load.

The weight banks hold ``bank_words`` words each; an N×K matrix takes ``ceil(N/rows)·ceil(K/lanes)``
words of every bank from its slot's base (``ArrayConfig.matrix_words``). Slots are placed one after
another, and the rule is the device's (hw.link): the valid region is every word below a mark; a
load may start anywhere up to the mark, which drops every slot from that base on (their words may
be overwritten) and, once the load is committed, moves the mark to the end of the new matrix. So a
slot that is listed is always intact, and the host never selects words that a later load touched.
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

    ``config`` needs ``bank_words`` and ``matrix_words(n, k)`` (an ``ArrayConfig``)."""

    def __init__(self, config):
        self._config = config
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
        own base if it is the last one (reloaded in place when the new matrix fits there), else
        the mark. ``SlotError`` if it does not fit in what is left."""
        if not isinstance(name, str) or not name:
            raise SlotError(f"slot name: expected a non-empty string, got {name!r}")
        config = self._config
        if not 1 <= n <= config.max_n or not 1 <= k <= config.max_k:
            raise SlotError(f"slot {name!r}: an {n}×{k} matrix exceeds the array's largest "
                            f"{config.max_n}×{config.max_k} (run it as tiles)")
        words = config.matrix_words(n, k)
        old = self._slots.get(name)
        # in place only if it is the last slot: in place below another would drop that one too
        base = old.base if old is not None and old.end == self.used else self.used
        if base + words > self.capacity:
            raise SlotError(f"slot {name!r}: an {n}×{k} matrix needs {words} words of each "
                            f"weight bank, but only {self.capacity - base} of {self.capacity} "
                            f"are free ({len(self._slots)} slot(s) resident); clear the slots "
                            f"or use a larger weight store")
        return Slot(name, base, n, k, words)

    def place(self, slot: Slot) -> None:
        """Record a committed load (from ``plan``): slots from its base on are gone, the old slot
        of that name too."""
        self._slots = {name: s for name, s in self._slots.items()
                       if s.end <= slot.base and name != slot.name}
        self._slots[slot.name] = slot

    def forget_from(self, base: int) -> None:
        """A load started at ``base`` and did not complete: slots from there on are gone."""
        self._slots = {name: s for name, s in self._slots.items() if s.end <= base}

    def clear(self) -> None:
        self._slots.clear()
