"""Google Lyra v2 (third-party SoundStream codec) through sscodec's native core,
and the same chain through the Python ``ai_edge_litert`` Interpreter as the
reference it must match bit for bit.

Lyra v2's TFLite graphs (google/lyra 1.3.2, Apache-2.0) live in
``<repo root>/../shared/lyra-v2`` (see :func:`sscodec.paths.lyra_dir`); they
are interop/benchmark material, never sscodec's own model.

Chain per 20 ms frame (320 samples at 16 kHz):
encoder -> quantizer ``encode`` (num_quantizers) -> indices [46,1,1], of which
the first ``num_quantizers`` are transmitted (the rest are zeroed, as a receiver
would) -> quantizer ``decode`` -> decoder (lyragan) -> 320 samples.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
FRAME_SAMPLES = 320
FRAMES_PER_SECOND = SAMPLE_RATE // FRAME_SAMPLES  # 50
MAX_QUANTIZERS = 46
# Lyra v2's three operating points: quantizers -> bits per second (4 bits each).
BITRATES = {3200: 16, 6000: 30, 9200: 46}
MODEL_FILES = ("soundstream_encoder.tflite", "quantizer.tflite", "lyragan.tflite")


def num_quantizers_for(bitrate: int) -> int:
    try:
        return BITRATES[int(bitrate)]
    except KeyError:
        raise ValueError(f"Lyra v2 bitrates are {sorted(BITRATES)} bps, got {bitrate}") from None


def frames(audio: np.ndarray) -> np.ndarray:
    """float32 mono audio -> [n_frames, 320], zero-padding the last frame."""
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    n = -(-len(x) // FRAME_SAMPLES)
    out = np.zeros((n, FRAME_SAMPLES), dtype=np.float32)
    out.reshape(-1)[: len(x)] = x
    return out


def load_speech(path: str | os.PathLike | None = None) -> np.ndarray:
    """Mono float32 at 16 kHz (default: the bundled real-speech sample)."""
    import soundfile as sf

    from .paths import SAMPLE_SPEECH

    x, sr = sf.read(os.fspath(path or SAMPLE_SPEECH), dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    if sr != SAMPLE_RATE:
        import soxr

        x = soxr.resample(x, sr, SAMPLE_RATE).astype(np.float32)
    return x


class NativeLyra:
    """Lyra v2 run frame by frame in C++ (``_native.LyraV2Chain``).

    A new object (or :meth:`reset`) is a fresh stream: the graphs keep their
    streaming state in resource variables.
    """

    def __init__(self, model_dir: str | os.PathLike, num_threads: int = 1, library=None):
        from . import _native
        from .litert import environment

        self._chain = _native.LyraV2Chain(environment(library), os.fspath(model_dir), num_threads)

    def reset(self) -> None:
        self._chain.reset()

    def process(self, audio_frames: np.ndarray, num_quantizers: int):
        """[n,320] float32 -> (decoded [n,320], indices [n,46], seconds per frame [n])."""
        x = np.ascontiguousarray(audio_frames, dtype=np.float32)
        out, idx, secs = self._chain.process(x.reshape(-1), int(num_quantizers))
        return out.reshape(-1, FRAME_SAMPLES), idx, secs

    @property
    def bits_per_quantizer(self) -> int:
        return self._chain.bits_per_quantizer


class NativeLyraRunners:
    """Lyra v2 through the native core's generic Python API (Model/Runner), one
    ``run()`` per graph per frame, driven from Python (used by benchmarks to
    show the per-call binding overhead)."""

    def __init__(self, model_dir: str | os.PathLike, num_threads: int = 1, library=None):
        from .litert import load_model

        d = Path(model_dir)
        self._models = [load_model(d / f, num_threads=num_threads, library=library) for f in MODEL_FILES]
        enc, quant, dec = self._models
        self.enc, self.qenc, self.qdec, self.dec = (
            enc.runner("serving_default"), quant.runner("encode"),
            quant.runner("decode"), dec.runner("serving_default"),
        )
        # Zero-copy views of the bound buffers.
        self._enc_in = self.enc.input("input_audio")
        self._enc_out = self.enc.output("output_0")
        self._q_in = self.qenc.input("input_frames")
        self._q_nq = self.qenc.input("num_quantizers")
        self._q_idx = self.qenc.output("output_0")
        self._d_idx = self.qdec.input("encoding_indices")
        self._d_out = self.qdec.output("output_0")
        self._g_in = self.dec.input("input_audio")
        self._g_out = self.dec.output("output_0")

    def process_frame(self, frame: np.ndarray, num_quantizers: int, out: np.ndarray, idx_out: np.ndarray):
        self._enc_in[...] = frame.reshape(1, FRAME_SAMPLES)
        self.enc.run()
        self._q_in[...] = self._enc_out
        self._q_nq[...] = num_quantizers
        self.qenc.run()
        idx_out[:] = self._q_idx.reshape(-1)
        idx_out[num_quantizers:] = 0
        self._d_idx.reshape(-1)[:] = idx_out
        self.qdec.run()
        self._g_in[...] = self._d_out
        self.dec.run()
        out[:] = self._g_out.reshape(-1)


class InterpreterLyra:
    """The reference: the same chain through ``ai_edge_litert.interpreter.Interpreter``
    (its defaults: XNNPACK, one thread), via signature runners."""

    def __init__(self, model_dir: str | os.PathLike, num_threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        d = Path(model_dir)
        self._its = [Interpreter(model_path=str(d / f), num_threads=num_threads) for f in MODEL_FILES]
        enc, quant, dec = self._its
        self.enc = enc.get_signature_runner("serving_default")
        self.qenc = quant.get_signature_runner("encode")
        self.qdec = quant.get_signature_runner("decode")
        self.dec = dec.get_signature_runner("serving_default")
        self.bits_per_quantizer = 0

    def process_frame(self, frame: np.ndarray, num_quantizers: int):
        """[320] -> (decoded [320], indices [46])."""
        feat = self.enc(input_audio=frame.reshape(1, FRAME_SAMPLES))["output_0"]
        q = self.qenc(input_frames=feat, num_quantizers=np.array(num_quantizers, dtype=np.int32))
        self.bits_per_quantizer = int(q["output_1"])
        idx = np.array(q["output_0"], dtype=np.int32)
        idx.reshape(-1)[num_quantizers:] = 0
        y = self.qdec(encoding_indices=idx)["output_0"]
        out = self.dec(input_audio=y)["output_0"]
        return out.reshape(FRAME_SAMPLES), idx.reshape(MAX_QUANTIZERS)

    def process(self, audio_frames: np.ndarray, num_quantizers: int):
        """[n,320] -> (decoded [n,320], indices [n,46], seconds per frame [n])."""
        import time

        n = len(audio_frames)
        out = np.zeros((n, FRAME_SAMPLES), np.float32)
        idx = np.zeros((n, MAX_QUANTIZERS), np.int32)
        secs = np.zeros(n)
        for i in range(n):
            t0 = time.perf_counter()
            out[i], idx[i] = self.process_frame(audio_frames[i], num_quantizers)
            secs[i] = time.perf_counter() - t0
        return out, idx, secs
