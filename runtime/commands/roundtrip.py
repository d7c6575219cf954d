"""Round trip an audio file through the codec -- encode, (optionally) lose
packets, decode -- and report what it costs and how it sounds:

  bitrate   nominal code bitrate and the real one with packet headers
  speed     real-time factor (RTF = processing time / audio duration) of the
            encoder and decoder sides, and time per 20 ms frame
  delay     algorithmic delay (one frame buffered before it can be encoded)
            plus per-frame processing, and the output's measured lag
  quality   PESQ-WB (when the 'pesq' package is installed and the model runs
            at 8/16 kHz), SNR and correlation of the output against the input

The decoded audio is written at the input's sample rate and with exactly the
input's length (atomically).
Default input: the bundled real-speech sample. Exit status 0 ok, 1 bad input
or model, 2 bad arguments.
"""

from __future__ import annotations

from ._codec_cli import reports_errors

HELP = "encode + decode an audio file; print bitrate, RTF, delay and quality"


def add_arguments(p) -> None:
    from ._codec_cli import add_model_arguments, bitrate_arg

    p.add_argument("input", nargs="?",
                   help="input audio (.wav/.flac/.ogg, any rate; default: the bundled speech sample)")
    p.add_argument("output", nargs="?", help="decoded audio to write (.wav/.flac/.ogg); optional")
    p.add_argument("--bitrate", type=bitrate_arg, metavar="BPS",
                   help="code bitrate, e.g. 3k, 6k, 9k, 12k (default: the model's highest)")
    p.add_argument("--denoise", action="store_true", help="run the encoder-side denoiser")
    p.add_argument("--dtx", action="store_true", help="send DTX packets for silence (comfort noise)")
    p.add_argument("--loss-rate", type=float, default=0.0, metavar="P",
                   help="simulate packet loss: long-run fraction of packets lost, 0..1 (Gilbert model)")
    p.add_argument("--burst", type=float, default=None, metavar="FRAMES",
                   help="mean loss-burst length in packets (default: independent losses)")
    p.add_argument("--seed", type=int, default=0, help="loss simulator seed (default 0)")
    p.add_argument("--ssc", metavar="PATH", help="also write the (lossy) packet stream as an .ssc file")
    p.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    add_model_arguments(p)


def _quality(ref, deg, sample_rate, frame_size):
    """Scores of deg against ref (both at the model rate), after removing a
    constant lag of up to two frames."""
    import numpy as np

    from sscodec.models.quality import align

    r, d, lag = align(ref, deg, max_lag=2 * frame_size)
    out = {"lag_samples": int(lag)}
    if len(r) and np.any(r):
        err = r - d
        out["snr_db"] = float(10 * np.log10(np.sum(r * r) / max(np.sum(err * err), 1e-20)))
        out["correlation"] = float(np.corrcoef(r, d)[0, 1]) if np.any(d) else 0.0
    if sample_rate in (8000, 16000) and len(r) >= sample_rate // 4:
        try:
            from pesq import pesq

            mode = "wb" if sample_rate == 16000 else "nb"
            out["pesq_" + mode] = float(pesq(sample_rate, r, d, mode))
        except ImportError:
            pass
        except Exception as e:  # noqa: BLE001 - pesq refuses e.g. silence
            out["pesq_error"] = str(e)
    return out


