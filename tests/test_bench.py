"""bench/: the arithmetic of the comparisons, the estimator against known costs and a real build,
the throughput bounds against the simulated array, and the CLI's summary."""

import json

import pytest

from bench import estimate, markdown, synth, throughput
from bench.__main__ import compare, main, sweep_points
from hw.config import ArrayConfig


@pytest.mark.parametrize("board", ["icebreaker", "tang-nano-9k", "tang-primer-20k", "ulx3s-12f",
                                   "ulx3s-85f"])
def test_every_sweep_point_is_a_valid_config(board):
    for point in sweep_points(quick=False, board=board):
        config = synth.sweep_config(point)
        assert (config.pe_kind, config.lanes, config.rows) == (point.kind, point.lanes, point.rows)
        assert config.tree_cuts == tuple(range(1, config.tree_depth + 1))   # as the preset


def test_compare_divides_the_right_way():
    def point(kind, lc, fmax):
        return {"kind": kind, "lanes": 8, "rows": 1, "pes": 8, "fits": True, "lc": lc, "fmax_mhz": fmax}
    rows = compare([point("xor", 500, 80.0), point("mul8", 3000, 40.0), point("mux", 600, 60.0)])
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["xor"]["lc_ratio_mul_over_ternary"] == 6.0
    assert by_kind["xor"]["perf_per_lc_ratio"] == round((8 * 80 / 500) / (8 * 40 / 3000), 2)
    assert by_kind["mux"]["lc_ratio_mul_over_ternary"] == 5.0


def test_kinds_summary_counts_a_bit_serial_chunk_act_bits_cycles():
    """G-MAC/s divides by the cycles a chunk takes, per kLC compares with xor at the same shape
    and width, the LC per PE is the slope (not total / PEs), the largest is the most PEs."""
    from bench import kinds

    def point(kind, lanes, rows, lc, fmax, act_bits=8):
        config = synth.sweep_config(synth.Point(kind, lanes, rows, act_bits=act_bits))
        return {"kind": kind, "lanes": lanes, "rows": rows, "pes": lanes * rows, "fits": True,
                "act_bits": act_bits, "lc": lc, "ebr": 6, "fmax_mhz": fmax,
                "fmax_mhz_by_seed": [fmax], "config": config.to_dict()}

    summary = kinds.summarize([point("xor", 16, 1, 1000, 50.0), point("xor", 16, 4, 2000, 40.0),
                               point("serial", 16, 4, 1200, 60.0),
                               point("serial", 16, 4, 1100, 60.0, act_bits=4)])
    by = {(p["kind"], p["rows"], p["act_bits"]): p for p in summary["points"]}
    assert by["serial", 4, 8]["g_mac_s"] == round(64 * 60.0 / 8 / 1e3, 3)
    assert by["serial", 4, 4]["g_mac_s"] == round(64 * 60.0 / 4 / 1e3, 3)
    assert by["serial", 4, 8]["per_lc_vs_xor"] == round((0.48 / 1.2) / (2.56 / 2.0), 2)
    assert "per_lc_vs_xor" not in by["serial", 4, 4]          # no 4-bit xor twin
    assert summary["kinds"]["xor"]["lc_per_pe"] == pytest.approx(1000 / 48, abs=0.01)
    assert summary["kinds"]["xor"]["largest"]["pes"] == 64
    assert "lc_per_pe" not in summary["kinds"]["serial"]       # one shape: no slope


def test_estimator_recovers_costs_and_refuses_unmeasured_kinds():
    truth = {"fixed": 300.0, "lanes_xor": 3.0, "lanes_mux": 4.0, "lanes_mul8": 25.0,
             "lanes_mul8_dsp": None, "accumulators": 2.0}
    configs = [ArrayConfig(pe_kind=kind, lanes=lanes, rows=rows)
               for kind in ("xor", "mux", "mul8") for lanes, rows in ((4, 1), (16, 2), (32, 1))]
    lc = [sum(truth[name] * amount for name, amount in zip(estimate.FEATURE_NAMES,
                                                           estimate.features(c)) if amount)
          for c in configs]
    costs = estimate.fit(configs, lc)
    for name, value in truth.items():
        assert costs[name] == (None if value is None else pytest.approx(value))
    assert estimate.estimate_lc(configs[1], costs)["total"] == round(lc[1])
    with pytest.raises(ValueError, match="lanes_mul8_dsp"):
        estimate.estimate_lc(ArrayConfig(pe_kind="mul8_dsp"), costs)
    with pytest.raises(ValueError, match="cannot determine"):
        estimate.fit(configs[:2], lc[:2])


