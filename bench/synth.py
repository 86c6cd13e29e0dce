"""Area and Fmax on each board's chip by real builds (hw.build: yosys + nextpnr), many at once.

A point is a board, a PE kind and an array shape; each is built with a few placement seeds and
reported by the median Fmax (nextpnr's Fmax moves 5-10 % with the seed). Every build's
report.json is kept under ``build/bench/synth/<board>/<point>/seed<N>/``, and a point whose
reports are already there for the same config and the same gateware sources (a digest of hw/ and
boards/) is not built again, so an interrupted sweep resumes where it stopped.

Builds run one after another, in a local pool of ``jobs`` processes, or on a Dask ``distributed``
cluster (``scheduler``: its address; ``pip install -e ".[cluster]"``): the workers build and
return the reports, this process keeps the cache, so a sweep on a cluster resumes the same way.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from golden.ints import ceil_log2
from hw.config import ArrayConfig

__all__ = ["Point", "measure_point", "measure_points", "sweep_config", "build_seed", "run_tasks",
           "ROOT"]

ROOT = Path("build/bench/synth")


@dataclass(frozen=True)
class Point:
    kind: str
    lanes: int
    rows: int
    top: str = "bench"           # "bench": the array alone; "board": PLL + UART host link + array
    board: str = "icebreaker"
    act_bits: int = 8
    zero_skip: str = "off"

    @property
    def label(self) -> str:
        variant = ("" if self.act_bits == 8 else f"_a{self.act_bits}") + \
            ("" if self.zero_skip == "off" else f"_skip_{self.zero_skip}")
        return f"{self.top}_{self.kind}_l{self.lanes}_r{self.rows}{variant}"

    @property
    def path(self) -> Path:
        """Where its builds live, under the cache root."""
        return Path(self.board) / self.label


#: Memories of the sweep's arrays (bench top): small enough that the int8 baseline's weights,
#: 4x the bits of ternary ones, still fit the UP5K's EBR, so the comparison is about logic.
SWEEP_MAX_K, SWEEP_MAX_N = 256, 32


def sweep_config(point: Point) -> ArrayConfig:
    """The point's kind and shape; memories of the board's default array for the full board top,
    of ``SWEEP_MAX_K`` × ``SWEEP_MAX_N`` for the bench top. Every adder-tree level is registered,
    as in the board presets."""
    from boards import get_board

    base = get_board(point.board).default_config()
    if point.top == "bench":
        base = base.replace(max_k=SWEEP_MAX_K, max_n=SWEEP_MAX_N)
    return base.replace(pe_kind=point.kind, lanes=point.lanes, rows=point.rows,
                        tree_cuts=tuple(range(1, ceil_log2(point.lanes) + 1)),
                        act_bits=point.act_bits, zero_skip=point.zero_skip)


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


def _failure_line(error) -> str:
    """The tool's own words: its ERROR line, else nextpnr's route failure, else the first line."""
    from hw.build import PLACEMENT_FAILURES

    lines = str(error).splitlines()
    return next((line.strip() for line in lines if "ERROR" in line), None) or next(
        (line.strip() for line in lines if any(words in line for words in PLACEMENT_FAILURES)),
        lines[0] if lines else "?")


def build_seed(point: Point, seed: int, target_mhz: float, root: str) -> dict:
    """One build of ``point`` (or its cached report): ``{"report": ...}`` or ``{"failure": line,
    "message": ..., "placement": ...}`` (``placement``: nextpnr could not place or route this
    seed, which another seed may). Runs wherever the executor puts it; it writes no cache itself."""
    from hw.build import BuildFailed, build

    config = sweep_config(point)
    out = Path(root) / point.path / f"seed{seed}"
    report = _cached(out / "report.json", config)
    if report is not None:
        return {"report": report, "cached": True}
    unrouted = _cached(out / "unrouted.json", config)
    if unrouted is not None:
        return {**unrouted, "placement": True, "cached": True}
    try:
        report = build(point.board, config, seed=seed, out=out, target_mhz=target_mhz,
                       top=point.top, log=lambda text: None)
    except BuildFailed as error:
        return {"failure": _failure_line(error), "message": str(error),
                "placement": error.placement, "cached": False}
    report["sources"] = source_digest()
    return {"report": report, "cached": False}


def run_tasks(function, tasks: list[tuple], *, jobs: int = 1, scheduler: str | None = None,
              on_result=None) -> list:
    """``function(*task)`` for every task, in this process (``jobs`` 1), a pool of ``jobs`` local
    processes, or on the Dask cluster at ``scheduler``; results in task order, ``on_result(index,
    result)`` as each one arrives."""
    results = [None] * len(tasks)

    def arrived(index, result):
        results[index] = result
        if on_result is not None:
            on_result(index, result)

    if scheduler:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise RuntimeError("--scheduler needs Dask's distributed: pip install -e \".[cluster]\"") from None
        with Client(scheduler) as client:
            futures = {client.submit(function, *task, pure=False): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                arrived(futures[future], future.result())
    elif jobs > 1 and len(tasks) > 1:
        from concurrent.futures import ProcessPoolExecutor, as_completed
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(function, *task): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                arrived(futures[future], future.result())
    else:
        for index, task in enumerate(tasks):
            arrived(index, function(*task))
    return results


def measure_points(points: list[Point], *, seeds=(1, 2, 3), target_mhz: float = 48.0,
                   root: Path = ROOT, jobs: int = 1, scheduler: str | None = None,
                   log=print) -> list[dict]:
    """Build every point with its first seed, then the points that fit with the other seeds (all
    builds of a round at once, as ``run_tasks`` runs them), and summarize each: LC, EBR, DSP, Fmax
    per seed and the median, multipliers, and why it failed if it did."""
    configs = {point: sweep_config(point) for point in points}
    reports = {point: {} for point in points}
    unrouted = {point: {} for point in points}     # seed -> nextpnr's words, per point
    failures = {}
    for point in points:
        failed = Path(root) / point.path / "failed.json"
        if _cached(failed, configs[point]) is not None:       # synthesis is deterministic
            failures[point] = json.loads(failed.read_text())["failure"]
            log(f"  {point.board} {point.label}: does not build (cached: {failures[point]})")
    for round_seeds in (seeds[:1], seeds[1:]):
        tasks = [(point, seed, target_mhz, str(root)) for point in points if point not in failures
                 for seed in round_seeds]
        if not tasks:
            continue

        def arrived(index, result, tasks=tasks):
            point, seed = tasks[index][:2]
            where = f"{point.board} {point.label} seed {seed}"
            if result.get("placement"):                      # this seed's placement, not the design
                unrouted[point][seed] = result["failure"]
                path = Path(root) / point.path / f"seed{seed}" / "unrouted.json"
                if not result["cached"]:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(json.dumps({"config": configs[point].to_dict(),
                                                "failure": result["failure"],
                                                "sources": source_digest()}, indent=2) + "\n")
                log(f"  {where}: not routed on this seed ({result['failure']})")
                return
            if "failure" in result:
                failures[point] = result["failure"]
                failed = Path(root) / point.path / "failed.json"
                failed.parent.mkdir(parents=True, exist_ok=True)
                failed.write_text(json.dumps({"config": configs[point].to_dict(),
                                              "failure": result["failure"], "sources": source_digest(),
                                              "message": result["message"]}, indent=2) + "\n")
                log(f"  {where}: does not build ({result['failure']})")
                return
            report = result["report"]
            reports[point][seed] = report
            path = Path(root) / point.path / f"seed{seed}" / "report.json"
            if not result["cached"]:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(report, indent=2) + "\n")
            log(f"  {where}: " + ("cached" if result["cached"] else
                                  f"{report['lc_used']} LC, {report['fmax_mhz']} MHz "
                                  f"({report['wall_seconds']:.0f} s)"))

        log(f"  {len(tasks)} build(s)" + (f" on {scheduler}" if scheduler else
                                          f", {min(jobs, len(tasks))} at a time" if jobs > 1 else ""))
        run_tasks(build_seed, tasks, jobs=jobs, scheduler=scheduler, on_result=arrived)
    return [_summary(point, configs[point], [reports[point][s] for s in seeds if s in reports[point]],
                     failures.get(point), log, unrouted[point]) for point in points]


def _over_budget(report: dict) -> str | None:
    """Why a placed design does not fit the part the board holds (hw.build's CLI rule: a 12F
    board is a 25F die, which nextpnr fills past the 12F's 12,288 LUTs), or None."""
    for field, what in (("lc", "LC"), ("ebr", "EBR")):
        if report.get(f"{field}_used", 0) > report.get(f"{field}_total", float("inf")):
            return (f"does not fit: {report[f'{field}_used']:,} {what} of the device's "
                    f"{report[f'{field}_total']:,}")
    return None


def _summary(point: Point, config: ArrayConfig, runs: list[dict], failure, log,
             unrouted: dict | None = None) -> dict:
    """A point's figures over the seeds that routed (``unrouted``: the others, seed -> why);
    no seed routed is the point's failure."""
    unrouted = unrouted or {}
    if failure is None and runs:
        failure = _over_budget(runs[0])
    if failure is None and not runs and unrouted:
        failure = f"no seed routed ({next(iter(unrouted.values()))})"
    result = {"board": point.board, "kind": point.kind, "lanes": point.lanes, "rows": point.rows,
              "pes": point.lanes * point.rows, "top": point.top, "act_bits": point.act_bits,
              "zero_skip": point.zero_skip, "config": config.to_dict(),
              "fits": failure is None and bool(runs), "failure": failure}
    if runs and failure is None:
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
        if unrouted:
            result["unrouted_seeds"] = sorted(unrouted)
        log(f"  {point.board} {point.label}: {result['lc']} LC, {result['ebr']} EBR, "
            f"{result['dsp']} DSP, Fmax {fmax} -> median {result['fmax_mhz']} MHz")
    return result


def measure_point(point: Point, **options) -> dict:
    """``measure_points`` of one point."""
    return measure_points([point], **options)[0]
