"""Tests for the trainer's data pipeline (models/data.py).

Synthetic audio is written to tmp_path, so these run anywhere; the last tests use the real
folders made by ``python -m sscodec.models.prepare_data --out /work/data`` when present.
"""

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

try:
    from sscodec.models import data as D
except ImportError:  # plain checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
    import data as D  # type: ignore

SR = 16000
REAL = Path(os.environ.get("SSCODEC_DATA", "/work/data"))


def _speechlike(seconds, sr, f0, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    x = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6)) / k for k in range(1, 12))
    env = 0.5 * (1 + np.sin(2 * np.pi * 3.0 * t)) ** 2  # syllable-like AM with pauses
    x = 0.2 * x * env + 0.001 * rng.standard_normal(len(t))
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio")
    sp, nz = root / "speech", root / "noise"
    (sp / "spk_a").mkdir(parents=True)
    (sp / "spk_b").mkdir(parents=True)
    nz.mkdir()
    sf.write(sp / "spk_a" / "a1.wav", _speechlike(2.0, 16000, 110, 1), 16000, subtype="PCM_16")
    sf.write(sp / "spk_a" / "a2.flac", _speechlike(1.5, 22050, 130, 2), 22050)
    stereo = np.stack([_speechlike(3.0, 44100, 200, 3), _speechlike(3.0, 44100, 200, 4)], 1)
    sf.write(sp / "spk_b" / "b1.wav", stereo, 44100, subtype="FLOAT")
    sf.write(sp / "spk_b" / "b2.ogg", _speechlike(1.2, 48000, 240, 5), 48000)
    sf.write(sp / "spk_b" / "b3.wav", _speechlike(0.3, 16000, 180, 6), 16000)  # shorter than T
    sf.write(sp / "silent.wav", np.zeros(16000, np.float32), 16000)  # skipped: silent
    sf.write(sp / "tiny.wav", _speechlike(0.05, 16000, 150, 7), 16000)  # skipped: too short
    (sp / "notes.txt").write_text("not audio")
    rng = np.random.default_rng(9)
    sf.write(nz / "fan.wav", (0.1 * rng.standard_normal(24000)).astype(np.float32), 16000)
    sf.write(nz / "click.flac", (0.3 * rng.standard_normal(4000)).astype(np.float32), 8000)
    return {"speech": sp, "noise": nz, "cache": root / "cache"}


@pytest.fixture(scope="module")
def loaded(folders):
    speech = D.load_audio_folder(folders["speech"], SR, cache_dir=folders["cache"])
    noise = D.load_audio_folder(folders["noise"], SR, cache_dir=folders["cache"])
    return speech, noise


def _tb(loaded, **kw):
    speech, noise = loaded
    args = dict(sample_rate=SR, segment_samples=8000, batch_size=8, seed=123, music=[noise[0]])
    args.update(kw)
    return D.TrainBatches(speech, noise, **args)


# ---------------------------------------------------------------------------------- loading
def test_load_audio_folder(folders, loaded):
    speech, noise = loaded
    arrays, names = D.load_audio_folder(folders["speech"], SR, cache_dir=folders["cache"],
                                        return_names=True)
    assert names == ["spk_a/a1.wav", "spk_a/a2.flac", "spk_b/b1.wav", "spk_b/b2.ogg",
                     "spk_b/b3.wav"]
    for x in speech + noise:
        assert x.dtype == np.float32 and x.ndim == 1 and np.all(np.isfinite(x))
    expected = [2.0, 1.5, 3.0, 1.2, 0.3]
    for x, sec in zip(speech, expected):
        assert abs(len(x) - sec * SR) <= 2
    assert abs(len(noise[0]) - 8000) <= 2  # click.flac: 4000 samples at 8 kHz -> 16 kHz
    # several folders at once, in order
    both = D.load_audio_folder([folders["speech"], folders["noise"]], SR, use_cache=False)
    assert len(both) == len(speech) + len(noise)
    np.testing.assert_array_equal(both[0], speech[0])


def test_cache_hit_and_invalidation(folders, tmp_path):
    cache = tmp_path / "c"
    a = D.load_audio_folder(folders["noise"], SR, cache_dir=cache)
    files = sorted(cache.glob("*.npy"))
    assert len(files) == 1
    b = D.load_audio_folder(folders["noise"], SR, cache_dir=cache)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    # touching a file changes the key -> re-decoded, old cache file dropped
    f = folders["noise"] / "fan.wav"
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    D.load_audio_folder(folders["noise"], SR, cache_dir=cache)
    files2 = sorted(cache.glob("*.npy"))
    assert len(files2) == 1 and files2 != files


