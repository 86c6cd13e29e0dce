"""``Sequencer``: a small 8-bit accumulator machine whose program lives in block RAM.

Why: the protocol engine's control (receiver, decoder, shape sums, reply states) is most of the
link's logic cells on the UP5K, and all of it is sequential byte work at UART speed. Written as
a program, that control moves into a block RAM, which costs no logic cell; the sequencer itself is
162 LUT4s, 15 carries and 47 flops besides its 3 EBRs (``synth_ice40`` of this module with a
random 512-word program, 2026-12-07). This module is the machine and its assembler; hw.link does
not use it yet: it is the first step of a smaller link (issue 13's size goal), whose protocol
would be a program here and whose ports (UART, payload buffer, CRC, array) would be I/O ports.

The machine: an 8-bit accumulator ``A``, carry ``C`` and zero ``Z`` flags, a 9-bit program counter,
a 256-byte data RAM (one EBR) and 256 I/O ports. Every instruction takes two cycles: the first
shows the instruction word (the program ROM's registered read) and reads its RAM operand, the
second executes and fetches the next word. A 16-bit word is ``op`` (bits 12-15) and an operand
(bits 0-8): a 9-bit jump target, or an 8-bit RAM address, port or immediate with bit 8 saying
"immediate". ``EXT`` instructions take their sub-operation from bits 9-11.

=====  ===========================  ==========================================================
op     assembler                    effect
=====  ===========================  ==========================================================
0      ``ld x`` / ``ldi v``         A = x; Z
1      ``st x``                     x = A
2-3    ``add``/``adc``              A = A + x (+ C); C = carry out; Z
4-5    ``sub``/``sbc``              A = A - x (- borrow); C = borrow (A < x); Z
6-8    ``and``/``or``/``xor``       A = A op x; Z
9      ``inp port``                 A = port's value; Z; ``io_rd`` pulses (a FIFO may pop)
10     ``out port``                 port = A (``io_wr`` pulses)
11-14  ``jmp``/``jz``/``jnz``/``jc``  jump to the target (always, Z, not Z, C)
15     ``call t`` / ``ret``         call: link = the next address, jump; ret: jump to the link
       ``shr`` / ``jnc t``          shr: C, A = A[0], {C, A[7:1]}; jnc: jump if not C
=====  ===========================  ==========================================================

Immediate forms: ``addi``, ``subi``, ... (``x`` an 8-bit constant). The link register is one
deep: a subroutine does not call another.
"""

from __future__ import annotations

import enum

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["Op", "Ext", "Sequencer", "Assembler", "PROGRAM_DEPTH", "RAM_BYTES"]

#: Program words (two EBRs of 256 x 16) and data bytes (one EBR).
PROGRAM_DEPTH = 512
RAM_BYTES = 256


class Op(enum.IntEnum):
    LD = 0
    ST = 1
    ADD = 2
    ADC = 3
    SUB = 4
    SBC = 5
    AND = 6
    OR = 7
    XOR = 8
    INP = 9
    OUT = 10
    JMP = 11
    JZ = 12
    JNZ = 13
    JC = 14
    EXT = 15


class Ext(enum.IntEnum):
    CALL = 0
    RET = 1
    SHR = 2
    JNC = 3


#: The ops whose operand is a program address (EXT's ``call`` and ``jnc``; its others take 0).
_JUMPS = (Op.JMP, Op.JZ, Op.JNZ, Op.JC, Op.EXT)
#: The ops that take a RAM operand or an immediate.
_ALU = (Op.LD, Op.ADD, Op.ADC, Op.SUB, Op.SBC, Op.AND, Op.OR, Op.XOR)


