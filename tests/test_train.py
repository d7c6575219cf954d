"""Trainer smoke tests: a tiny config trains, checkpoints, resumes exactly, runs on JAX.

Runs the real trainer (``python -m sscodec.models.train``) in subprocesses on
synthetic voiced audio written to a temp folder, so it needs no data packages.
Each trainer process spends ~20-40 s tracing its train steps, so the tests share
what they can: one plain 4-step run (the ``plain`` fixture, built once per test
run) is the baseline they compare with, the export they warm-start from, and the
run they fork to resume at step 2.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("keras")
pytest.importorskip("tensorflow")
sf = pytest.importorskip("soundfile")

from sscodec.models.checkpoint import checkpoint_file, checkpoint_steps, write_latest  # noqa: E402


def _write_corpus(root: Path):
    rng = np.random.default_rng(0)
    sr = 16000
    (root / "speech").mkdir(parents=True)
    (root / "noise").mkdir()
    for i in range(6):
        t = np.arange(int(sr * 1.5)) / sr
        f0 = 100 + 40 * i
        x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8)) * (0.5 + 0.5 * np.sin(2 * np.pi * 2 * t))
        sf.write(root / "speech" / f"u{i}.wav", (0.2 * x / np.abs(x).max()).astype("float32"), sr)
    sf.write(root / "noise" / "n0.wav", (0.1 * rng.normal(size=sr)).astype("float32"), 22050)


def _config(root: Path, steps: int, **extra) -> Path:
    cfg = {
        "preset": "tiny",
        "speech_dirs": [str(root / "speech")],
        "noise_dirs": [str(root / "noise")],
        "music_dirs": [],
        "eval_dir": str(root / "speech"),
        "batch_size": 2,
        "segment_seconds": 0.16,
        "steps": steps,
        "kmeans_batches": 2,
        "kmeans_iters": 2,
        "adversarial_start": 2,
        "checkpoint_every": 2,
        "eval_every": 100,
        "eval_clips": 0,
        "visqol_in_eval": False,
        "log_every": 1,
        "warmup_steps": 1,
        **extra,
    }
    text = json.dumps(cfg)
    p = root / f"cfg_{hashlib.sha1(text.encode()).hexdigest()[:12]}.json"  # the corpus folder is shared
    tmp = p.with_name(f"{p.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, p)
    return p


def _train(cfg: Path, run: Path, backend="tensorflow", extra_args=(), env_extra=None):
    env = dict(os.environ, KERAS_BACKEND=backend, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2")
    env.update(env_extra or {})
    r = subprocess.run(
        [sys.executable, "-m", "sscodec.models.train", str(cfg), str(run), "--no-progress", *extra_args],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


def _weights(run: Path, step: int):
    with np.load(checkpoint_file(run, step)) as z:
        return {k: z[k] for k in z.files}


def _fork(run: Path, step: int, dst: Path) -> Path:
    """A copy of ``run`` that resumes at ``step``: its later checkpoints are left behind;
    its logs still hold the later rows, as a run stopped between checkpoints does."""
    later = {checkpoint_file(run, s, ext).name for s in checkpoint_steps(run) if s > step for ext in (".npz", ".json")}
    shutil.copytree(run, dst, ignore=lambda _d, names: [n for n in names if n in later])
    write_latest(dst, step)
    return dst


def _log_steps(run: Path):
    return [int(r.split(",")[0]) for r in (run / "log.csv").read_text().strip().splitlines()[1:]]


@pytest.fixture(scope="module")
def corpus(built_once):
    return built_once("train-corpus", _write_corpus)


@pytest.fixture(scope="module")
def plain(corpus, built_once):
    """A plain 4-step run: checkpoints at steps 1-4 (the adversarial phase starts at step
    2), export of step 4. Shared by the tests (and xdist workers): fork it, never change it."""
    cfg = _config(corpus, 4, checkpoint_every=1, keep_checkpoints_every=1)
    return built_once("train-plain", lambda d: _train(cfg, d / "run")) / "run"


def test_smoke_training_and_exact_resume(corpus, plain, tmp_path):
    rows = (plain / "log.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 4 and "d_loss" in rows[0]
    assert (plain / "export" / "generator.weights.npz").is_file()
    # a fresh process resumed at step 2 ends where the straight run did
    resumed = _fork(plain, 2, tmp_path / "resumed")
    r = _train(_config(corpus, 4), resumed)
    assert "resumed" in r.stdout
    a, b = _weights(plain, 4), _weights(resumed, 4)
    assert a.keys() == b.keys()
    for k in a:
        assert np.allclose(a[k], b[k], rtol=1e-5, atol=1e-6), k
    # the rows the stopped run had logged after step 2 were replaced, not repeated
    assert _log_steps(resumed) == _log_steps(plain) == [1, 2, 3, 4]
    # a run keeps its last two checkpoints (here 2, forked, and 4: checkpoint_every = 2), and
    # all with keep_checkpoints_every = 1
    assert checkpoint_steps(resumed) == [2, 4] and checkpoint_steps(plain) == [1, 2, 3, 4]


def test_weight_ema_resumes_exactly_and_is_what_gets_exported(corpus, tmp_path):
    from sscodec.models.model_io import load_model_dir

    ema = {"weight_ema_decay": 0.5, "weight_ema_every": 1}
    straight = tmp_path / "straight"
    _train(_config(corpus, 4, checkpoint_every=1, keep_checkpoints_every=2, **ema), straight)
    resumed = _fork(straight, 2, tmp_path / "resumed")
    _train(_config(corpus, 4, **ema), resumed)
    a, b = _weights(straight, 4), _weights(resumed, 4)
    shadow = {k: v for k, v in a.items() if k.startswith("gema/")}
    assert shadow and a.keys() == b.keys()
    for k in shadow:
        assert np.allclose(a[k], b[k], rtol=1e-5, atol=1e-6), k
    assert any(not np.allclose(v, a["gen/" + k[5:]]) for k, v in shadow.items())  # average != last weights
    exported = load_model_dir(straight / "export")
    kernel = exported.encoder.trainable_variables[0]
    key = next(k for k in shadow if k.endswith(kernel.path.split("/", 1)[1]))
    np.testing.assert_allclose(kernel.numpy(), shadow[key], rtol=1e-6)


def test_weight_ema_turned_on_at_resume_starts_at_the_loaded_weights(corpus, plain, tmp_path):
    run = _fork(plain, 2, tmp_path / "late_ema")
    r = _train(_config(corpus, 3, weight_ema_decay=0.5, weight_ema_every=1), run)
    assert "weight EMA starts at step 2 (the checkpoint had none)" in r.stdout
    assert any(k.startswith("gema/") for k in _weights(run, 3))


def test_discriminator_warmup_keeps_the_generator_frozen(corpus, plain, tmp_path):
    """d_warmup_steps: the warm-started generator is untouched while the discriminators train."""
    src = plain
    run = tmp_path / "warm"
    _train(_config(corpus, 2, d_warmup_steps=2, checkpoint_every=1), run, extra_args=["--init-from", str(src / "export")])
    with np.load(src / "export" / "generator.weights.npz") as z:
        before = {k: z[k] for k in z.files}
    after = _weights(run, 2)
    trainable = [k for k in before if "kernel" in k or "bias" in k or "codebook" in k]
    assert trainable
    for k in trainable:
        assert np.array_equal(before[k], after["gen/" + k]), k
    first = _weights(run, 1)  # ...and the discriminators do train
    disc = [k for k in after if k.startswith("disc/") and "kernel" in k]
    assert disc and any(not np.array_equal(first[k], after[k]) for k in disc)
    rows = (run / "log.csv").read_text().strip().splitlines()
    header = rows[0].split(",")
    for line in rows[1:]:
        vals = dict(zip(header, line.split(",")))
        assert vals["d_loss"] and not vals["g_loss"], line  # D-only steps
    # continuing past the warm-up updates the generator
    _train(_config(corpus, 3, d_warmup_steps=2, checkpoint_every=3), run)
    later = _weights(run, 3)
    assert any(not np.array_equal(before[k], later["gen/" + k]) for k in trainable)


def test_warm_start_loads_the_exported_discriminators(corpus, plain, tmp_path):
    """An export carries the run's discriminators; ``--init-from`` loads them when they match
    the new config's discriminators, and starts fresh (saying so) when they do not."""
    src = plain  # D trains from step 2 (adversarial_start = 2)
    with np.load(src / "export" / "discriminator.weights.npz") as z:
        exported = {k: z[k] for k in z.files}
    ckpt = _weights(src, 4)
    assert exported and exported.keys() == {k[len("disc/"):] for k in ckpt if k.startswith("disc/")}
    assert all(np.array_equal(v, ckpt["disc/" + k]) for k, v in exported.items())
    # lr_discriminator = 0: the step-1 checkpoint holds exactly what the warm start loaded
    init = ["--init-from", str(src / "export")]
    r = _train(_config(corpus, 1, lr_discriminator=0.0, checkpoint_every=1), tmp_path / "warm", extra_args=init)
    assert "discriminators loaded from" in r.stdout, r.stdout[-2000:]
    warm = _weights(tmp_path / "warm", 1)
    assert all(np.array_equal(v, warm["disc/" + k]) for k, v in exported.items())
    r = _train(_config(corpus, 1, lr_discriminator=0.0, checkpoint_every=1, mpd_periods=[2]), tmp_path / "other",
               extra_args=init)
    assert "discriminators start fresh" in r.stdout and "does not match" in r.stdout, r.stdout[-2000:]
    other = _weights(tmp_path / "other", 1)
    assert not all(np.array_equal(v, other["disc/" + k]) for k, v in exported.items() if "disc/" + k in other)


