"""Does the decoder reproduce the spectral structure? Correlation per band and per scale.

``python -m sscodec.benchmarks.harmonic_probe MODEL [MODEL ...] [--clips 8] [--seconds 4]
[--kbps 12] [--data /work/data/speech_heldout] [--out probe.json]``

MODEL is an exported Keras model directory or ``RUN_DIR:STEP`` (as
:mod:`sscodec.models.compare_checkpoints`). For each held-out clip x and its delay-aligned
decoding y, the STFT magnitudes |S| (512-sample Hann window, hop 256, 31.25 Hz bins) of the
loud frames (within 25 dB of the clip's loudest) are split by scale in frequency, with
``smooth(S, w)`` the RMS of |S| over w Hz:

* ``harmonic``: |S| / smooth(S, 250 Hz) — the pitch harmonics' peaks and valleys;
* ``detail``: smooth(S, 250 Hz) / smooth(S, 1 kHz) — formant-scale structure;
* ``envelope``: smooth(S, 1 kHz) — the broad spectral shape.

Per band it reports, each averaged over loud frames: the correlation across the band's bins
of x's and y's log (dB) values at each scale (1 when y has x's structure, about 0 when y's
peaks are elsewhere or absent), and ``contrast_ref`` / ``contrast_dec``: the spread (dB)
of the harmonic scale across the band's bins — noise-like spectra sit near 5.6 dB (the
spread of a log-Rayleigh magnitude), voiced speech well above.

The model card's diagnosis ("What ViSQOL objects to") rests on these numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

WINDOW = 512
HOP = 256
SMOOTHING_HZ = (250.0, 1000.0)
LOUD_DB = 25.0
BANDS_HZ = ((100, 1000), (1000, 2000), (2000, 4000), (4000, 8000))
SCALES = ("harmonic", "detail", "envelope")


def _magnitudes(x, sr):
    from scipy import signal

    return np.abs(signal.stft(x, sr, nperseg=WINDOW, noverlap=WINDOW - HOP)[2])  # [bins, frames]


def smooth(mag, width_hz, sr=16000):
    """[bins, frames] magnitudes → their RMS over ``width_hz`` of neighbouring bins."""
    k = max(1, int(round(width_hz / (sr / WINDOW))))
    power = np.apply_along_axis(lambda c: np.convolve(c, np.ones(k) / k, mode="same"), 0, mag**2)
    return np.sqrt(power + 1e-20)


def scales_db(mag, sr=16000) -> dict:
    """{"harmonic" | "detail" | "envelope": [bins, frames] in dB} (see the module doc)."""
    fine, coarse = (smooth(mag, w, sr) for w in SMOOTHING_HZ)
    db = lambda v: 20 * np.log10(v + 1e-12)  # noqa: E731
    return {"harmonic": db(mag) - db(fine), "detail": db(fine) - db(coarse), "envelope": db(coarse)}


def _correlation(a, b):
    """Mean over columns (frames) of the correlation across rows (bins)."""
    a0, b0 = a - a.mean(axis=0), b - b.mean(axis=0)
    return float(np.mean(np.sum(a0 * b0, axis=0) / np.sqrt(np.sum(a0**2, axis=0) * np.sum(b0**2, axis=0) + 1e-12)))


def band_statistics(x, y, sr=16000) -> dict:
    """{"<lo>_<hi>": {"harmonic", "detail", "envelope" (correlations), "contrast_ref",
    "contrast_dec" (dB)}} for one aligned pair x, y (float [n] at ``sr``); see the module doc."""
    n = min(len(x), len(y))
    X, Y = _magnitudes(np.asarray(x[:n], np.float64), sr), _magnitudes(np.asarray(y[:n], np.float64), sr)
    frame_db = 10 * np.log10(np.sum(X**2, axis=0) + 1e-20)
    loud = frame_db > frame_db.max() - LOUD_DB
    sx, sy = scales_db(X[:, loud], sr), scales_db(Y[:, loud], sr)
    freqs = np.fft.rfftfreq(WINDOW, 1 / sr)
    out = {}
    for lo, hi in BANDS_HZ:
        band = (freqs >= lo) & (freqs < hi)
        row = {k: round(_correlation(sx[k][band], sy[k][band]), 4) for k in SCALES}
        row["contrast_ref"] = round(float(sx["harmonic"][band].std(axis=0).mean()), 3)
        row["contrast_dec"] = round(float(sy["harmonic"][band].std(axis=0).mean()), 3)
        out[f"{lo}_{hi}"] = row
    return out


def probe_model(gen, clips, n_q) -> dict:
    """{"clips": {name: band statistics}, "mean": band statistics averaged over clips}."""
    from ..models.compare_checkpoints import decode
    from .quality import align

    sr = gen.cfg.sample_rate
    per = {}
    for src, nm, x in clips:
        r, d, _ = align(x, decode(gen, x, n_q), 960)
        per[f"{src}/{nm}"] = band_statistics(r, d, sr)
    first = next(iter(per.values()))
    mean = {band: {k: round(float(np.mean([c[band][k] for c in per.values()])), 4) for k in stats}
            for band, stats in first.items()}
    return {"clips": per, "mean": mean}


def main(argv=None) -> int:
    from ..models.compare_checkpoints import add_probe_arguments, heldout_clips, load_at_bitrate

    p = argparse.ArgumentParser(prog="python -m sscodec.benchmarks.harmonic_probe", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", help="model directories or RUN_DIR:STEP checkpoints")
    add_probe_arguments(p, clips=8)
    a = p.parse_args(argv)

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    clips = heldout_clips(a)
    if clips is None:
        return 1
    results = {}
    print("correlation of reference and decoded per band (Hz) and scale: harmonic / detail / envelope")
    print("model".ljust(34), "".join(f"{lo}-{hi}".rjust(24) for lo, hi in BANDS_HZ))
    for spec in a.models:
        loaded = load_at_bitrate(spec, a.kbps)
        if loaded is None:
            return 1
        label, gen, n_q = loaded
        res = probe_model(gen, clips, n_q)
        results[label] = dict(res, n_q=n_q)
        m = res["mean"]
        print(label[-34:].ljust(34), "".join(" / ".join(f"{m[b][k]:+.2f}" for k in SCALES).rjust(24) for b in m),
              flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