def test_errors_empty_corrupt_missing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("x")
    with pytest.raises(ValueError, match="no audio files"):
        D.load_audio_folder(empty, SR, use_cache=False)
    bad = tmp_path / "corrupt"
    bad.mkdir()
    (bad / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    (bad / "broken.flac").write_bytes(os.urandom(2000))
    with pytest.warns(UserWarning, match="unreadable"):
        with pytest.raises(ValueError, match="no usable audio.*2 unreadable"):
            D.load_audio_folder(bad, SR, use_cache=False)
    silent = tmp_path / "silent"
    silent.mkdir()
    sf.write(silent / "z.wav", np.zeros(16000, np.float32), SR)
    with pytest.raises(ValueError, match="no usable audio"):
        D.load_audio_folder(silent, SR, use_cache=False)
    with pytest.raises(FileNotFoundError):
        D.load_audio_folder(tmp_path / "nope", SR)


# ---------------------------------------------------------------------------------- batches
def test_batch_shapes_dtypes_peaks(loaded):
    tb = _tb(loaded)
    for _ in range(5):
        b = tb.next()
        assert set(b) == {"audio", "target", "denoise"}
        assert b["audio"].shape == (8, 8000) and b["audio"].dtype == np.float32
        assert b["target"].shape == (8, 8000) and b["target"].dtype == np.float32
        assert b["denoise"].shape == (8,) and b["denoise"].dtype == np.float32
        assert set(np.unique(b["denoise"])) <= {0.0, 1.0}
        for k in ("audio", "target"):
            assert np.all(np.isfinite(b[k]))
            assert np.max(np.abs(b[k])) <= 0.99 + 1e-6
        # every example carries signal (near-silent crops are re-drawn)
        assert np.all(np.sqrt(np.mean(b["target"] ** 2, axis=1)) > 1e-4)


def test_deterministic_and_seed_dependent(loaded):
    a = [_tb(loaded).next() for _ in range(1)][0]
    b = _tb(loaded).next()
    c = _tb(loaded, seed=124).next()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["audio"], c["audio"])


def test_exact_resume(loaded):
    ref = _tb(loaded)
    seq = [ref.next() for _ in range(7)]
    run = _tb(loaded)
    for _ in range(4):
        run.next()
    saved = json.loads(json.dumps(run.state()))  # must survive JSON
    resumed = _tb(loaded)
    resumed.set_state(saved)
    for i in range(4, 7):
        b = resumed.next()
        for k in b:
            np.testing.assert_array_equal(b[k], seq[i][k])
    np.testing.assert_array_equal(ref.batch_at(2)["audio"], seq[2]["audio"])
    assert resumed.state()["step"] == 7


def test_set_state_rejects_other_config(loaded):
    st = _tb(loaded).state()
    other = _tb(loaded, segment_samples=4000)
    with pytest.raises(ValueError, match="differ"):
        other.set_state(st)
    with pytest.warns(UserWarning):
        other.set_state(st, strict=False)
    assert other.step == st["step"]


@pytest.mark.parametrize("kind", ["recorded", "music", "babble", "coloured", "hum", "bursts"])
def test_snr_in_range_per_noise_kind(loaded, kind):
    w = {k: 0.0 for k in D.TrainBatches.DEFAULT_NOISE_WEIGHTS}
    w[kind] = 1.0
    tb = _tb(loaded, noisy_prob=1.0, denoise_prob=1.0, snr_db=(-5.0, 20.0), noise_weights=w)
    snrs = []
    for _ in range(4):
        b = tb.next()
        assert np.all(b["denoise"] == 1.0)
        for x, t in zip(b["audio"], b["target"]):
            snrs.append(D.snr_db(t, x - t))
    snrs = np.array(snrs)
    assert np.all(snrs > -5.05) and np.all(snrs < 20.05), snrs
    assert snrs.max() - snrs.min() > 5.0  # actually spread over the range


