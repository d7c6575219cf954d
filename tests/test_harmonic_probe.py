"""benchmarks/harmonic_probe.py: the per-scale correlations tell a copy, a harmonic
signal and noise with the same envelope apart; the command runs on a model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")

TINY_KERAS = Path(__file__).parent / "data" / "tiny_codec" / "keras"
SR = 16000


def _voice(n=SR, f0=150.0):
    t = np.arange(n) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t + k) / k**0.5 for k in range(1, int(7900 / f0)))
    return (0.2 * x / np.abs(x).max()).astype(np.float32)


def _shaped_noise(x, seed=0):
    """White noise given x's long-term magnitude spectrum: x's envelope, no harmonics."""
    X = np.fft.rfft(x)
    smooth = np.sqrt(np.convolve(np.abs(X) ** 2, np.ones(801) / 801, mode="same"))
    ph = np.exp(2j * np.pi * np.random.default_rng(seed).random(len(X)))
    return np.fft.irfft(smooth * ph, len(x)).astype(np.float32)


def test_a_copy_correlates_everywhere_and_noise_has_no_harmonics():
    from sscodec.benchmarks.harmonic_probe import BANDS_HZ, band_statistics

    x = _voice()
    same = band_statistics(x, 0.5 * x)  # a level change keeps every structure
    assert set(same) == {f"{lo}_{hi}" for lo, hi in BANDS_HZ}
    for band in same.values():
        assert band["harmonic"] > 0.99 and band["detail"] > 0.99 and band["envelope"] > 0.99
        assert band["contrast_ref"] == pytest.approx(band["contrast_dec"], abs=0.01)
    noise = band_statistics(x, _shaped_noise(x))
    for name in ("1000_2000", "2000_4000"):
        assert abs(noise[name]["harmonic"]) < 0.15  # its peaks are not x's harmonics
        assert noise[name]["contrast_ref"] > noise[name]["contrast_dec"] + 2  # noise is flatter
        assert 4.0 < noise[name]["contrast_dec"] < 7.0  # about log-Rayleigh's 5.6 dB
    other_pitch = band_statistics(x, _voice(f0=163.0))  # harmonics in other places
    assert other_pitch["2000_4000"]["harmonic"] < 0.3


def test_command_prints_and_saves_per_model_results(tmp_path, capsys):
    pytest.importorskip("keras")
    from sscodec.benchmarks import harmonic_probe

    sf = pytest.importorskip("soundfile")
    data = tmp_path / "heldout" / "spk"
    data.mkdir(parents=True)
    sf.write(data / "a.wav", _voice(3 * SR), SR)
    out = tmp_path / "probe.json"
    rc = harmonic_probe.main([str(TINY_KERAS), "--data", str(tmp_path / "heldout"), "--clips", "1",
                              "--seconds", "2", "--kbps", "1.2", "--out", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text())
    (res,) = doc.values()
    assert set(res["mean"]["2000_4000"]) == {"harmonic", "detail", "envelope", "contrast_ref", "contrast_dec"}
    assert "2000-4000" in capsys.readouterr().out
    assert harmonic_probe.main(["/no/such/model", "--data", str(tmp_path / "heldout"), "--clips", "1",
                                "--seconds", "2"]) == 1
