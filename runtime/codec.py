"""The sscodec Python API: :class:`Encoder`, :class:`Decoder`, :class:`StreamingCodec`.

All three run the native frame scheduler (``sscodec._native.Codec``, the
plain C API of ``native/include/sscodec.h``): audio is cut into model frames
in C++, graphs run zero-copy with ping-pong state, packets are bit-packed
(:mod:`sscodec.bitstream` format), lost packets are concealed.

::

    import sscodec
    enc = sscodec.Encoder(model_dir, bitrate="6k")          # model=None: the shipped default
    packets = enc.encode(audio, sample_rate=44100)          # list[bytes], one per 20 ms frame
    packets += enc.flush()                                  # last partial frame, zero-padded
    dec = sscodec.Decoder(model_dir, sample_rate=44100)
    audio_out = dec.decode(packets)                         # None entries = lost packets
    audio_out = np.concatenate([audio_out, dec.flush()])

* Any input sample rate: audio is resampled to the model's rate (soxr VHQ)
  and, on the decoder, back to the requested rate.
* Bitrate (``"6k"``, ``6000``) and denoise can change on every call; a
  change applies from the next frame the scheduler completes.
* Streams: an Encoder keeps its partial frame between ``encode`` calls;
  ``flush()`` zero-pads it (the padding is counted in :meth:`stats`) and
  starts a new stream. Decoding trims nothing: callers that know the original
  length (the ``.ssc`` header stores it) trim the output -- see
  :func:`encode_file` / :func:`decode_file`.

Errors from bad data raise :class:`sscodec.errors.SscodecError` subclasses;
model problems raise :class:`sscodec.manifest.ManifestError` or
:class:`sscodec.paths.ModelNotFoundError`; engine errors raise
``sscodec._native.Error`` (with ``.code``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Union

import numpy as np

from .bitstream import CodecFormat
from .errors import SscodecError

__all__ = [
    "ModelInfo",
    "Encoder",
    "Decoder",
    "StreamingCodec",
    "parse_bitrate",
    "encode_file",
    "decode_file",
    "EncodeResult",
]

Bitrate = Union[int, float, str, None]


def parse_bitrate(value: Bitrate) -> Optional[int]:
    """``"6k"``, ``"6kbps"``, ``"9.2k"``, ``"6000"``, ``6000`` -> bits per second."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)):
        bps = int(value)
    elif isinstance(value, float):
        bps = int(round(value))
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(k|kb|kbps|kbit/s|bps|b/s)?\s*", str(value).lower())
        if not m:
            raise ValueError(f"bad bitrate {value!r} (examples: 6k, 6000, 9.2kbps)")
        bps = float(m.group(1)) * (1000 if (m.group(2) or "").startswith("k") else 1)
        bps = int(round(bps))
    if bps <= 0:
        raise ValueError(f"bitrate must be positive, got {value!r}")
    return bps


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded model is (from the native pipeline)."""

    model_dir: Path
    kind: str  # "sscodec" or "lyra-v2"
    model_id: str
    model_hash: bytes
    format: CodecFormat
    delay_samples: int  # scheduler buffering: one frame
    encoder_denoise: bool
    decoder_denoise: bool

    @property
    def sample_rate(self) -> int:
        return self.format.sample_rate

    @property
    def frame_size(self) -> int:
        return self.format.frame_size

    @property
    def bitrates(self) -> dict:
        """{bits per second: number of quantizers} for every valid n_q."""
        return {int(round(self.format.bitrate(q))): q for q in range(1, self.format.max_quantizers + 1)}

    def num_quantizers_for(self, bitrate: Bitrate) -> int:
        bps = parse_bitrate(bitrate)
        table = self.bitrates
        if bps not in table:
            opts = ", ".join(f"{b}" for b in sorted(table))
            raise ValueError(f"bitrate {bps} bps is not available for {self.model_id}: choose one of {opts} bps")
        return table[bps]


def _litert_library(library=None) -> str:
    from .litert import find_litert_library

    return find_litert_library(library)


def _model_dir(model, precision: str) -> Path:
    from .paths import resolve_model_dir

    return resolve_model_dir(model, precision)


def _open_native(model, precision, *, library=None, num_threads=1, verify=True, **kw):
    """(native Codec, ModelInfo). Validates the manifest in Python first (clear
    ManifestError), then the native side checks hashes and graph tensors."""
    from . import _native
    from .manifest import load_manifest

    d = _model_dir(model, precision)
    if (d / "manifest.json").exists() or not (d / "soundstream_encoder.tflite").exists():
        load_manifest(d, verify_hashes=False)  # structure/version errors, in Python terms
    try:
        codec = _native.Codec(os.fspath(d), litert_library=_litert_library(library),
                              num_threads=int(num_threads), verify_hashes=bool(verify), **kw)
    except _native.Error as e:
        if getattr(e, "code", "") in ("MODEL_LOAD_ERROR", "SHAPE_MISMATCH", "TYPE_MISMATCH", "NOT_FOUND"):
            from .manifest import ManifestError

            raise ManifestError(str(e)) from e
        raise
    i = codec.info
    fmt = CodecFormat(sample_rate=i["sample_rate"], frame_size=i["frame_size"],
                      bits_per_code=i["bits_per_code"], max_quantizers=i["max_quantizers"],
                      codebook_size=i["codebook_size"])
    info = ModelInfo(d, i["kind"], i["model_id"], i["model_hash"], fmt, i["delay_samples"],
                     i["encoder_denoise"], i["decoder_denoise"])
    return codec, info


class _Base:
    _codec = None
    info: ModelInfo

    @property
    def sample_rate(self) -> int:
        """The model's sample rate."""
        return self.info.sample_rate

    @property
    def frame_size(self) -> int:
        return self.info.frame_size

    @property
    def model_id(self) -> str:
        return self.info.model_id

    @property
    def model_hash(self) -> bytes:
        return self.info.model_hash

    @property
    def format(self) -> CodecFormat:
        return self.info.format

    def stats(self) -> dict:
        """Scheduler statistics (sample/packet counts, per-stage time, latency)."""
        return self._codec.stats()

    def close(self) -> None:
        if self._codec is not None:
            self._codec.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _apply_rate(codec, info: ModelInfo, bitrate: Bitrate, num_quantizers: Optional[int]) -> int:
    if bitrate is not None and num_quantizers is not None:
        raise ValueError("give bitrate or num_quantizers, not both")
    if bitrate is not None:
        nq = info.num_quantizers_for(bitrate)
    elif num_quantizers is not None:
        nq = int(num_quantizers)
        if not 1 <= nq <= info.format.max_quantizers:
            raise ValueError(f"num_quantizers must be in 1..{info.format.max_quantizers}, got {nq}")
    else:
        return -1
    codec.set_num_quantizers(nq)
    return nq