def test_throughput_bounds_are_lower_bounds():
    config = ArrayConfig.tiny(max_k=64, max_n=16)
    for case in (throughput.ThroughputCase(16, 64, 1), throughput.ThroughputCase(16, 64, 3)):
        result = throughput.measure(config, case)
        bound = max(result["spram_weight_cycles"], result["stream_weight_cycles"],
                    result["compute_cycles"])
        assert result["cycles"] >= bound
        assert 0 < result["efficiency_vs_stream_bound"] <= 1
        assert result["compute_cycles"] == case.m * 8 * 16


def test_quick_bench_throughput_writes_summary_and_plot(tmp_path):
    assert main(["--quick", "--only", "throughput", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["gemv_efficiency"]) == {"64x256"}
    assert 0 < summary["gemv_efficiency"]["64x256"] <= 1
    assert (tmp_path / "throughput_vs_bound.png").stat().st_size > 5000
    assert "| 64x256 |" in (tmp_path / "figures.md").read_text()
    # double-buffered: two tiles, the second loaded while the first computes
    assert summary["gemv_streamed_efficiency"]["64x256"] >= 0.9


def test_double_buffering_hides_compute_behind_the_weight_stream():
    config = ArrayConfig.tiny()                                # 60 words a bank
    case = throughput.ThroughputCase(24, 40, 1)                # 4 tiles of 6 x 40, 30 words each
    assert throughput.buffer_tiles(config, case) == (6, 40)
    result = throughput.measure_double_buffered(config, case)
    streamed = throughput.measure(config.replace(max_n=24), case)
    assert result["tiles"] == 4
    assert result["cycles"] >= result["stream_weight_cycles"]
    assert result["cycles"] < streamed["cycles"]


def test_a_cached_build_counts_only_for_the_same_config_and_sources(tmp_path):
    config = synth.sweep_config(synth.Point("xor", 4, 1))
    path = tmp_path / "report.json"
    report = {"config": config.to_dict(), "sources": synth.source_digest(), "lc_used": 1}
    path.write_text(json.dumps(report))
    assert synth._cached(path, config) == report
    assert synth._cached(path, config.replace(rows=2)) is None
    path.write_text(json.dumps(report | {"sources": "an older hw/"}))
    assert synth._cached(path, config) is None


def test_resident_throughput_is_bounded_and_refuses_what_spram_cannot_hold():
    case = throughput.ThroughputCase(32, 256, 2)
    result = throughput.measure_resident(case)
    assert result["fits"] and result["cycles"] >= result["compute_cycles"]
    assert 0.9 < result["efficiency_vs_spram_bound"] <= 1       # 32 PEs read 32 trits a cycle
    too_big = throughput.measure_resident(throughput.ThroughputCase(1024, 1024, 1))
    assert not too_big["fits"] and "exceed" in too_big["why"]


def test_base3_resident_gemv_reads_forty_trits_a_cycle():
    """Five trits a byte: the same four SPRAMs feed 40 trits a cycle to 20 x 2 PEs, and hold a
    layer that 2-bit codes cannot (1024 x 640 > 512 Ki trits)."""
    case = throughput.ThroughputCase(64, 256, 1)
    result = throughput.measure_resident(case, packing="base3")
    assert result["fits"] and result["spram_trits_per_cycle"] == 40
    assert result["cycles"] >= max(result["compute_cycles"], result["spram_weight_cycles"])
    assert 0.9 < result["of_spram_rate"] <= 1
    wide = throughput.ThroughputCase(1024, 640, 1)
    assert throughput.resident_config(wide, "base3") is not None
    assert throughput.resident_config(wide) is None


def _square(x):
    return x * x


@pytest.fixture(scope="module")
def local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_run_tasks_gives_results_in_order_everywhere(local_cluster):
    tasks = [(i,) for i in range(7)]
    seen = []
    for options in ({}, {"jobs": 2}, {"scheduler": local_cluster}):
        seen.clear()
        assert synth.run_tasks(_square, tasks, on_result=lambda i, r: seen.append(i), **options) \
            == [i * i for i in range(7)]
        assert sorted(seen) == list(range(7))


def fake_build(log_path):
    """hw.build.build's stand-in: a report from the seed (one shape does not place), and a line in
    ``log_path`` per build, so builds can be counted across processes."""
    from hw.build import BuildFailed

    def build(board, config, *, seed, out, target_mhz, top, log):
        with open(log_path, "a") as f:
            f.write(f"{board} {config.lanes}x{config.rows} {seed}\n")
        if config.lanes == 32:
            raise BuildFailed("nextpnr failed\nERROR: Unable to place cell 'x'")
        return {"config": config.to_dict(), "lc_used": 100 * config.lanes, "ebr_used": 2, "dsp_used": 0,
                "lc_total": 5280, "fmax_mhz": 40.0 + seed, "multipliers": {}, "seed": seed,
                "wall_seconds": 1.0, "target_mhz": target_mhz}
    return build


@pytest.mark.parametrize("where", ["here", "pool", "cluster"])
def test_measure_points_builds_caches_and_resumes(tmp_path, monkeypatch, local_cluster, where):
    import hw.build
    log_path = tmp_path / "builds.log"
    monkeypatch.setattr(hw.build, "build", fake_build(log_path))
    options = {"here": {}, "pool": {"jobs": 2}, "cluster": {"scheduler": local_cluster}}[where]
    points = [synth.Point("xor", 4, 1, board="ulx3s-12f"), synth.Point("xor", 32, 1, board="ulx3s-12f")]
    results = synth.measure_points(points, seeds=(1, 2, 3), target_mhz=70.0, root=tmp_path / "synth",
                                   log=lambda text: None, **options)
    good, bad = results
    assert good["fits"] and good["fmax_mhz_by_seed"] == [41.0, 42.0, 43.0] and good["fmax_mhz"] == 42.0
    assert not bad["fits"] and bad["failure"] == "ERROR: Unable to place cell 'x'"
    # the shape that does not place is built once, not once a seed
    assert sorted(log_path.read_text().splitlines()) == [
        "ulx3s-12f 32x1 1", "ulx3s-12f 4x1 1", "ulx3s-12f 4x1 2", "ulx3s-12f 4x1 3"]
    assert (tmp_path / "synth" / "ulx3s-12f" / "bench_xor_l4_r1" / "seed2" / "report.json").is_file()
    # a second run builds nothing: the reports and the failure are cached
    again = synth.measure_points(points, seeds=(1, 2, 3), target_mhz=70.0, root=tmp_path / "synth",
                                 log=lambda text: None, **options)
    assert len(log_path.read_text().splitlines()) == 4
    assert [r["fits"] for r in again] == [True, False] and again[0]["fmax_mhz"] == 42.0


def test_bench_refuses_an_unknown_board(capsys):
    with pytest.raises(SystemExit):
        main(["--board", "de10-nano"])
    assert "--board: unknown de10-nano" in capsys.readouterr().err


def test_per_chip_compares_the_largest_ternary_array_with_the_best_int8_one():
    from bench.__main__ import per_chip

    def point(kind, lanes, rows, fmax, fits=True):
        return {"kind": kind, "lanes": lanes, "rows": rows, "pes": lanes * rows, "fits": fits,
                "fmax_mhz": fmax}
    summary = {"sweep": {"b": {"points": [point("mul8", 8, 1, 30.0), point("mul8_dsp", 8, 1, 50.0),
                                          point("mul8", 32, 1, 0.0, fits=False)]}},
               "largest": {"b": {"xor": {"largest": point("xor", 16, 8, 40.0)},
                                 "mux": {"largest": None}}}}
    assert per_chip(summary) == {"b": {"ternary_g_mac_s": {"xor": 5.12},
                                       "int8_best": {"kind": "mul8_dsp", "lanes": 8, "rows": 1, "g_mac_s": 0.4},
                                       "ratio_ternary_over_int8": 12.8}}


def test_per_chip_sets_a_published_design_beside_the_measured_ones():
    from bench.__main__ import OUTSIDE_REFERENCES, per_chip
    from bench.markdown import figures_markdown

    summary = {"sweep": {"icebreaker": {"points": []}},
               "largest": {"icebreaker": {"xor": {"largest": {"pes": 128, "fmax_mhz": 41.0},
                                                  "tried": []}}}}
    entry = per_chip(summary)["icebreaker"]
    reference = OUTSIDE_REFERENCES["icebreaker"]
    assert entry["outside_reference"]["g_mac_s"] == round(16 * reference["clock_mhz"] / 1e3, 3)
    assert entry["ratio_ternary_over_reference"] == round(5.248 / entry["outside_reference"]["g_mac_s"], 1)
    text = figures_markdown({"date": "2026-12-02", "seeds": [1], "wall_seconds": 1,
                             "per_chip": per_chip(summary)}, "python -m bench")
    assert "Outside reference on the same chip: MARLANN, 16 int8 MAC/cycle" in text
    assert "SymbioticEDA/MARLANN" in text


def test_activations_section_compares_4_bit_arrays_with_the_8_bit_default(tmp_path, monkeypatch):
    """The 8-bit default first, then the 4-bit preset and its zero-skipping twin: PEs, G-MAC/s
    and their ratios, and what skipping costs in LC (builds faked: the arithmetic is checked)."""
    import hw.build

    def build(board, config, *, seed, out, target_mhz, top, log):
        lc = 30 * config.pes // (2 if config.act_bits == 4 else 1) + 90 * (config.zero_skip != "off")
        return {"config": config.to_dict(), "lc_used": lc, "ebr_used": 20, "dsp_used": 0,
                "lc_total": 5280, "fmax_mhz": 40.0 if config.act_bits == 8 else 38.0,
                "multipliers": {}, "seed": seed, "wall_seconds": 1.0, "target_mhz": target_mhz}

    monkeypatch.setattr(hw.build, "build", build)
    monkeypatch.chdir(tmp_path)          # the build cache (build/bench/synth) lands here
    assert main(["--only", "activations", "--seeds", "1", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    base, a4, skip, a4_narrow, codes = summary["activations"]["icebreaker"]["arrays"]
    assert (base["pes"], a4["pes"], skip["pes"], codes["pes"]) == (128, 192, 192, 128)
    assert base["g_mac_s"] == 5.12 and a4["g_mac_s"] == 7.3
    assert a4["pes_ratio"] == 1.5 and a4["g_mac_s_ratio"] == round(7.296 / 5.12, 2)
    assert skip["zero_skip_lc_cost"] == codes["zero_skip_lc_cost"] == 90
    assert "zero_skip_lc_cost" not in a4 and "zero_skip_lc_cost" not in a4_narrow
    assert "| 4-bit, skipping zero chunks | 16 × 12 = 192 |" in (tmp_path / "figures.md").read_text()


def test_a_seed_that_does_not_route_leaves_the_other_seeds_standing(tmp_path, monkeypatch):
    """Near the limit one seed's placement may not route (tang-nano-9k 16 x 12, board top, seed
    3): the point keeps the seeds that routed, names the one that did not, and a second run
    builds nothing again; a point no seed routes does not fit."""
    import hw.build
    from hw.build import BuildFailed

    built = []

    def build(board, config, *, seed, out, target_mhz, top, log):
        built.append((config.lanes, seed))
        if seed == 3 or config.lanes == 8:
            raise BuildFailed("Warning: Failed to find a route for arc 2", placement=True)
        return {"config": config.to_dict(), "lc_used": 100, "ebr_used": 2, "dsp_used": 0,
                "lc_total": 8640, "fmax_mhz": 100.0 + seed, "multipliers": 0, "seed": seed,
                "wall_seconds": 1.0, "target_mhz": target_mhz}

    monkeypatch.setattr(hw.build, "build", build)
    points = [synth.Point("xor", 4, 1, board="tang-nano-9k"), synth.Point("xor", 8, 1, board="tang-nano-9k")]
    for _ in range(2):
        four, eight = synth.measure_points(points, seeds=(1, 2, 3), target_mhz=100.0,
                                           root=tmp_path / "synth", log=lambda text: None)
        assert four["fits"] and four["fmax_mhz_by_seed"] == [101.0, 102.0]
        assert four["unrouted_seeds"] == [3] and four["fmax_mhz"] == 101.5
        assert not eight["fits"] and "no seed routed (Warning: Failed to find a route" in eight["failure"]
        assert "seed 3 not routed" in markdown._seed_list(four)
    assert sorted(built) == [(4, 1), (4, 2), (4, 3), (8, 1), (8, 2), (8, 3)]
