"""Block RAM read ports that yosys maps onto iCE40 EBR without read-first emulation logic.

Amaranth's synchronous read port promises read-first behaviour on a same-address write, and
yosys keeps that promise with a register and a comparator per data bit around the EBR (about
400 LC for a 128-bit activation buffer). Every memory here either never reads a word in the cycle
it is written or ignores what it reads then, so the port is built as an asynchronous read plus an
enabled register: yosys merges the two into the EBR's own read register, and the memory's
``no_rw_check`` attribute tells it a collision is don't-care. Simulation is unchanged (the
register samples the word before the write lands, i.e. read-first).

The register has no reset, and its initial value must be dropped before synthesis (an EBR read
register has none; yosys would emulate it with a LUT per bit): it carries the attribute ``ebr_q``
and ``YOSYS_AFTER_READ`` (run by hw.build and hw.resources right after reading the design)
unsets the init of every wire that has it.
The design holds itself in reset long after configuration, so the value is never seen.
"""

from __future__ import annotations

from amaranth.hdl import Signal
from amaranth.lib.memory import Memory

from ..copies import KEEP_COPIES

__all__ = ["NO_RW_CHECK", "YOSYS_AFTER_READ", "ebr_memory", "ebr_read_port"]

#: Attribute set of a memory whose read/write collisions are don't-care.
NO_RW_CHECK = {"no_rw_check": 1}

#: Yosys commands run right after the design is read: the EBR read registers' init dropped,
#: the deliberate register copies kept (``hw.copies``). Also for FSM state registers: Amaranth gives
#: them an init value (their first state, 0), which stops yosys from re-encoding them one-hot;
#: iCE40 flops start at 0 and the sync domain is reset after PLL lock anyway.
YOSYS_AFTER_READ = f"setattr -unset init w:*fsm_state w:*_state a:ebr_q\n{KEEP_COPIES}"


def ebr_memory(*, shape, depth) -> Memory:
    """A ``Memory`` (no initial contents) whose collisions are don't-care."""
    return Memory(shape=shape, depth=depth, init=[], attrs=NO_RW_CHECK)


def ebr_read_port(m, memory: Memory, *, addr, en, name: str = "rd_data") -> Signal:
    """A registered read of ``memory`` at ``addr`` when ``en``: the returned signal holds the
    word one cycle later (like ``memory.read_port()``, whose ``data`` it replaces)."""
    port = memory.read_port(domain="comb")
    # reset_less: the EBR's read register has no reset; a reset would cost a LUT per bit
    data = Signal(memory.shape, name=name, reset_less=True, attrs={"ebr_q": 1})
    m.d.comb += port.addr.eq(addr)
    with m.If(en):
        m.d.sync += data.eq(port.data)
    return data