class Encoder(_Base):
    """Audio -> packets (one per model frame), streaming.

    model: converted model folder (default: the shipped model for
    ``precision``) or Lyra v2's folder. bitrate / num_quantizers: initial
    rate (default: the model's highest). denoise: encoder-side denoising.
    dtx: send 2-byte DTX packets for silence, and every ``dtx_refresh_frames``-th
    silent frame a normal 2-code packet so the receiver's comfort noise follows
    the background (0: never; None: the native scheduler's default, 20 = 400 ms). sample_rate: rate of the audio you will pass
    (default: the model's); any rate is resampled.
    """

    def __init__(self, model=None, *, bitrate: Bitrate = None, num_quantizers: Optional[int] = None,
                 denoise: bool = False, dtx: bool = False, dtx_refresh_frames: Optional[int] = None,
                 sample_rate: Optional[int] = None,
                 precision: str = "float32", num_threads: int = 1, library=None, verify: bool = True):
        self._codec, self.info = _open_native(model, precision, library=library, num_threads=num_threads,
                                              verify=verify, encoder=True, decoder=False, dtx=dtx,
                                              dtx_refresh_frames=dtx_refresh_frames)
        self.num_quantizers = self.info.format.max_quantizers
        nq = _apply_rate(self._codec, self.info, bitrate, num_quantizers)
        if nq > 0:
            self.num_quantizers = nq
        self.denoise = False
        self.set_denoise(denoise)
        self.input_rate = int(sample_rate or self.info.sample_rate)
        self._rs = None
        self._pushed = 0  # input samples given in this stream
        self._set_input_rate(self.input_rate)
        self.samples_in = 0  # model-rate samples pushed in this stream

    def _set_input_rate(self, rate: int) -> None:
        from .audio import StreamResampler

        rate = int(rate)
        if self._rs is None or rate != self.input_rate:
            if self._rs is not None and self._pushed:
                raise ValueError("the input sample rate cannot change within a stream (flush() first)")
            self.input_rate = rate
            self._rs = StreamResampler(rate, self.info.sample_rate)

    @property
    def bitrate(self) -> int:
        return int(round(self.info.format.bitrate(self.num_quantizers)))

    def set_bitrate(self, bitrate: Bitrate = None, *, num_quantizers: Optional[int] = None) -> None:
        nq = _apply_rate(self._codec, self.info, bitrate, num_quantizers)
        if nq > 0:
            self.num_quantizers = nq

    def set_denoise(self, on: bool) -> None:
        if on and not self.info.encoder_denoise:
            raise ValueError(f"model {self.info.model_id} has no encoder-side denoiser")
        self._codec.set_denoise(bool(on), False)
        self.denoise = bool(on)

    def encode(self, audio, sample_rate: Optional[int] = None, *, bitrate: Bitrate = None,
               num_quantizers: Optional[int] = None, denoise: Optional[bool] = None) -> list:
        """Encode the next chunk (1-D float audio, any length); returns the
        packets of every frame completed so far (bytes)."""
        self._begin()
        if sample_rate is not None:
            self._set_input_rate(sample_rate)
        if bitrate is not None or num_quantizers is not None:
            self.set_bitrate(bitrate, num_quantizers=num_quantizers)
        if denoise is not None and bool(denoise) != self.denoise:
            self.set_denoise(denoise)
        x = np.asarray(audio, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"audio must be 1-D (mono), got shape {x.shape}")
        y = self._rs.process(x)
        self._pushed += len(x)
        self.samples_in += len(y)
        return list(self._codec.encode(y, False))

    def flush(self) -> list:
        """End of stream: drain the resampler, zero-pad the last partial frame,
        return the remaining packets. The next encode() starts a new stream
        (:meth:`stats` stay readable until then)."""
        self._begin()
        tail = self._rs.flush()
        self.samples_in += len(tail)
        packets = list(self._codec.encode(tail, True))
        self._ended = True
        return packets

    def reset(self) -> None:
        """Drop buffered audio and start a new stream (state zeroed)."""
        self._codec.reset()
        self._rs = None
        self._pushed = 0
        self._set_input_rate(self.input_rate)
        self.samples_in = 0
        self._ended = False

    def _begin(self) -> None:
        if getattr(self, "_ended", False):
            self.reset()


