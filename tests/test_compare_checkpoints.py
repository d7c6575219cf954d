"""models/compare_checkpoints.py: model dirs and RUN_DIR:STEP scored on the same held-out clips."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
sf = pytest.importorskip("soundfile")
pytest.importorskip("pesq")

TINY_KERAS = Path(__file__).parent / "data" / "tiny_codec" / "keras"


def test_model_dir_scores_and_json(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from sscodec import paths
    from sscodec.models.compare_checkpoints import main

    data = tmp_path / "heldout" / "src"
    data.mkdir(parents=True)
    x, sr = sf.read(paths.SAMPLE_SPEECH, dtype="float32")
    sf.write(data / "a.wav", x[: 3 * sr], sr)
    out = tmp_path / "cmp.json"
    assert main([str(TINY_KERAS), "--data", str(tmp_path / "heldout"), "--clips", "1", "--seconds", "2",
                 "--no-visqol", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    (label, res), = doc["models"].items()
    assert label == str(TINY_KERAS) and set(res) == {"1", "2", "4"}  # tiny: 4 quantizers
    for m in res.values():
        assert m["visqol"] is None and m["pesq"] is not None and 0 <= m["stoi"] <= 1 and m["mel_distance"] > 0
    assert doc["clips"] and doc["seconds"] == 2


def test_unquantized_row_decodes_the_embeddings_without_the_rvq(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from sscodec.models.compare_checkpoints import decode, main
    from sscodec.models.model_io import load_model_dir

    gen = load_model_dir(TINY_KERAS)
    x = np.random.default_rng(0).normal(0, 0.1, 4 * gen.cfg.frame_size).astype(np.float32)
    y_none = decode(gen, x, None)
    np.testing.assert_allclose(y_none, np.asarray(gen.decode_offline(gen.encode_offline(x[None])))[0], atol=1e-6)
    assert not np.allclose(y_none, decode(gen, x, 1), atol=1e-4)  # one quantizer loses detail
    data = tmp_path / "heldout" / "src"
    data.mkdir(parents=True)
    sf.write(data / "a.wav", np.random.default_rng(1).normal(0, 0.1, 32000), 16000)
    out = tmp_path / "cmp.json"
    assert main([str(TINY_KERAS), "--data", str(tmp_path / "heldout"), "--clips", "1", "--seconds", "1",
                 "--no-visqol", "--unquantized", "--out", str(out)]) == 0
    (res,) = json.loads(out.read_text())["models"].values()
    assert set(res) == {"1", "2", "4", "none"} and res["none"]["pesq"] is not None


def test_bad_arguments_exit_1(tmp_path, capsys):
    from sscodec.models.compare_checkpoints import main

    assert main([str(tmp_path / "nope"), "--data", str(tmp_path / "missing")]) == 1
    data = tmp_path / "d" / "s"
    data.mkdir(parents=True)
    sf.write(data / "a.wav", [0.1] * 32000, 16000)
    assert main([str(tmp_path / "nope"), "--data", str(tmp_path / "d"), "--clips", "1", "--seconds", "1", "--no-visqol"]) == 1
    assert "neither a model directory nor RUN_DIR:STEP" in capsys.readouterr().err


def test_noisy_scores_denoise_off_encoder_side_and_decoder_side(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from sscodec.models.compare_checkpoints import decode, main
    from sscodec.models.model_io import load_model_dir

    gen = load_model_dir(TINY_KERAS)
    rng = np.random.default_rng(2)
    for v in gen.weights:  # the tiny model's FiLMs are near identity: make each flag value matter
        if "film" in v.path:
            v.assign(np.asarray(v) + rng.normal(0, 0.3, v.shape).astype(np.float32))
    x = rng.normal(0, 0.1, 4 * gen.cfg.frame_size).astype(np.float32)
    off, enc, dec = (decode(gen, x, 2, side) for side in ("off", "enc", "dec"))
    # each side's FiLM receives the flag: both differ from "off" and from each other
    assert not np.allclose(off, enc, atol=1e-5) and not np.allclose(off, dec, atol=1e-5)
    assert not np.allclose(enc, dec, atol=1e-5)
    rng = np.random.default_rng(3)
    speech = tmp_path / "heldout" / "src"
    noise = tmp_path / "noise" / "n"
    speech.mkdir(parents=True)
    noise.mkdir(parents=True)
    sf.write(speech / "a.wav", 0.2 * np.sin(np.arange(32000) * 0.05) * rng.uniform(0.5, 1, 32000), 16000)
    sf.write(noise / "b.wav", rng.normal(0, 0.1, 32000), 16000)
    out = tmp_path / "cmp.json"
    assert main([str(TINY_KERAS), "--data", str(tmp_path / "heldout"), "--clips", "1", "--seconds", "1",
                 "--no-visqol", "--noisy", "1", "--noise", str(tmp_path / "noise"), "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["noisy"]["clips"] == 1 and doc["noisy"]["input"]["pesq"] is not None
    (res,) = doc["models"].values()
    dn = res["denoise"]
    assert dn["n_q"] in gen.cfg.eval_quantizer_counts() and set(dn) == {"n_q", "off", "enc", "dec"}
    assert all(dn[s]["pesq"] is not None and dn[s]["mel_distance"] > 0 for s in ("off", "enc", "dec"))
    assert main([str(TINY_KERAS), "--data", str(tmp_path / "heldout"), "--clips", "1", "--seconds", "1",
                 "--no-visqol", "--noisy", "1", "--noise", str(tmp_path / "none")]) == 1
