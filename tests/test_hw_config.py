"""ArrayConfig: validation names the field and the allowed range; derived values come from golden/."""

import pytest

from golden.bitlinear import acc_bits
from hw.config import PE_KINDS, ArrayConfig
from hw.datapath.pe import TernaryPE
from hw.datapath.row import RowArray


def test_pe_kind_table_is_consistent():
    """Names are keys, classes resolve (to PEs, for the kinds built from the default rows), wire
    ids are unique and only ternary kinds have one, and only bit-serial kinds take more than a
    cycle a chunk."""
    ids = [kind.wire_id for kind in PE_KINDS.values() if kind.wire_id is not None]
    assert len(ids) == len(set(ids))
    for name, kind in PE_KINDS.items():
        assert kind.name == name
        assert issubclass(kind.array_class(), RowArray)
        if kind.array_class() is RowArray:
            assert issubclass(kind.element_class(), TernaryPE)
        else:
            assert isinstance(kind.element_class(), type)
        assert (kind.wire_id is not None) == kind.ternary
        assert ArrayConfig(pe_kind=name).ternary == kind.ternary
        config = ArrayConfig(pe_kind=name, act_bits=4)
        assert config.cycles_per_chunk == (4 if kind.bit_serial else 1)


@pytest.mark.parametrize("preset", sorted(ArrayConfig.presets()))
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
    assert config.output_latency == 5 and config.shape_settle_cycles == 3
    assert config.weight_word_bits == 32 and config.decode_latency == 0


def test_base3_sizes():
    """Five trits a byte: a 20-lane word is 4 bytes, K is counted into chunks (up to max_chunks
    cycles more to settle), and the decode ROMs add a cycle to every beat."""
    config = ArrayConfig.icebreaker_spram_base3()
    assert config.weight_word_bits == 32          # 20 trits, where 2-bit codes took 40 bits
    assert not config.chunks_by_shifts
    assert config.max_chunks == 32 and config.shape_settle_cycles == 3 + 32
    assert config.decode_latency == 1
    assert config.output_latency == ArrayConfig.icebreaker_spram().output_latency + 2  # + a cut
    assert config.bank_words * config.rows * config.lanes == 655_360   # 1.25 x 524,288


@pytest.mark.parametrize("changes, words", [
    ({"pe_kind": "lut"}, "ArrayConfig.pe_kind: 'lut' is not one of ('mux', 'xor', 'table2', 'serial', 'mul8', "
                       "'mul8_dsp')"),
    ({"lanes": 0}, "ArrayConfig.lanes: 0 is outside the allowed range [1, 1024]"),
    ({"lanes": 12}, "ArrayConfig.lanes: 12 is not a power of two"),
    ({"lanes": 16.0}, "ArrayConfig.lanes: expected an integer in [1, 1024]"),
    ({"rows": 0}, "ArrayConfig.rows: 0 is outside the allowed range [1, 256]"),
    ({"act_bits": 9}, "ArrayConfig.act_bits: 9 is outside the allowed range [2, 8]"),
    ({"max_k": 0}, "ArrayConfig.max_k: 0 is outside the allowed range"),
    ({"max_n": True}, "ArrayConfig.max_n: expected an integer"),
    ({"perf_bits": 4}, "ArrayConfig.perf_bits: 4 is outside the allowed range [8, 64]"),
    ({"weight_packing": "5trit"}, "ArrayConfig.weight_packing: '5trit' is not one of ('2bit', 'base3')"),
    ({"weight_packing": "base3"}, "ArrayConfig.lanes: 16 lanes with base-3 weights must be 5 x a power"),
    ({"weight_packing": "base3", "lanes": 30}, "ArrayConfig.lanes: 30 lanes with base-3 weights"),
    ({"weight_packing": "base3", "lanes": 20, "pe_kind": "mul8"},
     "ArrayConfig.weight_packing: 'base3' packs trits; pe_kind 'mul8' has int8 weights"),
    ({"weight_packing": "base3", "lanes": 5, "tree_cuts": (), "weight_store": "spram"},
     "'spram' needs a row's weight word to be a multiple of 16 bits"),
    ({"lanes": 20}, "ArrayConfig.lanes: 20 is not a power of two"),
    ({"tree_cuts": [1]}, "ArrayConfig.tree_cuts: expected a tuple of levels, got list"),
    ({"lanes": 16, "tree_cuts": (5,)}, "ArrayConfig.tree_cuts: level 5 is outside the allowed range [0, 4]"),
    ({"tree_cuts": (2, 1)}, "ArrayConfig.tree_cuts: (2, 1) must be strictly increasing"),
    ({"zero_skip": True}, "ArrayConfig.zero_skip: True is not one of ('off', 'chunks', 'codes')"),
    ({"zero_skip": "codes", "weight_store": "spram"},
     "ArrayConfig.zero_skip: 'codes' keeps a bank per lane of 2-bit trits in block RAM"),
    ({"zero_skip": "codes", "pe_kind": "mul8"}, "'codes' keeps a bank per lane of 2-bit trits"),
    ({"row_groups": 0}, "ArrayConfig.row_groups: 0 is outside the allowed range [1, 256]"),
    ({"row_groups": 2}, "ArrayConfig.row_groups: 2 groups copy the read registers, and there are "
                        "none: set read_cuts or address_cuts"),
    ({"row_groups": 3, "read_cuts": 1}, "ArrayConfig.row_groups: 3 groups for 2 rows"),
    ({"address_cuts": 3}, "ArrayConfig.address_cuts: 3 is outside the allowed range [0, 2]"),
    ({"read_cuts": 4}, "ArrayConfig.read_cuts: 4 is outside the allowed range [0, 3]"),
    ({"write_cuts": 4}, "ArrayConfig.write_cuts: 4 is outside the allowed range [0, 3]"),
    ({"write_cuts": 3}, "ArrayConfig.write_cuts: the third cut is a copy a row region"),
    ({"row_regions": 2}, "ArrayConfig.row_regions: 2 regions of one row group; set row_groups"),
    ({"output_slots": 1}, "ArrayConfig.output_slots: expected 0 (the pipeline stalls) or 2, got 1"),
    ({"output_slots": 2, "output_buffer": 1},
     "ArrayConfig.output_slots: the output slots replace the output buffer"),
    ({"sum_cuts": 2}, "ArrayConfig.sum_cuts: 2 is outside the allowed range [0, 1]"),
    ({"result_chain": 2}, "ArrayConfig.result_chain: 2 is outside the allowed range [0, 1]"),
    ({"row_regions": 3, "row_groups": 2, "read_cuts": 2},
     "ArrayConfig.row_regions: 3 regions for 2 row groups"),
    ({"row_regions": 2, "row_groups": 2, "read_cuts": 1},
     "ArrayConfig.row_regions: the regions copy the activations' register before the groups'"),
    ({"address_cuts": 1, "zero_skip": "codes"},
     "ArrayConfig.address_cuts: the register sits before whole-word block-RAM banks"),
    ({"address_cuts": 1, "weight_store": "spram", "lanes": 8},
     "ArrayConfig.address_cuts: the register sits before whole-word block-RAM banks"),
])
def test_invalid_values_name_field_and_range(changes, words):
    with pytest.raises(ValueError) as info:
        ArrayConfig(**changes)
    assert words in str(info.value)