def test_int8_aware_fine_tuning_trains_the_same_variables(corpus, plain, tmp_path):
    """encoder/decoder_fake_quant_bits: the training pass rounds the encoder's and the
    decoder's activations; the checkpoint holds exactly the variables of a float run (no
    new weights or state)."""
    a = _weights(plain, 2)
    kernels = [k for k in a if k.startswith("gen/") and "kernel" in k]
    for half in ("encoder", "decoder"):  # each switch alone changes the updates
        run = tmp_path / half
        _train(_config(corpus, 2, fake_quant_margin=1.25, **{f"{half}_fake_quant_bits": 8}), run)
        b = _weights(run, 2)
        assert a.keys() == b.keys()
        assert kernels and any(not np.allclose(a[k], b[k]) for k in kernels), half


def test_stft_loss_weight_adds_the_loss_and_its_log_column(corpus, plain, tmp_path):
    """w_stft > 0: the linear-frequency STFT loss changes the updates and is logged as
    ``stft``; a run resumed with it keeps its log file's own header."""
    run = tmp_path / "stft"
    _train(_config(corpus, 2, w_stft=2.0), run)
    a, b = _weights(plain, 2), _weights(run, 2)
    kernels = [k for k in a if k.startswith("gen/") and "kernel" in k]
    assert any(not np.allclose(a[k], b[k]) for k in kernels)
    header, *rows = (run / "log.csv").read_text().strip().splitlines()
    assert header.split(",")[-1] == "stft" and all(float(r.split(",")[-1]) > 0 for r in rows)
    _train(_config(corpus, 4, w_stft=2.0), _fork(plain, 2, tmp_path / "plain"))  # resume a run logged without it
    header, *rows = (tmp_path / "plain" / "log.csv").read_text().strip().splitlines()
    assert "stft" not in header and len(rows) == 4 and all(r.count(",") == header.count(",") for r in rows)


