# amaranth: UnusedElaboratable=no
"""The sequencer against a few lines of Python that say what each instruction does: random
straight-line programs and programs that loop, call and branch both ways, compared by every
``out`` they make."""

import numpy as np
import pytest

from hw.link.sequencer import PROGRAM_DEPTH, Assembler, Ext, Op, Sequencer


def port_value(port: int, reads: int) -> int:
    """What the test's ports show: a function of the port and how many reads came before."""
    return (port * 37 + reads * 11 + 5) & 0xFF


def run_model(words: list[int], outs: int, max_steps: int = 20000) -> list[tuple[int, int]]:
    """The instructions as Python: the ``(port, value)`` of the first ``outs`` writes."""
    a = carry = zero = pc = link = reads = 0
    ram = {}
    written = []
    for _ in range(max_steps):
        if len(written) == outs:
            return written
        word = words[pc] if pc < len(words) else 0
        op, ext, immediate, operand = word >> 12, word >> 9 & 7, word >> 8 & 1, word & 0xFF
        x = operand if immediate else ram.get(operand, 0)
        following = pc + 1
        result = None
        if op == Op.LD:
            result = x
        elif op == Op.ST:
            ram[operand] = a
        elif op in (Op.ADD, Op.ADC):
            total = a + x + (carry if op == Op.ADC else 0)
            result, carry = total & 0xFF, total >> 8
        elif op in (Op.SUB, Op.SBC):
            total = a - x - (carry if op == Op.SBC else 0)
            result, carry = total & 0xFF, int(total < 0)
        elif op in (Op.AND, Op.OR, Op.XOR):
            result = {Op.AND: a & x, Op.OR: a | x, Op.XOR: a ^ x}[op]
        elif op == Op.INP:
            result, reads = port_value(operand, reads), reads + 1
        elif op == Op.OUT:
            written.append((operand, a))
        elif op in (Op.JMP, Op.JZ, Op.JNZ, Op.JC):
            if {Op.JMP: 1, Op.JZ: zero, Op.JNZ: not zero, Op.JC: carry}[op]:
                following = word & 0x1FF
        elif ext == Ext.CALL:
            link, following = pc + 1, word & 0x1FF
        elif ext == Ext.RET:
            following = link
        elif ext == Ext.SHR:
            result, carry = (a >> 1) | (carry << 7), a & 1
        elif ext == Ext.JNC and not carry:
            following = word & 0x1FF
        if result is not None:
            a, zero = result, int(result == 0)
        pc = following % PROGRAM_DEPTH
    raise AssertionError(f"the model made {len(written)} of {outs} writes in {max_steps} steps")


def run_hardware(run_sim, words: list[int], outs: int) -> list[tuple[int, int]]:
    dut = Sequencer(words)
    written = []

    async def testbench(ctx):
        reads = 0
        for _ in range(40000):
            if len(written) == outs:
                return
            ctx.set(dut.io_rdata, port_value(ctx.get(dut.io_addr), reads))
            reads += ctx.get(dut.io_rd)
            if ctx.get(dut.io_wr):
                written.append((ctx.get(dut.io_addr), ctx.get(dut.io_wdata)))
            await ctx.tick()

    run_sim(dut, testbench)
    return written


@pytest.mark.parametrize("seed", range(4))
def test_random_straight_line_programs(run_sim, seed):
    rng = np.random.default_rng(seed)
    asm = Assembler()
    names = [asm.variable(f"v{i}") for i in range(6)]
    alu = ["ld", "add", "adc", "sub", "sbc", "and", "or", "xor"]
    asm.ldi(int(rng.integers(1, 256)))      # the first word counts too
    for _ in range(120):
        choice = rng.integers(0, 5)
        if choice == 0:
            getattr(asm, str(rng.choice(alu)) + "i")(int(rng.integers(0, 256)))
        elif choice == 1:
            getattr(asm, str(rng.choice(alu)))(str(rng.choice(names)))
        elif choice == 2:
            asm.st(str(rng.choice(names)))
        elif choice == 3:
            asm.inp(int(rng.integers(0, 256)))
        else:
            asm.shr()
        asm.out(int(rng.integers(0, 256)))
    asm.label("end")
    asm.jmp("end")
    words = asm.words()
    want = run_model(words, 120)
    assert run_hardware(run_sim, words, 120) == want
    assert len({value for _, value in want}) > 30       # the trace is not constant


def counting_program() -> list[int]:
    """A 16-bit count down from 0x0103 to below zero (``sub``/``sbc`` borrows, ``jc`` out), each
    count written out; a subroutine called each time that counts its calls and writes the
    count halved when it is even (``shr``, ``jnc`` both ways); then ``jz`` and ``jnz`` taken."""
    asm = Assembler()
    low, high, calls = asm.variable("low"), asm.variable("high"), asm.variable("calls")
    for value, name in ((0x03, low), (0x01, high), (0x00, calls)):
        asm.ldi(value)
        asm.st(name)
    asm.label("loop")
    for name, port in ((low, 1), (high, 2)):
        asm.ld(name)
        asm.out(port)
    asm.call("bump")
    asm.ld(low)
    asm.subi(1)
    asm.st(low)
    asm.ld(high)
    asm.sbci(0)         # the low byte's borrow
    asm.st(high)
    asm.jc("done")      # a borrow out of the high byte: below zero
    asm.jmp("loop")
    asm.label("done")
    asm.ld(calls)
    asm.out(4)
    asm.ld(low)
    asm.xori(0xFF)      # low is 0xFF after the last borrow
    asm.jz("zero")
    asm.out(6)          # not reached
    asm.label("zero")
    asm.ldi(0x77)
    asm.jnz("end")
    asm.out(6)          # not reached
    asm.label("end")
    asm.out(7)
    asm.label("stop")
    asm.jmp("stop")
    asm.label("bump")
    asm.ld(calls)
    asm.addi(1)         # its carry (at the 256th call) becomes shr's top bit
    asm.st(calls)
    asm.shr()
    asm.jnc("even")
    asm.ret()
    asm.label("even")
    asm.out(3)
    asm.ret()
    return asm.words()


def test_loops_calls_and_branches(run_sim):
    words = counting_program()
    want = run_model(words, 2 * 260 + 130 + 2)
    assert [port for port, _ in want[-2:]] == [4, 7] and want[-2][1] == 260 & 0xFF
    assert (3, 0x80) in want and 6 not in [port for port, _ in want]   # 256 calls: 0 + carry
    assert run_hardware(run_sim, words, len(want)) == want


def test_the_assembler_refuses_what_cannot_be_encoded():
    asm = Assembler()
    asm.jmp("nowhere")
    with pytest.raises(ValueError, match="'nowhere' is not defined"):
        asm.words()
    asm = Assembler()
    asm.addi(256)
    with pytest.raises(ValueError, match="outside"):
        asm.words()
    asm = Assembler()
    asm.variable("x")
    with pytest.raises(ValueError, match="already defined"):
        asm.variable("x")
    with pytest.raises(ValueError, match="does not fit"):
        Sequencer([0] * (PROGRAM_DEPTH + 1))
