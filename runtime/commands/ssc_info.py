"""Validate an .ssc file and print its header and per-frame summary.

Exit status 0 if the file is valid (and matches --model-id/--model-hash when
given), 1 with a one-line error otherwise.
"""

from __future__ import annotations

HELP = "validate an .ssc file and show its header, bitrates and frames"


def add_arguments(p) -> None:
    p.add_argument("file", help=".ssc file")
    p.add_argument("--model-id", help="fail unless the file was made by this model id")
    p.add_argument("--model-hash", help="fail unless the model hash is this (hex)")
    p.add_argument("--frames", action="store_true", help="list every frame")


def run(args) -> int:
    import sys
    from collections import Counter

    from sscodec.container import read_ssc
    from sscodec.errors import SscodecError

    try:
        expected_hash = bytes.fromhex(args.model_hash) if args.model_hash is not None else None
    except ValueError:
        print(f"error: --model-hash is not hex: {args.model_hash!r}", file=sys.stderr)
        return 2
    try:
        f = read_ssc(args.file, expected_model_id=args.model_id, expected_model_hash=expected_hash)
    except SscodecError as e:
        print(f"error: {args.file}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    h, fmt = f.header, f.header.format
    print(f"{args.file}: valid .ssc v{h.version}")
    print(f"  model        {h.model_id} (hash {h.model_hash.hex() or 'none'})")
    print(f"  format       {fmt.sample_rate} Hz, {fmt.frame_size} samples/frame, "
          f"{fmt.bits_per_code}-bit codes, up to {fmt.max_quantizers} quantizers "
          f"(codebook {fmt.codebook_size})")
    flags = [f.name for f in type(h.flags) if f.value and h.flags & f.value]
    print(f"  flags        {'|'.join(flags) or 'none'}")
    print(f"  length       {h.original_length} samples ({h.duration:.3f} s), {f.num_frames} frames")
    if h.source_sample_rate:
        print(f"  source       {h.source_sample_rate} Hz, {h.source_length} samples ({h.source_duration:.3f} s)")
    else:
        why = "not stored (version 1)" if h.version == 1 else "unknown"
        print(f"  source       {why}: model rate {fmt.sample_rate} Hz, {h.source_length} samples")
    kinds = Counter()
    code_bits = 0
    for p in f.packets:
        if p is None:
            kinds["missing"] += 1
        elif p.is_dtx:
            kinds["dtx"] += 1
        else:
            kinds[f"n_q={p.n_q}"] += 1
            code_bits += p.n_q * fmt.bits_per_code
    secs = f.num_frames * fmt.frame_duration
    if secs:
        wire = sum(len(r) for r in f.records if r is not None) * 8
        print(f"  bitrate      {code_bits / secs / 1000:.2f} kbps codes, {wire / secs / 1000:.2f} kbps packets")
    print("  frames       " + ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())))
    if args.frames:
        for i, p in enumerate(f.packets):
            what = "missing" if p is None else ("DTX" if p.is_dtx else f"n_q={p.n_q} {p.codes.tolist()}")
            print(f"  {i:6d} {what}")
    return 0