def test_zero_skip_from_the_command_line_and_its_latency():
    config = ArrayConfig.tiny()
    assert config.with_overrides(["zero_skip=codes"]).zero_skip == "codes"
    with pytest.raises(ValueError, match="'maybe' is not one of"):
        config.with_overrides(["zero_skip=maybe"])
    chunks, codes = config.replace(zero_skip="chunks"), config.replace(zero_skip="codes")
    assert (chunks.skip_latency, chunks.act_read_delay) == (1, 1)
    assert (codes.skip_latency, codes.act_read_delay, codes.lane_banks) == (1, 0, True)
    assert chunks.output_latency == codes.output_latency == config.output_latency + 1
    base3 = ArrayConfig(lanes=10, max_k=40, tree_cuts=(1,), weight_packing="base3",
                        zero_skip="chunks")
    assert base3.act_read_delay == 2
    assert ArrayConfig.from_dict(codes.to_dict()) == codes


def test_baseline_kinds_widen_weights_and_accumulators():
    ternary = ArrayConfig(max_k=512)
    baseline = ternary.replace(pe_kind="mul8")
    assert ternary.ternary and ternary.weight_bits == 2
    assert not baseline.ternary and baseline.weight_bits == 8
    assert baseline.acc_bits == acc_bits(512, 8, 128) == (512 * 128 * 128).bit_length() + 1
    assert ArrayConfig(pe_kind="mul8_dsp").weight_bits == 8


class ToyPE(TernaryPE):
    """A PE kind written the way the README's guide says: a class here, a line in PE_KINDS.
    Ones' complement for -1 like xor, but with muxes and a plain correction output (the row
    then counts it through the generic popcount path)."""

    has_correction = True

    @staticmethod
    def out_bits(act_bits: int) -> int:
        return act_bits

    def elaborate(self, platform):
        from amaranth.hdl import Module, Mux

        from hw.datapath.pe import decode_trit

        m = Module()
        negative, nonzero = decode_trit(self.code)
        m.d.comb += [self.out.eq(Mux(negative, ~self.act, Mux(nonzero, self.act, 0))),
                     self.correction.eq(negative)]
        return m


def test_the_add_a_pe_kind_guide_works(monkeypatch):
    """One class and one table line: the config takes the kind, the array computes golden's
    numbers with it (stalls included), and the host link carries it end to end."""
    import numpy as np

    from golden.bitlinear import int_matmul
    from hw.config import PEKind
    from hw.link.protocol import identify_payload, parse_identify
    from hw.system.accelerator import LinkedArray
    from host.driver import Accelerator
    from sim import run_bitlinear
    from sim.link import SimulatedSerial

    monkeypatch.setitem(PE_KINDS, "toy", PEKind("toy", f"{__name__}:ToyPE", ternary=True,
                                                wire_id=7))
    config = ArrayConfig.tiny(pe_kind="toy")
    rng = np.random.default_rng(12)
    x, w = rng.integers(-128, 128, (3, 37)), rng.integers(-1, 2, (11, 37))
    np.testing.assert_array_equal(run_bitlinear(config, x, w, stall_prob=0.3, seed=4).acc,
                                  int_matmul(x, w))
    assert parse_identify(identify_payload(config))[1] == config
    device = Accelerator(SimulatedSerial(LinkedArray(config, timeout_cycles=3000)))
    assert device.config == config
    device.load_weights(w)
    np.testing.assert_array_equal(device.run_codes(x), int_matmul(x, w))


def test_an_unknown_pe_kind_from_a_device_is_a_protocol_error():
    from hw.link.protocol import ProtocolError, identify_payload, parse_identify

    payload = bytearray(identify_payload(ArrayConfig.tiny()))
    payload[6] = 99   # the PE kind's wire id (after magic, major, minor)
    with pytest.raises(ProtocolError, match="PE kind id 99, which this host does not know"):
        parse_identify(bytes(payload))
