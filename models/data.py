"""Training/eval data pipeline for the sscodec trainer (numpy only, deterministic, resumable).

Conventions: audio is mono ``float32`` in [-1, 1] at ``sample_rate`` Hz (16000 for the speech
model); "samples" always means samples at that rate; levels in dB are dBFS / power ratios.

Typical use (folders made by ``python -m sscodec.models.prepare_data --out /work/data``)::

    from sscodec.models.data import load_audio_folder, TrainBatches, eval_clips, noisy_eval_pairs

    sr = 16000
    speech = load_audio_folder("/work/data/speech_train", sr)
    noise = load_audio_folder("/work/data/noise_train", sr)
    music = load_audio_folder("/work/data/music_train", sr)
    batches = TrainBatches(speech, noise, sr, segment_samples=8000, batch_size=8, seed=0,
                           music=music)
    b = batches.next()          # dict(audio=[8, 8000], target=[8, 8000], denoise=[8])
    ckpt = batches.state()      # JSON-serialisable; store it with the model checkpoint
    batches.set_state(ckpt)     # after restart: identical batch sequence from here on

    clean = eval_clips("/work/data/speech_heldout", n=32, seconds=4.0, sample_rate=sr, seed=0)
    pairs = noisy_eval_pairs("/work/data/speech_heldout", "/work/data/noise_heldout", n=32,
                             seconds=4.0, snr_db_range=(0, 10), seed=0)
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np
import soundfile as sf
import soxr

from .. import atomic_write
from ..atomic_write import replacing

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga")
CACHE_VERSION = 1
STATE_VERSION = 1

PathLike = Union[str, os.PathLike]

__all__ = [
    "load_audio_folder",
    "list_audio_files",
    "TrainBatches",
    "eval_clips",
    "noisy_eval_pairs",
    "mix_at_snr",
    "snr_db",
]


# ----------------------------------------------------------------------------------------
# Loading and caching
# ----------------------------------------------------------------------------------------
def list_audio_files(folder: PathLike) -> list:
    """Sorted absolute paths of every wav/flac/ogg/oga file under ``folder`` (recursive)."""
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"audio folder does not exist: {folder}")
    if folder.is_file():
        return [str(folder.resolve())]
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for n in sorted(names):
            if n.lower().endswith(AUDIO_EXTENSIONS) and not n.startswith("."):
                files.append(str(Path(root, n).resolve()))
    return sorted(files)


def _decode_file(path: str, sample_rate: int) -> np.ndarray:
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    x = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
    if sr != sample_rate:
        x = soxr.resample(x, sr, sample_rate, quality="HQ")
    return np.ascontiguousarray(x, dtype=np.float32)


def _default_cache_dir(folder: Path) -> Path:
    env = os.environ.get("SSCODEC_DATA_CACHE")
    if env:
        return Path(env)
    folder = folder.resolve()
    for anc in folder.parents:  # inside a prepare_data output tree: one cache at its root
        if (anc / "manifest.json").exists():
            return anc / ".sscodec_cache"
    return folder.parent / ".sscodec_cache"


def _cache_key(folder: Path, files: list, sample_rate: int, min_seconds: float,
               silence_peak: float) -> str:
    h = hashlib.sha1()
    h.update(json.dumps([CACHE_VERSION, str(folder.resolve()), sample_rate, min_seconds,
                         silence_peak]).encode())
    for f in files:
        st = os.stat(f)
        h.update(f"{f}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
    return h.hexdigest()[:20]


def _load_one_folder(folder: Path, sample_rate: int, min_seconds: float, silence_peak: float,
                     cache_dir: Optional[Path], use_cache: bool):
    files = list_audio_files(folder)
    if not files:
        raise ValueError(f"no audio files ({'/'.join(AUDIO_EXTENSIONS)}) under {folder}")
    key = _cache_key(folder, files, sample_rate, min_seconds, silence_peak)
    cdir = cache_dir if cache_dir is not None else _default_cache_dir(folder)
    prefix = f"{folder.name}-{hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:8]}"
    npy, meta_path = cdir / f"{prefix}-{key}.npy", cdir / f"{prefix}-{key}.json"
    if use_cache and npy.exists() and meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
            data = np.load(npy, mmap_mode="r")
            offs = meta["offsets"]
            arrays = [np.array(data[offs[i]:offs[i + 1]], dtype=np.float32)
                      for i in range(len(offs) - 1)]
            return arrays, meta["names"]
        except Exception as exc:  # damaged cache: rebuild
            warnings.warn(f"ignoring damaged audio cache {npy}: {exc}")

    arrays, names, bad, short = [], [], [], 0
    for f in files:
        try:
            x = _decode_file(f, sample_rate)
        except Exception as exc:
            bad.append(f"{f}: {type(exc).__name__}: {exc}")
            continue
        if len(x) < min_seconds * sample_rate or not np.all(np.isfinite(x)) \
                or float(np.max(np.abs(x))) < silence_peak:
            short += 1
            continue
        arrays.append(x)
        names.append(os.path.relpath(f, folder.resolve()) if folder.is_dir() else f)
    if bad:
        warnings.warn(f"{len(bad)} unreadable audio file(s) under {folder} skipped, e.g. {bad[0]}")
    if not arrays:
        raise ValueError(
            f"no usable audio under {folder}: {len(files)} file(s) found, {len(bad)} unreadable, "
            f"{short} silent/shorter than {min_seconds} s"
            + (f"; first error: {bad[0]}" if bad else ""))
    if use_cache:
        try:
            cdir.mkdir(parents=True, exist_ok=True)
            for old in cdir.glob(f"{prefix}-*.npy"):  # drop stale caches of this folder
                if old.name != npy.name:
                    old.unlink(missing_ok=True)
                    old.with_suffix(".json").unlink(missing_ok=True)
            offs = np.concatenate([[0], np.cumsum([len(a) for a in arrays])]).tolist()
            with replacing(npy) as tmp, open(tmp, "wb") as fh:
                np.save(fh, np.concatenate(arrays))
            atomic_write.write_text(meta_path, json.dumps({"offsets": offs, "names": names,
                                                           "sample_rate": sample_rate}))
        except OSError as exc:
            warnings.warn(f"could not write audio cache in {cdir}: {exc}")
    return arrays, names


def load_audio_folder(paths: Union[PathLike, Sequence[PathLike]], sample_rate: int = 16000,
                      min_seconds: float = 0.25, silence_peak: float = 1e-3,
                      cache_dir: Optional[PathLike] = None, use_cache: bool = True,
                      return_names: bool = False):
    """Decode every audio file under one or more folders (recursively) to mono float32.

    Args:
      paths: a folder (or file) or a list of them. Files: .wav/.flac/.ogg/.oga, any sample
        rate and channel count (channels are averaged; rate converted with soxr "HQ").
      sample_rate: output rate in Hz.
      min_seconds: files shorter than this (after resampling) are skipped.
      silence_peak: files whose absolute peak is below this are skipped as silent.
      cache_dir: where decoded folders are cached as ``<name>-<key>.npy/.json``; the key covers
        the folder path, every file's path, mtime and size, and the arguments above, so a
        changed folder is re-decoded. Default: ``$SSCODEC_DATA_CACHE``, else
        ``<root>/.sscodec_cache`` where <root> is the nearest ancestor holding a
        ``manifest.json`` (a prepare_data tree), else ``<parent of folder>/.sscodec_cache``.
      use_cache: set False to neither read nor write the cache.
      return_names: also return the file names (relative to their folder).

    Returns:
      ``list[np.ndarray]`` of 1-D float32 arrays [samples] in file-sorted order (folders in
      the order given), or ``(arrays, names)`` when ``return_names``.

    Raises:
      FileNotFoundError: a folder does not exist.
      ValueError: a folder holds no usable audio (none, all unreadable, or all silent/short).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if len(paths) == 0:
        raise ValueError("load_audio_folder: no folders given")
    cache = Path(cache_dir) if cache_dir is not None else None
    arrays, names = [], []
    for p in paths:
        a, n = _load_one_folder(Path(p), int(sample_rate), float(min_seconds),
                                float(silence_peak), cache, use_cache)
        arrays.extend(a)
        names.extend(n)
    return (arrays, names) if return_names else arrays