class Sequencer(wiring.Component):
    """Members
    -------
    io_addr : Out(8)
        The port of the instruction executing.
    io_rd : Out(1)
        An ``inp`` takes ``io_rdata`` this cycle.
    io_rdata : In(8)
    io_wr : Out(1)
        An ``out`` writes ``io_wdata`` to ``io_addr`` this cycle.
    io_wdata : Out(8)
    """

    def __init__(self, program: list[int]):
        if len(program) > PROGRAM_DEPTH:
            raise ValueError(f"a program of {len(program)} words does not fit the "
                             f"{PROGRAM_DEPTH}-word ROM")
        self._program = list(program)
        super().__init__({"io_addr": Out(8), "io_rd": Out(1), "io_rdata": In(8),
                          "io_wr": Out(1), "io_wdata": Out(8)})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.rom = rom = Memory(shape=16, depth=PROGRAM_DEPTH, init=self._program)
        m.submodules.ram = ram = Memory(shape=8, depth=RAM_BYTES, init=[])
        fetch = rom.read_port()
        store = ram.write_port()
        load = ram.read_port(transparent_for=(store,))
        pc = Signal(range(PROGRAM_DEPTH))
        link = Signal(range(PROGRAM_DEPTH))
        a, carry, zero = Signal(8), Signal(), Signal()
        execute = Signal()      # the second cycle of an instruction
        port = Signal(8)        # an ``inp``'s byte, taken in the first cycle
        word = fetch.data
        op, ext, immediate, operand = word[12:16], word[9:12], word[8], word[:8]
        m.d.comb += [
            fetch.en.eq(execute), load.addr.eq(operand), load.en.eq(~execute),
            store.addr.eq(operand), store.data.eq(a),
            self.io_addr.eq(operand), self.io_wdata.eq(a),
        ]
        booted = Signal()       # the first word was fetched (the ROM's read is registered)
        with m.If(~booted):
            m.d.comb += [fetch.en.eq(1), fetch.addr.eq(pc)]
            m.d.sync += booted.eq(1)
        with m.Elif(~execute):
            m.d.sync += [execute.eq(1), port.eq(self.io_rdata)]
            m.d.comb += self.io_rd.eq(op == Op.INP)
        with m.Else():
            m.d.sync += execute.eq(0)
            self._execute(m, op, ext, Mux(immediate, operand, load.data), port, (a, carry, zero))
            m.d.comb += [store.en.eq(op == Op.ST), self.io_wr.eq(op == Op.OUT)]
            target = word[:9]
            jumps = ((op == Op.JMP) | ((op == Op.JZ) & zero) | ((op == Op.JNZ) & ~zero)
                     | ((op == Op.JC) & carry)
                     | ((op == Op.EXT) & ((ext == Ext.CALL) | ((ext == Ext.JNC) & ~carry))))
            returns = (op == Op.EXT) & (ext == Ext.RET)
            following = Mux(returns, link, Mux(jumps, target, pc + 1))
            m.d.sync += pc.eq(following)
            m.d.comb += fetch.addr.eq(following)
            with m.If((op == Op.EXT) & (ext == Ext.CALL)):
                m.d.sync += link.eq(pc + 1)
        return m

    @staticmethod
    def _execute(m: Module, op, ext, operand, port, state) -> None:
        """The accumulator and flags after the instruction."""
        a, carry, zero = state
        subtract = op.matches(Op.SUB, Op.SBC)
        carry_in = Mux(op.matches(Op.ADC, Op.SBC), carry ^ subtract, subtract)
        total = Signal(9)
        m.d.comb += total.eq(a + Mux(subtract, ~operand, operand) + carry_in)
        result = Signal(8)
        writes = Signal()
        with m.Switch(op):
            with m.Case(Op.LD):
                m.d.comb += [result.eq(operand), writes.eq(1)]
            with m.Case(Op.ADD, Op.ADC, Op.SUB, Op.SBC):
                m.d.comb += [result.eq(total[:8]), writes.eq(1)]
                m.d.sync += carry.eq(total[8] ^ subtract)
            with m.Case(Op.AND):
                m.d.comb += [result.eq(a & operand), writes.eq(1)]
            with m.Case(Op.OR):
                m.d.comb += [result.eq(a | operand), writes.eq(1)]
            with m.Case(Op.XOR):
                m.d.comb += [result.eq(a ^ operand), writes.eq(1)]
            with m.Case(Op.INP):
                m.d.comb += [result.eq(port), writes.eq(1)]
            with m.Case(Op.EXT):
                with m.If(ext == Ext.SHR):
                    m.d.comb += [result.eq(Cat(a[1:], carry)), writes.eq(1)]
                    m.d.sync += carry.eq(a[0])
        with m.If(writes):
            m.d.sync += [a.eq(result), zero.eq(result == 0)]


