# amaranth: UnusedElaboratable=no
"""Every bit-parallel PE kind, exhaustively: all activation codes × all three trits, out +
correction = a·t (the table and bit-serial kinds' elements: test_hw_datapath_table.py and
_serial.py); the int8 baseline PE over all weights; and no multiplier in any ternary kind's rows."""

import pytest

from hw.config import PE_KINDS, ArrayConfig
from hw.datapath.pe import TernaryPE
from hw.datapath.serial import SerialLane
from hw.datapath.table import TableGroup
from hw.formats import TRIT_CODE

TERNARY_KINDS = sorted(name for name, kind in PE_KINDS.items() if kind.ternary)
LANE_KINDS = sorted(name for name in TERNARY_KINDS
                    if issubclass(PE_KINDS[name].element_class(), TernaryPE))
ACT_BITS_KINDS = sorted(name for name in PE_KINDS if PE_KINDS[name].element_class() is not SerialLane)


def test_every_ternary_kind_is_tested_exhaustively():
    tested = {PE_KINDS[k].element_class() for k in LANE_KINDS} | {TableGroup, SerialLane}
    assert {PE_KINDS[k].element_class() for k in TERNARY_KINDS} <= tested


@pytest.mark.parametrize("kind", LANE_KINDS)
@pytest.mark.parametrize("act_bits", [8, 4])
def test_pe_exhaustive(run_sim, kind, act_bits):
    pe = PE_KINDS[kind].element_class()(act_bits=act_bits)
    half = 1 << (act_bits - 1)
    seen = []

    async def check(ctx):
        for trit, code in TRIT_CODE.items():
            for act in range(-half, half):
                ctx.set(pe.act, act)
                ctx.set(pe.code, code)
                total = ctx.get(pe.out) + ctx.get(pe.correction)
                assert total == act * trit, f"{kind}: act {act} trit {trit} gave {total}"
                if not pe.has_correction:
                    assert ctx.get(pe.correction) == 0
                seen.append((act, trit))

    run_sim(pe, check)
    assert len(seen) == 3 * (1 << act_bits)


@pytest.mark.parametrize("kind", ACT_BITS_KINDS)
def test_pe_rejects_bad_width(kind):
    with pytest.raises(ValueError, match="act_bits must be an integer in"):
        PE_KINDS[kind].element_class()(act_bits=1)


def test_int8_baseline_pe_multiplies_every_weight(run_sim):
    pe = PE_KINDS["mul8"].element_class()(act_bits=8)
    acts = [-128, -127, -64, -3, -1, 0, 1, 2, 63, 126, 127]

    async def check(ctx):
        for weight in range(-128, 128):
            for act in acts:
                ctx.set(pe.act, act)
                ctx.set(pe.code, weight & 0xFF)
                assert ctx.get(pe.out) == act * weight, f"act {act} weight {weight}"
                assert ctx.get(pe.correction) == 0

    run_sim(pe, check)


def test_only_the_baseline_has_a_multiplier():
    from amaranth.back import rtlil
    for name, kind in PE_KINDS.items():
        config = ArrayConfig(pe_kind=name, lanes=4, rows=2, tree_cuts=(1,))
        text = rtlil.convert(kind.array_class()(config))
        assert ("$mul" in text) == (not kind.ternary), name
