"""models/widen.py: a widened decoder decodes what its source decodes, offline and frame by frame."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

TINY_KERAS = Path(__file__).parent / "data" / "tiny_codec" / "keras"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(source model with non-trivial FiLM, its widened copy, the widened dir)."""
    from sscodec.models.model_io import load_model_dir, save_model_dir
    from sscodec.models.widen import widen_model_dir

    tmp = tmp_path_factory.mktemp("widen")
    src = load_model_dir(TINY_KERAS)
    rng = np.random.default_rng(0)
    for v in src.decoder.trainable_variables:  # FiLM's flag-1 row and the biases away from their init
        v.assign(np.asarray(v.numpy()) + rng.normal(0, 0.1, v.shape).astype(np.float32))
    save_model_dir(src, tmp / "src", {"run_id": "tiny", "step": 1}, inference_only=True)
    wide = widen_model_dir(tmp / "src", tmp / "wide", decoder_width=2 * src.cfg.channels, seed=3)
    return src, wide, tmp / "wide"


def test_widened_decoder_decodes_the_same(pair):
    src, wide, _ = pair
    assert wide.cfg.decoder_base_channels == 2 * src.cfg.channels
    n_src = sum(int(np.prod(v.shape)) for v in src.decoder.trainable_variables)
    n_wide = sum(int(np.prod(v.shape)) for v in wide.decoder.trainable_variables)
    assert n_wide > 3 * n_src  # ~4x: every conv is twice as wide on both sides
    x = np.random.default_rng(1).normal(0, 0.2, (2, 8 * src.cfg.frame_size)).astype(np.float32)
    for flag in (0.0, 1.0):
        f = np.full(2, flag, np.float32)
        a = src(x, n_q=np.full(2, 3, np.int32), dec_flag=f)
        b = wide(x, n_q=np.full(2, 3, np.int32), dec_flag=f)
        np.testing.assert_array_equal(np.asarray(a["codes"]), np.asarray(b["codes"]))  # encoder/RVQ untouched
        np.testing.assert_allclose(np.asarray(b["audio"]), np.asarray(a["audio"]), atol=1e-5)


def test_widened_copies_differ_so_training_separates_them(pair):
    """Copies of a channel get unequal shares of its outgoing weights (equal ones would keep
    their gradients equal forever)."""
    _, wide, _ = pair
    k = np.asarray(wide.decoder.conv_out.kernel.numpy())  # [K, 2C, 1]; channel c+C copies some c' < C
    c = k.shape[1] // 2
    assert not any(np.allclose(k[:, c + j], k[:, i]) for j in range(c) for i in range(c))


def test_widened_model_streams_like_offline(pair):
    """The widened config's state specs drive the frame-by-frame decoder (what the converter exports)."""
    _, wide, _ = pair
    rng = np.random.default_rng(2)
    emb = rng.normal(0, 1, (1, 6, wide.cfg.embedding_dim)).astype(np.float32)
    offline = np.asarray(wide.decode_offline(emb))
    states = [np.zeros((1, s.length, s.channels), np.float32) for s in wide.decoder_state_specs()]
    frames = []
    for t in range(emb.shape[1]):
        y, states = wide.decode_step(emb[:, t : t + 1], states)
        frames.append(np.asarray(y))
    # Random embeddings drive this untrained decoder to |y| ≈ 13, not audio's ±1: the 1e-5 bound
    # is taken relative to that full scale (float32 rounding differs between CPUs' conv kernels;
    # an EPYC without AVX-512 gave 1.2e-5 at |y| = 12.7). A state bug errs by O(|y|).
    scale = max(1.0, float(np.abs(offline).max()))
    np.testing.assert_allclose(np.concatenate(frames, 1), offline, atol=1e-5 * scale)


def test_cli_writes_a_model_dir_and_refuses_to_narrow(pair, tmp_path):
    from sscodec.models.widen import main

    _, wide, wide_dir = pair
    cfg = json.loads((wide_dir / "config.json").read_text())
    info = json.loads((wide_dir / "training_run.json").read_text())
    assert cfg["decoder_channels"] == wide.cfg.decoder_base_channels and info["decoder_channels"] == cfg["decoder_channels"]
    with pytest.raises(SystemExit, match="cannot narrow"):
        main([str(wide_dir), str(tmp_path / "narrow"), "--decoder-channels", "1"])
    assert not (tmp_path / "narrow").exists()


