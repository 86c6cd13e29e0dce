"""``ArrayConfig``: the one source of parameters for gateware, cycle model, harness and benchmarks,
and ``PE_KINDS``: the one table of processing-element kinds."""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass

from golden.bitlinear import acc_bits as _acc_bits
from golden.ints import ceil_div, ceil_log2
from golden.packing import TRITS_PER_BYTE_BASE3

from .memory.geometry import SPRAM_BITS, SPRAM_COUNT, SPRAM_WORDS

__all__ = ["ArrayConfig", "PEKind", "PE_KINDS", "WEIGHT_PACKINGS", "WEIGHT_STORES", "ZERO_SKIPS"]


def _power_of_two(value: int) -> bool:
    return value > 0 and not value & (value - 1)


@dataclass(frozen=True)
class PEKind:
    """Everything the project knows about one kind of processing element.

    Parameters
    ----------
    name : str
        ``ArrayConfig.pe_kind``.
    element : str
        ``"module:Class"`` of its component (a ``hw.datapath.pe.TernaryPE`` subclass), imported
        when an array is built, so the config validates without elaborating anything.
    ternary : bool
        2-bit trit weights and no multiplier; False for the int8-multiplier baseline, which only
        the bench top builds and whose multipliers the build counts instead of refusing.
    wire_id : int or None
        Its id in the host link's IDENTIFY reply; None if the link does not carry it.
    dsp : bool
        Synthesis maps its multipliers onto DSP blocks.
    array : str
        ``"module:Class"`` of the rows' component (a ``hw.datapath.row.RowArray`` subclass): the
        default builds a ``TernaryRow`` of ``element`` PEs per row; a kind that shares work
        between the rows (a table of partial sums, a bit-plane selector) brings its own.
    bit_serial : bool
        Takes an activation one bit-plane a cycle: a chunk occupies the array ``act_bits``
        cycles (``ArrayConfig.cycles_per_chunk``), which the controller and the cycle model
        follow.
    """

    name: str
    element: str
    ternary: bool
    wire_id: int | None
    dsp: bool = False
    array: str = "hw.datapath.row:RowArray"
    bit_serial: bool = False

    def element_class(self):
        return _import(self.element)

    def array_class(self):
        return _import(self.array)