class Decoder(_Base):
    """Packets -> audio, streaming, with packet-loss concealment.

    Pass ``None`` for a lost packet (or a zero-length one): the decoder
    conceals it (repeat, then fade to comfort noise); corrupt packets are
    concealed the same way and counted in :meth:`stats`. sample_rate: output
    rate (default: the model's). denoise: decoder-side denoising (applied to
    packets not already denoised by the encoder).
    """

    def __init__(self, model=None, *, sample_rate: Optional[int] = None, denoise: bool = False,
                 precision: str = "float32", num_threads: int = 1, library=None, verify: bool = True,
                 conceal_hold_frames: int = 2, conceal_fade_frames: int = 4):
        self._codec, self.info = _open_native(model, precision, library=library, num_threads=num_threads,
                                              verify=verify, encoder=False, decoder=True,
                                              conceal_hold_frames=conceal_hold_frames,
                                              conceal_fade_frames=conceal_fade_frames)
        self.denoise = False
        self.set_denoise(denoise)
        from .audio import StreamResampler

        self.output_rate = int(sample_rate or self.info.sample_rate)
        self._rs = StreamResampler(self.info.sample_rate, self.output_rate)

    def set_denoise(self, on: bool) -> None:
        if on and not self.info.decoder_denoise:
            raise ValueError(f"model {self.info.model_id} has no decoder-side denoiser")
        self._codec.set_denoise(False, bool(on))
        self.denoise = bool(on)

    def decode(self, packets: Iterable[Optional[bytes]], *, denoise: Optional[bool] = None) -> np.ndarray:
        """One frame of audio per packet (at the output rate, minus resampler
        latency until :meth:`flush`)."""
        if isinstance(packets, (bytes, bytearray)):
            packets = [packets]
        if denoise is not None and bool(denoise) != self.denoise:
            self.set_denoise(denoise)
        y = self._codec.decode([None if p is None else bytes(p) for p in packets])
        return self._rs.process(y)

    def flush(self) -> np.ndarray:
        """Remaining resampled audio (nothing when the rates match)."""
        return self._rs.flush()

    def reset(self) -> None:
        self._codec.reset()
        from .audio import StreamResampler

        self._rs = StreamResampler(self.info.sample_rate, self.output_rate)