# ----------------------------------------------------------------------------------------
# Signal helpers
# ----------------------------------------------------------------------------------------
def snr_db(clean: np.ndarray, noise: np.ndarray) -> float:
    """10*log10(sum clean^2 / sum noise^2) in dB over the whole signals."""
    pc = float(np.sum(np.square(clean, dtype=np.float64)))
    pn = float(np.sum(np.square(noise, dtype=np.float64)))
    return 10.0 * np.log10(max(pc, 1e-20) / max(pn, 1e-20))


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr: float) -> np.ndarray:
    """Return ``noise`` scaled so that ``snr_db(clean, scaled) == snr`` (same shape)."""
    pc = float(np.mean(np.square(clean, dtype=np.float64)))
    pn = float(np.mean(np.square(noise, dtype=np.float64)))
    if pn <= 0.0:
        return np.zeros_like(noise)
    return (noise * np.sqrt(pc / pn * 10.0 ** (-snr / 10.0))).astype(np.float32)


def _crop_or_tile(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Random crop of length n; shorter signals are looped (from a random phase) to length n."""
    if len(x) >= n:
        s = int(rng.integers(0, len(x) - n + 1))
        return x[s:s + n]
    reps = n // len(x) + 2
    s = int(rng.integers(0, len(x)))
    return np.tile(x, reps)[s:s + n]


def _coloured_noise(n: int, rng: np.random.Generator, alpha: float) -> np.ndarray:
    """Noise with power spectrum ~ 1/f^alpha (0 white, 1 pink, 2 brown)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    spec *= f ** (-alpha / 2.0)
    spec[0] = 0.0
    return np.fft.irfft(spec, n).astype(np.float32)


def _hum(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum/buzz: 50 or 60 Hz (+-1%) with random decaying harmonics up to ~sr/4."""
    f0 = (50.0 if rng.random() < 0.5 else 60.0) * (1.0 + rng.uniform(-0.01, 0.01))
    t = np.arange(n, dtype=np.float64) / sr
    nh = int(rng.integers(3, max(4, min(40, int(sr / 4 / f0)))))
    decay = rng.uniform(0.3, 1.5)
    y = np.zeros(n, dtype=np.float64)
    for k in range(1, nh + 1):
        y += rng.uniform(0.3, 1.0) * k ** (-decay) * np.sin(2 * np.pi * f0 * k * t
                                                            + rng.uniform(0, 2 * np.pi))
    y += 0.02 * rng.standard_normal(n) * np.abs(y).max()
    return y.astype(np.float32)


def _bursts(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """1-4 band-limited noise bursts (20-400 ms, random band) with smooth edges."""
    y = np.zeros(n, dtype=np.float32)
    for _ in range(int(rng.integers(1, 5))):
        length = min(n, int(rng.uniform(0.02, 0.4) * sr))
        spec = np.fft.rfft(rng.standard_normal(length))
        freqs = np.fft.rfftfreq(length, 1.0 / sr)
        lo = rng.uniform(50.0, sr / 2 * 0.7)
        hi = min(sr / 2, lo * rng.uniform(1.3, 6.0))
        spec[(freqs < lo) | (freqs > hi)] = 0.0
        b = np.fft.irfft(spec, length)
        ramp = max(1, min(length // 4, int(0.005 * sr)))
        env = np.ones(length)
        env[:ramp] = np.linspace(0, 1, ramp)
        env[-ramp:] = np.linspace(1, 0, ramp)
        b = b * env * rng.uniform(0.2, 1.0)
        s = int(rng.integers(0, n - length + 1))
        y[s:s + length] += b.astype(np.float32)
    return y


# ----------------------------------------------------------------------------------------
# Training batches
# ----------------------------------------------------------------------------------------
class TrainBatches:
    """Deterministic, resumable generator of codec training batches.

    Every example is a function of ``(seed, step, index in batch)`` only, so any batch can be
    regenerated exactly, and ``state()``/``set_state()`` (just ``{"seed", "step", ...}``)
    restore the identical batch sequence after a restart.

    Per example:
      1. crop ``segment_samples`` from a training utterance chosen with probability
         proportional to its length (crops with RMS < max(1e-3, 0.1 * utterance RMS) are
         re-drawn, up to 10 tries; utterances shorter than a segment are zero-padded at a
         random offset);
      2. normalise the crop's peak to 1, then apply a gain uniform in ``gain_db`` (dBFS peak);
      3. with probability ``noisy_prob`` add one interferer at an SNR uniform in ``snr_db``
         (SNR = clean power / noise power over the whole segment). Interferer kind is drawn
         by ``noise_weights`` among the available ones: ``recorded`` (crop of a ``noise``
         file, looped if short), ``music`` (crop of a ``music`` file), ``babble`` (sum of
         3-6 other training utterances, probability of this kind given by ``babble_prob``),
         ``coloured`` (1/f^a noise, a uniform in [0, 2]: white..pink..brown), ``hum``
         (50/60 Hz + harmonics), ``bursts`` (band-limited noise bursts);
      4. ``denoise`` = 1 with probability ``denoise_prob`` (independently of 3);
         ``target`` = clean speech if denoise else the (possibly noisy) codec input;
      5. if ``max(|audio|, |target|) > peak_limit`` both are scaled by the same factor.

    Args:
      speech: list of 1-D float32 arrays [samples] (e.g. from ``load_audio_folder``).
      noise: list of 1-D float32 arrays of recorded noise (may be empty).
      sample_rate: Hz.
      segment_samples: T, samples per example.
      batch_size: B.
      seed: int.
      noisy_prob, denoise_prob: probabilities in [0, 1].
      snr_db: (low, high) dB. gain_db: (low, high) dB peak level of the clean speech.
      babble_prob: selection weight of babble among noise kinds (None: use noise_weights).
      music: optional list of 1-D float32 arrays used as music interference.
      noise_weights: dict kind -> weight for recorded/music/babble/coloured/hum/bursts.
      peak_limit: maximum absolute sample value of audio and target.
    """

    DEFAULT_NOISE_WEIGHTS = {"recorded": 0.2, "music": 0.15, "babble": 0.2, "coloured": 0.25,
                             "hum": 0.1, "bursts": 0.1}

    def __init__(self, speech: Sequence[np.ndarray], noise: Sequence[np.ndarray],
                 sample_rate: int, segment_samples: int, batch_size: int, seed: int,
                 noisy_prob: float = 0.5, denoise_prob: float = 0.5,
                 snr_db: tuple = (-5.0, 20.0), gain_db: tuple = (-20.0, 0.0),
                 babble_prob: Optional[float] = None, music: Optional[Sequence[np.ndarray]] = None,
                 noise_weights: Optional[dict] = None, peak_limit: float = 0.99):
        if len(speech) == 0:
            raise ValueError("TrainBatches: no speech utterances")
        self.speech = [np.asarray(s, dtype=np.float32) for s in speech]
        self.noise = [np.asarray(s, dtype=np.float32) for s in (noise or []) if len(s) > 0]
        self.music = [np.asarray(s, dtype=np.float32) for s in (music or []) if len(s) > 0]
        self.sample_rate = int(sample_rate)
        self.segment_samples = int(segment_samples)
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.noisy_prob = float(noisy_prob)
        self.denoise_prob = float(denoise_prob)
        self.snr_db = (float(snr_db[0]), float(snr_db[1]))
        self.gain_db = (float(gain_db[0]), float(gain_db[1]))
        self.peak_limit = float(peak_limit)
        w = dict(self.DEFAULT_NOISE_WEIGHTS)
        if noise_weights:
            w.update(noise_weights)
        if babble_prob is not None:
            w["babble"] = float(babble_prob)
        if not self.noise:
            w["recorded"] = 0.0
        if not self.music:
            w["music"] = 0.0
        if len(self.speech) < 2:
            w["babble"] = 0.0
        kinds = sorted(k for k, v in w.items() if v > 0)
        if not kinds:
            raise ValueError("TrainBatches: all noise kinds have zero weight")
        unknown = set(w) - set(self.DEFAULT_NOISE_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown noise kinds {sorted(unknown)}")
        self.noise_kinds = kinds
        p = np.array([w[k] for k in kinds], dtype=np.float64)
        self.noise_p = p / p.sum()

        lens = np.array([len(s) for s in self.speech], dtype=np.float64)
        self._cum = np.cumsum(lens)
        self._utt_rms = np.array([float(np.sqrt(np.mean(np.square(s, dtype=np.float64))))
                                  for s in self.speech])
        self.step = 0
        self._fingerprint = self._make_fingerprint()

    # -- state -------------------------------------------------------------------------
    def _make_fingerprint(self) -> str:
        h = hashlib.sha1()
        h.update(json.dumps([len(self.speech), int(self._cum[-1]),
                             [len(x) for x in self.noise], [len(x) for x in self.music],
                             self.sample_rate, self.segment_samples, self.batch_size,
                             self.noisy_prob, self.denoise_prob, self.snr_db, self.gain_db,
                             self.noise_kinds, self.noise_p.tolist(),
                             self.peak_limit]).encode())
        return h.hexdigest()[:16]

    def state(self) -> dict:
        """JSON-serialisable state: ``{"version", "seed", "step", "fingerprint"}``."""
        return {"version": STATE_VERSION, "seed": self.seed, "step": int(self.step),
                "fingerprint": self._fingerprint}

    def set_state(self, state: dict, strict: bool = True) -> None:
        """Continue from ``state`` (from ``state()``): the next batch is the one that followed.

        With ``strict`` a different data set/configuration (fingerprint) raises ValueError;
        with ``strict=False`` it only warns.
        """
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported TrainBatches state version {state.get('version')}")
        if state.get("fingerprint") != self._fingerprint:
            msg = ("TrainBatches.set_state: data/configuration differ from the saved state "
                   f"({state.get('fingerprint')} != {self._fingerprint}); batches will differ")
            if strict:
                raise ValueError(msg)
            warnings.warn(msg)
        self.seed = int(state["seed"])
        self.step = int(state["step"])

    # -- generation --------------------------------------------------------------------
    def __iter__(self):
        return self

    def __next__(self) -> dict:
        return self.next()

    def next(self) -> dict:
        """Next batch: ``audio`` [B, T] float32 (codec input), ``target`` [B, T] float32
        (decoder target), ``denoise`` [B] float32 flag 0/1. Advances the state by one."""
        b = self.batch_at(self.step)
        self.step += 1
        return b

    def batch_at(self, step: int) -> dict:
        """The batch number ``step`` (0-based) of this seed, without changing the state."""
        B, T = self.batch_size, self.segment_samples
        audio = np.empty((B, T), dtype=np.float32)
        target = np.empty((B, T), dtype=np.float32)
        flag = np.empty((B,), dtype=np.float32)
        for i in range(B):
            rng = np.random.default_rng([self.seed, int(step), i])
            audio[i], target[i], flag[i] = self._example(rng)
        return {"audio": audio, "target": target, "denoise": flag}

    def _pick_utt(self, rng: np.random.Generator, exclude: int = -1) -> int:
        for _ in range(8):
            idx = int(np.searchsorted(self._cum, rng.random() * self._cum[-1], side="right"))
            idx = min(idx, len(self.speech) - 1)
            if idx != exclude:
                return idx
        return (exclude + 1) % len(self.speech)

    def _speech_crop(self, rng: np.random.Generator, exclude: int = -1):
        T = self.segment_samples
        best, best_rms, idx = None, -1.0, 0
        for _ in range(10):
            idx = self._pick_utt(rng, exclude)
            x = self.speech[idx]
            if len(x) >= T:
                s = int(rng.integers(0, len(x) - T + 1))
                c = x[s:s + T]
            else:
                c = np.zeros(T, dtype=np.float32)
                s = int(rng.integers(0, T - len(x) + 1))
                c[s:s + len(x)] = x
            rms = float(np.sqrt(np.mean(np.square(c, dtype=np.float64))))
            if rms >= max(1e-3, 0.1 * self._utt_rms[idx]):
                return c, idx
            if rms > best_rms:
                best, best_rms = c, rms
        return best, idx

    def _interferer(self, kind: str, rng: np.random.Generator, utt: int) -> np.ndarray:
        T, sr = self.segment_samples, self.sample_rate
        if kind == "recorded":
            return _crop_or_tile(self.noise[int(rng.integers(len(self.noise)))], T, rng)
        if kind == "music":
            return _crop_or_tile(self.music[int(rng.integers(len(self.music)))], T, rng)
        if kind == "babble":
            y = np.zeros(T, dtype=np.float32)
            for _ in range(int(rng.integers(3, 7))):
                c, _ = self._speech_crop(rng, exclude=utt)
                r = float(np.sqrt(np.mean(np.square(c, dtype=np.float64)))) + 1e-8
                y += c * (10.0 ** (rng.uniform(-3, 3) / 20.0) / r)
            return y
        if kind == "coloured":
            return _coloured_noise(T, rng, rng.uniform(0.0, 2.0))
        if kind == "hum":
            return _hum(T, sr, rng)
        if kind == "bursts":
            return _bursts(T, sr, rng)
        raise ValueError(kind)

    def _example(self, rng: np.random.Generator):
        clean, utt = self._speech_crop(rng)
        peak = float(np.max(np.abs(clean)))
        g = 10.0 ** (rng.uniform(*self.gain_db) / 20.0)
        clean = (clean * (g / max(peak, 1e-6))).astype(np.float32)
        noisy = clean
        if rng.random() < self.noisy_prob:
            kind = self.noise_kinds[int(rng.choice(len(self.noise_kinds), p=self.noise_p))]
            n = self._interferer(kind, rng, utt)
            if float(np.max(np.abs(n))) < 1e-6:  # silent noise crop: fall back to white noise
                n = rng.standard_normal(self.segment_samples).astype(np.float32)
            n = mix_at_snr(clean, n, rng.uniform(*self.snr_db))
            noisy = clean + n
        denoise = rng.random() < self.denoise_prob
        target = clean if denoise else noisy
        m = max(float(np.max(np.abs(noisy))), float(np.max(np.abs(target))))
        if m > self.peak_limit:
            s = self.peak_limit / m
            noisy, target = noisy * s, target * s
        return noisy, target, 1.0 if denoise else 0.0


# ----------------------------------------------------------------------------------------
# Evaluation sets
# ----------------------------------------------------------------------------------------
def _active_crop(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Crop of length n from x (len(x) >= n) whose RMS is >= 0.3 x the file RMS if possible."""
    if len(x) == n:
        return x.copy()
    ref = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    c = None
    for _ in range(10):
        s = int(rng.integers(0, len(x) - n + 1))
        c = x[s:s + n]
        if float(np.sqrt(np.mean(np.square(c, dtype=np.float64)))) >= 0.3 * ref:
            break
    return c.copy()


def eval_clips(folder: Union[PathLike, Sequence[PathLike]], n: int, seconds: float,
               sample_rate: int = 16000, seed: int = 0, return_names: bool = False,
               **load_kwargs):
    """Deterministic held-out clips.

    Files are grouped by their first sub-folder under ``folder`` (one group per source, e.g.
    ``ru_nsh``, ``fillets_cs``, ``en_allison``, ``fr_june`` in ``speech_heldout``) and clip i
    comes from group ``i % n_groups``, so sources are balanced whatever their size; pass a
    sub-folder to evaluate one source/speaker only. Within a group files are drawn in a seeded
    random order (without replacement while possible); each clip
    is an active crop of ``seconds`` from one file, or, for files shorter than that, the file
    followed by the next files of the order (separated by 0.1 s silence) until long enough.

    Args:
      folder: folder(s) with held-out audio (any format ``load_audio_folder`` accepts).
      n: number of clips. seconds: clip length in seconds. sample_rate: Hz. seed: int.
      return_names: also return, per clip, the list of source file names used.

    Returns:
      list of n float32 arrays of shape [round(seconds * sample_rate)] (original level), or
      ``(clips, names)``.
    """
    arrays, names = load_audio_folder(folder, sample_rate, return_names=True, **load_kwargs)
    L = int(round(seconds * sample_rate))
    rng = np.random.default_rng([int(seed), 0x5E7A1])
    # balance sources: files are grouped by their first sub-folder (e.g. speech_heldout/ru_nsh,
    # .../fr_june); clip i comes from group i % n_groups. A flat folder is one group.
    groups: dict = {}
    for j, nm in enumerate(names):
        parts = Path(nm).parts
        groups.setdefault(parts[0] if len(parts) > 1 else "", []).append(j)
    keys = sorted(groups)
    orders = {k: [] for k in keys}
    clips, used = [], []
    gap = np.zeros(int(0.1 * sample_rate), dtype=np.float32)
    for i in range(n):
        k = keys[i % len(keys)]
        parts, pnames, total = [], [], 0
        while total < L:
            if not orders[k]:
                orders[k] = [groups[k][int(t)] for t in rng.permutation(len(groups[k]))]
            j = orders[k].pop(0)
            x = arrays[j]
            if not parts and len(x) >= L:
                parts, pnames, total = [_active_crop(x, L, rng)], [names[j]], L
                break
            if parts:
                parts.append(gap)
                total += len(gap)
            parts.append(x)
            pnames.append(names[j])
            total += len(x)
        clips.append(np.concatenate(parts)[:L].astype(np.float32))
        used.append(pnames)
    return (clips, used) if return_names else clips


def noisy_eval_pairs(speech_folder: Union[PathLike, Sequence[PathLike]],
                     noise_folder: Union[PathLike, Sequence[PathLike]], n: int, seconds: float,
                     snr_db_range: tuple = (0.0, 10.0), seed: int = 0, sample_rate: int = 16000,
                     peak_limit: float = 0.99, **load_kwargs) -> list:
    """Deterministic (noisy, clean) evaluation pairs.

    Clean clips are ``eval_clips(speech_folder, n, seconds, sample_rate, seed)``; each is mixed
    with a crop (looped if short) of a seeded-random noise file at an SNR uniform in
    ``snr_db_range`` (whole-clip power ratio, dB). If the mixture's peak exceeds ``peak_limit``
    both noisy and clean are scaled by the same factor (the SNR is unchanged).

    Returns:
      list of n tuples ``(noisy, clean)``, each float32 [round(seconds * sample_rate)].
    """
    clean = eval_clips(speech_folder, n, seconds, sample_rate, seed, **load_kwargs)
    noise = load_audio_folder(noise_folder, sample_rate, **load_kwargs)
    rng = np.random.default_rng([int(seed), 0xA015E])
    pairs = []
    for c in clean:
        nz = _crop_or_tile(noise[int(rng.integers(len(noise)))], len(c), rng)
        if float(np.max(np.abs(nz))) < 1e-6:
            nz = rng.standard_normal(len(c)).astype(np.float32)
        noisy = c + mix_at_snr(c, nz, rng.uniform(*snr_db_range))
        m = max(float(np.max(np.abs(noisy))), float(np.max(np.abs(c))))
        s = peak_limit / m if m > peak_limit else 1.0
        pairs.append(((noisy * s).astype(np.float32), (c * s).astype(np.float32)))
    return pairs
