"""``make demo``: the tiny BitNet model generates text on golden/ and on the simulated array.

    python -m lm [--tokens 64] [--prompt "the "] [--config icebreaker] [--set F=V] [--backend verilator]
    python -m lm --port /dev/ttyUSB1          # the hardware engine is a board running hw.build's bitstream
    python -m lm --checkpoint DIR_OR_GGUF [--prompt-ids 1,2,3]   # a BitNet transformer (lm.bitnet)
    python -m lm --streamed                   # load every tile for every product (no residency)

Both engines generate from the same prompt and seed; every BitLinear product of the hardware engine
runs on the exported array under Verilator (checked beat by beat against golden/ as it runs). The
run passes when the tokens and every layer's accumulators are identical; the summary (text, cycles
per token, projected tokens/s) is printed and written to build/demo/summary.json. Exits 1 on any
mismatch, 2 on bad input (a damaged model file, a config that is not valid). Layers larger than
the array run as tiles (lm.engines). The simulated array keeps every tile that fits resident in
its weight banks, loaded once before the first token; the summary gives the cycles per token
against the bound of the weight store (trits a token ÷ trits the banks deliver a cycle).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.driver import Accelerator, NoAnswer
from hw.cli import (CommandLine, non_negative_float, non_negative_int, output_file,
                    positive_float, positive_int)
from hw.config import ArrayConfig
from hw.link.protocol import DEFAULT_BAUD

from .engines import BoardEngine, GoldenEngine, SimEngine
from .model import DEFAULT_MODEL, ModelFileError, TernaryModel

# lm.bitnet is imported only for --checkpoint (it needs safetensors / gguf)

BUILD_REPORT = Path("build/icebreaker/report.json")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def clock_for_projection(config: ArrayConfig, fmax_mhz: float | None, report_path: Path) -> tuple[float, str]:
    """The clock to project tokens/s at, and where it came from: ``--fmax-mhz``, else the Fmax of
    an icebreaker build of this same config, else the board's default target clock."""
    if fmax_mhz is not None:
        return fmax_mhz, "--fmax-mhz"
    if report_path.is_file():
        report = json.loads(report_path.read_text())
        if report.get("config") == config.to_dict():
            return float(report["fmax_mhz"]), f"Fmax of {report_path} (seed {report.get('seed')})"
        log(f"note: {report_path} was built for another config; not using its Fmax")
    from boards import get_board
    target = get_board("icebreaker").target_hz(config) / 1e6
    return target, ("the icebreaker target clock (no build report for this config: run "
                    "`python -m hw.build --board icebreaker` for a measured Fmax)")


def open_accelerator(port: str, baudrate: int, timeout: float = 2.0):
    return Accelerator(port, baudrate=baudrate, timeout=timeout)


def hardware_engine(args, model):
    """A board when ``--port`` is given (its config comes from the device), else the simulated
    array for ``--config``/``--set``."""
    if args.port:
        return BoardEngine(model, open_accelerator(args.port, args.baud, args.timeout))
    config = ArrayConfig.presets()[args.config].with_overrides(args.set)
    if args.backend != "verilator" and not args.streamed:
        raise ValueError(f"--backend {args.backend} simulates one weight load at a time; add "
                         f"--streamed (resident layers need the verilator backend)")
    return SimEngine(model, config, backend=args.backend, resident=not args.streamed)


def first_difference(golden, hardware) -> str | None:
    """Where two generations first differ (token or any accumulator), or None."""
    for step, (g_id, h_id) in enumerate(zip(golden.ids, hardware.ids)):
        for layer, g_acc in golden.accs[step].items():
            h_acc = hardware.accs[step][layer]
            if not np.array_equal(g_acc, h_acc):
                where = tuple(int(i) for i in np.argwhere(g_acc != h_acc)[0])
                return (f"token {step}: layer {layer} accumulator {where} is {h_acc[where]} on the "
                        f"hardware, {g_acc[where]} in golden")
        if g_id != h_id:
            return f"token {step}: hardware drew {h_id}, golden {g_id}"
    if len(golden.ids) != len(hardware.ids):
        return f"lengths differ: {len(golden.ids)} vs {len(hardware.ids)}"
    return None


