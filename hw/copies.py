"""Registers copied on purpose: one source, several flops, each near the logic it feeds.

A net that reaches every row of a large array crosses the die (5-6 ns on the ECP5-85F), and
nextpnr does not duplicate its driver. The datapath copies such a register itself
(``register_copies``); yosys would merge the copies back into one flop (``opt_merge`` folds
cells with the same inputs), so each carries the attribute ``COPY_ATTR`` and ``KEEP_COPIES``
(part of ``hw.memory.bram.YOSYS_AFTER_READ``, run by every synthesis here right after reading
the design) marks the flops that drive such wires ``keep``, which ``opt_merge`` respects.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal

__all__ = ["COPY_ATTR", "KEEP_COPIES", "register_copies", "row_copy", "group_copies",
           "regional_copies"]

#: The wire attribute of a deliberate copy.
COPY_ATTR = "bitnet_copy"

#: Yosys: the flops (still ``$dff`` right after reading Amaranth's RTLIL) driving a copy's wire
#: are kept.
KEEP_COPIES = f"setattr -set keep 1 a:{COPY_ATTR} %ci1:+$dff[Q] t:$dff %i"


def register_copies(m: Module, value, copies: int, *, name: str, en=None,
                    reset_less: bool = False, init=None) -> list:
    """``copies`` registers of ``value`` (shaped like it, starting at ``init`` if given),
    loading when ``en`` (every cycle without one; a list: each copy its own), kept apart
    through synthesis."""
    enables = en if isinstance(en, list) else [en] * copies
    assert len(enables) == copies, (len(enables), copies)
    out = []
    for index, enable in enumerate(enables):
        copy = Signal.like(value, name=f"{name}_{index}", attrs={COPY_ATTR: 1},
                           reset_less=reset_less, **({} if init is None else {"init": init}))
        if enable is None:
            m.d.sync += copy.eq(value)
        else:
            with m.If(enable):
                m.d.sync += copy.eq(value)
        out.append(copy)
    return out


def regional_copies(m: Module, value, config, *, name: str, region_en=None, group_en=None,
                    reset_less: bool = False) -> list:
    """Two stages of copies: one of ``value`` a row region (``config.row_regions``), then one
    a row group of its region's copy, so neither hop spans the die. ``region_en`` and
    ``group_en`` as ``register_copies``' ``en`` (a list: one a region, one a group). Returns
    the groups' copies."""
    regions = register_copies(m, value, config.row_regions, name=f"{name}_region",
                              en=region_en, reset_less=reset_less)
    enables = group_en if isinstance(group_en, list) else [group_en] * config.row_groups
    return [register_copies(m, regions[config.row_region(group)], 1, name=f"{name}_group{group}",
                            en=[enables[group]], reset_less=reset_less)[0]
            for group in range(config.row_groups)]


def group_copies(copies: list, config) -> list:
    """One of ``copies`` for each row group: each group's own if there is a copy a group, else
    the only one for all (as an ``en`` list for ``register_copies`` of ``row_groups`` copies)."""
    return [copies[group] if len(copies) > 1 else copies[0]
            for group in range(config.row_groups)]


def row_copy(copies: list, config, row: int):
    """The one of ``copies`` that ``row`` takes: its row group's (``ArrayConfig.row_group``) if
    there is a copy a group, else the only one."""
    return copies[config.row_group(row)] if len(copies) > 1 else copies[0]
