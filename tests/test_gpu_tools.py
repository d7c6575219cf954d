"""GPU-burst tooling (tools/gpu/): the FLAC subset builder, burst.sh end to end on this
machine's CPU (JAX backend, tiny model), and tree.sh's index hide/restore."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

ROOT = Path(__file__).resolve().parents[1]
GPU = ROOT / "tools" / "gpu"
MIB = 1 << 20


def _make_subset_module():
    spec = importlib.util.spec_from_file_location("gpu_make_subset", GPU / "make_subset.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ms = _make_subset_module()


def _voiced(rng, seconds, sr):
    t = np.arange(int(seconds * sr)) / sr
    f0 = rng.uniform(90, 250)
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    x = x + 0.05 * rng.standard_normal(len(t))  # some noise: FLAC cannot shrink it to nothing
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def _write_tree(root: Path) -> Path:
    """A data tree like /work/data: three speech sources of different sizes (one with
    sub-folders and 22.05 kHz stereo files), noise, music, and held-out folders."""
    rng = np.random.default_rng(1)
    plan = {
        "speech_train/small": [(f"s{i}.wav", 0.8, 16000, 1) for i in range(2)],
        "speech_train/big_a": [(f"sub{i % 2}/a{i}.wav", 1.0 + 0.1 * i, 16000, 1) for i in range(12)],
        "speech_train/big_b": [(f"b{i}.wav", 1.2, 22050, 2) for i in range(10)],
        "noise_train/hum": [(f"n{i}.wav", 1.0, 16000, 1) for i in range(6)],
        "music_train/tunes": [(f"m{i}.flac", 1.5, 44100, 2) for i in range(4)],
        "speech_heldout/small": [("h0.wav", 1.0, 16000, 1)],
        "noise_heldout/hum": [("h1.wav", 1.0, 16000, 1)],
        "music_eval/tunes": [("h2.wav", 1.0, 16000, 1)],
    }
    for folder, files in plan.items():
        for name, sec, sr, ch in files:
            p = root / folder / name
            p.parent.mkdir(parents=True, exist_ok=True)
            x = _voiced(rng, sec, sr)
            sf.write(p, np.stack([x] * ch, 1) if ch > 1 else x, sr)
    (root / "speech_train" / "big_a" / "README.txt").write_text("not audio")
    (root / "speech_train" / "big_b" / "silent.wav").parent.mkdir(exist_ok=True)
    sf.write(root / "speech_train" / "big_b" / "silent.wav", np.zeros(16000, np.float32), 16000)
    return root


@pytest.fixture(scope="module")
def data_tree(tmp_path_factory):
    return _write_tree(tmp_path_factory.mktemp("data"))


BUDGET_MIB = 0.5  # speech 0.35 MiB -> ~0.12 MiB per source: the big sources overflow their share


def _subset(data, out, seed=0, **kw):
    return ms.make_subset(data, out, megabytes=BUDGET_MIB, seed=seed, log=lambda *a: None, **kw)


def test_subset_budget_layout_shares_and_format(data_tree, tmp_path, monkeypatch):
    calls = []
    real = ms.flac_bytes
    monkeypatch.setattr(ms, "flac_bytes", lambda x: calls.append(len(x)) or real(x))
    out = tmp_path / "sub"
    s = _subset(data_tree, out)
    total = int(BUDGET_MIB * MIB)
    assert 0 < s["bytes"] <= total
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "subset.json")
    assert on_disk == sorted(f["path"] for f in s["files"])
    assert json.loads((out / "subset.json").read_text())["bytes"] == s["bytes"]
    for f in s["files"]:
        assert f["path"].split("/")[0] in ms.KINDS and f["path"].endswith(".flac")
        assert not any(h in f["from"] or h in f["path"] for h in ms.HELD_OUT)
        assert (out / f["path"]).stat().st_size == f["bytes"]
        info = sf.info(str(out / f["path"]))
        assert (info.format, info.subtype, info.samplerate, info.channels) == ("FLAC", "PCM_16", 16000, 1)
    assert not (out / "speech_heldout").exists() and not (out / "music_eval").exists()
    assert not any("silent" in f["from"] for f in s["files"])
    # kinds keep to their shares; speech sources share equally, the small one's rest flows on
    for kind, share in zip(ms.KINDS, (0.70, 0.15, 0.15)):
        assert 0 < s["kinds"][kind]["bytes"] <= share * total
    folders = s["folders"]
    for name, info in folders.items():
        assert info["bytes"] <= info["budget_bytes"] and info["files"] > 0, name
    small, a, b = (folders[f"speech_train/{n}"] for n in ("small", "big_a", "big_b"))
    assert small["files"] == 2 and small["bytes"] < small["budget_bytes"]  # all of it fits
    # filled smallest first (small, big_a, big_b), each an equal part of what speech has left
    speech = int(0.7 * total)
    assert a["budget_bytes"] == (speech - small["bytes"]) // 2 > speech // 3
    assert b["budget_bytes"] == speech - small["bytes"] - a["bytes"]
    biggest = max(f["bytes"] for f in s["files"] if f["path"].startswith("speech_train/big"))
    for big in (a, b):
        assert big["budget_bytes"] - big["bytes"] < biggest  # filled up to one file of its share
    assert (out / "speech_train" / "big_a" / "sub0").is_dir()  # sub-folders kept
    # a source stops at the first file that does not fit: at most one encode beyond those
    # kept for each source that filled up (big_a, big_b, noise, music)
    kept = len(s["files"])
    assert kept < len(calls) <= kept + 4


def test_subset_is_seeded_and_guards_its_output(data_tree, tmp_path):
    s1, s2 = _subset(data_tree, tmp_path / "x"), _subset(data_tree, tmp_path / "y")
    assert [(f["path"], f["bytes"]) for f in s1["files"]] == [(f["path"], f["bytes"]) for f in s2["files"]]
    for f in s1["files"]:
        assert (tmp_path / "x" / f["path"]).read_bytes() == (tmp_path / "y" / f["path"]).read_bytes()
    s3 = _subset(data_tree, tmp_path / "z", seed=7)
    assert {f["from"] for f in s3["files"]} != {f["from"] for f in s1["files"]}
    with pytest.raises(ms.SubsetError, match="not empty"):
        _subset(data_tree, tmp_path / "x")
    (tmp_path / "x" / "speech_train" / "stale.flac").write_bytes(b"x")
    _subset(data_tree, tmp_path / "x", force=True)
    assert not (tmp_path / "x" / "speech_train" / "stale.flac").exists()
    with pytest.raises(ms.SubsetError, match="outside"):
        _subset(data_tree, data_tree / "sub")
    assert ms.main([str(tmp_path / "nodata"), str(tmp_path / "o")]) == 1


# ---------------------------------------------------------------------------------------------
# burst.sh on this machine's CPU
# ---------------------------------------------------------------------------------------------
def _env(tmp_path, **extra):
    env = dict(os.environ, PYTHON=sys.executable, JAX_PLATFORMS="cpu", CUDA_VISIBLE_DEVICES="",
               KERAS_BACKEND="jax", SSCODEC_BURST_TMP=str(tmp_path / "t"),
               SSCODEC_BURST_WHEELS=str(tmp_path / "no_wheels"), OUT=str(tmp_path / "out"))
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def _burst(args, env, timeout=240):
    return subprocess.run(["bash", str(GPU / "burst.sh"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_burst_usage_errors(tmp_path):
    r = _burst(["soon"], _env(tmp_path))
    assert r.returncode != 0 and "MINUTES must be a number" in r.stderr
    r = subprocess.run(["bash", str(GPU / "burst.sh"), "1"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode != 0 and "repository root" in r.stderr


def test_burst_runs_end_to_end_on_cpu(data_tree, tmp_path):
    pytest.importorskip("jax")
    pytest.importorskip("keras")
    sub = tmp_path / "subset"
    _subset(data_tree, sub)
    # warm start from the tracked tiny model (its config as the overrides: always the same architecture)
    init = ROOT / "tests" / "data" / "tiny_codec" / "keras"
    cfg = {
        "preset": "tiny", "model": json.loads((init / "config.json").read_text()),
        "speech_dirs": [str(sub / "speech_train")], "noise_dirs": [str(sub / "noise_train")],
        "music_dirs": [str(sub / "music_train")], "eval_dir": "", "eval_clips": 0, "visqol_in_eval": False,
        "batch_size": 2, "segment_seconds": 0.16, "steps": 1000, "kmeans_batches": 1, "kmeans_iters": 1,
        "adversarial_start": 0, "d_warmup_steps": 1, "warmup_steps": 1, "checkpoint_every": 500, "log_every": 1,
    }
    cfg_path = tmp_path / "burst.json"
    cfg_path.write_text(json.dumps(cfg))
    env = _env(tmp_path, SSCODEC_BURST_CONFIG=str(cfg_path), SSCODEC_BURST_RUN=str(tmp_path / "run"))
    # a per-file limit just above the inference-only weights: like speech16k's 21.5 MiB export
    # against the real 16 MiB, the export must lose its RVQ statistics to come back
    with np.load(init / "generator.weights.npz") as z:
        inference = {k: z[k] for k in z.files if not any(t in k for t in ("cluster_size_", "embed_sum_", "seed_gen"))}
    np.savez(tmp_path / "inference.npz", **inference)
    limit = (tmp_path / "inference.npz").stat().st_size + 100
    env["SSCODEC_BURST_MAX_BYTES"] = str(limit)
    r = _burst(["0.01", str(init)], dict(env, SSCODEC_BURST_ARGS="--steps 2"))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "warm start from" in r.stdout and "trainer finished" in r.stdout
    out = tmp_path / "out"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert set(files) >= {"export/config.json", "export/generator.weights.npz", "export/training_run.json",
                          "log.csv", "train.log", "system.txt"}, files
    assert len(files) <= 8 and all(f.count("/") <= 2 for f in files)
    assert all((out / f).stat().st_size <= limit for f in files)
    assert "dropping the training-only RVQ statistics" in r.stdout
    assert "versions" in (out / "system.txt").read_text()
    assert len((out / "log.csv").read_text().strip().splitlines()) >= 2  # header + a step
    # the stripped export loads and decodes
    code = ("import sys, numpy as np; from sscodec.models.model_io import load_model_dir\n"
            "m = load_model_dir(sys.argv[1])\n"
            "x = np.sin(np.arange(3200) / 7.0).astype('float32')[None] * 0.3\n"
            "y = np.asarray(m(x, n_q=np.array([4], np.int32), training=False)['audio'])\n"
            "print('loaded', m.cfg.name, y.shape, bool(np.all(np.isfinite(y))))\n")
    rr = subprocess.run([sys.executable, "-c", code, str(out / "export")], env=env, capture_output=True, text=True,
                        timeout=120)
    assert rr.returncode == 0 and "loaded tiny (1, 3200) True" in rr.stdout, rr.stdout[-2000:] + rr.stderr[-2000:]


STUB_PYTHON = """#!/usr/bin/env bash
# stands in for python: the trainer call prints its arguments, the import check reads stdin;
# the weights-shrinking script runs in the real python
if [ "$1" = -m ] && [ "$2" = sscodec.models.train ]; then echo "TRAIN $*"; exit "${STUB_RC:-0}"; fi
if [ "$1" = - ] && [[ "$2" == *.npz ]]; then exec "$REAL_PYTHON" "$@"; fi
cat >/dev/null; echo "stub versions"
"""


def _stub_python(tmp_path):
    stub = tmp_path / "python"
    stub.write_text(STUB_PYTHON)
    stub.chmod(0o755)
    return stub


def test_burst_resumes_passes_arguments_and_collects_on_failure(tmp_path):
    stub = _stub_python(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    (run / "latest.json").write_text('{"step": 500}')
    (run / "log.csv").write_text("step,wall\n500,1.0\n")
    (run / "export").mkdir()
    weights = {"enc/kernel": np.ones((40, 40), np.float32), "rvq/cluster_size_0": np.ones(400, np.float32),
               "rvq/embed_sum_0": np.ones((400, 4), np.float32), "rvq/codebook_0": np.ones((8, 4), np.float32)}
    np.savez(run / "export" / "generator.weights.npz", **weights)
    env = _env(tmp_path, PYTHON=str(stub), REAL_PYTHON=sys.executable, SSCODEC_BURST_RUN=str(run),
               SSCODEC_BURST_ARGS="--steps 7", SSCODEC_BURST_MAX_BYTES="10000")
    r = _burst(["2.5", str(tmp_path / "no_such_model")], env)  # a checkpoint: INIT is not used
    assert r.returncode == 0, r.stderr
    assert "resuming" in r.stdout
    train = next(line for line in r.stdout.splitlines() if line.startswith("TRAIN"))
    assert "--init-from" not in train and train.endswith("--max-minutes 2.5 --no-progress --steps 7")
    assert train.split()[3] == "tools/gpu/burst.toml"  # the default config
    out = tmp_path / "out"
    assert (out / "log.csv").read_text().endswith("500,1.0\n") and "stub versions" in (out / "system.txt").read_text()
    assert "TRAIN" in (out / "train.log").read_text()
    with np.load(out / "export" / "generator.weights.npz") as z:  # over the limit: training-only stats dropped
        assert sorted(z.files) == ["enc/kernel", "rvq/codebook_0"]
    assert (out / "export" / "generator.weights.npz").stat().st_size <= 10000

    fresh = dict(env, SSCODEC_BURST_RUN=str(tmp_path / "fresh"), SSCODEC_BURST_ARGS="")
    r = _burst(["1", str(tmp_path / "no_such_model")], fresh)
    assert r.returncode != 0 and "not a model directory" in r.stderr
    r = _burst(["1"], dict(fresh, STUB_RC="3"))  # default INIT: the shipped model; trainer fails
    assert r.returncode == 3 and "FAILED" in r.stdout
    default_init = ".gpu/init" if (ROOT / ".gpu" / "init" / "config.json").is_file() else "models/speech16k/keras"
    assert f"--init-from {default_init} --max-minutes 1 --no-progress" in (out / "train.log").read_text()


def test_burst_splits_weights_still_over_the_limit(tmp_path):
    stub = _stub_python(tmp_path)
    run = tmp_path / "run"
    (run / "export").mkdir(parents=True)
    (run / "latest.json").write_text('{"step": 500}')
    rng = np.random.default_rng(0)  # random: np.savez does not compress, but keep it honest
    weights = {"dec/kernel": rng.standard_normal((60, 100)).astype(np.float32),
               "rvq/cluster_size_0": np.ones(400, np.float32), "rvq/codebook_0": np.ones((8, 4), np.float32)}
    np.savez(run / "export" / "generator.weights.npz", **weights)
    out = tmp_path / "out"
    (out / "export").mkdir(parents=True)
    (out / "export" / "generator.weights.npz.part7").write_text("stale")  # an earlier collect's
    # what a real C = 32 burst returns beside 3 weight parts: 9 files, one over the limit of 8
    for f in ("config.json", "training_run.json"):
        (run / "export" / f).write_text("{}")
    (run / "log.csv").write_text("step,wall\n500,1.0\n")
    (out / "gpu.csv").write_text("timestamp, utilization.gpu [%]\nnow, 97 %\n")  # nvidia-smi's, written while training
    env = _env(tmp_path, PYTHON=str(stub), REAL_PYTHON=sys.executable, SSCODEC_BURST_RUN=str(run),
               SSCODEC_BURST_MAX_BYTES="10000")
    r = _burst(["1"], env)
    assert r.returncode == 0, r.stderr
    assert "split into 3 parts" in r.stdout
    assert "gpu.csv appended to system.txt" in r.stdout and "WARNING" not in r.stdout
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == 8 and not (out / "gpu.csv").exists(), files
    assert "# gpu.csv" in (out / "system.txt").read_text() and "97 %" in (out / "system.txt").read_text()
    parts = sorted((out / "export").glob("generator.weights.npz.part?"))
    assert [p.name[-1] for p in parts] == ["0", "1", "2"]  # the stale part7 is gone
    assert all(p.stat().st_size <= 10000 for p in parts) and not (out / "export" / "generator.weights.npz").exists()
    joined = tmp_path / "joined.npz"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    with np.load(joined) as z:  # training-only statistics dropped first, then split
        assert sorted(z.files) == ["dec/kernel", "rvq/codebook_0"]
        assert np.array_equal(z["dec/kernel"], weights["dec/kernel"])


def test_half_init_halves_the_weights_and_the_copy_warm_starts(tmp_path):
    """tools/gpu/half_init.py: the float16 copy of a model directory that travels in place of
    models/speech16k/keras loads into the float32 model (the trainer's --init-from path) and
    decodes what the original decodes, to float16 rounding."""
    pytest.importorskip("keras")
    from sscodec.models.model_io import load_model_dir

    src = ROOT / "tests" / "data" / "tiny_codec" / "keras"
    dst = tmp_path / "init"
    half = [sys.executable, str(GPU / "half_init.py")]
    r = subprocess.run([*half, str(src), str(dst)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (dst / "config.json").read_bytes() == (src / "config.json").read_bytes()
    assert (dst / "generator.weights.npz").stat().st_size < 0.6 * (src / "generator.weights.npz").stat().st_size
    with np.load(src / "generator.weights.npz") as a, np.load(dst / "generator.weights.npz") as b:
        assert a.files == b.files
        for k in a.files:
            want = np.float16 if a[k].dtype.kind == "f" else a[k].dtype
            assert b[k].dtype == want and b[k].shape == a[k].shape, k
    x = (0.3 * np.sin(np.arange(3200) / 7.0)).astype(np.float32)[None]
    n_q = np.array([4], np.int32)
    y_src = np.asarray(load_model_dir(src)(x, n_q=n_q, training=False)["audio"])
    m = load_model_dir(dst)
    assert {str(v.dtype) for v in m.variables if "float" in str(v.dtype)} == {"float32"}  # cast on load
    y_half = np.asarray(m(x, n_q=n_q, training=False)["audio"])
    assert y_half.dtype == np.float32 and np.all(np.isfinite(y_half))
    rel = np.sqrt(np.mean((y_half - y_src) ** 2) / np.mean(y_src ** 2))
    assert 0 < rel < 0.05, rel  # rounded (not equal), yet the same model
    r = subprocess.run([*half, str(tmp_path / "nothing"), str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 2 and "not a model directory" in r.stderr


# ---------------------------------------------------------------------------------------------
# tree.sh: hide the shipped graphs from the index for the run call, then restore exactly
# ---------------------------------------------------------------------------------------------
def _git(repo, *args):
    r = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_tree_hide_and_restore(tmp_path):
    repo = tmp_path / "repo"
    (repo / "tools" / "gpu").mkdir(parents=True)
    shutil.copy(GPU / "tree.sh", repo / "tools" / "gpu" / "tree.sh")
    for d in ("float32", "dynamic-int8", "int8"):
        (repo / "models" / "speech16k" / d).mkdir(parents=True)
        (repo / "models" / "speech16k" / d / "encoder.tflite").write_bytes(os.urandom(1000))
    (repo / "models" / "speech16k" / "keras").mkdir()
    (repo / "models" / "speech16k" / "keras" / "generator.weights.npz").write_bytes(os.urandom(2000))
    (repo / "models" / "speech16k" / "MODEL_CARD.md").write_text("v1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "init")
    (repo / "models" / "speech16k" / "MODEL_CARD.md").write_text("v2\n")  # someone's staged work
    (repo / "models" / "speech16k" / "int8" / "encoder.tflite").write_bytes(os.urandom(900))
    _git(repo, "add", "models/speech16k")
    (repo / ".gpu").mkdir()
    (repo / ".gpu" / "x").write_bytes(b"y" * 100)
    before = _git(repo, "ls-files", "-s")

    def tree(*a):
        return subprocess.run(["bash", "tools/gpu/tree.sh", *a], cwd=repo, capture_output=True, text=True)

    r = tree("hide")
    assert r.returncode == 0, r.stderr
    assert ".tflite" not in _git(repo, "ls-files") and "keras" not in _git(repo, "ls-files")
    assert "half_init.py" in r.stderr  # no .gpu/init yet: says how to make the copy that travels
    status = _git(repo, "status", "--porcelain", "--untracked-files=all")
    assert "??" not in status, status  # graphs and .gpu/ ignored, nothing else untracked
    assert tree("hide").returncode != 0  # twice is refused
    assert "would travel" in tree("size").stdout
    r = tree("restore")
    assert r.returncode == 0, r.stderr
    assert _git(repo, "ls-files", "-s") == before  # incl. the staged MODEL_CARD and int8 graph
    exclude = (repo / ".git" / "info" / "exclude").read_text()
    assert "/.gpu/" in exclude and "speech16k" not in exclude
    assert "MODEL_CARD.md" in _git(repo, "diff", "--cached", "--name-only")


def test_burst_config_matches_the_subset_layout():
    from sscodec.models.config import TrainConfig

    tc = TrainConfig.load(GPU / "burst.toml")
    assert tc.preset == "speech16k" and tc.batch_size == 32 and tc.segment_seconds == 0.48
    assert (tc.lr_generator, tc.warmup_steps, tc.adversarial_start, tc.d_warmup_steps) == (1e-4, 200, 0, 400)
    assert tc.eval_clips == 0 and not tc.mixed_bfloat16
    dirs = tc.speech_dirs + tc.noise_dirs + tc.music_dirs
    assert dirs == [f".gpu/data/{k}" for k in ms.KINDS]  # relative: burst.sh runs from the repo root


@pytest.mark.parametrize("config", [GPU / "burst.toml", ROOT / "models" / "configs" / "speech16k_wide_codec.toml"])
def test_configs_that_continue_the_shipped_model_match_its_architecture(config):
    """burst.sh and DEVELOPING.md warm-start these from models/speech16k/keras; the trainer
    refuses a warm start whose architecture differs (e.g. the decoder's width)."""
    from sscodec.models.config import TrainConfig
    from sscodec.models.model_io import load_model_config

    assert TrainConfig.load(config).model_config() == load_model_config(ROOT / "models" / "speech16k" / "keras")