def parse_args(argv):
    parser = CommandLine(prog="python -m lm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="a BitNet transformer instead of the MLP: a Hugging Face checkpoint "
                             "directory or a .gguf file (lm.bitnet)")
    parser.add_argument("--activations", default="b1.58", choices=("b1.58", "a4.8"),
                        help="with --checkpoint: how projection inputs are quantized (a4.8: 4-bit "
                             "inputs of attention and FFN, sparse 8-bit intermediate states)")
    parser.add_argument("--prompt-ids", default="1",
                        help="with --checkpoint: the prompt as comma-separated token ids")
    parser.add_argument("--tokens", type=positive_int, default=64)
    parser.add_argument("--prompt", default="the ")
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument("--temperature", type=non_negative_float, default=0.8)
    parser.add_argument("--config", default="icebreaker", choices=sorted(ArrayConfig.presets()))
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override one ArrayConfig field (repeatable)")
    parser.add_argument("--backend", default="verilator", choices=("verilator", "amaranth"))
    parser.add_argument("--streamed", action="store_true",
                        help="load every tile's weights for every product, as an array that holds "
                             "one matrix must (default: the tiles that fit stay resident)")
    parser.add_argument("--fmax-mhz", type=positive_float, default=None,
                        help="clock for the tokens/s projection (default: the build report's Fmax)")
    parser.add_argument("--port", help="serial port of a board: run the hardware engine there")
    parser.add_argument("--baud", type=positive_int, default=DEFAULT_BAUD)
    parser.add_argument("--timeout", type=positive_float, default=2.0,
                        help="seconds a board's reply may stay silent (a virtual board is slow)")
    parser.add_argument("--build-report", type=Path, default=BUILD_REPORT)
    parser.add_argument("--report", type=output_file, default="build/demo/summary.json")
    return parser.parse_args(argv)


@dataclass
class IdGeneration:
    """A transformer's generation as the demo compares it: new token ids and, per step, every
    BitLinear's accumulators."""
    prompt: list
    ids: list
    accs: list

    @property
    def text(self) -> str:
        return " ".join(str(i) for i in self.ids)


class CheckpointModel:
    """The demo's view of an lm.bitnet transformer: the MLP's ``generate`` signature on token ids."""

    def __init__(self, model):
        self.model = model
        self.codes = model.codes
        self.ternary_weights = model.ternary_weights
        self.layers = {name: codes.shape for name, codes in model.codes.items()}
        self.validation = None

    def generate(self, engine, prompt, tokens, *, seed, temperature, on_token=None):
        accs = []
        ids = self.model.generate(prompt, tokens, temperature, engine,
                                  seed=seed, on_token=on_token, accs=accs)
        return IdGeneration(list(prompt), ids[len(prompt):], accs)


def model_facts(model) -> tuple[int, dict, object]:
    """Ternary weights, layers (name -> (N, K)) and validation metrics of either kind of model."""
    if isinstance(model, CheckpointModel):
        return model.ternary_weights, model.layers, model.validation
    return model.shape.ternary_weights, model.shape.layers, model.meta.get("validation")


def load_model(args):
    """The MLP (``--model``) or a BitNet checkpoint (``--checkpoint``), and the prompt it takes."""
    if args.checkpoint is None:
        if args.activations != "b1.58":
            raise ValueError(f"--activations {args.activations} needs --checkpoint (the tiny MLP "
                             f"was trained with b1.58's int8 activations)")
        from .corpus import encode
        encode(args.prompt)
        return TernaryModel.load(args.model), args.prompt
    from .bitnet import load
    model = CheckpointModel(load(args.checkpoint, activations=args.activations))
    try:
        prompt = [int(i) for i in args.prompt_ids.split(",")]
    except ValueError:
        raise ValueError(f"--prompt-ids: expected comma-separated token ids, got {args.prompt_ids!r}") from None
    if any(not 0 <= i < model.model.config.vocab_size for i in prompt):
        raise ValueError(f"--prompt-ids: ids must be in [0, {model.model.config.vocab_size})")
    return model, prompt


@dataclass
class DemoRun:
    """Both generations and what they cost."""
    reference: object           # the golden engine's Generation
    generated: object           # the hardware engine's Generation
    golden_seconds: float
    hardware_seconds: float
    cycles: int                 # array cycles over the whole generation (busy cycles on a board)
    wire_bytes: int = 0         # on a board: bytes both ways for the tokens (placement apart)