def test_clean_when_not_noisy_and_target_rule(loaded):
    b = _tb(loaded, noisy_prob=0.0).next()
    np.testing.assert_array_equal(b["audio"], b["target"])
    b = _tb(loaded, noisy_prob=1.0, denoise_prob=0.0).next()
    assert np.all(b["denoise"] == 0.0)
    np.testing.assert_array_equal(b["audio"], b["target"])  # target = noisy input
    b = _tb(loaded, noisy_prob=1.0, denoise_prob=0.5, seed=5).next()
    for x, t, f in zip(b["audio"], b["target"], b["denoise"]):
        assert (not np.array_equal(x, t)) == bool(f)


def test_gain_range(loaded):
    tb = _tb(loaded, noisy_prob=0.0, gain_db=(-20.0, -6.0))
    peaks = np.concatenate([np.max(np.abs(tb.next()["target"]), axis=1) for _ in range(4)])
    db = 20 * np.log10(peaks)
    assert np.all(db <= -6.0 + 1e-3) and np.all(db >= -20.0 - 1e-3)


def test_throughput(loaded):
    tb = _tb(loaded)
    tb.next()
    t0 = time.perf_counter()
    n = 20
    for _ in range(n):
        tb.next()
    rate = n / (time.perf_counter() - t0)
    assert rate > 10.0, f"{rate:.1f} batches/s"  # must never limit a ~2 steps/s trainer


# ------------------------------------------------------------------------------------- eval
def test_eval_clips_deterministic_balanced(folders):
    c1, n1 = D.eval_clips(folders["speech"], 6, 2.5, SR, seed=3, return_names=True,
                          cache_dir=folders["cache"])
    c2 = D.eval_clips(folders["speech"], 6, 2.5, SR, seed=3, cache_dir=folders["cache"])
    assert len(c1) == 6
    for a, b in zip(c1, c2):
        assert a.shape == (40000,) and a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    # alternates between the two speaker sub-folders
    assert [n[0].split("/")[0] for n in n1] == ["spk_a", "spk_b"] * 3
    c3 = D.eval_clips(folders["speech"], 6, 2.5, SR, seed=4, cache_dir=folders["cache"])
    assert any(not np.array_equal(a, b) for a, b in zip(c1, c3))


def test_noisy_eval_pairs(folders):
    pairs = D.noisy_eval_pairs(folders["speech"], folders["noise"], 6, 1.0, (0.0, 10.0), seed=1,
                               cache_dir=folders["cache"])
    again = D.noisy_eval_pairs(folders["speech"], folders["noise"], 6, 1.0, (0.0, 10.0), seed=1,
                               cache_dir=folders["cache"])
    assert len(pairs) == 6
    for (noisy, clean), (n2, c2) in zip(pairs, again):
        assert noisy.shape == clean.shape == (SR,)
        assert noisy.dtype == clean.dtype == np.float32
        np.testing.assert_array_equal(noisy, n2)
        s = D.snr_db(clean, noisy - clean)
        assert -0.05 <= s <= 10.05
        assert max(np.abs(noisy).max(), np.abs(clean).max()) <= 0.99 + 1e-6


# ------------------------------------------------------------------------------- real data
@pytest.mark.skipif(not (REAL / "manifest.json").exists(), reason="run prepare_data first")
def test_real_folders():
    man = json.loads((REAL / "manifest.json").read_text())
    for folder in ("speech_train", "speech_heldout", "noise_train", "noise_heldout",
                   "music_train", "music_eval"):
        assert man["folders"][folder]["files"] > 0, folder
    assert man["folders"]["speech_train"]["minutes"] > 100
    assert "fr_june" not in man["folders"]["speech_train"]["by_source"]  # held-out speaker
    # held-out rule for the festvox-ru speaker
    ru_train = sorted(p.name for p in (REAL / "speech_train" / "ru_nsh").glob("*.wav"))
    ru_held = sorted(p.name for p in (REAL / "speech_heldout" / "ru_nsh").glob("*.wav"))
    assert ru_train and ru_held and ru_train[-1] < "ru_0800.wav" <= ru_held[0]
    assert "ru_0844.wav" in ru_held
    noise = D.load_audio_folder(REAL / "noise_train", SR)
    speech = D.load_audio_folder(REAL / "speech_heldout" / "ru_nsh", SR)  # small, fast
    tb = D.TrainBatches(speech, noise, SR, 8000, 8, 0)
    b = tb.next()
    assert b["audio"].shape == (8, 8000)
    clips = D.eval_clips(REAL / "speech_heldout", 4, 3.0, SR, seed=0)
    assert all(c.shape == (48000,) for c in clips)
