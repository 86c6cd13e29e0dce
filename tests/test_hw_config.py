"""ArrayConfig: validation names the field and the allowed range; derived values come from golden/."""

import pytest

from golden.bitlinear import acc_bits
from hw.config import PE_KIND_NAMES, ArrayConfig
from hw.pe import PE_KINDS


def test_pe_kind_names_match_registry():
    assert tuple(PE_KINDS) == PE_KIND_NAMES


@pytest.mark.parametrize("preset", ["tiny", "icebreaker"])
def test_presets_are_valid_and_frozen(preset):
    config = ArrayConfig.presets()[preset]
    assert config == getattr(ArrayConfig, preset)()
    with pytest.raises(Exception):
        config.lanes = 3  # frozen


@pytest.mark.parametrize("max_k, act_bits", [(1, 8), (40, 8), (512, 8), (1024, 8), (300, 4)])
def test_acc_bits_is_golden(max_k, act_bits):
    config = ArrayConfig(max_k=max_k, act_bits=act_bits)
    assert config.acc_bits == acc_bits(max_k, act_bits)


def test_derived_sizes():
    config = ArrayConfig(lanes=16, rows=3, max_k=100, max_n=10, tree_cuts=(0, 4))
    assert config.tree_depth == 4
    assert config.tree_latency == 2
    assert config.row_latency == 3     # plus the row-sum register
    assert config.max_chunks == 7      # ceil(100 / 16)
    assert config.max_blocks == 4      # ceil(10 / 3)
    assert config.pes == 48
    assert ArrayConfig(lanes=1, tree_cuts=()).tree_depth == 0


@pytest.mark.parametrize("changes, words", [
    ({"pe_kind": "lut"}, "ArrayConfig.pe_kind: 'lut' is not one of ('mux', 'xor', 'mul8', 'mul8_dsp')"),
    ({"lanes": 0}, "ArrayConfig.lanes: 0 is outside the allowed range [1, 1024]"),
    ({"lanes": 12}, "ArrayConfig.lanes: 12 is not a power of two"),
    ({"lanes": 16.0}, "ArrayConfig.lanes: expected an integer in [1, 1024]"),
    ({"rows": 0}, "ArrayConfig.rows: 0 is outside the allowed range [1, 256]"),
    ({"act_bits": 9}, "ArrayConfig.act_bits: 9 is outside the allowed range [2, 8]"),
    ({"max_k": 0}, "ArrayConfig.max_k: 0 is outside the allowed range"),
    ({"max_n": True}, "ArrayConfig.max_n: expected an integer"),
    ({"perf_bits": 4}, "ArrayConfig.perf_bits: 4 is outside the allowed range [8, 64]"),
    ({"weight_packing": "base3"}, "ArrayConfig.weight_packing: 'base3' is not one of ('2bit',)"),
    ({"tree_cuts": [1]}, "ArrayConfig.tree_cuts: expected a tuple of levels, got list"),
    ({"lanes": 16, "tree_cuts": (5,)}, "ArrayConfig.tree_cuts: level 5 is outside the allowed range [0, 4]"),
    ({"tree_cuts": (2, 1)}, "ArrayConfig.tree_cuts: (2, 1) must be strictly increasing"),
])
def test_invalid_values_name_field_and_range(changes, words):
    with pytest.raises(ValueError) as info:
        ArrayConfig(**changes)
    assert words in str(info.value)


def test_baseline_kinds_widen_weights_and_accumulators():
    ternary = ArrayConfig(max_k=512)
    baseline = ternary.replace(pe_kind="mul8")
    assert ternary.ternary and ternary.weight_bits == 2
    assert not baseline.ternary and baseline.weight_bits == 8
    assert baseline.acc_bits == acc_bits(512, 8, 128) == (512 * 128 * 128).bit_length() + 1
    assert ArrayConfig(pe_kind="mul8_dsp").weight_bits == 8