def test_unwidened_config_json_has_no_decoder_channels_key():
    from sscodec.models.config import PRESETS, ModelConfig

    d = PRESETS["speech16k"].to_dict()
    assert "decoder_channels" not in d  # older readers reject unknown keys
    assert ModelConfig.from_dict(d) == PRESETS["speech16k"]
    wide = ModelConfig.from_dict({**d, "decoder_channels": 32})
    assert wide.to_dict()["decoder_channels"] == 32 and ModelConfig.from_dict(wide.to_dict()) == wide


@pytest.fixture(scope="module")
def encoder_pair(tmp_path_factory):
    """(source model with non-trivial encoder FiLM, the copy with encoder and decoder widened)."""
    from sscodec.models.model_io import load_model_dir, save_model_dir
    from sscodec.models.widen import widen_model_dir

    tmp = tmp_path_factory.mktemp("widen_encoder")
    src = load_model_dir(TINY_KERAS)
    rng = np.random.default_rng(4)
    for v in src.encoder.trainable_variables:
        v.assign(np.asarray(v.numpy()) + rng.normal(0, 0.1, v.shape).astype(np.float32))
    save_model_dir(src, tmp / "src", {"run_id": "tiny", "step": 1}, inference_only=True)
    c = src.cfg.channels
    wide = widen_model_dir(tmp / "src", tmp / "wide", decoder_width=2 * c, seed=5, encoder_width=2 * c)
    return src, wide


def test_widened_encoder_computes_the_same_embedding(encoder_pair):
    src, wide = encoder_pair
    assert wide.cfg.channels == 2 * src.cfg.channels and wide.cfg.decoder_base_channels == 2 * src.cfg.channels
    n_src = sum(int(np.prod(v.shape)) for v in src.encoder.trainable_variables)
    n_wide = sum(int(np.prod(v.shape)) for v in wide.encoder.trainable_variables)
    assert n_wide > 3 * n_src
    x = np.random.default_rng(6).normal(0, 0.2, (2, 8 * src.cfg.frame_size)).astype(np.float32)
    for flag in (0.0, 1.0):
        f = np.full(2, flag, np.float32)
        a = np.asarray(src.encode_offline(x, f))
        b = np.asarray(wide.encode_offline(x, f))
        np.testing.assert_allclose(b, a, atol=1e-5 * max(1.0, float(np.abs(a).max())))
        ra = src(x, n_q=np.full(2, 3, np.int32), enc_flag=f, dec_flag=f)
        rb = wide(x, n_q=np.full(2, 3, np.int32), enc_flag=f, dec_flag=f)
        np.testing.assert_array_equal(np.asarray(rb["codes"]), np.asarray(ra["codes"]))
        np.testing.assert_allclose(np.asarray(rb["audio"]), np.asarray(ra["audio"]), atol=1e-5)


def test_widened_encoder_streams_like_offline(encoder_pair):
    """The widened config's encoder state specs drive the frame-by-frame encoder."""
    _, wide = encoder_pair
    x = np.random.default_rng(7).normal(0, 0.2, (1, 6 * wide.cfg.frame_size)).astype(np.float32)
    offline = np.asarray(wide.encode_offline(x))
    states = [np.zeros((1, s.length, s.channels), np.float32) for s in wide.encoder_state_specs()]
    frames = []
    for t in range(6):
        y, states = wide.encode_step(x[:, t * wide.cfg.frame_size : (t + 1) * wide.cfg.frame_size], states)
        frames.append(np.asarray(y))
    np.testing.assert_allclose(np.concatenate(frames, 1), offline, atol=1e-5 * max(1.0, float(np.abs(offline).max())))


def test_cli_needs_something_to_widen(tmp_path):
    from sscodec.models.widen import main

    with pytest.raises(SystemExit, match="nothing to widen"):
        main([str(TINY_KERAS), str(tmp_path / "same")])
    assert not (tmp_path / "same").exists()
