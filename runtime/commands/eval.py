"""Quality evaluation: rate-quality of sscodec (3/6/9/12 kbps, float32 and
int8) vs Opus (6/9/12/16 kbps) and Lyra v2 (3.2/6/9.2 kbps) on held-out speech,
music and noisy speech (denoise off / on at the encoder / on at the decoder), plus
packet loss 0/5/10/20 %.
ViSQOL (speech, lattice, 16 kHz), PESQ-WB, STOI, log-mel distance after delay
alignment. Writes eval.json, rate_quality.png, packet_loss.png, summary.md.
"""

from __future__ import annotations

HELP = "rate-quality evaluation vs Opus and Lyra v2 (JSON, PNG, Markdown)"


def add_arguments(p) -> None:
    p.add_argument("--model", metavar="DIR",
                   help="converted model folder (a precision folder or its parent; default models/speech16k)")
    p.add_argument("--clips", type=int, default=8, help="held-out speech clips (default 8; music/noisy/loss use half)")
    p.add_argument("--seconds", type=float, default=4.0, help="seconds per clip (default 4)")
    p.add_argument("--noisy-clips", type=int, default=None, metavar="N",
                   help="noisy held-out speech clips for the denoise rows (default half of --clips, at least 2)")
    p.add_argument("--quick", action="store_true",
                   help="CI mode: the bundled sample, 2 s, few configs; checks the pipeline and JSON schema")
    p.add_argument("--out", metavar="DIR", default="benchmarks/results", help="output folder (default benchmarks/results)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    import sys
    from pathlib import Path

    from sscodec.benchmarks import plots, quality, report

    doc = quality.evaluate(args.model, quick=args.quick, clips=args.clips, seconds=args.seconds,
                           progress=not args.no_progress, noisy_clips=args.noisy_clips)
    errs = report.validate_eval(doc)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(doc, out / "eval.json")
    plots.rate_quality(doc, out / "rate_quality.png")
    plots.packet_loss(doc, out / "packet_loss.png")
    summary = report.write_summary(out)
    print(report.eval_markdown(doc))
    print(f"wrote {out / 'eval.json'}, {out / 'rate_quality.png'}, {summary}", file=sys.stderr)
    if errs:
        print("schema problems: " + "; ".join(errs), file=sys.stderr)
        return 1
    return 0
