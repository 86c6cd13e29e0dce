"""``python -m sim.fuzz``: faults on the host link, seeded, against the virtual board.

Each scenario opens the host driver on the virtual board (``sim.virtual_board``: UART at the bit
level, protocol engine, array, under Verilator) through a port that injects faults: bytes lost,
corrupted, duplicated or cut off on the way to the device or back, garbage on the line, a host
interrupted halfway through a load or between a request and its reply (leaving a stale reply),
a RESET in the middle of a load, stray requests nobody reads. It then runs a few operations
(weight loads of random shapes, into named slots beside the resident ones or as the only matrix,
token batches on any resident slot, counters) and checks every result against golden.
Every scenario ends with a fault-free check on the same device: open, load, run, compare.

A scenario is **right** when every result it got was golden's, a **clear error** when an operation
raised instead (the driver's errors, or "load_weights first" after a load that failed), **wrong**
when any result differed from golden, **unclear** when something else was raised (a driver bug),
**unrecovered** when the fault-free check afterwards failed (the device would need reprogramming).
The last three must never happen.

    python -m sim.fuzz                         # 200 scenarios, seed 0
    python -m sim.fuzz --minutes 30 --seed 7   # as many as fit in 30 minutes

Exit codes: 0 no wrong numbers and nothing unrecovered, 1 otherwise, 2 bad arguments. A JSON
report goes to ``--out`` (default ``build/fuzz/report.json``).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from golden.bitlinear import int_matmul
from hw.cli import CommandLine, non_negative_int, output_file, positive_float, positive_int
from hw.config import ArrayConfig
from golden.slots import SlotError
from hw.link.protocol import Command, ProtocolError, encode_frame

__all__ = ["FaultyPort", "Interrupted", "FAULTS", "FAILING", "run_scenario", "fuzz", "main"]

#: Every kind of fault a scenario may inject (one or two per scenario).
FAULTS = ("drop_to_device", "flip_to_device", "duplicate_to_device", "cut_to_device",
          "garbage_to_device", "drop_from_device", "flip_from_device", "duplicate_from_device",
          "interrupt_before_write", "interrupt_after_write", "reset_mid_load", "stray_request")
#: The array the fuzzer runs (the virtual board of this preset is compiled once).
PRESET = "tiny"


class Interrupted(Exception):
    """What a Ctrl-C would do to the host: the driver call stops where it is."""


@dataclass
class _Armed:
    kind: str
    at: int          # bytes (or writes, for interrupts) from the moment it was armed


class FaultyPort:
    """A pyserial-like port in front of another that injects the armed faults, counting bytes in
    each direction from the moment each fault was armed. ``interrupt_*`` faults count writes
    (frames) instead and raise :class:`Interrupted` before or after the write."""

    def __init__(self, port, rng: np.random.Generator):
        self._port = port
        self._rng = rng
        self._armed: list[_Armed] = []
        self._sent = 0          # bytes written since the last arm()
        self._got = 0           # bytes read since the last arm()
        self._writes = 0
        self._held = bytearray()     # bytes read from the port, faults applied, not yet handed on
        self.injected = Counter()

    def arm(self, kind: str, at: int) -> None:
        self._armed.append(_Armed(kind, at))

    def disarm(self) -> None:
        self._armed.clear()
        self._sent = self._got = self._writes = 0

    def _take(self, kind: str, position: int, width: int = 1) -> bool:
        """Whether an armed ``kind`` fault falls in ``[position, position + width)``; fires it."""
        for fault in self._armed:
            if fault.kind == kind and position <= fault.at < position + width:
                self._armed.remove(fault)
                self.injected[kind] += 1
                return True
        return False

    def write(self, data: bytes) -> int:
        data = bytearray(data)
        self._writes += 1
        if self._take("interrupt_before_write", self._writes - 1):
            raise Interrupted("before a write")
        out = bytearray()
        if self._take("garbage_to_device", self._sent, len(data)):
            out += self._rng.integers(0, 256, int(self._rng.integers(1, 40)), dtype=np.uint8).tobytes()
        for i, byte in enumerate(data):
            position = self._sent + i
            if self._take("drop_to_device", position):
                continue
            if self._take("flip_to_device", position):
                byte ^= 1 << int(self._rng.integers(0, 8))
            out.append(byte)
            if self._take("duplicate_to_device", position):
                out.append(byte)
            if self._take("cut_to_device", position):
                break               # the rest of this write never reaches the line
        self._sent += len(data)
        self._port.write(bytes(out))
        if self._take("interrupt_after_write", self._writes - 1):
            raise Interrupted("after a write, before its reply was read")
        return len(data)

    def read(self, size: int = 1) -> bytes:
        while len(self._held) < size:
            chunk = self._port.read(size - len(self._held))
            if not chunk:
                break
            for byte in chunk:
                position = self._got
                self._got += 1
                if self._take("drop_from_device", position):
                    continue
                if self._take("flip_from_device", position):
                    byte ^= 1 << int(self._rng.integers(0, 8))
                self._held.append(byte)
                if self._take("duplicate_from_device", position):
                    self._held.append(byte)
        out = bytes(self._held[:size])
        del self._held[:size]
        return out

    def reset_input_buffer(self) -> None:
        self._held.clear()
        self._port.reset_input_buffer()


@dataclass
class Outcome:
    verdict: str                      # right, clear_error, wrong, unclear_error, unrecovered
    errors: list = field(default_factory=list)
    results: int = 0                  # results compared with golden
    injected: dict = field(default_factory=dict)    # fault kind -> times it fired


def _operations(rng, config):
    """2-4 random operations: loads of random shapes, token batches, counters, stray frames."""
    ops = [("load", int(rng.integers(1, config.max_n + 1)), int(rng.integers(1, config.max_k + 1)))]
    for _ in range(int(rng.integers(1, 4))):
        ops.append(rng.choice(["run", "run", "load", "perf", "reset"]).item())
        if ops[-1] == "load":
            ops[-1] = ("load", int(rng.integers(1, config.max_n + 1)),
                       int(rng.integers(1, config.max_k + 1)))
    ops.append("run")
    return ops


def _arm(faulty: FaultyPort, rng) -> set:
    """One or two random faults; returns their kinds."""
    for _ in range(int(rng.integers(1, 3))):
        kind = str(rng.choice(FAULTS))
        if kind.startswith("interrupt"):
            at = int(rng.integers(0, 6))           # the how-manyth write
        elif kind in ("reset_mid_load", "stray_request"):
            at = 0                                 # at the first load
        else:
            at = int(rng.integers(0, 400))         # the how-manyth byte
        faulty.arm(kind, at)
    return {fault.kind for fault in faulty._armed}


def _operate(device, faulty: FaultyPort, rng, config, armed: set, outcome: "Outcome") -> None:
    """The scenario's operations through the faulty port, every result checked against golden."""
    def clear(error):
        outcome.errors.append(f"{type(error).__name__}: {error}")
        if outcome.verdict == "right":
            outcome.verdict = "clear_error"

    weights = {}                      # slot -> the matrix this host loaded there
    for op in _operations(rng, config):
        try:
            if isinstance(op, tuple):
                _, n, k = op
                w = rng.integers(-1, 2, (n, k))
                slot = (None, "a", "b", "c")[int(rng.integers(0, 4))]
                if slot is not None:
                    try:
                        device.slots.plan(slot, n, k)
                    except SlotError:              # no room beside the others: the only matrix
                        slot = None
                if "reset_mid_load" in armed and faulty._take("reset_mid_load", 0):
                    device.set_shape(k, n)           # a load begun, then abandoned
                    device.reset()
                if "stray_request" in armed and faulty._take("stray_request", 0):
                    faulty.write(encode_frame(Command.IDENTIFY, seq=int(rng.integers(0, 256))))
                weights[device.load_weights(w, slot=slot).name] = w
            elif op == "run":
                # any slot the driver holds resident (a load that failed is not among them)
                resident = [s.name for s in device.slots.slots]
                if not resident:
                    continue
                name = resident[int(rng.integers(0, len(resident)))]
                w = weights[name]
                x = rng.integers(-128, 128, (int(rng.integers(1, 4)), w.shape[1]))
                got = device.run_codes(x, slot=name)
                outcome.results += 1
                if not np.array_equal(got, int_matmul(x, w)):
                    outcome.verdict = "wrong"
                    outcome.errors.append(f"wrong numbers: slot {name} x {x.tolist()} "
                                          f"w {w.tolist()} got {got.tolist()}")
            elif op == "perf":
                device.perf()
            elif op == "reset":
                device.reset()
        except (ProtocolError, Interrupted) as error:
            clear(error)
        except RuntimeError as error:      # "load_weights first": the driver knows none is loaded
            clear(error)
        except Exception as error:         # anything else is a driver bug, not a clear error
            outcome.verdict = "unclear_error"
            outcome.errors.append(f"{type(error).__name__}: {error}")


