"""Opus reference (``opuslib``): 16 kHz mono, VOIP application, 20 ms frames."""

from __future__ import annotations

import time

import numpy as np

SAMPLE_RATE = 16000
FRAME = 320
#: Opus's decoded output lags its input by about this many samples at 16 kHz;
#: scoring aligns anyway (``quality.align``), this is the search hint.
DELAY_SAMPLES = 104


def available() -> bool:
    try:
        import opuslib  # noqa: F401
    except Exception:  # noqa: BLE001 (missing libopus raises other errors too)
        return False
    return True


def version() -> str:
    try:
        import opuslib.api.info as info

        v = info.get_version_string()
        return v.decode() if isinstance(v, bytes) else str(v)
    except Exception:  # noqa: BLE001
        return "unknown"


class OpusCodec:
    """One stream; ``step(frame)`` encodes and decodes one 20 ms frame."""

    def __init__(self, bitrate: int):
        import opuslib

        self.bitrate = int(bitrate)
        self.enc = opuslib.Encoder(SAMPLE_RATE, 1, opuslib.APPLICATION_VOIP)
        self.enc.bitrate = self.bitrate
        self.dec = opuslib.Decoder(SAMPLE_RATE, 1)
        self.bytes = 0
        self.frames = 0

    def encode(self, frame: np.ndarray) -> bytes:
        pcm = (np.clip(frame, -1, 1) * 32767).astype("<i2").tobytes()
        pkt = self.enc.encode(pcm, FRAME)
        self.bytes += len(pkt)
        self.frames += 1
        return pkt

    def decode(self, packet) -> np.ndarray:
        if packet is None:  # Opus's own PLC
            pcm = self.dec.decode(b"", FRAME)
        else:
            pcm = self.dec.decode(packet, FRAME)
        return np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0

    def timed_step(self, frame: np.ndarray) -> dict:
        t0 = time.perf_counter()
        p = self.encode(frame)
        t1 = time.perf_counter()
        self.decode(p)
        t2 = time.perf_counter()
        return {"encode": (t1 - t0) * 1e3, "decode": (t2 - t1) * 1e3}

    @property
    def actual_bitrate(self) -> float:
        return 8 * self.bytes * SAMPLE_RATE / FRAME / max(self.frames, 1)


def roundtrip(x: np.ndarray, bitrate: int, lost=None) -> tuple[np.ndarray, float]:
    """Whole signal through Opus -> (decoded, actual bits/s). ``lost``: bool mask per frame."""
    c = OpusCodec(bitrate)
    n = -(-len(x) // FRAME)
    xp = np.zeros(n * FRAME, np.float32)
    xp[: len(x)] = x
    out = []
    for i in range(n):
        p = c.encode(xp[i * FRAME : (i + 1) * FRAME])
        out.append(c.decode(None if (lost is not None and lost[i]) else p))
    return np.concatenate(out), c.actual_bitrate
