"""Verify converted graphs against the offline Keras model on real audio.

Runs OUT_DIR's graphs frame by frame (Python LiteRT Interpreter, explicit
states) and the Keras model offline on the same audio. float32 graphs must
match within 1e-4 with identical codes (except exact float distance ties between
two codewords, counted in the report); int8 graphs report SNR vs float, code
agreement per quantizer and ViSQOL/PESQ deltas (bar: ≤ 0.1 ViSQOL lost at 6 kbps).
Exit status 0 = pass, 1 = fail, 2 = bad input.
"""

from __future__ import annotations

HELP = "check converted graphs against the Keras model (frame by frame vs offline)"


def add_arguments(p):
    p.add_argument("graph_dir", help="folder written by 'sscodec convert'")
    p.add_argument("--keras", metavar="MODEL_DIR", help="the Keras model it came from (default: the keras/ folder beside GRAPH_DIR)")
    p.add_argument("--audio", nargs="+", metavar="PATH", help="audio files/folders to test on (default: the bundled speech sample)")
    p.add_argument("--seconds", type=float, default=6.0, help="use at most this many seconds of each clip (default 6)")
    p.add_argument("--max-clips", type=int, default=4, help="use at most this many clips (default 4)")
    p.add_argument("--no-quality", action="store_true", help="skip ViSQOL/PESQ (int8 only)")
    p.add_argument("--json", metavar="FILE", help="also write the report as JSON")


def run(args) -> int:
    import sys
    from pathlib import Path

    try:
        from sscodec.converter.verify import dump, format_report, load_clips, verify
        from sscodec.manifest import ManifestError, load_manifest
        from sscodec.models.model_io import ModelDirError
    except ImportError as e:
        print(f"error: verification needs TensorFlow and Keras (pip install 'sscodec[train]'): {e}", file=sys.stderr)
        return 2
    from sscodec import paths

    try:
        m = load_manifest(args.graph_dir)
        keras_dir = Path(args.keras) if args.keras else Path(args.graph_dir).resolve().parent / "keras"
        audio = args.audio or [str(paths.SAMPLE_SPEECH)]
        clips = load_clips(audio, m.sample_rate, args.seconds)[: args.max_clips]
        if not clips:
            print("error: no audio to verify on", file=sys.stderr)
            return 2
        report = verify(args.graph_dir, keras_dir, clips, with_quality=not args.no_quality)
    except (ManifestError, ModelDirError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_report(report))
    if args.json:
        dump(report, args.json)
    return 0 if report["passed"] else 1