class StreamingCodec(_Base):
    """Both directions around the real-time scheduler.

    Send side: :meth:`push_audio` (any number of samples, from e.g. an audio
    callback) and :meth:`pull_packets`. Receive side: :meth:`push_packet`
    (``None`` = lost) and :meth:`pull_audio`. ``loopback=True`` wires the
    encoder's packets straight into the decoder (round trip). ``dtx`` and
    ``dtx_refresh_frames`` as in :class:`Encoder`.
    ``worker_thread=True`` processes frames on the scheduler's own thread
    (the push/pull calls never wait for inference); ``realtime_priority=N``
    runs that thread SCHED_FIFO when permitted (``stats()["worker_realtime"]``);
    otherwise call :meth:`process`. Works at the model's sample rate.
    """

    def __init__(self, model=None, *, bitrate: Bitrate = None, num_quantizers: Optional[int] = None,
                 denoise: bool = False, decoder_denoise: bool = False, dtx: bool = False,
                 dtx_refresh_frames: Optional[int] = None,
                 loopback: bool = False, worker_thread: bool = False, realtime_priority: int = 0,
                 precision: str = "float32",
                 num_threads: int = 1, library=None, verify: bool = True, input_frames: int = 0,
                 output_frames: int = 0, packet_slots: int = 0):
        self._codec, self.info = _open_native(
            model, precision, library=library, num_threads=num_threads, verify=verify,
            encoder=True, decoder=True, loopback=loopback, worker_thread=worker_thread,
            worker_rt_priority=int(realtime_priority), dtx=dtx, dtx_refresh_frames=dtx_refresh_frames,
            input_frames=input_frames, output_frames=output_frames, packet_slots=packet_slots)
        self.num_quantizers = self.info.format.max_quantizers
        nq = _apply_rate(self._codec, self.info, bitrate, num_quantizers)
        if nq > 0:
            self.num_quantizers = nq
        self._codec.set_denoise(bool(denoise), bool(decoder_denoise))
        self.worker_thread = worker_thread

    @property
    def delay_samples(self) -> int:
        return self.info.delay_samples

    def set_bitrate(self, bitrate: Bitrate = None, *, num_quantizers: Optional[int] = None) -> None:
        nq = _apply_rate(self._codec, self.info, bitrate, num_quantizers)
        if nq > 0:
            self.num_quantizers = nq

    def set_denoise(self, encoder_side: bool, decoder_side: bool = False) -> None:
        self._codec.set_denoise(bool(encoder_side), bool(decoder_side))

    def set_dtx(self, on: bool) -> None:
        self._codec.set_dtx(bool(on))

    def push_audio(self, samples) -> int:
        """Returns the samples accepted (the rest are dropped and counted)."""
        return self._codec.push_audio(np.asarray(samples, dtype=np.float32).reshape(-1))

    def input_room(self) -> int:
        return self._codec.input_room()

    def flush(self) -> None:
        self._codec.flush()

    def pull_packets(self) -> list:
        return list(self._codec.pull_packets())

    def push_packet(self, packet: Optional[bytes]) -> bool:
        return self._codec.push_packet(packet)

    def pull_audio(self, n: Optional[int] = None, pad: bool = False) -> np.ndarray:
        return self._codec.pull_audio(n, pad)

    def process(self) -> int:
        """Caller-thread mode: process every frame possible; returns frames."""
        return self._codec.process()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self._codec.wait_idle(int(timeout * 1000))

    def reset(self) -> None:
        self._codec.reset()

    def roundtrip(self, audio, *, flush: bool = True) -> np.ndarray:
        """Loopback convenience: push everything (never dropping), return all
        decoded audio (one frame per completed frame)."""
        x = np.asarray(audio, dtype=np.float32).reshape(-1)
        out, pos = [], 0
        while pos < len(x):
            take = min(len(x) - pos, self._codec.input_room())
            pos += self._codec.push_audio(x[pos : pos + take])
            self._drive()
            out.append(self._codec.pull_audio(None, False))
        if flush:
            self._codec.flush()
            self._drive()
            out.append(self._codec.pull_audio(None, False))
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def _drive(self) -> None:
        if self.worker_thread:
            self._codec.wait_idle(60000)
        else:
            self._codec.process()


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


@dataclass
class EncodeResult:
    path: Path
    frames: int
    original_length: int  # samples at the model rate
    sample_rate: int  # the model's (Hz)
    input_sample_rate: int  # Hz
    bitrate: int
    payload_bytes: int
    seconds: float  # wall time of the codec work
    input_length: int = 0  # samples at input_sample_rate

    @property
    def duration(self) -> float:
        return self.original_length / self.sample_rate

    @property
    def rtf(self) -> float:
        """Real-time factor: processing time / audio duration (< 1 is faster than real time)."""
        return self.seconds / self.duration if self.duration else 0.0


