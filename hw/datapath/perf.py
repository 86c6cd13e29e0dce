"""Performance counters of the array: every cycle from the first token beat to the latest result,
classified as busy (a chunk issued), input stall (nothing to issue) or output stall."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["PerfSignature", "PerfCounters", "PERF_COUNTERS"]

#: The counters, in the order every reader (IDENTIFY-free PERF reply, scoreboard) lists them.
PERF_COUNTERS = ("busy", "in_stall", "out_stall")


class PerfSignature(wiring.Signature):
    """The counters as a port of the array (seen from the array: ``Out``).

    Members
    -------
    clear : In(1)
        Zero the counters; they restart with the next token beat.
    busy, in_stall, out_stall : Out(bits)
        Cycles from the first ``x_in`` beat to the latest ``acc_out`` beat, split three ways: a
        chunk was issued; nothing to issue (waiting for activations or weights, or draining the
        pipeline); the output stalled the pipeline. They settle three cycles after that beat.
    """

    def __init__(self, bits: int):
        super().__init__({"clear": In(1), **{name: Out(unsigned(bits)) for name in PERF_COUNTERS}})


class PerfCounters(wiring.Component):
    """The three counters and their snapshots, fed by the controller's handshake signals.

    Each cycle is classified now and counted a cycle later, so the adders do not sit behind the
    handshake logic; the snapshot strobe is delayed to match. A counter is two halves, the upper
    one taking the lower one's carry a cycle later (a 32-bit carry chain limited the array clock
    at 44 MHz); its value is ``(high + carry) << half | low``, which the snapshot takes a cycle
    after the strobe.

    Only ``clear`` zeroes them: their flops have no reset (they start at zero), so the array's
    restart, which reaches every flop with one, stays beside the controller instead of crossing
    to wherever the counters sit (the 85F's critical path); whoever restarts the array clears
    the counters too (``hw.system.accelerator.LinkedArray``).

    Members
    -------
    token_beat : In(1)
        An ``x_in`` beat was taken: counting starts with the first.
    issue : In(1)
        A chunk was issued this cycle.
    advance : In(1)
        The pipeline moved (the output register was free or taken).
    out_beat : In(1)
        An ``acc_out`` beat was taken: the snapshots follow.
    perf : Out(PerfSignature(bits))
    """

    def __init__(self, bits: int):
        self._bits = bits
        super().__init__({"token_beat": In(1), "issue": In(1), "advance": In(1),
                          "out_beat": In(1), "perf": Out(PerfSignature(bits))})

    def elaborate(self, platform) -> Module:
        m = Module()
        clear = self.perf.clear
        started = Signal(reset_less=True)
        counting = Signal()
        m.d.comb += counting.eq(started | self.token_beat)
        m.d.sync += started.eq(counting & ~clear)
        out_beat_seen = Signal(reset_less=True)
        snapshot_now = Signal(reset_less=True)
        m.d.sync += [out_beat_seen.eq(self.out_beat & ~clear),
                     snapshot_now.eq(out_beat_seen & ~clear)]
        conditions = {"busy": self.issue, "in_stall": self.advance & ~self.issue,
                      "out_stall": ~self.advance}
        half = self._bits // 2
        for name in PERF_COUNTERS:
            snapshot = Signal(self._bits, name=f"{name}_snapshot", reset_less=True)
            m.d.comb += getattr(self.perf, name).eq(snapshot)
            seen = Signal(name=f"{name}_seen", reset_less=True)
            low = Signal(half, name=f"{name}_low", reset_less=True)
            high = Signal(self._bits - half, name=f"{name}_high", reset_less=True)
            carry = Signal(name=f"{name}_carry", reset_less=True)
            low_next = Signal(half + 1, name=f"{name}_low_next")
            m.d.sync += seen.eq(counting & conditions[name] & ~clear)
            m.d.comb += low_next.eq(low + seen)
            m.d.sync += [low.eq(low_next[:half]), carry.eq(low_next[half]),
                         high.eq(high + carry)]
            with m.If(snapshot_now):
                m.d.sync += snapshot.eq(Cat(low, high + carry))
            with m.If(clear):
                m.d.sync += [low.eq(0), high.eq(0), carry.eq(0), snapshot.eq(0)]
        return m