def run_scenario(port, seed: int, *, timeout: float, accelerator) -> Outcome:
    """One scenario on ``port`` (the virtual board's terminal, opened by the caller): faults,
    operations, then the fault-free check. ``accelerator(port, timeout)`` opens the driver."""
    rng = np.random.default_rng(seed)
    config = ArrayConfig.presets()[PRESET]
    faulty = FaultyPort(port, rng)
    outcome = Outcome("right")
    armed = _arm(faulty, rng)
    try:
        device = accelerator(faulty, timeout)
    except (ProtocolError, Interrupted) as error:
        outcome.verdict = "clear_error"
        outcome.errors.append(f"{type(error).__name__}: {error}")
    else:
        _operate(device, faulty, rng, config, armed, outcome)
    faulty.disarm()
    # the fault-free check: the same device, a new driver (which sends RESET), a load and a run
    try:
        device = accelerator(port, timeout)
        w, x = rng.integers(-1, 2, (3, 7)), rng.integers(-128, 128, (2, 7))
        device.load_weights(w)
        if not np.array_equal(device.run_codes(x), int_matmul(x, w)):
            outcome.verdict = "wrong"
            outcome.errors.append("wrong numbers in the fault-free check")
    except (ProtocolError, RuntimeError) as error:
        if outcome.verdict != "wrong":
            outcome.verdict = "unrecovered"
        outcome.errors.append(f"check afterwards: {type(error).__name__}: {error}")
    outcome.injected = dict(faulty.injected)
    return outcome