def _import(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


#: The one table of PE kinds: adding a kind is its class plus one line here.
PE_KINDS: dict[str, PEKind] = {kind.name: kind for kind in (
    PEKind("mux", "hw.datapath.pe:MuxPE", ternary=True, wire_id=0),
    PEKind("xor", "hw.datapath.pe:XorPE", ternary=True, wire_id=1),
    PEKind("table2", "hw.datapath.table:TableGroup", ternary=True, wire_id=2,
           array="hw.datapath.table:TableArray"),
    PEKind("serial", "hw.datapath.serial:SerialLane", ternary=True, wire_id=3,
           array="hw.datapath.serial:SerialArray", bit_serial=True),
    PEKind("mul8", "hw.datapath.pe:Int8MulPE", ternary=False, wire_id=None),
    PEKind("mul8_dsp", "hw.datapath.pe:Int8MulPE", ternary=False, wire_id=None, dsp=True),
)}
#: Weight storage formats the weight memory implements, with their IDENTIFY ids: 2 bits a trit,
#: or base 3 (five trits a byte, golden.packing's order; decoded beside the banks).
WEIGHT_PACKINGS = {"2bit": 0, "base3": 1}
#: Where the weight banks live, with their IDENTIFY ids: block RAM (EBR), or the UP5K's SPRAM.
WEIGHT_STORES = {"ebr": 0, "spram": 1}
#: ``ArrayConfig.zero_skip`` modes and their wire ids (IDENTIFY's flags).
ZERO_SKIPS = {"off": 0, "chunks": 1, "codes": 2}


@dataclass(frozen=True)
class ArrayConfig:
    """Shape of the ternary array and of the layers it accepts.

    Parameters
    ----------
    pe_kind : str
        Key of ``PE_KINDS``: ``"mux"`` (select then add) or ``"xor"`` (conditional inversion,
        +1 corrections as one popcount per row); ``"table2"`` (each pair of activations' sums
        a + b and a - b formed once for all rows, each row's pair of trits selecting one);
        ``"serial"`` (bit-serial: one bit-plane of the activations a cycle into a popcount per
        row, shifted and accumulated; ``act_bits`` cycles a chunk); the int8-multiplier
        baseline ``"mul8"`` (soft multipliers) or ``"mul8_dsp"`` (the same, mapped onto DSP
        blocks by the build).
    lanes : int
        Dot-product width per cycle (activations read per cycle), 1..1024: a power of two, or,
        with base-3 weights, five times one (a word of whole bytes; K is then cut into chunks by
        counting, which takes ``shape_settle_cycles``).
    rows : int
        Outputs computed in parallel, 1..256.
    act_bits : int
        Activation code width, 2..8 (8 for BitNet b1.58; 4 kept possible).
    max_k, max_n : int
        Largest layer the memories hold: K (input features) and N (output features).
    tree_cuts : tuple of int
        Adder-tree levels after which a register is placed: 0 registers the PE outputs,
        ``tree_depth`` the tree's root. Each cut adds one cycle of latency.
    weight_packing : str
        Weight storage format: ``"2bit"`` (code t+1 in two bits, as golden.packing) or
        ``"base3"`` (five trits a byte, ``golden.packing.pack_base3``): 1.6 bits a trit, so 25 %
        more trits in the same banks and through the same read port; each byte is decoded by a
        256-word ROM in block RAM (no logic cells, a cycle of latency: ``decode_latency``).
    weight_store : str
        ``"ebr"`` (block RAM) or ``"spram"``: each row's bank is ``weight_word_bits / 16`` SPRAMs
        side by side, 16 K words deep, for layers up to 512 K trits at 2 bits (e.g. 1024 × 512)
        or 640 K in base 3 on the UP5K.
    perf_bits : int
        Width of each performance counter, 8..64.
    zero_skip : str
        Skip zero activations (BitNet a4.8's sparse intermediate states), a key of
        ``ZERO_SKIPS``. ``"off"``. ``"chunks"``: the activation buffer keeps only the chunks of a
        token that hold a non-zero code (and always the last), with their chunk index, and the
        controller issues those alone, addressing the weights by the index. ``"codes"``: each
        lane keeps its own non-zero codes with their chunk index, and a block takes as many
        issues as the busiest lane has codes; the weights are then stored a bank per lane (a
        word: the block's ``rows`` trits of one column), each read at its own lane's index
        (2-bit weights in block RAM only). Either waits a cycle for the index
        (``skip_latency``).
    read_cuts : int
        Registers between the memories' read data (activations and weights) and the rows, 0..3,
        loading with the pipeline; each adds a cycle of latency. Where a block RAM's output is
        slow (the ECP5's DP16KD: 5.6 ns clock-to-out without its output register) and the
        activations fan out to every row, the first PE add otherwise starts from it; a third
        lets the placer keep the first beside a bank that sits far from its row (the 2,048-PE
        85F build's critical path, a bank's read data into its first cut: 5.6 ns + 6.3 ns).
    output_buffer : int
        1: a copy of the accumulators holds a finished beat on ``acc_out`` while the next block
        accumulates, so the pipeline's enable is a register (it stalls only when a second beat
        finishes before the first was taken) instead of logic behind ``acc_out.ready``, which
        reaches every pipeline register. Costs a register and a 2:1 select per accumulator
        bit; the schedule without output stalls is the same.
    sum_cuts : int
        Registers between each row's sum and its accumulate stage, 0..1 (data, without an
        enable where the pipeline has none), so that a row's tree and its accumulators may sit
        apart: with ``output_slots`` the placer pulls the slots toward the link that reads them
        (the 2,048-PE build's critical path, a row's sum into its far slots, 10.9 ns of
        routing). A cycle of latency each.
    output_slots : int
        0: a finished beat waits in the accumulators (or ``output_buffer``'s copy) and freezes
        the pipeline until taken: one enable reaches every pipeline register. 2: the pipeline
        never stops (no enable at all: every register past the issue loads every cycle, so its
        copies can be cut into stages freely); a finished block goes to one of two output slots
        (blocks take them in turn), and a block starts only while fewer than two beats are
        owed (started, not yet taken), so its slot is free when it finishes. Costs a second
        copy of the accumulators and a 2:1 select; a block of fewer than ``output_latency``
        issues then waits for the beat two before it to be taken (``golden.cycle``). Not with
        ``output_buffer``.
    result_chain : int
        1: the link takes each finished beat at once into a chain of registers, one a row, and
        sends it a word at a time from the chain's head (``hw.link.serializer``), instead of
        through a mux over every row's word: no wires from every row's accumulators to one
        place, which on a large die pull the accumulators (or slots) toward the link, away
        from their rows. Costs a register and a 2:1 select an accumulator bit, in the link's
        clock domain; the array's results and schedule are the same.
    write_cuts : int
        Registers in front of the weight banks' write ports (address, word, enables), 0..3, so
        the loader's handshake does not reach across the die to every bank; with two, a central
        register feeds the row groups' copies; with three, the central register feeds a copy a
        row region (``row_regions``), which feeds its groups' copies. A load then completes a
        cycle later per cut (``weight_write_delay``). Block-RAM banks only.
    address_cuts : int
        Registers on the weight banks' read address, 0..2 (the last in a copy per row group,
        a second one before it in a copy per row region), so that the address does not run
        from the issue logic to every bank across the die; the activations take as many more
        registers to match: a cycle of latency each. Whole-word block-RAM banks only (not
        SPRAM, not ``zero_skip="codes"``).
    row_groups : int
        The rows in groups of neighbouring rows (``row_group``), 1..rows, each with its own copy
        of the registers whose outputs would otherwise reach every row across the die: the
        activations' last register (``read_cuts`` or ``address_cuts``; kinds that take the
        activations once for all rows, table2 and serial, keep one: ``act_copies``), the
        weights' read address (``address_cuts``), the write word and address (``write_cuts``)
        and the accumulate stage's flags. The placer can put each copy beside
        its rows; yosys keeps them apart (``hw.copies``). No latency.
    row_regions : int
        The row groups in regions of neighbouring groups (``row_region``), 1..row_groups: with
        more than one, each region has its own copy of the stage before the groups' copies
        (the activations' register before the last, the accumulate flags a stage earlier, the
        pipeline's enable, the second read-address cut, the write cut before the groups'), so
        no net runs from the controller to the far side of the die in one cycle. No latency
        beyond the cuts asked for: needs ``row_groups`` > 1 and two activation registers
        (``read_cuts + address_cuts >= 2``).
    """

    pe_kind: str = "xor"
    lanes: int = 16
    rows: int = 2
    act_bits: int = 8
    max_k: int = 256
    max_n: int = 64
    tree_cuts: tuple[int, ...] = (2,)
    weight_packing: str = "2bit"
    perf_bits: int = 32
    weight_store: str = "ebr"
    zero_skip: str = "off"
    read_cuts: int = 0
    output_buffer: int = 0
    sum_cuts: int = 0
    output_slots: int = 0
    result_chain: int = 0
    write_cuts: int = 0
    address_cuts: int = 0
    row_groups: int = 1
    row_regions: int = 1

    def __post_init__(self):
        def integer(name, low, high):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"ArrayConfig.{name}: expected an integer in [{low}, {high}], "
                                 f"got {value!r}")
            if not low <= value <= high:
                raise ValueError(f"ArrayConfig.{name}: {value} is outside the allowed range "
                                 f"[{low}, {high}]")

        if self.pe_kind not in PE_KINDS:
            raise ValueError(f"ArrayConfig.pe_kind: {self.pe_kind!r} is not one of {tuple(PE_KINDS)}")
        integer("lanes", 1, 1024)
        integer("rows", 1, 256)
        integer("act_bits", 2, 8)
        integer("max_k", 1, 1 << 20)
        integer("max_n", 1, 1 << 16)
        integer("perf_bits", 8, 64)
        integer("read_cuts", 0, 3)
        integer("output_buffer", 0, 1)
        if self.output_slots not in (0, 2):
            raise ValueError(f"ArrayConfig.output_slots: expected 0 (the pipeline stalls) or 2, "
                             f"got {self.output_slots!r}")
        if self.output_slots and self.output_buffer:
            raise ValueError("ArrayConfig.output_slots: the output slots replace the output "
                             "buffer; set one of output_slots and output_buffer")
        integer("sum_cuts", 0, 1)
        integer("result_chain", 0, 1)
        integer("write_cuts", 0, 3)
        integer("address_cuts", 0, 2)
        integer("row_groups", 1, 256)
        integer("row_regions", 1, 256)
        self._check_address_cuts_and_groups()
        if self.write_cuts == 3 and (self.row_groups == 1 or self.lane_banks):
            raise ValueError(f"ArrayConfig.write_cuts: the third cut is a copy a row region, "
                             f"before the row groups' copies of whole-row banks; needs "
                             f"row_groups > 1 and zero_skip != 'codes'")
        if self.write_cuts and self.weight_store != "ebr":
            raise ValueError(f"ArrayConfig.write_cuts: the SPRAM banks share one port between "
                             f"reads and writes; write cuts need block-RAM banks "
                             f"(weight_store='ebr'), got {self.weight_store!r}")
        if self.weight_packing not in WEIGHT_PACKINGS:
            raise ValueError(f"ArrayConfig.weight_packing: {self.weight_packing!r} is not one of "
                             f"{tuple(WEIGHT_PACKINGS)}")
        if self.zero_skip not in ZERO_SKIPS:
            raise ValueError(f"ArrayConfig.zero_skip: {self.zero_skip!r} is not one of "
                             f"{tuple(ZERO_SKIPS)}")
        self._check_lanes()
        if self.zero_skip == "codes" and (not self.ternary or self.weight_packing != "2bit"
                                          or self.weight_store != "ebr"):
            raise ValueError(f"ArrayConfig.zero_skip: 'codes' keeps a bank per lane of 2-bit "
                             f"trits in block RAM; got {self.pe_kind}, {self.weight_packing} "
                             f"weights in {self.weight_store}")
        if self.weight_store not in WEIGHT_STORES:
            raise ValueError(f"ArrayConfig.weight_store: {self.weight_store!r} is not one of "
                             f"{tuple(WEIGHT_STORES)}")
        if self.weight_store == "spram":
            self._check_spram()
        if not isinstance(self.tree_cuts, tuple):
            raise ValueError(f"ArrayConfig.tree_cuts: expected a tuple of levels, got "
                             f"{type(self.tree_cuts).__name__}")
        for level in self.tree_cuts:
            if isinstance(level, bool) or not isinstance(level, int) \
                    or not 0 <= level <= self.tree_depth:
                raise ValueError(f"ArrayConfig.tree_cuts: level {level!r} is outside the allowed "
                                 f"range [0, {self.tree_depth}] (tree depth for {self.lanes} lanes)")
        if list(self.tree_cuts) != sorted(set(self.tree_cuts)):
            raise ValueError(f"ArrayConfig.tree_cuts: {self.tree_cuts} must be strictly increasing")

    def _check_address_cuts_and_groups(self):
        if self.address_cuts and (self.weight_store != "ebr" or self.lane_banks):
            raise ValueError(f"ArrayConfig.address_cuts: the register sits before whole-word "
                             f"block-RAM banks; got weight_store={self.weight_store!r}, "
                             f"zero_skip={self.zero_skip!r}")
        if self.row_groups == 1:
            if self.row_regions > 1:
                raise ValueError(f"ArrayConfig.row_regions: {self.row_regions} regions of one "
                                 f"row group; set row_groups")
            return
        if self.read_cuts == 0 and self.address_cuts == 0:
            raise ValueError(f"ArrayConfig.row_groups: {self.row_groups} groups copy the read "
                             f"registers, and there are none: set read_cuts or address_cuts")
        if self.row_groups > self.rows:
            raise ValueError(f"ArrayConfig.row_groups: {self.row_groups} groups for {self.rows} "
                             f"rows (at most one a row)")
        if self.row_regions > self.row_groups:
            raise ValueError(f"ArrayConfig.row_regions: {self.row_regions} regions for "
                             f"{self.row_groups} row groups (at most one a group)")
        if self.row_regions > 1 and self.read_cuts + self.address_cuts < 2:
            raise ValueError(f"ArrayConfig.row_regions: the regions copy the activations' "
                             f"register before the groups' copies; set read_cuts + address_cuts "
                             f">= 2, got {self.read_cuts + self.address_cuts}")

    def _check_lanes(self):
        if self.weight_packing == "base3":
            if not self.ternary:
                raise ValueError(f"ArrayConfig.weight_packing: 'base3' packs trits; pe_kind "
                                 f"{self.pe_kind!r} has int8 weights")
            bytes_a_word, partial = divmod(self.lanes, TRITS_PER_BYTE_BASE3)
            if partial or not _power_of_two(bytes_a_word):
                raise ValueError(f"ArrayConfig.lanes: {self.lanes} lanes with base-3 weights must "
                                 f"be 5 x a power of two (whole bytes a word, five trits a byte)")
        elif not _power_of_two(self.lanes):
            raise ValueError(f"ArrayConfig.lanes: {self.lanes} is not a power of two "
                             f"(the controller splits K into lanes-wide chunks with shifts; only "
                             f"base-3 weights take 5 x a power of two)")

    def _check_spram(self):
        word = self.weight_word_bits
        if word % SPRAM_BITS:
            raise ValueError(f"ArrayConfig.weight_store: 'spram' needs a row's weight word to be a "
                             f"multiple of {SPRAM_BITS} bits (it spans whole SPRAMs); "
                             f"{self.lanes} lanes of {self.weight_packing} weights take {word}")
        if self.rows * word // SPRAM_BITS > SPRAM_COUNT:
            raise ValueError(f"ArrayConfig.weight_store: 'spram' has {SPRAM_COUNT} SPRAMs of "
                             f"{SPRAM_BITS} bits; {self.rows} rows x {word} bits need "
                             f"{self.rows * word // SPRAM_BITS}")
        if self.bank_words > SPRAM_WORDS:
            raise ValueError(f"ArrayConfig.weight_store: a SPRAM bank holds {SPRAM_WORDS} words; "
                             f"max_n {self.max_n} and max_k {self.max_k} need "
                             f"{self.max_blocks} x {self.max_chunks} = {self.bank_words}")

    # ------------------------------------------------------------ derived values

    @property
    def tree_depth(self) -> int:
        """Adder levels needed to sum ``lanes`` values."""
        return ceil_log2(self.lanes)

    @property
    def tree_latency(self) -> int:
        return len(self.tree_cuts)

    @property
    def row_latency(self) -> int:
        """Cycles through a row: the tree's cuts plus the register on the row's sum (which keeps
        the correction add and the accumulator add in separate cycles)."""
        return self.tree_latency + 1

    @property
    def kind(self) -> PEKind:
        """The PE kind's entry in ``PE_KINDS``."""
        return PE_KINDS[self.pe_kind]

    @property
    def ternary(self) -> bool:
        """Ternary weights (2-bit codes), no multiplier: every kind but the int8 baseline."""
        return self.kind.ternary

    @property
    def weight_bits(self) -> int:
        """Bits of one weight code in the weight stream and memory: 2 (trit + 1) or 8 (int8)."""
        return 2 if self.ternary else 8

    @property
    def weight_word_bits(self) -> int:
        """Bits of one ``w_in`` beat and one bank word: ``lanes`` codes, or ``lanes / 5`` base-3
        bytes."""
        if self.weight_packing == "base3":
            return self.lanes // TRITS_PER_BYTE_BASE3 * 8
        return self.lanes * self.weight_bits

    @property
    def decode_latency(self) -> int:
        """Cycles the weights take from the banks to the PEs beyond the bank read: one with base-3
        packing (the decode ROMs' read; the activations are read a cycle later to match)."""
        return 1 if self.weight_packing == "base3" else 0

    @property
    def read_latency(self) -> int:
        """Cycles from the memories' read data to the rows' inputs (``read_cuts``)."""
        return self.read_cuts

    def row_group(self, row: int) -> int:
        """The group of ``row`` (``row_groups``): neighbouring rows share one."""
        return row * self.row_groups // self.rows

    def row_region(self, group: int) -> int:
        """The region of row group ``group`` (``row_regions``): neighbouring groups share one."""
        return group * self.row_regions // self.row_groups

    def act_copy(self, row: int) -> int:
        """The copy of the activations' last register that ``row`` takes."""
        return self.row_group(row) if self.act_copies > 1 else 0

    @property
    def act_copies(self) -> int:
        """Copies of the activations' last register: one a row group where the rows take the
        activations themselves, else one (with several groups there is a register to copy:
        ``row_groups`` needs ``read_cuts`` or ``address_cuts``)."""
        return self.row_groups if self.kind.array == PEKind.array else 1

    @property
    def skip_latency(self) -> int:
        """Cycles the weight read waits with zero skipping: one, for the index of the kept chunk
        (or of each lane's code) that addresses it, read from the activation buffer."""
        return 0 if self.zero_skip == "off" else 1

    @property
    def lane_banks(self) -> bool:
        """The weights are a bank per lane (``zero_skip="codes"``), not a bank per row."""
        return self.zero_skip == "codes"

    @property
    def act_read_delay(self) -> int:
        """Cycles the activation buffer's read lags the issue, to meet the weights at the PEs
        (with ``"codes"`` the code is read at once, beside its index, and registered)."""
        return self.decode_latency + (self.skip_latency if self.zero_skip == "chunks" else 0)

    @property
    def act_write_delay(self) -> int:
        """Cycles after a token's last beat is taken before it can issue, beyond the one of the
        buffer's write: one with ``zero_skip="codes"`` (the lane queues' write stage)."""
        return 1 if self.zero_skip == "codes" else 0

    @property
    def weight_write_delay(self) -> int:
        """Cycles from taking a weight beat to writing it: one, the register that keeps the
        load handshake off the loader's counters (so a matrix is usable a cycle later), plus
        ``write_cuts``."""
        return 1 + self.write_cuts

    @property
    def output_latency(self) -> int:
        """Cycles from issuing a block's last chunk to its ``acc_out`` beat: the address cut, the
        index read with zero skipping, the memory read, the weight decode, the read cuts, the
        row's registers, the accumulator."""
        return (2 + self.address_cuts + self.skip_latency + self.decode_latency
                + self.read_latency + self.row_latency + self.sum_cuts)

    @property
    def chunks_by_shifts(self) -> bool:
        """``lanes`` is a power of two: ceil(K / lanes) is a shift; otherwise it is counted."""
        return _power_of_two(self.lanes)

    @property
    def shape_settle_cycles(self) -> int:
        """Cycles between changing the array's ``k``/``n``/``w_base``/``w_resident`` and the
        first beat that may use them: registered once, held by the weight loader, then the flags
        derived from them; counting the chunks of K (lanes not a power of two) takes up to
        ``max_chunks`` more."""
        return 3 + (0 if self.chunks_by_shifts else self.max_chunks)

    @property
    def cycles_per_chunk(self) -> int:
        """Cycles a chunk occupies the array: ``act_bits`` for a bit-serial kind (one bit-plane
        a cycle), else one."""
        return self.act_bits if self.kind.bit_serial else 1

    @property
    def acc_bits(self) -> int:
        """Accumulator width: |sum| <= max_k * 2**(act_bits-1) * max|w| always fits."""
        return _acc_bits(self.max_k, self.act_bits, 1 if self.ternary else 128)

    @property
    def max_chunks(self) -> int:
        """Cycles per output block for the largest K: ceil(max_k / lanes)."""
        return ceil_div(self.max_k, self.lanes)

    @property
    def max_blocks(self) -> int:
        """Output blocks for the largest N: ceil(max_n / rows)."""
        return ceil_div(self.max_n, self.rows)

    @property
    def bank_words(self) -> int:
        """Words in each weight bank: room for the largest matrix, or for several smaller ones
        resident side by side (a matrix takes ``matrix_words``)."""
        return self.max_blocks * self.max_chunks

    def matrix_words(self, n: int, k: int) -> int:
        """Words an N×K matrix takes in every bank: a word per chunk of each output block."""
        return ceil_div(n, self.rows) * ceil_div(k, self.lanes)

    @property
    def pes(self) -> int:
        return self.lanes * self.rows

    def replace(self, **changes) -> "ArrayConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """All fields as JSON-ready values, plus the derived ``acc_bits`` for readers."""
        fields = dataclasses.asdict(self)
        fields["tree_cuts"] = list(self.tree_cuts)
        fields["acc_bits"] = self.acc_bits
        return fields

    def with_overrides(self, assignments: list[str]) -> "ArrayConfig":
        """Apply ``["lanes=32", "tree_cuts=2,4", "pe_kind=mux"]`` (command-line ``--set``)."""
        names = {f.name: f for f in dataclasses.fields(self)}
        changes = {}
        for item in assignments:
            name, sep, text = item.partition("=")
            if not sep or name not in names:
                raise ValueError(f"--set {item!r}: expected FIELD=VALUE with FIELD one of "
                                 f"{', '.join(names)}")
            if name == "tree_cuts":
                changes[name] = tuple(int(v) for v in text.split(",") if v.strip())
            elif isinstance(getattr(self, name), int):
                try:
                    changes[name] = int(text)
                except ValueError:
                    raise ValueError(f"--set {item!r}: {name} needs an integer") from None
            else:
                changes[name] = text
        return self.replace(**changes)

    @classmethod
    def from_dict(cls, fields: dict) -> "ArrayConfig":
        """Inverse of :meth:`to_dict` (derived values are checked, not taken)."""
        fields = dict(fields)
        acc = fields.pop("acc_bits", None)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(fields) - names)
        if unknown:
            raise ValueError(f"ArrayConfig: unknown field(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(names))}")
        if "tree_cuts" in fields:
            fields["tree_cuts"] = tuple(fields["tree_cuts"])
        config = cls(**fields)
        if acc is not None and acc != config.acc_bits:
            raise ValueError(f"ArrayConfig.acc_bits: {acc} does not match the derived "
                             f"{config.acc_bits} (max_k {config.max_k}, act_bits {config.act_bits})")
        return config

    # ------------------------------------------------------------ presets

    @classmethod
    def tiny(cls, **changes) -> "ArrayConfig":
        """Small enough for fast cycle-by-cycle tests, big enough to exercise every path."""
        return cls(**{"pe_kind": "xor", "lanes": 4, "rows": 2, "max_k": 40, "max_n": 12,
                      "tree_cuts": (1,), **changes})

    @classmethod
    def icebreaker(cls, **changes) -> "ArrayConfig":
        """Board default for the iCE40UP5K: 16 × 8 = 128 PEs, every tree level registered, the
        largest array that met the board's clock with the UART host link (figures in the README)."""
        return cls(**{"pe_kind": "xor", "lanes": 16, "rows": 8, "max_k": 512, "max_n": 64,
                      "tree_cuts": (1, 2, 3, 4), **changes})

    @classmethod
    def icebreaker_a4(cls, **changes) -> "ArrayConfig":
        """BitNet a4.8's 4-bit activations on the UP5K: 16 × 12 = 192 PEs, 1.5 × the 8-bit
        default in the same chip (a PE with its tree share costs ~14 LC instead of ~22; figures
        in the README). int8 codes run as two or three digit passes (golden.digits)."""
        return cls.icebreaker(**{"act_bits": 4, "rows": 12, **changes})

    @classmethod
    def icebreaker_a4_codes(cls, **changes) -> "ArrayConfig":
        """4-bit activations skipping zero codes lane by lane (``zero_skip="codes"``) on the
        UP5K: 8 × 16 = 128 PEs, as wide as the 30 EBRs allow (a queue and two lane banks a lane;
        figures in the README)."""
        return cls.icebreaker_a4(**{"lanes": 8, "rows": 16, "tree_cuts": (1, 2, 3),
                                    "zero_skip": "codes", **changes})

    @classmethod
    def icebreaker_spram(cls, **changes) -> "ArrayConfig":
        """Large layers on the UP5K: weights in the four SPRAMs (1024 × 512 trits at 2 bits each),
        16 lanes × 2 rows (one 64-bit SPRAM word a cycle: 32 trits, the SPRAM bandwidth)."""
        return cls(**{"pe_kind": "xor", "lanes": 16, "rows": 2, "max_k": 512, "max_n": 1024,
                      "tree_cuts": (1, 2, 3, 4), "weight_store": "spram", **changes})

    @classmethod
    def icebreaker_spram_base3(cls, **changes) -> "ArrayConfig":
        """The SPRAM preset with base-3 weights: 20 lanes × 2 rows take the four SPRAMs' 64 bits a
        cycle as 40 trits (32 at 2 bits), and the banks hold 655,360 trits (1024 × 640)."""
        return cls(**{"pe_kind": "xor", "lanes": 20, "rows": 2, "max_k": 640, "max_n": 1024,
                      "tree_cuts": (1, 2, 3, 4, 5), "weight_store": "spram",
                      "weight_packing": "base3", **changes})

    @classmethod
    def ulx3s(cls, **changes) -> "ArrayConfig":
        """Board default for the ULX3S 85F (ECP5): 32 × 32 = 1,024 PEs, every tree level
        registered; it met the board's 70 MHz with the UART host link (figures in the README)."""
        return cls(**{"pe_kind": "xor", "lanes": 32, "rows": 32, "max_k": 2048, "max_n": 256,
                      "tree_cuts": (1, 2, 3, 4, 5), **changes})

    @classmethod
    def ulx3s_a4(cls, **changes) -> "ArrayConfig":
        """4-bit activations on the ULX3S 85F: 32 × 48 = 1,536 PEs, 1.5 × the 8-bit default's
        1,024, at the board's 70 MHz (figures in the README)."""
        return cls.ulx3s(**{"act_bits": 4, "rows": 48, **changes})

    @classmethod
    def ulx3s_a4_2048(cls, **changes) -> "ArrayConfig":
        """4-bit activations on the ULX3S 85F: 32 × 64 = 2,048 PEs at 100 MHz. The rows in 8
        groups in 2 regions, each with its own copies of the registers that would reach every
        row (the activations, the read address, the write word and address, the accumulate
        flags), two read cuts (the first in the DP16KDs' output registers on the ECP5), two
        output slots (no enable reaches the rows) and the result chain (no wire from every row
        to the link); built with nextpnr's router2, which routes it where router1 did not (the
        board's preset router and clock; figures in the README)."""
        return cls.ulx3s_a4(**{"rows": 64, "read_cuts": 2, "write_cuts": 3, "address_cuts": 2,
                               "row_groups": 8, "row_regions": 2, "output_slots": 2,
                               "result_chain": 1, **changes})

    @classmethod
    def ulx3s_12f_a4(cls, **changes) -> "ArrayConfig":
        """4-bit activations on the ULX3S-12F: 32 × 13 = 416 PEs, 1.3 × the 8-bit array's 320
        on that part; a row's bank takes two of the 32 block RAMs, so 14 rows do not fit
        (figures in the README)."""
        return cls.ulx3s(**{"act_bits": 4, "rows": 13, "max_n": 64, **changes})

    @classmethod
    def ulx3s_25f_a4(cls, **changes) -> "ArrayConfig":
        """4-bit activations on the ULX3S-25F: 32 × 24 = 768 PEs, 1.5 × the 8-bit default's 512
        there (53 of the 56 block RAMs: two a row's bank, four the activations; figures in the
        README)."""
        return cls.ulx3s(**{"act_bits": 4, "rows": 24, "max_n": 128, **changes})

    @classmethod
    def tang_nano_9k(cls, **changes) -> "ArrayConfig":
        """Board default for the Tang Nano 9K (GW1NR-9C): 16 × 12 = 192 PEs, the largest that met
        100 MHz with the board top (figures in the README); max N 72, six blocks of 12 rows (64
        would leave 8 of a tile's 72 row slots idle, in the same block RAM)."""
        return cls(**{"pe_kind": "xor", "lanes": 16, "rows": 12, "max_k": 512, "max_n": 72,
                      "tree_cuts": (1, 2, 3, 4), **changes})

    @classmethod
    def tang_nano_9k_a4(cls, **changes) -> "ArrayConfig":
        """4-bit activations on the Tang Nano 9K: 16 × 18 = 288 PEs, 1.5 × the 8-bit default's
        192, at the same 100 MHz; max N 72, four blocks of 18 rows (figures in the README)."""
        return cls.tang_nano_9k(**{"act_bits": 4, "rows": 18, **changes})

    @classmethod
    def tang_primer_20k(cls, **changes) -> "ArrayConfig":
        """Board default for the Tang Primer 20K (GW2A-18C): 32 × 16 = 512 PEs, max K 1024, max N
        128 (41 of the 46 BSRAMs; figures in the README)."""
        return cls(**{"pe_kind": "xor", "lanes": 32, "rows": 16, "max_k": 1024, "max_n": 128,
                      "tree_cuts": (1, 2, 3, 4, 5), **changes})

    @classmethod
    def tang_primer_20k_a4(cls, **changes) -> "ArrayConfig":
        """4-bit activations on the Tang Primer 20K: 32 × 20 = 640 PEs, 1.25 × the 8-bit
        default's 512; max N 140 = 7 blocks of 20 rows. The BSRAM stops it (45 of 46: two a
        row's bank, four the activations), not the LUTs (64 %; figures in the README)."""
        return cls.tang_primer_20k(**{"act_bits": 4, "rows": 20, "max_n": 140, **changes})

    @classmethod
    def presets(cls) -> dict[str, "ArrayConfig"]:
        return {"tiny": cls.tiny(), "icebreaker": cls.icebreaker(),
                "icebreaker_a4": cls.icebreaker_a4(),
                "icebreaker_a4_codes": cls.icebreaker_a4_codes(),
                "icebreaker_spram": cls.icebreaker_spram(),
                "icebreaker_spram_base3": cls.icebreaker_spram_base3(), "ulx3s": cls.ulx3s(),
                "ulx3s_a4": cls.ulx3s_a4(), "ulx3s_a4_2048": cls.ulx3s_a4_2048(),
                "ulx3s_12f_a4": cls.ulx3s_12f_a4(),
                "ulx3s_25f_a4": cls.ulx3s_25f_a4(),
                "tang_nano_9k": cls.tang_nano_9k(), "tang_nano_9k_a4": cls.tang_nano_9k_a4(),
                "tang_primer_20k": cls.tang_primer_20k(),
                "tang_primer_20k_a4": cls.tang_primer_20k_a4()}
