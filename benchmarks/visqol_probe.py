"""What does ViSQOL object to in a decoded signal? Swap parts of its STFT for the reference's.

``python -m sscodec.benchmarks.visqol_probe MODEL_DIR [--clips 4] [--seconds 4] [--kbps 12]
[--data /work/data/speech_heldout] [--out probe.json]``

MODEL_DIR is an exported Keras model directory or ``RUN_DIR:STEP`` (as
:mod:`sscodec.models.compare_checkpoints`). Each held-out clip x is decoded offline (y) and
the two are delay-aligned; then ViSQOL (speech, lattice, 16 kHz) scores x against
"hybrids" built from their STFTs (512-sample Hann window, hop 128), each repairing one
suspected fault with the reference's data:

* ``ref_phase``: y's magnitudes with x's phase; ``ref_magnitude``: x's magnitudes with y's
  phase — which of the two ViSQOL sees;
* ``ref_in_pauses``: x's STFT in the frames 40 dB or more below the clip's loudest (the
  codec's noise floor in pauses);
* ``oracle_eq``: y filtered by the clip's own long-term spectral ratio |X|/|Y| (a spectral
  tilt);
* ``ref_magnitude_<lo>_<hi>``: x's magnitudes in one band (Hz), y's elsewhere — where in
  frequency the magnitude errors that matter are;
* ``ref_envelope<w>_1000_4000`` / ``ref_fine<w>_1000_4000``: at 1–4 kHz only, x's magnitudes
  smoothed over w Hz (w = 250, 500, 1000) times y's structure below that scale, or the other
  way round — at which scale in frequency the errors that matter are (harmonics below ~250
  Hz, formant detail above; see :mod:`sscodec.benchmarks.harmonic_probe`).

Reference points on x alone: ``ref_lowpass_4k`` (x low-passed at 4 kHz) and
``ref_noise_30db`` (x plus white noise 30 dB below it). Prints one line per clip and the
means; ``--out`` saves them as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

WINDOW = 512
BANDS_HZ = ((0, 1000), (1000, 4000), (4000, 8000), (0, 4000))
SCALE_BAND_HZ = (1000, 4000)
SCALES_HZ = (250, 500, 1000)


def _stft(x, sr):
    from scipy import signal

    return signal.stft(x, sr, nperseg=WINDOW)[2]


def _istft(z, n, sr):
    from scipy import signal

    return signal.istft(z, sr, nperseg=WINDOW)[1][:n].astype(np.float32)


def hybrids(x, y, sr=16000) -> dict:
    """{name: signal [n] float32}: y with one part of its STFT replaced by x's (see module
    doc), plus the two reference-only points. x, y: aligned float32 [n]."""
    from scipy import signal

    n = min(len(x), len(y))
    x, y = np.asarray(x[:n], np.float32), np.asarray(y[:n], np.float32)
    X, Y = _stft(x, sr), _stft(y, sr)
    out = {"codec": y}
    out["ref_phase"] = _istft(np.abs(Y) * np.exp(1j * np.angle(X)), n, sr)
    out["ref_magnitude"] = _istft(np.abs(X) * np.exp(1j * np.angle(Y)), n, sr)
    frame_db = 10 * np.log10(np.sum(np.abs(X) ** 2, axis=0) + 1e-12)
    quiet = frame_db < frame_db.max() - 40
    Z = Y.copy()
    Z[:, quiet] = X[:, quiet]
    out["ref_in_pauses"] = _istft(Z, n, sr)
    eq = np.sqrt(np.mean(np.abs(X) ** 2, axis=1) / (np.mean(np.abs(Y) ** 2, axis=1) + 1e-20))
    out["oracle_eq"] = _istft(Y * eq[:, None], n, sr)
    freqs = np.fft.rfftfreq(WINDOW, 1 / sr)
    for lo, hi in BANDS_HZ:
        band = (freqs >= lo) & (freqs < hi if hi < sr / 2 else freqs <= hi)
        Z = Y.copy()
        Z[band] = np.abs(X[band]) * np.exp(1j * np.angle(Y[band]))
        out[f"ref_magnitude_{lo}_{hi}"] = _istft(Z, n, sr)
    from .harmonic_probe import smooth

    lo, hi = SCALE_BAND_HZ
    band = (freqs >= lo) & (freqs < hi)
    aX, aY, phase = np.abs(X), np.abs(Y), np.exp(1j * np.angle(Y))
    for w in SCALES_HZ:
        sX, sY = smooth(aX, w, sr), smooth(aY, w, sr)
        for name, mag in ((f"ref_envelope{w}", aY / sY * sX), (f"ref_fine{w}", aX / sX * sY)):
            Z = Y.copy()
            Z[band] = mag[band] * phase[band]
            out[f"{name}_{lo}_{hi}"] = _istft(Z, n, sr)
    sos = signal.butter(8, 4000, "low", fs=sr, output="sos")
    out["ref_lowpass_4k"] = signal.sosfilt(sos, x).astype(np.float32)
    noise = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    noise *= np.sqrt(np.mean(x**2) / np.mean(noise**2)) * 10 ** (-30 / 20)
    out["ref_noise_30db"] = x + noise
    return out


def probe_clip(gen, x, n_q) -> dict:
    """{hybrid name: ViSQOL (MOS-LQO)} for one clip x [T] float32 decoded by ``gen`` with
    ``n_q`` quantizers."""
    from ..models.compare_checkpoints import decode
    from ..models.quality import visqol_speech
    from .quality import align

    sr = gen.cfg.sample_rate
    r, d, _ = align(x, decode(gen, x, n_q), 960)
    return {k: round(float(visqol_speech(r, v, sr)), 4) for k, v in hybrids(r, d, sr).items()}


def main(argv=None) -> int:
    from ..models.compare_checkpoints import add_probe_arguments, heldout_clips, load_at_bitrate

    p = argparse.ArgumentParser(prog="python -m sscodec.benchmarks.visqol_probe", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="model directory or RUN_DIR:STEP")
    add_probe_arguments(p, clips=4)
    a = p.parse_args(argv)

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    clips = heldout_clips(a)
    if clips is None:
        return 1
    loaded = load_at_bitrate(a.model, a.kbps)
    if loaded is None:
        return 1
    label, gen, n_q = loaded
    per = {}
    for src, nm, x in clips:
        per[f"{src}/{nm}"] = probe_clip(gen, x, n_q)
        print(src, json.dumps(per[f"{src}/{nm}"]), flush=True)
    keys = next(iter(per.values())).keys()
    mean = {k: round(float(np.mean([v[k] for v in per.values()])), 3) for k in keys}
    print("mean", json.dumps(mean))
    if a.out:
        Path(a.out).write_text(json.dumps({"model": label, "n_q": n_q, "clips": per, "mean": mean}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