def run_demo(args, model, hardware) -> DemoRun:
    """Generate with golden/ and with the hardware engine from the same prompt and seed, logging
    each hardware token with its cycles."""
    start = time.perf_counter()
    reference = model.generate(GoldenEngine(model), args.prompt_value, args.tokens, seed=args.seed,
                               temperature=args.temperature)
    golden_seconds = time.perf_counter() - start
    on_board = isinstance(hardware, BoardEngine)
    wire_before = hardware.wire_bytes if on_board else 0
    start = time.perf_counter()
    cycles_after = [0]

    def progress(step: int, token: int) -> None:
        cycles_after.append(hardware.cycles)
        shown = str(token).ljust(6) if args.checkpoint else token_repr(token)
        log(f"[{hardware.name}] token {step + 1:3d}/{args.tokens}  {shown}  "
            f"{cycles_after[-1] - cycles_after[-2]:,} {'busy ' if on_board else ''}cycles  "
            f"({time.perf_counter() - start:.1f} s)")

    generated = model.generate(hardware, args.prompt_value, args.tokens, seed=args.seed,
                               temperature=args.temperature, on_token=progress)
    wire = hardware.wire_bytes - wire_before - hardware.placement_bytes if on_board else 0
    return DemoRun(reference, generated, golden_seconds, time.perf_counter() - start,
                   cycles_after[-1], wire)


def summarize(args, model, hardware, run: DemoRun) -> dict:
    """The JSON summary: texts, agreement, and cycles per token (measured on a board, projected
    to tokens/s at a clock for the simulated array)."""
    ternary_weights, layers, validation = model_facts(model)
    on_board = isinstance(hardware, BoardEngine)
    difference = first_difference(run.reference, run.generated)
    cycles_per_token = run.cycles / args.tokens
    summary = {
        "model": str(args.checkpoint or args.model), "activations": args.activations,
        "ternary_weights": ternary_weights,
        "layers": {name: {"n": n, "k": k} for name, (n, k) in layers.items()},
        "validation": validation,
        "config": hardware.config.to_dict(), "engine": hardware.name,
        "backend": None if on_board else args.backend, "port": args.port,
        "prompt": args.prompt_value, "seed": args.seed, "temperature": args.temperature,
        "tokens": args.tokens, "golden_text": run.reference.text,
        "hardware_text": run.generated.text,
        "bit_exact_tokens": sum(g == h for g, h in zip(run.reference.ids, run.generated.ids)),
        "accumulators_compared": sum(acc.size for step in run.generated.accs
                                     for acc in step.values()),
        "bit_exact": difference is None, "first_difference": difference,
        "wall_seconds": {"golden": round(run.golden_seconds, 2),
                         "hardware": round(run.hardware_seconds, 2)},
    }
    if on_board:
        per_token = run.wire_bytes / args.tokens
        link = hardware.accelerator.baud or args.baud
        return summary | {
            "busy_cycles_per_token": round(cycles_per_token, 1),
            "measured_tokens_per_second": round(args.tokens / run.hardware_seconds, 2),
            "resident_tiles": sorted(hardware.resident_tiles or ()),
            "placement_bytes": hardware.placement_bytes,
            "wire_bytes_per_token": round(per_token, 1),
            # 8N1: ten bit times a byte; the line is the bound while the array waits on it
            "link_bound_tokens_per_second": round(link / 10 / per_token, 1) if per_token else None,
            "link_baud": link}
    weight_cycles = sum(r.weight_cycles for r in hardware.runs)
    config = hardware.config
    bound = ternary_weights / (config.rows * config.lanes)   # the banks give rows x lanes trits a cycle
    resident = sorted(hardware.resident_tiles)
    clock_mhz, clock_source = clock_for_projection(config, args.fmax_mhz, args.build_report)
    return summary | {
        "array_runs": len(hardware.runs), "cycles_total": run.cycles,
        "cycles_per_token": round(cycles_per_token, 1),
        "bound_cycles_per_token": round(bound, 1),
        "cycles_over_bound": round(cycles_per_token / bound, 4),
        "resident": hardware.resident, "resident_tiles": resident,
        "placement_cycles": hardware.placement_cycles,
        "weight_load_cycles_per_token": round(weight_cycles / args.tokens, 1),
        "weight_load_share": round(weight_cycles / run.cycles, 4),
        "projection_clock_mhz": clock_mhz, "projection_clock_source": clock_source,
        "projected_tokens_per_second": round(clock_mhz * 1e6 / cycles_per_token, 1)}