@reports_errors
def run(args) -> int:
    import json
    import time
    from pathlib import Path

    import numpy as np

    from sscodec import paths
    from sscodec.audio import fit_length, read_audio, resample, write_audio
    from sscodec.codec import Decoder, Encoder

    from ._codec_cli import Progress, fail

    if not 0.0 <= args.loss_rate < 1.0:
        return fail("--loss-rate must be in [0, 1)", 2)
    src = args.input or str(paths.SAMPLE_SPEECH)
    progress = Progress(False, "roundtrip")  # replaced once the duration is known
    try:
        x, sr = read_audio(src)
        enc = Encoder(args.model, bitrate=args.bitrate, denoise=args.denoise, dtx=args.dtx,
                      precision=args.precision, num_threads=args.threads)
        dec = Decoder(enc.info.model_dir, num_threads=args.threads)
        msr, F = enc.sample_rate, enc.frame_size
        y = resample(x, sr, msr)
        dur = len(y) / msr
        progress = Progress(not args.no_progress and dur > 30, "roundtrip", "s")
        packets, t_enc = [], 0.0
        for start in range(0, max(len(y), 1), msr):
            t = time.perf_counter()
            packets += enc._codec.encode(y[start : start + msr], start + msr >= len(y))
            t_enc += time.perf_counter() - t
            progress(min(start + msr, len(y)) / msr / 2, dur)
        loss = None
        if args.loss_rate > 0:
            from sscodec.loss import GilbertElliott, apply_loss, burst_stats

            model = GilbertElliott.from_loss_rate(args.loss_rate, args.burst, seed=args.seed)
            mask = model.mask(len(packets))
            packets = apply_loss(packets, mask)
            loss = burst_stats(mask)
        if args.ssc:
            from sscodec.container import ContainerFlags, write_ssc

            flags = (ContainerFlags.DENOISE if args.denoise else 0) | (ContainerFlags.DTX if args.dtx else 0)
            write_ssc(args.ssc, packets, enc.format, enc.model_id, enc.model_hash,
                      original_length=len(y), flags=flags, source_sample_rate=sr, source_length=len(x))
        out, t_dec = [], 0.0
        for i in range(0, len(packets), 250):
            t = time.perf_counter()
            out.append(dec._codec.decode(packets[i : i + 250]))
            t_dec += time.perf_counter() - t
            progress(dur / 2 + min(i + 250, len(packets)) * F / msr / 2, dur)
        z = (np.concatenate(out) if out else np.zeros(0, np.float32))[: len(y)]
        if args.output:
            write_audio(args.output, fit_length(resample(z, msr, sr), len(x)), sr)
    finally:
        progress.close()

    es, ds = enc.stats(), dec.stats()
    nbytes = sum(len(p) for p in packets if p is not None)
    frames = len(packets)
    q = _quality(y, z, msr, F)
    frame_ms = 1000.0 * F / msr
    enc_ms = es["encode_process_ms"] / max(es["frames_encoded"], 1)
    dec_ms = ds["decode_process_ms"] / max(ds["frames_decoded"], 1)
    report = {
        "input": src, "input_sample_rate": sr, "duration_s": dur,
        "model": str(enc.info.model_dir), "model_id": enc.model_id, "kind": enc.info.kind,
        "bitrate_bps": enc.bitrate, "num_quantizers": enc.num_quantizers,
        "packet_bitrate_bps": 8 * nbytes / dur if dur else 0.0,
        "frames": frames, "rtf_encode": t_enc / dur if dur else 0.0, "rtf_decode": t_dec / dur if dur else 0.0,
        "encode_ms_per_frame": enc_ms, "decode_ms_per_frame": dec_ms,
        "delay_ms": {"algorithmic": 1000.0 * enc.info.delay_samples / msr,
                     "encode_processing": enc_ms, "decode_processing": dec_ms,
                     "total": 1000.0 * enc.info.delay_samples / msr + enc_ms + dec_ms,
                     "output_lag": 1000.0 * q["lag_samples"] / msr},
        "samples": {"in": int(es["samples_in"]), "padded": int(es["samples_padded"]),
                    "decoded": int(ds["frames_decoded"] * F), "out": len(z)},
        "loss": None if loss is None else {"lost": int(loss.lost), "packets": int(loss.packets),
                                           "rate": float(loss.loss_rate), "bursts": int(loss.bursts),
                                           "mean_burst": float(loss.mean_burst)},
        "concealed_frames": int(ds["frames_concealed"]), "comfort_noise_frames": int(ds["frames_comfort_noise"]),
        "dtx_packets": int(es["packets_dtx_sent"]), "quality": q,
    }
    d = report["delay_ms"]
    print(f"input    {src}: {dur:.2f} s at {sr} Hz" + (f" (resampled to {msr} Hz)" if sr != msr else ""))
    print(f"model    {enc.model_id} ({enc.info.kind}) from {enc.info.model_dir}")
    print(f"bitrate  {enc.bitrate} bps ({enc.num_quantizers} quantizers x {enc.format.bits_per_code} bits x "
          f"{msr / F:g} frames/s); {report['packet_bitrate_bps']:.0f} bps with packet headers"
          + (f"; {report['dtx_packets']} DTX packets" if args.dtx else ""))
    print(f"speed    RTF encode {report['rtf_encode']:.4f}, decode {report['rtf_decode']:.4f} "
          f"({1 / max(report['rtf_encode'] + report['rtf_decode'], 1e-9):.0f}x real time); "
          f"per {frame_ms:g} ms frame: encode {enc_ms:.3f} ms, decode {dec_ms:.3f} ms")
    print(f"delay    {d['total']:.1f} ms = {d['algorithmic']:.1f} ms algorithmic (one {F}-sample frame "
          f"buffered) + {enc_ms:.2f} ms encode + {dec_ms:.2f} ms decode per frame; "
          f"output lag vs input {q['lag_samples']} samples ({d['output_lag']:.1f} ms)")
    if loss is not None:
        print(f"loss     {loss.lost}/{loss.packets} packets lost ({100 * loss.loss_rate:.1f} %, "
              f"{loss.bursts} bursts, mean {loss.mean_burst:.2f}); {report['concealed_frames']} frames "
              f"concealed, {report['comfort_noise_frames']} comfort noise")
    parts = []
    if "pesq_wb" in q or "pesq_nb" in q:
        parts.append(f"PESQ-{'WB' if 'pesq_wb' in q else 'NB'} {q.get('pesq_wb', q.get('pesq_nb')):.2f}")
    if "snr_db" in q:
        parts.append(f"SNR {q['snr_db']:.1f} dB, correlation {q['correlation']:.3f}")
    print("quality  " + ("; ".join(parts) if parts else "n/a (silent input)") + " vs the input")
    print(f"samples  {report['samples']['in']} in, {report['samples']['padded']} padded to whole frames, "
          f"{report['samples']['out']} out (trimmed to the input length)")
    if args.output:
        print(f"output   {args.output}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0
