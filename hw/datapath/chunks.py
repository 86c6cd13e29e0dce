"""``ChunkCount``: how a layer's K falls into ``lanes``-wide chunks, without a divider."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..config import ArrayConfig

__all__ = ["ChunkCount"]


class ChunkCount(wiring.Component):
    """``chunks = ceil(k / lanes)``, ``last_chunk = chunks - 1`` and the lanes of the last chunk
    that lie inside K, for a quasi-static ``k`` (1..max_k).

    With ``lanes`` a power of two these are shifts and masks, at once. Otherwise (base-3 arrays:
    five times a power of two) they are counted: a change of ``k`` restarts a subtraction of
    ``lanes`` a cycle, so they settle ``chunks`` cycles after ``k`` changed (within
    ``config.max_chunks``, which ``config.shape_settle_cycles`` allows for). A divider, or a
    multiplication by the reciprocal, would sit on a path that changes once per layer.

    Members
    -------
    k : In(range(max_k + 1))
    chunks : Out(range(max_chunks + 1))
    last_chunk : Out(range(max_chunks))
    last_lanes : Out(lanes)
        Bit ``l`` set for ``l < k - (chunks - 1) · lanes``.
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        super().__init__({
            "k": In(range(config.max_k + 1)),
            "chunks": Out(range(config.max_chunks + 1)),
            "last_chunk": Out(range(config.max_chunks)),
            "last_lanes": Out(config.lanes),
        })

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        if config.chunks_by_shifts:
            lane_bits = config.tree_depth  # log2(lanes)
            k_low = Signal(max(lane_bits, 1))   # (k - 1) mod lanes: the last chunk's top lane
            m.d.comb += [k_low.eq((self.k - 1)[:lane_bits] if lane_bits else 0),
                         self.chunks.eq((self.k + (config.lanes - 1)) >> lane_bits),
                         self.last_chunk.eq(self.chunks - 1)]
            for lane in range(config.lanes):
                m.d.comb += self.last_lanes[lane].eq(k_low >= lane)
            return m
        seen = Signal.like(self.k)
        left = Signal.like(self.k)       # lanes from the current chunk on
        m.d.comb += self.chunks.eq(self.last_chunk + 1)
        with m.If(self.k != seen):
            m.d.sync += [seen.eq(self.k), left.eq(self.k), self.last_chunk.eq(0)]
        with m.Elif(left > config.lanes):
            m.d.sync += [left.eq(left - config.lanes), self.last_chunk.eq(self.last_chunk + 1)]
        for lane in range(config.lanes):
            m.d.comb += self.last_lanes[lane].eq(left > lane)
        return m