#: Verdicts that fail the run.
FAILING = ("wrong", "unclear_error", "unrecovered")


#: The fuzzer's line rate: the fastest the iCEBreaker's FT2232H runs dependably, and (fewer
#: simulated cycles a byte) three times the scenarios a minute of 1 Mbaud.
FUZZ_BAUD = 3_000_000


def fuzz(*, scenarios: int | None = None, minutes: float | None = None, seed: int = 0,
         timeout: float = 0.5, baud: int = FUZZ_BAUD, log=print, progress_every: int = 50) -> dict:
    """Run scenarios on one virtual board until ``scenarios`` ran or ``minutes`` passed; the
    report counts verdicts and faults and lists the seeds of any wrong or unrecovered one."""
    import serial

    from host.driver import Accelerator
    from .virtual_board import VirtualBoard

    config = ArrayConfig.presets()[PRESET]
    verdicts, injected, failures = Counter(), Counter(), []
    start = time.monotonic()
    deadline = start + 60 * minutes if minutes else None

    def accelerator(port, seconds):
        return Accelerator(port, timeout=seconds, retries=3)

    with VirtualBoard(config, baud=baud) as board:
        port = serial.Serial(board.port, timeout=timeout)
        try:
            index = 0
            while (scenarios is None or index < scenarios) and \
                    (deadline is None or time.monotonic() < deadline):
                outcome = run_scenario(port, seed * 1_000_003 + index, timeout=timeout,
                                       accelerator=accelerator)
                verdicts[outcome.verdict] += 1
                injected.update(outcome.injected)
                if outcome.verdict in FAILING:
                    failures.append({"scenario": index, "seed": seed * 1_000_003 + index,
                                     "verdict": outcome.verdict, "errors": outcome.errors})
                    log(f"scenario {index}: {outcome.verdict}: {outcome.errors[-1]}")
                index += 1
                if progress_every and index % progress_every == 0:
                    log(f"{index} scenarios, {time.monotonic() - start:.0f} s: "
                        f"{dict(verdicts)}")
        finally:
            port.close()
    return {"preset": PRESET, "seed": seed, "baud": baud, "scenarios": sum(verdicts.values()),
            "seconds": round(time.monotonic() - start, 1), "verdicts": dict(verdicts),
            "wrong_numbers": verdicts["wrong"], "unclear_errors": verdicts["unclear_error"],
            "unrecovered": verdicts["unrecovered"],
            "faults_injected": dict(sorted(injected.items())), "failures": failures,
            "board": board.stats}


def main(argv=None) -> int:
    parser = CommandLine(prog="python -m sim.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=positive_int, help="how many (default 200)")
    parser.add_argument("--minutes", type=positive_float, help="run for this long instead")
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument("--timeout", type=positive_float, default=0.5,
                        help="seconds of silence before the driver gives up on a reply")
    parser.add_argument("--baud", type=positive_int, default=FUZZ_BAUD)
    parser.add_argument("--out", type=output_file, default="build/fuzz/report.json")
    args = parser.parse_args(argv)
    scenarios = args.scenarios if args.scenarios or args.minutes else 200
    report = fuzz(scenarios=scenarios, minutes=args.minutes, seed=args.seed,
                  timeout=args.timeout, baud=args.baud, log=lambda line: print(line, flush=True))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{report['scenarios']} scenarios in {report['seconds']:.0f} s (seed {args.seed}): "
          f"{report['verdicts'].get('right', 0)} right, "
          f"{report['verdicts'].get('clear_error', 0)} clear errors, "
          f"{report['wrong_numbers']} wrong numbers, {report['unclear_errors']} unclear errors, "
          f"{report['unrecovered']} unrecovered")
    print(f"faults injected: {report['faults_injected']}")
    print(f"report: {args.out}")
    return 1 if any(report["verdicts"].get(verdict) for verdict in FAILING) else 0


if __name__ == "__main__":
    sys.exit(main())
