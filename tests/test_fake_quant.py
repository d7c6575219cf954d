"""Int8-aware training's fake quantizer: on an 8-bit grid, straight-through, training only."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

import keras  # noqa: E402

from sscodec.models.config import PRESETS
from sscodec.models.fake_quant import FakeQuant
from sscodec.models.generator import SoundStream


def test_values_lie_on_an_8bit_grid_that_contains_zero_and_the_range():
    x = np.random.default_rng(0).normal(size=(4, 100, 8)).astype(np.float32) * 3
    y = np.asarray(FakeQuant(8, 1.0)(tf.constant(x)))
    assert len(np.unique(y)) <= 256
    step = (x.max() - x.min()) / 255
    assert np.max(np.abs(y - x)) <= step / 2 + 1e-5
    # a wider margin means a coarser grid: more error, still bounded by half a step
    y2 = np.asarray(FakeQuant(8, 2.0)(tf.constant(x)))
    assert np.mean((y2 - x) ** 2) > np.mean((y - x) ** 2)
    assert np.max(np.abs(y2 - x)) <= 2 * step / 2 + 1e-5
    # all-positive tensors (after an activation) still get a grid through 0
    z = np.asarray(FakeQuant(8, 1.0)(tf.constant([0.0, 0.37, 1.0])))
    assert z[0] == 0.0 and z[2] == pytest.approx(1.0) and abs(z[1] - 0.37) <= 0.5 / 255


def test_gradient_is_straight_through():
    x = tf.constant(np.linspace(-1, 1, 50, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(FakeQuant(8, 1.0)(x) * 3.0)
    assert np.allclose(tape.gradient(y, x), 3.0)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        FakeQuant(1)
    with pytest.raises(ValueError):
        FakeQuant(8, 0.5)


def test_only_the_training_pass_of_the_encoder_is_quantized():
    cfg = PRESETS["tiny"]
    keras.utils.set_random_seed(0)  # the error bounds below hold for this init, not for any order of earlier tests
    model = SoundStream(cfg).build_all()
    x = (0.3 * np.sin(np.arange(cfg.frame_size * 8) * 0.05))[None].astype(np.float32)
    clean = np.asarray(model.encode_offline(x))
    model.encoder_fake_quant = FakeQuant(8, 1.0)
    # inference (training=False) and the streaming step are untouched
    assert np.array_equal(np.asarray(model(x, training=False)["emb"]), clean)
    emb, _ = model.encode_step(x[:, : cfg.frame_size], [np.asarray(s) for s in model.encoder.initial_states((cfg.frame_size, 1))])
    assert np.allclose(np.asarray(emb)[:, 0], clean[:, 0], atol=1e-5)
    # the training pass rounds: close to float, not equal
    noisy = np.asarray(model(x, training=True)["emb"])
    err = np.sqrt(np.mean((noisy - clean) ** 2)) / np.sqrt(np.mean(clean**2))
    assert 0 < err < 0.2


def test_only_the_training_pass_of_the_decoder_is_quantized():
    cfg = PRESETS["tiny"]
    keras.utils.set_random_seed(0)  # the error bounds below hold for this init, not for any order of earlier tests
    model = SoundStream(cfg).build_all()
    x = (0.3 * np.sin(np.arange(cfg.frame_size * 8) * 0.05))[None].astype(np.float32)
    clean = np.asarray(model(x, training=False)["audio"])
    calls = []

    def recording(t):
        calls.append(tuple(t.shape))
        return FakeQuant(8, 1.0)(t)

    model.decoder_fake_quant = recording
    # inference (training=False) and the streaming step are untouched
    assert np.array_equal(np.asarray(model(x, training=False)["audio"]), clean) and not calls
    emb = model.quantizer.decode(model.quantizer.encode(model.encode_offline(x), None))
    states = [np.asarray(s) for s in model.decoder.initial_states((1, cfg.embedding_dim))]
    y, _ = model.decode_step(emb[:, :1], states)
    assert np.allclose(np.asarray(y)[0], clean[0, : cfg.frame_size], atol=1e-5) and not calls
    # the training pass rounds the decoder's tensors from its input embedding up to the
    # output conv's input (the output audio stays float, as in the int8 decoder graph)
    model(x, training=True)
    assert calls[0][-1] == cfg.embedding_dim and calls[-1] == (1, x.shape[1], cfg.channels)
    # rounding every decoder tensor: close to float, not equal
    noisy = np.asarray(model.decode_offline(emb, fq=FakeQuant(8, 1.0)))
    err = np.sqrt(np.mean((noisy - clean) ** 2)) / np.sqrt(np.mean(clean**2))
    assert 0 < err < 0.3
