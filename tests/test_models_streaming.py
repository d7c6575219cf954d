"""The model is written once: offline, frame-by-frame Keras and the state specs agree.

Frame-by-frame output must equal offline output (float32, max abs error <= 1e-5)
for the encoder, the RVQ codes and the decoder, with and without the denoise flag.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
keras = pytest.importorskip("keras")

from sscodec.models.config import PRESETS, ModelConfig  # noqa: E402
from sscodec.models.generator import SoundStream  # noqa: E402

# speech16k's strides/kernels/dilations at a small width (fast on CPU)
CFG = ModelConfig.from_dict({**PRESETS["speech16k"].to_dict(), "channels": 4, "num_quantizers": 8, "codebook_size": 64, "embedding_dim": 16})
FRAMES = 12


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(1)
    m = SoundStream(CFG).build_all()
    rng = np.random.default_rng(0)
    # non-trivial FiLM parameters so the flag matters
    for layer in m._flatten_layers():
        if layer.__class__.__name__ == "FiLM":
            layer.gamma.assign(rng.normal(1, 0.3, layer.gamma.shape).astype("float32"))
            layer.beta.assign(rng.normal(0, 0.1, layer.beta.shape).astype("float32"))
    emb = rng.normal(0, 1, (4000, CFG.embedding_dim)).astype("float32")
    m.quantizer.kmeans_init(emb, iters=3)
    return m


@pytest.fixture(scope="module")
def audio():
    rng = np.random.default_rng(3)
    t = np.arange(FRAMES * CFG.frame_size) / CFG.sample_rate
    x = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + 0.05 * rng.normal(size=t.size)
    return x[None].astype("float32")


@pytest.mark.parametrize("flag", [0.0, 1.0])
def test_encoder_frame_by_frame_equals_offline(model, audio, flag):
    f = np.array([flag], "float32")
    offline = np.asarray(model.encode_offline(audio, f))
    states = model.encoder.initial_states((CFG.frame_size, 1))
    outs = []
    for i in range(FRAMES):
        e, states = model.encode_step(audio[:, i * CFG.frame_size : (i + 1) * CFG.frame_size], states, flag=f)
        outs.append(np.asarray(e))
    streamed = np.concatenate(outs, axis=1)
    assert streamed.shape == offline.shape == (1, FRAMES, CFG.embedding_dim)
    assert np.abs(streamed - offline).max() <= 1e-5


def test_rvq_codes_frame_by_frame_equal_offline(model, audio):
    offline = np.asarray(model.quantizer.encode(model.encode_offline(audio), CFG.num_quantizers))
    states = model.encoder.initial_states((CFG.frame_size, 1))
    codes = []
    for i in range(FRAMES):
        e, states = model.encode_step(audio[:, i * CFG.frame_size : (i + 1) * CFG.frame_size], states)
        codes.append(np.asarray(model.quantizer.encode(e, CFG.num_quantizers)))
    assert np.array_equal(np.concatenate(codes, axis=1), offline)


@pytest.mark.parametrize("flag", [0.0, 1.0])
def test_decoder_frame_by_frame_equals_offline(model, audio, flag):
    f = np.array([flag], "float32")
    emb = model.quantizer.decode(model.quantizer.encode(model.encode_offline(audio), 5))
    offline = np.asarray(model.decode_offline(emb, f))
    states = model.decoder.initial_states((1, CFG.embedding_dim))
    outs = []
    for i in range(FRAMES):
        y, states = model.decode_step(emb[:, i : i + 1], states, flag=f)
        outs.append(np.asarray(y))
    streamed = np.concatenate(outs, axis=1)
    assert streamed.shape == offline.shape == (1, FRAMES * CFG.frame_size)
    assert np.abs(streamed - offline).max() <= 1e-5
    assert np.abs(offline).max() > 1e-4  # not trivially zero


def test_denoise_flag_changes_output(model, audio):
    a = np.asarray(model(audio, enc_flag=np.array([0.0], "float32"))["audio"])
    b = np.asarray(model(audio, dec_flag=np.array([1.0], "float32"))["audio"])
    assert np.abs(a - b).max() > 1e-4


def test_state_specs_declared_once_and_consistent(model):
    specs = model.encoder_state_specs()
    assert specs, "encoder must have streaming state"
    assert all(s.length > 0 for s in specs)
    # a wrong number of states is refused
    states = model.encoder.initial_states((CFG.frame_size, 1))
    with pytest.raises(ValueError):
        model.encode_step(np.zeros((1, CFG.frame_size), "float32"), states[:-1])


def test_presets_bitrates():
    c = PRESETS["speech16k"]
    assert (c.frame_size, c.frame_rate, c.bits_per_code) == (320, 50.0, 10)
    assert [c.bitrate(n) for n in (6, 12, 18, 24)] == [3000, 6000, 9000, 12000]
    assert c.quantizers_for_bitrate(6000) == 12
    with pytest.raises(ValueError):
        c.quantizers_for_bitrate(20000)
    g = PRESETS["general24k"]
    assert g.frame_rate == 75.0 and g.bitrate(4) == 3000 and g.bitrate(24) == 18000
