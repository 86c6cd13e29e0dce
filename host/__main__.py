"""``python -m host``: talk to an accelerator from the shell.

    python -m host identify --port /dev/ttyUSB1            # version, ArrayConfig, baud (JSON)
    python -m host ping --port /dev/ttyUSB1                # round-trip times of a few IDENTIFYs
    python -m host run --port /dev/ttyUSB1 --weights w.npy --inputs x.npy --out y.npy
    python -m host perf --port /dev/ttyUSB1                # the array's cycle counters (JSON)
    python -m host reset --port /dev/ttyUSB1               # back to idle (no shape, no matrix)
    python -m host identify --port sim:tiny                # the simulated board of a preset

``run`` takes float weights (N×K) and inputs (M×K) and writes the BitLinear output, as
golden.bitlinear computes it; integer arrays are ternary weight codes and int8 activation codes,
and it writes the int32 accumulators. ``--port sim:PRESET`` is the gateware in simulation behind a
simulated serial port (slow, but the same protocol and numbers). Exit codes: 0 done, 1 the device
answered with an error, 2 bad input or nothing answers.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from hw.cli import CommandLine, output_file, positive_float, positive_int
from hw.config import ArrayConfig
from hw.link.protocol import DEFAULT_BAUD

from .driver import Accelerator, NoAnswer, ProtocolError

SIM_PREFIX = "sim:"


def open_port(port: str, baud: int, timeout: float) -> Accelerator:
    """The accelerator behind ``port``: a serial device, or ``sim:PRESET``."""
    if port.startswith(SIM_PREFIX):
        from hw.system.accelerator import LinkedArray
        from sim.link import SimulatedSerial

        presets = ArrayConfig.presets()
        name = port[len(SIM_PREFIX):]
        if name not in presets:
            raise NoAnswer(f"--port {port}: no preset {name!r}; known: {', '.join(presets)}")
        return Accelerator(SimulatedSerial(LinkedArray(presets[name], timeout_cycles=20_000)),
                           timeout=timeout)
    return Accelerator(port, baudrate=baud, timeout=timeout)


def load_array(path: str, what: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise NoAnswer(f"{what} {path}: not a readable .npy file ({error})") from None


def command_run(device: Accelerator, args) -> dict:
    w, x = load_array(args.weights, "--weights"), load_array(args.inputs, "--inputs")
    integer = w.dtype.kind in "iu"
    if integer != (x.dtype.kind in "iu"):
        raise ValueError("--weights and --inputs: both float (BitLinear) or both integer codes")
    device.load_weights(w)
    y = device.run_codes(x) if integer else device.run(x)
    np.save(args.out, y)
    return {"out": str(args.out), "shape": list(y.shape), "dtype": str(y.dtype)}


#: IDENTIFY round trips a ping times.
PINGS = 5


def command_ping(device: Accelerator) -> dict:
    times = []
    for _ in range(PINGS):
        start = time.perf_counter()
        device.identify()
        times.append((time.perf_counter() - start) * 1e3)
    return {"round_trips": PINGS, "ms_min": round(min(times), 3),
            "ms_median": round(float(np.median(times)), 3), "ms_max": round(max(times), 3)}


def parse_args(argv):
    parser = CommandLine(prog="python -m host", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("identify", "ping", "run", "perf", "reset"))
    parser.add_argument("--port", required=True, help="serial device, or sim:PRESET")
    parser.add_argument("--baud", type=positive_int, default=DEFAULT_BAUD)
    parser.add_argument("--timeout", type=positive_float, default=2.0, help="seconds a reply may take")
    parser.add_argument("--weights", help="run: N×K weights (.npy)")
    parser.add_argument("--inputs", help="run: M×K inputs (.npy)")
    parser.add_argument("--out", type=output_file, help="run: where to write the M×N result (.npy)")
    args = parser.parse_args(argv)
    if args.command == "run" and not (args.weights and args.inputs and args.out):
        parser.error("run needs --weights, --inputs and --out")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        with open_port(args.port, args.baud, args.timeout) as device:
            if args.command == "identify":
                result = {"version": list(device.version), "config": device.config.to_dict(),
                          "baud": device.baud or None}
            elif args.command == "ping":
                result = command_ping(device)
            elif args.command == "perf":
                result = device.perf()
            elif args.command == "reset":      # opening the port already sent RESET
                result = {"reset": True, "version": list(device.version)}
            else:
                result = command_run(device, args)
    except (NoAnswer, ValueError, TypeError) as error:
        print(f"python -m host: {error}", file=sys.stderr)
        return 2
    except ProtocolError as error:
        print(f"python -m host: the device failed: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