def test_multi_period_discriminator_trains_and_resumes(corpus, tmp_path):
    """mpd_periods: the period discriminators' weights are in the checkpoint, train, and
    a run resumes with them (their optimizer slots included)."""
    run = tmp_path / "mpd"
    _train(_config(corpus, 3, mpd_periods=[2, 3], checkpoint_every=1), run)
    before, after = _weights(run, 2), _weights(run, 3)  # the adversarial phase starts at step 2
    mpd = [k for k in after if k.startswith("disc/") and "mpd" in k and "kernel" in k]
    assert len(mpd) == 2 * 6  # two periods x (4 strided convs + last conv + logits)
    assert all(not np.array_equal(before[k], after[k]) for k in mpd)
    _train(_config(corpus, 4, mpd_periods=[2, 3], checkpoint_every=1), run)
    assert all(np.isfinite(v).all() for v in _weights(run, 4).values())


def test_max_minutes_stops_with_checkpoint_and_export(corpus, tmp_path):
    run = tmp_path / "boxed"
    r = _train(_config(corpus, 1000), run, extra_args=["--max-minutes", "0"])
    assert "--max-minutes 0 reached at step 0" in r.stdout + r.stderr
    assert (run / "ckpt_00000000.npz").is_file()
    assert (run / "export" / "generator.weights.npz").is_file()


def test_unknown_config_key_is_a_clear_error(corpus, tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"preset": "tiny", "no_such_key": 1}))
    r = subprocess.run([sys.executable, "-m", "sscodec.models.train", str(p), str(tmp_path / "run")], capture_output=True, text=True)
    assert r.returncode != 0 and "no_such_key" in r.stderr