def print_summary(summary: dict, report: Path) -> None:
    prompt = summary["prompt"]
    if isinstance(prompt, str):
        print(f"prompt:   {prompt!r}")
        print(f"golden:   {prompt + summary['golden_text']!r}")
        print(f"hardware: {prompt + summary['hardware_text']!r}")
    else:       # token ids of a checkpoint
        print(f"prompt ids:   {' '.join(map(str, prompt))}")
        print(f"golden ids:   {summary['golden_text']}")
        print(f"hardware ids: {summary['hardware_text']}")
    print(f"bit-exact: {summary['bit_exact_tokens']}/{summary['tokens']} tokens; "
          f"{'identical' if summary['bit_exact'] else 'DIFFERENT'} integer accumulators "
          f"({summary['accumulators_compared']:,} compared)")
    if summary["engine"] == BoardEngine.name:
        print(f"board: {summary['measured_tokens_per_second']:,} tokens/s measured over the serial "
              f"link, {summary['busy_cycles_per_token']:,.0f} busy array cycles per token; "
              f"{summary['wire_bytes_per_token']:,.0f} bytes on the wire a token "
              f"({len(summary['resident_tiles'])} tile(s) resident, placed once in "
              f"{summary['placement_bytes']:,} bytes): at most "
              f"{summary['link_bound_tokens_per_second']:,} tokens/s at {summary['link_baud']:,} baud")
    else:
        tiles = len(summary["resident_tiles"])
        print(f"simulated cycles per token: {summary['cycles_per_token']:,.0f}, "
              f"{summary['cycles_over_bound']:.2f}x the weight store's bound of "
              f"{summary['bound_cycles_per_token']:,.0f} ({summary['array_runs']} array runs, "
              f"{summary['weight_load_share']:.0%} of cycles loading weights; "
              + (f"{tiles} tile(s) resident, loaded once in {summary['placement_cycles']:,} "
                 f"cycles)" if summary["resident"] else "every tile loaded for every product)"))
        print(f"projected: {summary['projected_tokens_per_second']:,.0f} tokens/s at "
              f"{summary['projection_clock_mhz']:g} MHz, {summary['projection_clock_source']}; "
              f"the serial link's transfer time is not included")
    print(f"summary: {report}")


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        model, args.prompt_value = load_model(args)
        hardware = hardware_engine(args, model)
    except (ModelFileError, NoAnswer, ValueError, OSError) as error:   # CheckpointError too
        print(f"error: {error}", file=sys.stderr)
        return 2
    config = hardware.config
    ternary_weights, layers, _ = model_facts(model)
    names = list(layers)
    listed = ", ".join(f"{n}x{k} {name}" for name, (n, k) in list(layers.items())[:7])
    log(f"model {args.checkpoint or args.model}: {ternary_weights:,} ternary weights in "
        f"{len(names)} BitLinears ({listed}{', ...' if len(names) > 7 else ''})")
    log(f"array: {config.pe_kind}, {config.lanes} lanes x {config.rows} rows, max K {config.max_k}, "
        f"max N {config.max_n}; " + (f"board on {args.port}" if args.port
                                      else f"backend {args.backend}"))
    try:
        run = run_demo(args, model, hardware)
    except AssertionError as error:     # sim.ScoreboardError: a beat differed from golden/
        print(f"MISMATCH: the simulated array disagreed with golden/: {error}", file=sys.stderr)
        return 1
    except (OSError, RuntimeError) as error:   # the board stopped answering (protocol errors)
        print(f"error: the board failed: {error}", file=sys.stderr)
        return 1
    finally:
        if isinstance(hardware, SimEngine):
            hardware.close()
    summary = summarize(args, model, hardware, run)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(summary, indent=2) + "\n")
    print_summary(summary, args.report)
    if not summary["bit_exact"]:
        print(f"MISMATCH at {summary['first_difference']}", file=sys.stderr)
        return 1
    return 0


def token_repr(token: int) -> str:
    from .corpus import VOCAB
    return repr(VOCAB[token]).ljust(4)


if __name__ == "__main__":
    sys.exit(main())
