"""Lyra v2 (third-party SoundStream codec in ../shared/lyra-v2) through the
native core, frame by frame on real speech, must equal the Python
ai_edge_litert Interpreter bit for bit at 3200/6000/9200 bps."""

from __future__ import annotations

import numpy as np
import pytest

from sscodec import _native, lyra
from sscodec.litert import load_model


@pytest.fixture(scope="module")
def speech_frames():
    x = lyra.load_speech()  # bundled real speech (festvox-ru ru_0844, first 6 s)
    assert len(x) == 6 * lyra.SAMPLE_RATE
    return lyra.frames(x)


def test_signatures_as_documented(lyra_dir):
    enc = load_model(lyra_dir / "soundstream_encoder.tflite")
    q = load_model(lyra_dir / "quantizer.tflite")
    dec = load_model(lyra_dir / "lyragan.tflite")

    def io(sig):
        return ({t.name: (t.dtype_name, t.shape) for t in sig.inputs},
                {t.name: (t.dtype_name, t.shape) for t in sig.outputs})

    assert enc.signature_keys == ["serving_default"]
    assert io(enc.signature("serving_default")) == (
        {"input_audio": ("float32", (1, 320))}, {"output_0": ("float32", (1, 1, 64))})
    assert sorted(q.signature_keys) == ["decode", "encode"]
    assert io(q.signature("encode")) == (
        {"input_frames": ("float32", (1, 1, 64)), "num_quantizers": ("int32", ())},
        {"output_0": ("int32", (46, 1, 1)), "output_1": ("int32", ())})
    assert io(q.signature("decode")) == (
        {"encoding_indices": ("int32", (46, 1, 1))}, {"output_0": ("float32", (1, 1, 64))})
    assert io(dec.signature("serving_default")) == (
        {"input_audio": ("float32", (1, 1, 64))}, {"output_0": ("float32", (1, 320))})


@pytest.mark.parametrize("bitrate", sorted(lyra.BITRATES))
def test_native_chain_bit_exact_vs_python_interpreter(lyra_dir, speech_frames, bitrate):
    nq = lyra.num_quantizers_for(bitrate)
    native = lyra.NativeLyra(lyra_dir)  # fresh stream
    out_n, idx_n, secs = native.process(speech_frames, nq)
    ref = lyra.InterpreterLyra(lyra_dir)  # fresh stream
    out_r, idx_r, _ = ref.process(speech_frames, nq)

    assert out_n.shape == speech_frames.shape and out_n.dtype == np.float32
    np.testing.assert_array_equal(idx_n, idx_r)
    assert np.abs(out_n - out_r).max() == 0.0  # bit-exact
    assert out_n.tobytes() == out_r.tobytes()
    # Bitrate as the graph reports it: nq quantizers x bits x 50 frames/s.
    assert native.bits_per_quantizer == ref.bits_per_quantizer == 4
    assert nq * native.bits_per_quantizer * lyra.FRAMES_PER_SECOND == bitrate
    # Only the transmitted indices are non-zero-filled; 4-bit codes.
    assert (idx_n[:, nq:] == 0).all() and idx_n[:, :nq].min() >= 0 and idx_n[:, :nq].max() < 16
    assert len(secs) == len(speech_frames) and (secs > 0).all()
    # It is a working codec: decoded speech follows the input.
    a, b = speech_frames.reshape(-1), out_n.reshape(-1)
    assert np.corrcoef(a, b)[0, 1] > 0.7


def test_python_driven_native_runners_bit_exact(lyra_dir, speech_frames):
    nq = 30
    r = lyra.NativeLyraRunners(lyra_dir)
    ref = lyra.InterpreterLyra(lyra_dir)
    out = np.zeros(lyra.FRAME_SAMPLES, np.float32)
    idx = np.zeros(lyra.MAX_QUANTIZERS, np.int32)
    for f in speech_frames[:100]:
        r.process_frame(f, nq, out, idx)
        o_ref, i_ref = ref.process_frame(f, nq)
        assert out.tobytes() == o_ref.tobytes()
        np.testing.assert_array_equal(idx, i_ref)


def test_fresh_stream_needs_fresh_state(lyra_dir, speech_frames):
    x = speech_frames[:50]
    chain = lyra.NativeLyra(lyra_dir)
    first, _, _ = chain.process(x, 46)
    again, _, _ = chain.process(x, 46)
    assert not np.array_equal(first, again)  # state carried over from the first pass
    chain.reset()
    after_reset, _, _ = chain.process(x, 46)
    np.testing.assert_array_equal(first, after_reset)
    new_instance, _, _ = lyra.NativeLyra(lyra_dir).process(x, 46)
    np.testing.assert_array_equal(first, new_instance)


def test_chain_errors(lyra_dir, tmp_path):
    chain = lyra.NativeLyra(lyra_dir)
    with pytest.raises(_native.Error) as e:
        chain.process(np.zeros((2, 320), np.float32), 0)
    assert e.value.code == "INVALID_ARGUMENT"
    with pytest.raises(_native.Error) as e:
        chain._chain.process(np.zeros(321, np.float32), 16)
    assert e.value.code == "SHAPE_MISMATCH"
    with pytest.raises(_native.Error) as e:
        lyra.NativeLyra(tmp_path)  # no models there
    assert e.value.code == "NOT_FOUND"
    with pytest.raises(ValueError):
        lyra.num_quantizers_for(4000)


def test_native_chain_releases_gil(lyra_dir, speech_frames):
    import threading

    chain = lyra.NativeLyra(lyra_dir)
    chain.process(speech_frames[:5], 16)  # warm up
    started, done = threading.Event(), threading.Event()

    def work():
        started.set()
        chain.process(np.tile(speech_frames, (2, 1)), 16)  # ~600 frames in C++
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    spins = 0
    while not done.is_set():
        spins += 1  # only runs if the worker let go of the GIL
    t.join()
    assert spins > 1000, spins
