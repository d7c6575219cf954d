"""Audio file I/O and resampling for the codec API and CLI.

* :func:`read_audio`: WAV/FLAC/OGG (anything libsndfile reads) -> mono
  float32 + sample rate; multichannel input is averaged to mono.
* :func:`resample`: offline, soxr "VHQ" (very high quality).
* :class:`StreamResampler`: the same quality, chunk by chunk, for streams.
* :func:`write_audio`: atomic (the file appears complete or not at all).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

QUALITY = "VHQ"


class AudioFileError(OSError):
    """An input audio file cannot be read (missing, unsupported, corrupt)."""


def read_audio(path) -> tuple[np.ndarray, int]:
    """(mono float32 samples, sample rate) of an audio file."""
    import soundfile as sf

    p = Path(path)
    if not p.is_file():
        raise AudioFileError(f"{p}: no such file")
    try:
        x, sr = sf.read(os.fspath(p), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError if hasattr(sf, "LibsndfileError") else RuntimeError) as e:
        raise AudioFileError(f"{p}: cannot read audio ({e})") from e
    x = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
    return np.ascontiguousarray(x, dtype=np.float32), int(sr)


def resample(x: np.ndarray, in_rate: int, out_rate: int) -> np.ndarray:
    """Offline high-quality resampling (identity when the rates match)."""
    x = np.asarray(x, dtype=np.float32)
    if int(in_rate) == int(out_rate):
        return x
    import soxr

    return np.asarray(soxr.resample(x, int(in_rate), int(out_rate), quality=QUALITY), dtype=np.float32)


class StreamResampler:
    """Chunked resampler (soxr, VHQ). ``process(chunk)`` returns what is ready;
    ``flush()`` returns the tail. Identity when the rates match."""

    def __init__(self, in_rate: int, out_rate: int):
        self.in_rate, self.out_rate = int(in_rate), int(out_rate)
        self._rs = None
        if self.in_rate != self.out_rate:
            import soxr

            self._rs = soxr.ResampleStream(self.in_rate, self.out_rate, 1, dtype="float32", quality=QUALITY)

    @property
    def identity(self) -> bool:
        return self._rs is None

    def process(self, x) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
        if self._rs is None:
            return x
        return np.asarray(self._rs.resample_chunk(x, last=False), dtype=np.float32).reshape(-1)

    def flush(self) -> np.ndarray:
        if self._rs is None:
            return np.zeros(0, np.float32)
        out = np.asarray(self._rs.resample_chunk(np.zeros(0, np.float32), last=True), dtype=np.float32)
        import soxr

        self._rs = soxr.ResampleStream(self.in_rate, self.out_rate, 1, dtype="float32", quality=QUALITY)
        return out.reshape(-1)


def fit_length(y: np.ndarray, n: int) -> np.ndarray:
    """``y`` trimmed or zero-padded to exactly ``n`` samples (after a resampler whose
    output length differs from ``n`` by rounding)."""
    if len(y) >= n:
        return y[:n]
    return np.concatenate([y, np.zeros(n - len(y), y.dtype)])


def _subtype_for(path: Path) -> dict:
    ext = path.suffix.lower()
    if ext == ".wav":
        return {"format": "WAV", "subtype": "PCM_16"}
    if ext == ".flac":
        return {"format": "FLAC", "subtype": "PCM_16"}
    if ext in (".ogg", ".oga"):
        return {"format": "OGG", "subtype": "VORBIS"}
    raise AudioFileError(f"{path}: unsupported output format {ext!r} (use .wav, .flac or .ogg)")


def write_audio(path, x: np.ndarray, sample_rate: int) -> None:
    """Write mono audio atomically (clipped to [-1, 1])."""
    import soundfile as sf

    from .container import atomic_output

    p = Path(path)
    kw = _subtype_for(p)
    y = np.clip(np.asarray(x, dtype=np.float32).reshape(-1), -1.0, 1.0)
    with atomic_output(p) as f:
        sf.write(f, y, int(sample_rate), **kw)