def test_jax_backend_trains_data_parallel_and_loads_tf_weights(corpus, plain, tmp_path):
    pytest.importorskip("jax")
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    run = tmp_path / "jaxrun"
    # with int8-aware fine-tuning, the weight EMA, the STFT loss and the multi-period
    # discriminator on (as tools/gpu/burst.toml), so all are covered on JAX
    cfg = _config(corpus, 2, encoder_fake_quant_bits=8, weight_ema_decay=0.5, weight_ema_every=1,
                  w_stft=2.0, mpd_periods=[2, 3])
    r = _train(cfg, run, backend="jax", extra_args=["--data-parallel", "2"], env_extra=env)
    assert "data parallel over" in r.stdout
    assert any(k.startswith("gema/") for k in _weights(run, 2))
    assert any("mpd" in k for k in _weights(run, 2))
    # a model exported by TF gives identical codes when loaded under JAX
    tf_run = plain
    code = (
        "import numpy as np, sys\n"
        "from sscodec.models.model_io import load_model_dir\n"
        "m = load_model_dir(sys.argv[1])\n"
        "x = np.sin(np.arange(3200) / 7.0).astype('float32')[None] * 0.3\n"
        "np.save(sys.argv[2], np.asarray(m.quantizer.encode(m.encode_offline(x), 4)))\n"
    )
    out = {}
    for backend in ("tensorflow", "jax"):
        env_b = dict(os.environ, KERAS_BACKEND=backend, JAX_PLATFORMS="cpu")
        dst = tmp_path / f"codes_{backend}.npy"
        rr = subprocess.run([sys.executable, "-c", code, str(tf_run / "export"), str(dst)], capture_output=True, text=True, env=env_b)
        assert rr.returncode == 0, rr.stderr[-2000:]
        out[backend] = np.load(dst)
    assert np.array_equal(out["tensorflow"], out["jax"])


def test_every_shipped_training_config_loads():
    from sscodec.models.config import TrainConfig

    root = Path(__file__).resolve().parents[1] / "models" / "configs"
    configs = sorted(root.glob("*.toml"))
    assert configs
    for path in configs:
        tc = TrainConfig.load(path)
        tc.model_config()  # the preset and its overrides resolve


def test_config_base_key_layers_a_file_on_its_parent(tmp_path):
    from sscodec.models.config import TrainConfig

    (tmp_path / "parent.toml").write_text(
        'preset = "tiny"\nbatch_size = 4\nlr_generator = 5e-5\n[model]\nchannels = 8\ncodebook_size = 64\n'
    )
    (tmp_path / "child.toml").write_text('base = "parent.toml"\nlr_generator = 1e-4\n[model]\nchannels = 12\n')
    tc = TrainConfig.load(tmp_path / "child.toml")
    assert tc.preset == "tiny" and tc.batch_size == 4  # inherited
    assert tc.lr_generator == 1e-4  # overridden
    assert tc.model == {"channels": 12, "codebook_size": 64}  # [model] tables merge per key


def test_config_base_errors_are_clear(tmp_path):
    from sscodec.models.config import TrainConfig

    (tmp_path / "a.toml").write_text('base = "b.toml"\n')
    (tmp_path / "b.toml").write_text('base = "a.toml"\n')
    with pytest.raises(ValueError, match="cycle"):
        TrainConfig.load(tmp_path / "a.toml")
    (tmp_path / "c.toml").write_text('base = "missing.toml"\n')
    with pytest.raises(FileNotFoundError, match="missing.toml"):
        TrainConfig.load(tmp_path / "c.toml")
    (tmp_path / "d.toml").write_text('base = "e.toml"\nbogus_key = 1\n')
    (tmp_path / "e.toml").write_text('preset = "tiny"\n')
    with pytest.raises(ValueError, match="bogus_key"):
        TrainConfig.load(tmp_path / "d.toml")


def test_warm_start_names_what_differs(tmp_path):
    """--init-from a model of another width says which keys differ, instead of loading garbage."""
    import dataclasses

    from sscodec.models.generator import SoundStream
    from sscodec.models.model_io import load_model_config
    from sscodec.models.train import warm_start

    src = Path(__file__).resolve().parent / "data" / "tiny_codec" / "keras"
    cfg = dataclasses.replace(load_model_config(src), decoder_channels=8)
    gen = SoundStream(cfg).build_all()
    with pytest.raises(SystemExit, match=r"decoder_channels 0 \(config: 8\)"):
        warm_start(gen, src)
