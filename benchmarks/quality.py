"""Rate-quality evaluation (``sscodec eval``): sscodec vs Opus vs Lyra v2.

Every decoded signal is aligned to its reference (constant codec delay removed
by cross-correlation, up to 3 frames) before scoring with ViSQOL v3 (speech
mode, lattice MOS mapping, 16 kHz), PESQ-WB, STOI and log-mel distance.

sscodec and Lyra v2 run through the shipped path (``sscodec.Encoder`` /
``sscodec.Decoder`` over the native scheduler); lost packets (Gilbert model,
:mod:`sscodec.loss`) are passed as ``None`` and concealed by the decoder's
concealment (the native port of :func:`sscodec.concealment.conceal_stream`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

METRICS = ("visqol", "pesq", "stoi", "mel_distance")
SPEECH_DIR = Path("/work/data/speech_heldout")
MUSIC_DIR = Path("/work/data/music_eval")
NOISE_DIR = Path("/work/data/noise_heldout")
MAX_LAG = 960


def data_root() -> Path:
    return Path(os.environ.get("SSCODEC_DATA", "/work/data"))


def sscodec_roundtrip(model_dir, x, *, nq=None, bitrate=None, denoise=False, decoder_denoise=False, lost=None):
    """x (16 kHz float32) -> (decoded, bits/s) through sscodec.Encoder/Decoder.
    ``denoise``: encoder-side denoising; ``decoder_denoise``: decoder-side."""
    from sscodec.codec import Decoder, Encoder

    enc = Encoder(model_dir, num_quantizers=nq, bitrate=bitrate, denoise=denoise)
    try:
        packets = enc.encode(x) + enc.flush()
        bps = enc.bitrate
    finally:
        enc.close()
    if lost is not None:
        packets = [None if lost[i] else p for i, p in enumerate(packets)]
    dec = Decoder(model_dir, denoise=decoder_denoise)
    try:
        y = np.concatenate([dec.decode(packets), dec.flush()])
    finally:
        dec.close()
    return y.astype(np.float32), bps


_QUICK = {"on": False, "visqol_done": False}


def score(ref, deg, sample_rate=16000, with_visqol=True) -> dict:
    if _QUICK["on"]:  # quick mode: ViSQOL once (checks it runs), then skipped (null)
        with_visqol = not _QUICK["visqol_done"]
        _QUICK["visqol_done"] = True
    from sscodec.models.quality import pesq_wb, stoi, visqol_speech

    r, d, lag = align(ref, deg, MAX_LAG)
    out = {"lag_samples": int(lag)}
    out["visqol"] = visqol_speech(r, d, sample_rate) if with_visqol else None
    try:
        out["pesq"] = pesq_wb(r, d, sample_rate)
    except Exception:  # noqa: BLE001  (PESQ refuses silence / too short)
        out["pesq"] = None
    out["stoi"] = stoi(r, d, sample_rate)
    out["mel_distance"] = mel_distance(r, d, sample_rate)
    return out


def align(ref, deg, max_lag):
    """Same result as :func:`sscodec.models.quality.align` (lag in 0..max_lag
    maximising the dot product, then equal-length trims), via FFT correlation."""
    ref = np.asarray(ref, np.float64)
    deg = np.asarray(deg, np.float64)
    n = min(len(ref), len(deg)) - max_lag
    if n <= 0:
        return ref, deg, 0
    a = ref[:n]
    b = deg[: n + max_lag]
    size = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    c = np.fft.irfft(np.conj(np.fft.rfft(a, size)) * np.fft.rfft(b, size), size)[: max_lag + 1]
    lag = int(np.argmax(c))
    m = min(len(ref), len(deg) - lag)
    return ref[:m], deg[lag : lag + m], lag


def mel_distance(r, d, sample_rate):
    try:
        from sscodec.models.losses import log_mel_distance

        return log_mel_distance(r.astype(np.float32), d.astype(np.float32), sample_rate)
    except ImportError:
        return None


def mean_metrics(rows) -> dict:
    out = {}
    for k in METRICS:
        v = [r[k] for r in rows if r.get(k) is not None]
        out[k] = round(float(np.mean(v)), 4) if v else None
    return out


class Codecs:
    """The codec configurations: name -> callable(x, lost=None, denoise=False) -> (y, bps)."""

    def __init__(self, variants: dict, quick: bool):
        from sscodec.manifest import load_manifest
        from sscodec.paths import lyra_dir

        from . import opus_ref

        self.variants = variants
        self.quick = quick
        m = load_manifest(next(iter(variants.values())), verify_hashes=False)
        N = m.num_quantizers
        self.nqs = sorted({max(1, round(N * k / 4)) for k in (1, 2, 3, 4)})
        self.bps = {q: int(round(m.bitrate(q))) for q in self.nqs}
        self.nq6k = next((q for q in self.nqs if self.bps[q] == 6000), self.nqs[len(self.nqs) // 2 - 1])
        self.precisions = [p for p in ("float32", "int8") if p in variants] or list(variants)[:1]
        self.lyra = lyra_dir()
        self.opus = opus_ref.available()
        self.unavailable = []
        if self.lyra is None:
            self.unavailable.append({"what": "lyra_v2", "why": "../shared/lyra-v2 not found"})
        if not self.opus:
            self.unavailable.append({"what": "opus", "why": "opuslib/libopus not importable"})

    def rate_configs(self):
        """(label, codec, precision, nominal bps, fn) for the rate-quality sweep."""
        from . import opus_ref

        cfgs = []
        for p in self.precisions:
            for q in self.nqs:
                cfgs.append((f"sscodec {p} {self.bps[q] / 1000:g}k", "sscodec", p, self.bps[q],
                             lambda x, q=q, p=p, **kw: sscodec_roundtrip(self.variants[p], x, nq=q, **kw)))
        if self.opus:
            for b in (6000, 9000, 12000, 16000):
                cfgs.append((f"opus {b / 1000:g}k", "opus", None, b,
                             lambda x, b=b, lost=None, denoise=False: opus_ref.roundtrip(x, b, lost)))
        if self.lyra is not None:
            for b in (3200, 6000, 9200):
                cfgs.append((f"lyra_v2 {b / 1000:g}k", "lyra_v2", None, b,
                             lambda x, b=b, lost=None, denoise=False: sscodec_roundtrip(self.lyra, x, bitrate=b,
                                                                                        lost=lost)))
        if self.quick:  # pipeline check only: lowest/highest rate of one precision, one Opus, one Lyra
            keep = {f"sscodec {self.precisions[0]} {self.bps[q] / 1000:g}k" for q in (self.nqs[0], self.nqs[-1])}
            keep |= {"opus 6k", "lyra_v2 6k"}
            cfgs = [c for c in cfgs if c[0] in keep]
        return cfgs

    def at_6k(self):
        """The ~6 kbps configs used for music / noisy sets."""
        keep = {f"sscodec {self.precisions[0]} {self.bps[self.nq6k] / 1000:g}k", "opus 6k", "lyra_v2 6k"}
        return [c for c in self.rate_configs() if c[0] in keep]


def clip_set(folder, n, seconds, seed, quick):
    """[(source, name, audio)] from eval data, or the bundled sample in quick mode / without data."""
    from sscodec.paths import SAMPLE_SPEECH

    if not quick and folder is not None and Path(folder).is_dir():
        from sscodec.models.data import eval_clips

        # one sub-folder per source; hidden ones (the loader's .sscodec_cache) are not sources
        srcs = sorted(p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith("."))
        out = []
        if srcs:
            per = max(1, n // len(srcs))
            for s in srcs:
                clips, names = eval_clips(s, per, seconds, 16000, seed, return_names=True)
                out += [(s.name, str(nm), c) for nm, c in zip(names, clips)]
        else:
            clips, names = eval_clips(folder, n, seconds, 16000, seed, return_names=True)
            out += [(Path(folder).name, str(nm), c) for nm, c in zip(names, clips)]
        return out
    from .speed import test_signal

    x = test_signal(int(seconds * 16000))
    return [("ru_nsh (bundled sample)", SAMPLE_SPEECH.name, x)]


def evaluate(model=None, quick=False, clips=8, seconds=4.0, progress=True, seed=0, noisy_clips=None) -> dict:
    """The whole evaluation as one JSON-able dict (schema ``sscodec-eval/1``).

    clips: held-out speech clips of ``seconds`` each; music and packet-loss sets use half.
    noisy_clips: noisy held-out speech pairs for the denoise rows (default half of ``clips``,
    at least 2)."""
    from . import bars, common

    variants = common.model_variants(model)
    C = Codecs(variants, quick)
    _QUICK.update(on=bool(quick), visqol_done=False)
    root = data_root()
    if quick:
        seconds = 2.0
    result = {"schema": "sscodec-eval/1", "quick": bool(quick), "machine": common.machine_info(),
              "versions": common.versions(), "commit": common.git_commit(),
              "model": {"folders": {p: str(d) for p, d in variants.items()}, "quantizers": C.nqs,
                        "bitrates_bps": [C.bps[q] for q in C.nqs]},
              "settings": {"seconds_per_clip": seconds, "clips": clips, "seed": seed, "sample_rate": 16000,
                           "alignment": f"cross-correlation lag 0..{MAX_LAG} samples removed before scoring",
                           "metrics": {"visqol": "ViSQOL v3 speech mode, lattice MOS mapping, 16 kHz (MOS-LQO 1..5)",
                                       "pesq": "PESQ wide-band (ITU-T P.862.2)", "stoi": "STOI (0..1)",
                                       "mel_distance": "mean |log-mel| difference, 1024 window, 64 mels (lower = better)"},
                           "quick_note": "quick mode: ViSQOL computed once (pipeline check), other entries null" if quick else None,
                           "data_sources": "../shared/DATA.md; held-out lists in /work/data/manifest.json"},
              "sets": {}, "packet_loss": None, "unavailable": list(C.unavailable)}

    speech = clip_set(root / "speech_heldout", clips, seconds, seed, quick)
    rate_cfgs = C.rate_configs()
    six = C.at_6k()
    music = [] if quick else (clip_set(root / "music_eval", max(2, clips // 2), seconds, seed, False)
                              if (root / "music_eval").is_dir() else [])
    noisy = []
    if not quick and (root / "noise_heldout").is_dir() and (root / "speech_heldout").is_dir():
        from sscodec.models.data import noisy_eval_pairs

        n_noisy = max(2, clips // 2) if noisy_clips is None else max(1, int(noisy_clips))
        noisy = noisy_eval_pairs(root / "speech_heldout", root / "noise_heldout", n_noisy, seconds,
                                 snr_db_range=(0, 10), seed=seed)
    elif quick:
        rng = np.random.default_rng(seed)
        s = speech[0][2]
        noisy = [((s + 0.05 * rng.standard_normal(len(s))).astype(np.float32), s)]
    loss_rates = (0.0, 0.10) if quick else (0.0, 0.05, 0.10, 0.20)
    loss_clips = speech[: max(1, clips // 2)]
    total = (len(speech) * len(rate_cfgs) + len(music) * len(six) + len(noisy) * (len(six) + 3)
             + len(loss_clips) * len(loss_rates) * (1 + int(C.opus)))
    bar = common.Bar(total, "eval", progress)

    def run_set(name, items, cfgs, desc):
        rows = []
        for label, codec, prec, bps, fn in cfgs:
            per = []
            for src, nm, x in items:
                y, actual = fn(x)
                sc = score(x, y)
                sc.update(source=src, clip=nm)
                per.append(sc)
                bar()
            by_src = {}
            for r in per:
                by_src.setdefault(r["source"], []).append(r)
            rows.append({"label": label, "codec": codec, "precision": prec, "bitrate_bps": bps,
                         "actual_bitrate_bps": round(float(actual), 1), "metrics": mean_metrics(per),
                         "per_source": {s: mean_metrics(v) for s, v in by_src.items()}, "clips": per})
        result["sets"][name] = {"description": desc, "clips": [{"source": s, "clip": n} for s, n, _ in items],
                                "results": rows}

    run_set("speech_heldout", speech, rate_cfgs,
            "held-out real speech (files never trained on; fr_june: a speaker never trained on)" if not quick
            else "quick: bundled speech sample")
    if music:
        run_set("music", music, six, "music_eval (ViSQOL in speech mode is only indicative on music)")
    else:
        result["unavailable"].append({"what": "music set", "why": "quick mode" if quick else "no /work/data/music_eval"})

    if noisy:
        rows = []
        f32 = C.variants[C.precisions[0]]
        q6 = C.nq6k
        name = f"sscodec {C.precisions[0]} {C.bps[q6] / 1000:g}k"
        # the paper compares the flag on either side: the encoder's FiLM (the packet says
        # "denoised") or the decoder's (the receiver denoises an ordinary stream)
        cfgs = [(f"{name} denoise off", None), (f"{name} denoise on", "encoder"),
                (f"{name} denoise on (decoder side)", "decoder")]
        for label, side in cfgs:
            per = []
            for noisy_x, clean in noisy:
                y, _ = sscodec_roundtrip(f32, noisy_x, nq=q6, denoise=side == "encoder",
                                         decoder_denoise=side == "decoder")
                per.append(score(clean, y))
                bar()
            rows.append({"label": label, "codec": "sscodec", "denoise": side is not None, "denoise_side": side,
                         "bitrate_bps": C.bps[q6], "metrics": mean_metrics(per), "reference": "clean speech",
                         "clips": per})
        for label, codec, prec, bps, fn in six:
            if codec == "sscodec":
                continue
            per = []
            for noisy_x, clean in noisy:
                y, _ = fn(noisy_x)
                per.append(score(clean, y))
                bar()
            rows.append({"label": label, "codec": codec, "denoise": None, "bitrate_bps": bps,
                         "metrics": mean_metrics(per), "reference": "clean speech", "clips": per})
        per = []
        for noisy_x, clean in noisy:
            per.append(score(clean, noisy_x))
            bar()
        rows.append({"label": "noisy input (no codec)", "codec": "none", "denoise": None, "bitrate_bps": None,
                     "metrics": mean_metrics(per), "reference": "clean speech", "clips": per})
        result["sets"]["noisy_speech"] = {"description": "held-out speech + held-out noise at 0-10 dB SNR, "
                                                         "scored against the clean speech", "clips": len(noisy),
                                          "results": rows}

    # Packet loss (Gilbert model, independent losses) at ~6 kbps.
    from sscodec.loss import loss_mask

    from . import opus_ref

    pl = []
    f32 = C.variants[C.precisions[0]]
    for rate in loss_rates:
        entry = {"loss_rate": rate}
        for codec in ("sscodec",) + (("opus",) if C.opus else ()):
            per, real = [], []
            for i, (src, nm, x) in enumerate(loss_clips):
                n = -(-len(x) // 320)
                lost = loss_mask(n, rate, seed=seed + i) if rate > 0 else np.zeros(n, bool)
                real.append(float(np.mean(lost)))
                if codec == "sscodec":
                    y, _ = sscodec_roundtrip(f32, x, nq=C.nq6k, lost=lost)
                else:
                    y, _ = opus_ref.roundtrip(x, 6000, lost)
                per.append(score(x, y))
                bar()
            entry[codec] = {"metrics": mean_metrics(per), "measured_loss_rate": round(float(np.mean(real)), 4)}
        pl.append(entry)
    result["packet_loss"] = {"model": str(f32), "bitrate_bps": C.bps[C.nq6k],
                             "loss_model": "Gilbert (sscodec.loss.loss_mask), independent losses",
                             "concealment": "sscodec.Decoder (native port of sscodec.concealment policy + CNG); "
                                            "Opus: its own PLC (decode of an empty packet)",
                             "rates": pl}
    bar.close()
    result["bars"] = bars.judge(result)
    result["machine"]["loadavg_1m_end"] = round(os.getloadavg()[0], 2)
    return result
