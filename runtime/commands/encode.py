"""Encode an audio file (WAV/FLAC/OGG, any sample rate, mono or mixed down)
into an .ssc file: the audio is resampled to the model's rate (soxr VHQ), cut
into 20 ms frames (the last one zero-padded; the original length is stored so
decode trims it away; the input's rate and length are stored too, so decode
restores them), run through the native encoder and RVQ, and written as one
checksummed packet per frame. The output appears only if everything
succeeded. Exit status: 0 ok, 1 bad input/model, 2 bad arguments.
"""

from __future__ import annotations

from ._codec_cli import reports_errors

HELP = "encode audio (wav/flac/ogg) into an .ssc file"


def add_arguments(p) -> None:
    from ._codec_cli import add_model_arguments, bitrate_arg

    p.add_argument("input", help="input audio file (.wav, .flac, .ogg; any rate; channels are averaged)")
    p.add_argument("output", help="output .ssc file (written atomically)")
    p.add_argument("--bitrate", type=bitrate_arg, metavar="BPS",
                   help="code bitrate, e.g. 3k, 6k, 9k, 12k or 6000 (default: the model's highest); "
                        "must be a whole number of quantizers")
    p.add_argument("--denoise", action="store_true", help="run the encoder-side denoiser (FiLM flag)")
    p.add_argument("--dtx", action="store_true",
                   help="discontinuous transmission: 2-byte packets for silence (decoded as comfort noise)")
    add_model_arguments(p)


@reports_errors
def run(args) -> int:
    import time

    import soundfile as sf

    from sscodec.codec import encode_file

    from ._codec_cli import Progress

    try:
        dur = sf.info(args.input).duration
    except Exception:  # noqa: BLE001 - read errors are reported by encode_file
        dur = 0.0
    with Progress(not args.no_progress and dur > 30, "encode", "s") as progress:
        t0 = time.perf_counter()
        r = encode_file(args.input, args.output, model=args.model, bitrate=args.bitrate,
                        denoise=args.denoise, dtx=args.dtx, precision=args.precision,
                        num_threads=args.threads,
                        progress=progress)
        wall = time.perf_counter() - t0
    kbps = 8 * r.payload_bytes / r.duration / 1000 if r.duration else 0.0
    print(f"{r.path}: {r.frames} frames, {r.duration:.2f} s, {r.bitrate} bps codes "
          f"({kbps:.2f} kbps with packet headers), RTF {r.rtf:.4f} ({wall:.2f} s wall)")
    return 0
