"""Area and Fmax on the UP5K by real builds (hw.build: yosys + nextpnr), one point at a time.

A point is a PE kind and an array shape; each is built with a few placement seeds and reported by
the median Fmax (nextpnr's Fmax moves 5-10 % with the seed). Every build's report.json is kept
under ``build/bench/synth/<point>/seed<N>/``, and a point whose reports are already there for the
same config and the same gateware sources (a digest of hw/ and boards/) is not built again, so an
interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from golden.ints import ceil_log2
from hw.config import ArrayConfig

__all__ = ["Point", "measure_point", "sweep_config", "ROOT"]

ROOT = Path("build/bench/synth")


@dataclass(frozen=True)
class Point:
    kind: str
    lanes: int
    rows: int
    top: str = "bench"           # "bench": the array alone; "board": PLL + UART host link + array

    @property
    def label(self) -> str:
        return f"{self.top}_{self.kind}_l{self.lanes}_r{self.rows}"


#: Memories of the sweep's arrays (bench top): small enough that the int8 baseline's weights,
#: 4x the bits of ternary ones, still fit the UP5K's EBR, so the comparison is about logic.
SWEEP_MAX_K, SWEEP_MAX_N = 256, 32


def sweep_config(point: Point) -> ArrayConfig:
    """The point's kind and shape; memories of the board preset for the full board top, of
    ``SWEEP_MAX_K`` × ``SWEEP_MAX_N`` for the bench top. Every adder-tree level is registered, as in
    the board preset."""
    base = ArrayConfig.icebreaker()
    if point.top == "bench":
        base = base.replace(max_k=SWEEP_MAX_K, max_n=SWEEP_MAX_N)
    return base.replace(pe_kind=point.kind, lanes=point.lanes, rows=point.rows,
                        tree_cuts=tuple(range(1, ceil_log2(point.lanes) + 1)))


def source_digest() -> str:
    """SHA-256 of the gateware and board sources: a cached build counts only if they match."""
    root = Path(__file__).parent.parent
    files = sorted([*root.joinpath("hw").rglob("*.py"), *root.joinpath("boards").rglob("*.py")])
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def _cached(path: Path, config: ArrayConfig) -> dict | None:
    """The stored result at ``path`` if it was made from this config and these sources."""
    if not path.is_file():
        return None
    report = json.loads(path.read_text())
    fresh = report.get("config") == config.to_dict() and report.get("sources") == source_digest()
    return report if fresh else None


def measure_point(point: Point, *, seeds=(1, 2, 3), target_mhz: float = 48.0, board="icebreaker",
                  root: Path = ROOT, log=print) -> dict:
    """Build ``point`` once per seed (stopping after the first if it does not fit) and summarize:
    LC, EBR, DSP, Fmax per seed and the median, multipliers, and why it failed if it did."""
    from hw.build import BuildFailed, build

    config = sweep_config(point)
    runs, failure = [], None
    failed = root / point.label / "failed.json"
    if _cached(failed, config) is not None:           # synthesis and packing are deterministic
        failure = json.loads(failed.read_text())["failure"]
        log(f"  {point.label}: does not build (cached: {failure})")
        seeds = ()
    for seed in seeds:
        out = root / point.label / f"seed{seed}"
        report = _cached(out / "report.json", config)
        if report is None:
            log(f"  build {point.label} seed {seed} ...")
            try:
                report = build(board, config, seed=seed, out=out, target_mhz=target_mhz,
                               top=point.top, log=lambda text: None)
                report["sources"] = source_digest()
                (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
            except BuildFailed as error:
                lines = str(error).splitlines()
                failure = next((line.strip() for line in lines if "ERROR" in line), lines[0])
                failed.parent.mkdir(parents=True, exist_ok=True)
                failed.write_text(json.dumps({"config": config.to_dict(), "failure": failure,
                                              "sources": source_digest(), "message": str(error)},
                                             indent=2) + "\n")
                log(f"  {point.label}: does not build ({failure})")
                break
        else:
            log(f"  {point.label} seed {seed}: cached")
        runs.append(report)
    result = {"kind": point.kind, "lanes": point.lanes, "rows": point.rows, "pes": point.lanes * point.rows,
              "top": point.top, "config": config.to_dict(), "fits": failure is None and bool(runs),
              "failure": failure}
    if runs:
        fmax = [r["fmax_mhz"] for r in runs]
        result |= {
            "lc": runs[0]["lc_used"], "ebr": runs[0]["ebr_used"], "dsp": runs[0]["dsp_used"],
            "lc_total": runs[0]["lc_total"],
            "fmax_mhz_by_seed": fmax, "fmax_mhz": round(statistics.median(fmax), 2),
            "multipliers": runs[0]["multipliers"], "seeds": [r["seed"] for r in runs],
            "build_seconds": round(sum(r["wall_seconds"] for r in runs), 1),
        }
        if len({r["lc_used"] for r in runs}) > 1:       # synthesis is deterministic; say if not
            result["lc_by_seed"] = [r["lc_used"] for r in runs]
        log(f"  {point.label}: {result['lc']} LC, {result['ebr']} EBR, {result['dsp']} DSP, "
            f"Fmax {fmax} -> median {result['fmax_mhz']} MHz")
    return result