def encode_file(src, dst, *, model=None, bitrate: Bitrate = None, denoise: bool = False, dtx: bool = False,
                precision: str = "float32", num_threads: int = 1, progress: Optional[Callable] = None,
                library=None) -> EncodeResult:
    """Audio file -> ``.ssc`` (atomic: on any error no output file appears).

    The input is resampled to the model's rate; its length there is stored
    as ``original_length``; the last frame is zero-padded (the decoder trims
    it away again). The input's own rate (Hz) and length (samples) are stored
    as ``source_sample_rate``/``source_length`` (container version 2), so
    :func:`decode_file` can restore both. ``progress(done_seconds,
    total_seconds)`` is called per second of audio.
    """
    import time

    from .audio import read_audio, resample
    from .container import ContainerFlags, SscWriter

    x, sr = read_audio(src)
    enc = Encoder(model, bitrate=bitrate, denoise=denoise, dtx=dtx, precision=precision,
                  num_threads=num_threads, library=library)
    y = resample(x, sr, enc.sample_rate)
    flags = (ContainerFlags.DENOISE if denoise else 0) | (ContainerFlags.DTX if dtx else 0)
    chunk = enc.sample_rate  # 1 s
    t0 = time.perf_counter()
    codec_s = 0.0
    nbytes = frames = 0
    with SscWriter(dst, enc.format, enc.model_id, enc.model_hash, flags=flags,
                   original_length=len(y), source_sample_rate=sr, source_length=len(x)) as w:
        for start in range(0, max(len(y), 1), chunk):
            t = time.perf_counter()
            pk = enc._codec.encode(y[start : start + chunk], start + chunk >= len(y))
            codec_s += time.perf_counter() - t
            for p in pk:
                w.write(p)
                nbytes += len(p)
            frames += len(pk)
            if progress:
                progress(min(start + chunk, len(y)) / enc.sample_rate, len(y) / enc.sample_rate)
    del t0
    return EncodeResult(Path(dst), frames, len(y), enc.sample_rate, sr, enc.bitrate, nbytes, codec_s, len(x))


@dataclass
class DecodeResult:
    path: Path
    frames: int
    lost: int
    samples: int
    sample_rate: int
    seconds: float


def decode_file(src, dst, *, model=None, sample_rate: Optional[int] = None, denoise: bool = False,
                precision: str = "float32", num_threads: int = 1, progress: Optional[Callable] = None,
                library=None) -> DecodeResult:
    """``.ssc`` -> audio file (WAV/FLAC/OGG by extension).

    Output rate: ``sample_rate`` (Hz) if given, else the source rate stored in
    the file (the model rate for version-1 files or an unknown source rate).
    Output length: exactly the stored source length in samples, scaled
    (rounded half up) to ``sample_rate`` when that differs from the source
    rate; the resampled signal is trimmed or zero-padded to it.
    The whole input is validated first (structure,
    checksums, version, model id/hash/format): on any problem an
    :class:`~sscodec.errors.SscodecError` is raised and no output appears.
    ``progress(done_frames, total_frames)`` is called per 250 frames."""
    import time

    from .audio import fit_length, resample, write_audio
    from .container import read_ssc

    dec = Decoder(model, denoise=denoise, precision=precision, num_threads=num_threads, library=library)
    f = read_ssc(src, expected_model_id=dec.model_id, expected_model_hash=dec.model_hash,
                 expected_format=dec.format)
    n = f.num_frames
    out = []
    codec_s = 0.0
    step = 250  # 5 s of 20 ms frames
    for i in range(0, n, step):
        t = time.perf_counter()
        out.append(dec._codec.decode(f.records[i : i + step]))
        codec_s += time.perf_counter() - t
        if progress:
            progress(min(i + step, n), n)
    y = np.concatenate(out) if out else np.zeros(0, np.float32)
    h = f.header
    y = y[: h.original_length]
    rate = int(sample_rate or h.effective_source_rate)
    y = resample(y, dec.sample_rate, rate)
    y = fit_length(y, h.source_length_at(rate))
    write_audio(dst, y, rate)
    lost = sum(r is None for r in f.records)
    return DecodeResult(Path(dst), n, lost, len(y), rate, codec_s)
