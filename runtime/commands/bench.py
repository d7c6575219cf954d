"""Speed benchmark: per-frame time of sscodec (float32/dynamic-int8/int8; native
scheduler, native runners, Python Interpreter), Lyra v2 and Opus in one
interleaved run; MACs and fraction of CPU peak; peak RSS; scheduler overhead
and deadline misses at 1x pacing. Writes bench.json, stage_times.png and
summary.md into --out.
"""

from __future__ import annotations

HELP = "speed benchmark vs Lyra v2 and Opus (JSON, PNG, Markdown)"


def add_arguments(p) -> None:
    p.add_argument("--model", metavar="DIR",
                   help="converted model folder (a precision folder or its parent; default models/speech16k)")
    from ._codec_cli import bitrate_arg

    p.add_argument("--frames", type=int, default=1000, help="timed frames per path (default 1000)")
    p.add_argument("--bitrate", type=bitrate_arg, default=None, metavar="BPS",
                   help="sscodec bitrate, e.g. 3k (default 6k); the RVQ encode's cost depends on it. "
                        "Lyra v2 runs at its nearest rate, Opus at the same (at least 6 kbps)")
    p.add_argument("--quick", action="store_true", help="CI mode: few frames, checks the pipeline and JSON schema")
    p.add_argument("--pace-seconds", type=float, default=None, help="1x pacing run length (default 20; quick 2)")
    p.add_argument("--out", metavar="DIR", default="benchmarks/results", help="output folder (default benchmarks/results)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    import sys
    from pathlib import Path

    from sscodec.benchmarks import plots, report, speed

    frames = min(args.frames, 60) if args.quick else args.frames
    try:
        doc = speed.bench(args.model, frames=frames, quick=args.quick, progress=not args.no_progress,
                          pace_seconds=args.pace_seconds, bitrate=args.bitrate)
    except ValueError as e:
        print(f"sscodec bench: {e}", file=sys.stderr)
        return 2
    errs = report.validate_bench(doc)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(doc, out / "bench.json")
    plots.stage_times(doc, out / "stage_times.png")
    summary = report.write_summary(out)
    print(report.bench_markdown(doc))
    print(f"wrote {out / 'bench.json'}, {out / 'stage_times.png'}, {summary}", file=sys.stderr)
    if errs:
        print("schema problems: " + "; ".join(errs), file=sys.stderr)
        return 1
    return 0
