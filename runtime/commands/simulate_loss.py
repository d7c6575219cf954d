"""Drop packets from an .ssc file with a seeded Gilbert(-Elliott) loss model.

Lost frames become zero-length records, which the decoder conceals. The
output is written atomically (nothing appears on error).
"""

from __future__ import annotations

HELP = "simulate bursty packet loss on an .ssc file (Gilbert model)"


def add_arguments(p) -> None:
    p.add_argument("input", help="input .ssc")
    p.add_argument("output", help="output .ssc with lost frames removed")
    p.add_argument("--loss-rate", type=float, required=True, help="long-run fraction of packets lost, 0..1")
    p.add_argument("--burst", type=float, default=None,
                   help="mean loss-burst length in packets (default: independent losses)")
    p.add_argument("--seed", type=int, default=0)


def run(args) -> int:
    import sys

    from sscodec.container import SscWriter, read_ssc
    from sscodec.errors import SscodecError
    from sscodec.loss import GilbertElliott, apply_loss, burst_stats

    try:
        model = GilbertElliott.from_loss_rate(args.loss_rate, args.burst, seed=args.seed)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        f = read_ssc(args.input)
        mask = model.mask(f.num_frames)
        h = f.header
        with SscWriter(args.output, h.format, h.model_id, h.model_hash, flags=h.flags,
                       original_length=h.original_length, source_sample_rate=h.source_sample_rate,
                       source_length=h.source_length) as w:
            for p in apply_loss(f.records, mask):
                w.write(p)
    except (SscodecError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    s = burst_stats(mask)
    print(f"{args.output}: dropped {s.lost}/{s.packets} packets ({100 * s.loss_rate:.1f}%), "
          f"{s.bursts} bursts, mean {s.mean_burst:.2f}, max {s.max_burst}  [{model}]")
    return 0
