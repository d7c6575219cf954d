"""Decode an .ssc file to audio. The whole file is validated first (magic,
version, header and per-record CRC32 checksums, trailer, every packet, and
that it was made by this model: id, code-book hash and format); on any
problem it prints why and exits 1 without writing anything. Lost frames
(zero-length records, e.g. from 'sscodec simulate-loss') are concealed; the
output has the input's sample rate and exact length as stored in the file
(--sample-rate: that rate, the length scaled to it).
"""

from __future__ import annotations

from ._codec_cli import reports_errors

HELP = "decode an .ssc file to audio (wav/flac/ogg)"


def add_arguments(p) -> None:
    from ._codec_cli import add_model_arguments

    p.add_argument("input", help="input .ssc file")
    p.add_argument("output", help="output audio file: .wav (16-bit PCM), .flac or .ogg (written atomically)")
    p.add_argument("--sample-rate", type=int, metavar="HZ",
                   help="resample the output to this rate (default: the encoder input's rate stored in the file; "
                        "the model's rate for version-1 files)")
    p.add_argument("--denoise", action="store_true",
                   help="run the decoder-side denoiser (frames the encoder already denoised are left alone)")
    add_model_arguments(p)


def _model_for(path, model):
    """--model, else Lyra v2 for Lyra files (when ../shared has it), else the default."""
    if model is not None:
        return model
    from sscodec import paths
    from sscodec.container import SscReader

    try:
        with open(path, "rb") as f:
            mid = SscReader(f, validate_packets=False).header.model_id
    except Exception:  # noqa: BLE001 - decode_file reports the real error
        return None
    if mid == "lyra-v2" and paths.lyra_dir() is not None:
        return paths.lyra_dir()
    return None


@reports_errors
def run(args) -> int:
    import os

    from sscodec.codec import decode_file

    from ._codec_cli import Progress, fail

    if args.sample_rate is not None and args.sample_rate <= 0:
        return fail("--sample-rate must be positive", 2)
    size = os.path.getsize(args.input) if os.path.isfile(args.input) else 0
    with Progress(not args.no_progress and size > 40_000, "decode", "frames") as progress:
        r = decode_file(args.input, args.output, model=_model_for(args.input, args.model),
                        sample_rate=args.sample_rate, denoise=args.denoise, precision=args.precision,
                        num_threads=args.threads,
                        progress=progress)
    dur = r.samples / r.sample_rate
    rtf = r.seconds / dur if dur else 0.0
    lost = f", {r.lost} lost frames concealed" if r.lost else ""
    print(f"{r.path}: {dur:.2f} s at {r.sample_rate} Hz from {r.frames} frames{lost}, RTF {rtf:.4f}")
    return 0
