"""benchmarks/visqol_probe.py: the STFT hybrids repair exactly the part they name, and the
command scores them with ViSQOL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")

TINY_KERAS = Path(__file__).parent / "data" / "tiny_codec" / "keras"
SR = 16000


def _voice(n=SR, seed=0):
    t = np.arange(n) / SR
    x = sum(np.sin(2 * np.pi * 150 * k * t + k) / k for k in range(1, 30)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    x[n // 2 : n // 2 + 2000] = 0  # a pause
    return (0.2 * x / np.abs(x).max()).astype(np.float32)


def _err(a, b):
    s = slice(1024, -1024)  # STFT edges
    return float(np.sqrt(np.mean((a[s] - b[s]) ** 2)) / np.sqrt(np.mean(b[s] ** 2)))


def test_hybrids_repair_what_they_name():
    from sscodec.benchmarks.visqol_probe import BANDS_HZ, hybrids

    x = _voice()
    y = 0.5 * x  # a pure level error: every magnitude is wrong, the phase is right
    h = hybrids(x, y)
    assert set(h) >= {"codec", "ref_phase", "ref_magnitude", "ref_in_pauses", "oracle_eq", "ref_lowpass_4k",
                      "ref_noise_30db"} | {f"ref_magnitude_{lo}_{hi}" for lo, hi in BANDS_HZ}
    assert all(v.shape == x.shape and v.dtype == np.float32 for v in h.values())
    assert _err(h["ref_magnitude"], x) < 1e-3 and _err(h["oracle_eq"], x) < 1e-3
    assert _err(h["ref_phase"], y) < 1e-3  # y's phase was right already: nothing to repair
    assert _err(h["ref_magnitude_0_1000"], x) > 0.1  # one band repaired, the rest still half level
    assert abs(_err(h["ref_noise_30db"], x) - 10 ** (-30 / 20)) < 1e-3
    # a level fault at 1-4 kHz only: the envelope hybrids repair it at every scale, the
    # fine-structure ones (y's envelope kept) do not
    from sscodec.benchmarks.visqol_probe import SCALES_HZ, _istft, _stft

    X = _stft(x, SR)
    freqs = np.fft.rfftfreq(512, 1 / SR)
    X[(freqs >= 1000) & (freqs < 4000)] *= 0.5
    y = _istft(X, len(x), SR)
    h = hybrids(x, y)
    inner = (freqs >= 1500) & (freqs < 3500)  # the 1 kHz smoothing reaches 500 Hz past the band's edges

    def band_err(a):
        A = np.abs(_stft(a, SR)[inner])
        return float(np.mean(np.abs(A - np.abs(_stft(x, SR)[inner]))))

    for w in SCALES_HZ:
        assert band_err(h[f"ref_envelope{w}_1000_4000"]) < 0.1 * band_err(y)
        assert band_err(h[f"ref_fine{w}_1000_4000"]) > 0.9 * band_err(y)
    # a pause-only fault: y = x plus noise where x is silent
    noise = np.zeros_like(x)
    noise[SR // 2 + 500 : SR // 2 + 1500] = 0.01
    h = hybrids(x, x + noise)
    assert _err(h["ref_in_pauses"], x) < 0.5 * _err(x + noise, x)


def test_probe_command_scores_every_hybrid(tmp_path):
    pytest.importorskip("tensorflow")
    sf = pytest.importorskip("soundfile")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from sscodec.benchmarks.visqol_probe import main

    data = tmp_path / "heldout" / "src"
    data.mkdir(parents=True)
    sf.write(data / "a.wav", np.tile(_voice(), 2), SR)
    out = tmp_path / "probe.json"
    assert main([str(TINY_KERAS), "--data", str(tmp_path / "heldout"), "--clips", "1", "--seconds", "1.5",
                 "--kbps", "0.6", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["n_q"] == 2 and len(doc["clips"]) == 1
    assert all(1.0 <= v <= 5.0 for v in doc["mean"].values())
    assert main(["/nope", "--data", str(tmp_path / "heldout")]) == 1
