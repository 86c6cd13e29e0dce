"""``RequestDecoder``: a checked frame's command and fields -> what to do, or which error to answer."""

from __future__ import annotations

import enum

from amaranth.hdl import Const, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.ints import ceil_log2

from ..config import ArrayConfig
from .protocol import (COMMIT_BYTES, MAX_REPLY, OFFSET_BYTES, SHAPE_BYTES, Command, ShapeInfo,
                       Status, weight_beat_bytes)
from .receiver import RequestSignature

__all__ = ["Action", "RequestDecoder"]


class Action(enum.IntEnum):
    """What the engine does with a request (``ANSWER``: answer ``status`` and nothing else: an
    error, or a WEIGHTS frame or COMMIT that was already executed)."""
    ANSWER = 0
    IDENTIFY = 1
    PERF = 2
    PERF_CLEAR = 3
    SET_SHAPE = 4
    WEIGHTS = 5
    TOKENS = 6
    RESET = 7
    COMMIT = 8
    SELECT = 9


class RequestDecoder(wiring.Component):
    """Combinational: every check of a request, ending in an action and a status.

    Members
    -------
    request : In(RequestSignature(config))
        The frame's fields, as the receiver kept them.
    shape_set : In(1), committed : In(1), weights_loaded : In(1)
        The engine's state: a load's shape was set; a COMMIT of the matrix succeeded since, or a
        SELECT of a resident one (tokens may run); the array has taken a whole matrix.
    written : In, total : In
        Bytes of the matrix written so far, and of the whole matrix. A frame past the end is
        written (the array starts over with it) and caught at COMMIT: ``written`` is then not
        ``total``, and the CRC-32 would not match either.
    repeated : In(1)
        The request's ``seq`` is that of the last request executed: a resend.
    action : Out(Action), status : Out(Status)
    """

    def __init__(self, config: ArrayConfig):
        self._config = config
        matrix = range(ShapeInfo.of(config, config.max_k, config.max_n).weight_bytes + 1)
        super().__init__({
            "request": In(RequestSignature(config)),
            "shape_set": In(1), "committed": In(1), "weights_loaded": In(1),
            "written": In(matrix), "total": In(matrix), "repeated": In(1),
            "action": Out(Action), "status": Out(Status),
        })

    def elaborate(self, platform) -> Module:
        config = self._config
        m = Module()
        verdict, action, request = self.status, self.action, self.request
        length = request.length
        # weight beats are 1 or a power of two bytes (lanes is), so alignment is a look at the
        # low bits (of the length past the offset field)
        w_bytes = weight_beat_bytes(config)
        low = ceil_log2(w_bytes)
        misaligned = (length[:low] != OFFSET_BYTES % w_bytes) if w_bytes > 1 else Const(0)
        m.d.comb += verdict.eq(Status.OK)
        with m.Switch(request.command):
            for command in (Command.IDENTIFY, Command.PERF, Command.PERF_CLEAR, Command.RESET):
                with m.Case(command):
                    with m.If(length != 0):
                        m.d.comb += verdict.eq(Status.BAD_LENGTH)
                    with m.Else():
                        m.d.comb += action.eq(Action[command.name])
            with m.Case(Command.SET_SHAPE, Command.SELECT):
                with m.If(length != SHAPE_BYTES):
                    m.d.comb += verdict.eq(Status.BAD_LENGTH)
                with m.Elif(request.arg0_high | (request.arg0 == 0)
                            | (request.arg0 > config.max_k) | request.arg1_high
                            | (request.arg1 == 0) | (request.arg1 > config.max_n)):
                    m.d.comb += verdict.eq(Status.BAD_SHAPE)
                with m.Elif(request.arg2_high):   # the slot's own checks follow the shape's sums
                    m.d.comb += verdict.eq(Status.BAD_SLOT)
                with m.Elif(request.command == Command.SET_SHAPE):
                    m.d.comb += action.eq(Action.SET_SHAPE)
                with m.Else():
                    m.d.comb += action.eq(Action.SELECT)
            with m.Case(Command.WEIGHTS):
                with m.If(~self.shape_set):
                    m.d.comb += verdict.eq(Status.NOT_READY)
                with m.Elif((length <= OFFSET_BYTES) | misaligned):
                    m.d.comb += verdict.eq(Status.BAD_LENGTH)
                with m.Elif(self.repeated):    # a resend of what was written: answer OK only
                    pass
                with m.Elif(request.arg0_high | (request.arg0 != self.written)):
                    m.d.comb += verdict.eq(Status.BAD_ORDER)
                with m.Else():
                    m.d.comb += action.eq(Action.WEIGHTS)
            with m.Case(Command.COMMIT):
                with m.If(~self.shape_set):
                    m.d.comb += verdict.eq(Status.NOT_READY)
                with m.Elif(length != COMMIT_BYTES):
                    m.d.comb += verdict.eq(Status.BAD_LENGTH)
                with m.Elif(self.repeated):    # a resend of a COMMIT that succeeded
                    pass
                with m.Elif((self.written != self.total) | ~self.weights_loaded | self.committed):
                    m.d.comb += verdict.eq(Status.NOT_READY)
                with m.Else():
                    m.d.comb += action.eq(Action.COMMIT)
            with m.Case(Command.TOKENS):
                with m.If(~self.shape_set & ~self.committed):
                    m.d.comb += verdict.eq(Status.NOT_READY)
                with m.Elif((length == 0) | ~request.whole_tokens | (request.reply_length > MAX_REPLY)):
                    m.d.comb += verdict.eq(Status.BAD_LENGTH)
                with m.Elif(~self.committed):
                    m.d.comb += verdict.eq(Status.NOT_READY)
                with m.Else():
                    m.d.comb += action.eq(Action.TOKENS)
            with m.Default():
                m.d.comb += verdict.eq(Status.UNKNOWN_COMMAND)
        return m
