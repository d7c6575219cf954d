"""Round-trip real speech through Google's Lyra v2 codec (../shared/lyra-v2),
frame by frame in sscodec's native C++ core: encoder -> quantizer (encode ->
indices -> decode) -> decoder, printing bitrate and per-frame time.

Lyra v2 is a third-party model used until sscodec's own model lands; its
graphs are read from <repo root>/../shared/lyra-v2 (or $SSCODEC_SHARED/lyra-v2,
or --model-dir) and are never bundled.
"""

from __future__ import annotations

NAME = "lyra-roundtrip"
HELP = "Lyra v2 round trip on real speech through the native core (bitrate, ms/frame)"


def add_arguments(p) -> None:
    p.add_argument("--input", help="speech file (default: bundled sample_speech_ru.wav)")
    p.add_argument("--bitrate", type=int, action="append", choices=[3200, 6000, 9200],
                   help="bits per second (repeatable; default: all three)")
    p.add_argument("--model-dir", help="folder with Lyra v2's three .tflite files")
    p.add_argument("--threads", type=int, default=1, help="XNNPACK threads (default 1)")
    p.add_argument("--out-dir", help="write decoded audio here as lyra_<bps>.wav")
    p.add_argument("--verify", action="store_true",
                   help="also run the Python ai_edge_litert Interpreter and require bit-exact output")


def run(args) -> int:
    import sys
    from pathlib import Path

    import numpy as np

    from sscodec import lyra, paths

    model_dir = Path(args.model_dir) if args.model_dir else paths.lyra_dir()
    if model_dir is None or not all((model_dir / f).is_file() for f in lyra.MODEL_FILES):
        print("Lyra v2 models not found: expected <repo root>/../shared/lyra-v2 "
              "(set SSCODEC_SHARED or pass --model-dir).", file=sys.stderr)
        return 2
    src = args.input or str(paths.SAMPLE_SPEECH)
    audio = lyra.load_speech(args.input)
    x = lyra.frames(audio)
    print(f"input: {src} ({len(audio) / lyra.SAMPLE_RATE:.2f} s, {len(x)} frames of 20 ms)")
    print(f"models: {model_dir} (Google Lyra v2, Apache-2.0; native core, XNNPACK, "
          f"{args.threads} thread{'s' if args.threads != 1 else ''})")
    print(f"{'bitrate':>9} {'quant.':>6} {'median ms':>10} {'p99 ms':>8} {'mean ms':>8} "
          f"{'x realtime':>10} {'corr':>5}" + ("  verify" if args.verify else ""))
    status = 0
    for bps in args.bitrate or sorted(lyra.BITRATES):
        nq = lyra.num_quantizers_for(bps)
        codec = lyra.NativeLyra(model_dir, num_threads=args.threads)  # fresh stream
        out, idx, secs = codec.process(x, nq)
        measured_bps = nq * codec.bits_per_quantizer * lyra.FRAMES_PER_SECOND
        ms = secs * 1e3
        corr = float(np.corrcoef(x.reshape(-1), out.reshape(-1))[0, 1])
        line = (f"{measured_bps:>5} bps {nq:>6} {np.median(ms):>10.3f} "
                f"{np.percentile(ms, 99):>8.3f} {ms.mean():>8.3f} "
                f"{20.0 / ms.mean():>10.1f} {corr:>5.2f}")
        if args.verify:
            ref_out, ref_idx, _ = lyra.InterpreterLyra(model_dir, num_threads=args.threads).process(x, nq)
            diff = float(np.abs(out - ref_out).max())
            ok = diff == 0.0 and np.array_equal(idx, ref_idx)
            line += f"  max|diff|={diff:g} {'OK' if ok else 'MISMATCH'}"
            status |= 0 if ok else 1
        print(line)
        if args.out_dir:
            import soundfile as sf

            Path(args.out_dir).mkdir(parents=True, exist_ok=True)
            dst = Path(args.out_dir) / f"lyra_{bps}.wav"
            sf.write(dst, out.reshape(-1)[: len(audio)], lyra.SAMPLE_RATE, subtype="PCM_16")
            print(f"          wrote {dst}")
    return status