class Assembler:
    """Builds a program: one method a mnemonic, labels and named RAM bytes resolved by
    :meth:`words`. ``x`` operands are a RAM byte's name or address."""

    def __init__(self):
        self._code: list[tuple] = []      # (op, ext, immediate, operand or label)
        self._labels: dict[str, int] = {}
        self._variables: dict[str, int] = {}

    def variable(self, name: str) -> str:
        """A RAM byte of its own for ``name``."""
        if name in self._variables:
            raise ValueError(f"variable {name!r} is already defined")
        if len(self._variables) == RAM_BYTES:
            raise ValueError(f"the RAM has {RAM_BYTES} bytes, all taken")
        self._variables[name] = len(self._variables)
        return name

    def label(self, name: str) -> None:
        if name in self._labels:
            raise ValueError(f"label {name!r} is already defined")
        self._labels[name] = len(self._code)

    def _emit(self, op: Op, operand=0, *, ext: Ext = Ext.CALL, immediate: bool = False):
        self._code.append((op, ext, immediate, operand))

    def __getattr__(self, mnemonic: str):
        """The ALU's mnemonics: ``ld``, ``add``, ``adc``, ``sub``, ``sbc``, ``and_``, ``or_``,
        ``xor`` take a RAM byte; with an ``i`` (``ldi``, ``andi``, ``ori``, ...) a constant."""
        names = {op.name.lower(): op for op in _ALU}
        base = mnemonic.rstrip("_")
        if base in names:
            return lambda x: self._emit(names[base], x)
        if mnemonic.endswith("i") and mnemonic[:-1] in names:
            return lambda value: self._emit(names[mnemonic[:-1]], value, immediate=True)
        raise AttributeError(mnemonic)

    def st(self, x): self._emit(Op.ST, x)
    def inp(self, port: int): self._emit(Op.INP, port)
    def out(self, port: int): self._emit(Op.OUT, port)
    def jmp(self, label: str): self._emit(Op.JMP, label)
    def jz(self, label: str): self._emit(Op.JZ, label)
    def jnz(self, label: str): self._emit(Op.JNZ, label)
    def jc(self, label: str): self._emit(Op.JC, label)
    def jnc(self, label: str): self._emit(Op.EXT, label, ext=Ext.JNC)
    def call(self, label: str): self._emit(Op.EXT, label, ext=Ext.CALL)
    def ret(self): self._emit(Op.EXT, ext=Ext.RET)
    def shr(self): self._emit(Op.EXT, ext=Ext.SHR)

    def words(self) -> list[int]:
        """The program as ROM words."""
        out = []
        for op, ext, immediate, operand in self._code:
            if isinstance(operand, str):
                table = self._labels if op in _JUMPS else self._variables
                if operand not in table:
                    raise ValueError(f"{op.name}: {operand!r} is not defined")
                operand = table[operand]
            limit = PROGRAM_DEPTH if op in _JUMPS else 256
            if not 0 <= operand < limit:
                raise ValueError(f"{op.name}: operand {operand} is outside [0, {limit})")
            out.append(op << 12 | ext << 9 | int(immediate) << 8 | operand)
        if len(out) > PROGRAM_DEPTH:
            raise ValueError(f"{len(out)} words do not fit the {PROGRAM_DEPTH}-word ROM")
        return out
