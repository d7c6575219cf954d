"""Packet-loss concealment (PLC) policy and comfort noise, in the code domain.

The decoder calls :class:`ConcealmentPolicy` once per 20 ms frame with what
arrived for that frame (a decoded :class:`~sscodec.bitstream.Packet`, a DTX
packet, or ``None`` when the packet was lost) and gets a :class:`FramePlan`:

* ``plan.codes``: the codes to run through the neural decoder, a uint16 array
  ``(n_q,)``, or ``None`` when the decoder output is not needed this frame
  (pure comfort noise);
* ``plan.speech_gain`` / ``plan.noise_gain``: linear amplitude gains ramped
  over the frame, ``(start, end)``; :meth:`FramePlan.gains` expands them to
  per-sample float32 ramps of length ``frame_size``.

The output frame (float32 samples in [-1, 1], ``frame_size`` of them) is::

    out = decoded * speech_ramp + comfort_noise * noise_ramp

:meth:`FramePlan.mix` does exactly that. The policy, frame by frame:

1. Good packet: decode its codes; gains ramp back to speech 1 / noise 0 (a
   one-frame fade-in after concealment, a no-op otherwise).
2. Lost packet number ``k`` of a run (k = 1, 2, ...), after speech: repeat the
   last good codes. For ``k <= hold_frames`` the speech gain stays 1; then it
   falls linearly to 0 over ``fade_frames`` frames while comfort noise rises
   power-complementarily (``noise = sqrt(1 - speech**2)``). After the first
   lost frame the repeated codes keep only their coarsest quantizers (halved
   per extra lost frame, never fewer than ``min_repeat_quantizers``): a coarser
   repetition sounds smoother than a repeated fine structure.
3. Once the speech gain has reached 0: comfort noise only (``codes=None``)
   until a good packet arrives, however long the loss.
4. DTX packet: the first one fades the last codes out and comfort noise in
   over one frame; after that comfort noise only. Losses during DTX are
   comfort noise too.
5. Loss before any good packet: comfort noise.

With the defaults (hold 2, fade 4) a loss is bridged by 40 ms of repetition
and an 80 ms cross-fade, then comfort noise.

:class:`ComfortNoiseGenerator` keeps a running estimate of the background
noise spectrum from the decoded good frames (band powers tracked with a fast
fall and a slow rise, so speech barely raises it) and synthesises noise with
that spectrum and level by random-phase overlap-add. :func:`conceal_stream`
wires policy, decoder and noise generator together for a whole stream.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from .bitstream import Packet

__all__ = [
    "ConcealmentMode",
    "FramePlan",
    "ConcealmentPolicy",
    "ComfortNoiseGenerator",
    "conceal_stream",
]


class ConcealmentMode(enum.Enum):
    DECODE = "decode"  # a good packet: decode its codes
    REPEAT = "repeat"  # lost/DTX frame bridged by repeating the last codes
    COMFORT_NOISE = "comfort_noise"  # decoder output unused; comfort noise only


@dataclass(frozen=True)
class FramePlan:
    """What to do for one output frame. Gains are linear amplitude factors at
    the first and last sample of the frame (linearly interpolated between)."""

    mode: ConcealmentMode
    codes: Optional[np.ndarray]  # uint16 (n_q,) to decode, or None
    speech_gain: tuple[float, float]
    noise_gain: tuple[float, float]
    lost_count: int = 0  # consecutive lost frames including this one (0 if received)

    @property
    def needs_decoder(self) -> bool:
        return self.codes is not None

    @property
    def needs_noise(self) -> bool:
        return self.noise_gain != (0.0, 0.0)

    def gains(self, frame_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample ``(speech, noise)`` float32 ramps of shape ``(frame_size,)``.

        Sample ``j`` gets ``g0 + (g1 - g0) * (j + 1) / frame_size``: the ramp ends
        exactly at ``g1`` on the last sample, so consecutive frames join up.
        """
        t = np.arange(1, frame_size + 1, dtype=np.float32) / np.float32(frame_size)
        s0, s1 = self.speech_gain
        n0, n1 = self.noise_gain
        return (
            (s0 + (s1 - s0) * t).astype(np.float32),
            (n0 + (n1 - n0) * t).astype(np.float32),
        )

    def mix(self, decoded: Optional[np.ndarray], noise: Optional[np.ndarray], frame_size: int) -> np.ndarray:
        """``decoded * speech_ramp + noise * noise_ramp`` (either may be None = silence)."""
        s, n = self.gains(frame_size)
        out = np.zeros(frame_size, dtype=np.float32)
        if decoded is not None and self.speech_gain != (0.0, 0.0):
            out += np.asarray(decoded, dtype=np.float32).reshape(frame_size) * s
        if noise is not None and self.needs_noise:
            out += np.asarray(noise, dtype=np.float32).reshape(frame_size) * n
        return out


class ConcealmentPolicy:
    """Frame-by-frame state machine; see the module docstring.

    hold_frames: lost frames repeated at full gain. fade_frames: lost frames
    over which repetition fades into comfort noise (>= 1).
    min_repeat_quantizers: floor on the quantizers kept in repeated frames
    (``None``: always repeat all of them).
    """

    def __init__(self, hold_frames: int = 2, fade_frames: int = 4, min_repeat_quantizers: Optional[int] = 4):
        if hold_frames < 0 or fade_frames < 1:
            raise ValueError("need hold_frames >= 0 and fade_frames >= 1")
        if min_repeat_quantizers is not None and min_repeat_quantizers < 1:
            raise ValueError("min_repeat_quantizers must be >= 1 or None")
        self.hold_frames = int(hold_frames)
        self.fade_frames = int(fade_frames)
        self.min_repeat_quantizers = min_repeat_quantizers
        self.reset()

    def reset(self) -> None:
        self.last_codes: Optional[np.ndarray] = None  # last good codes, None after DTX
        self.lost_count = 0
        self.in_dtx = False
        self._speech = 1.0  # gains at the end of the previous frame
        self._noise = 0.0

    # -- pieces --------------------------------------------------------------
    def speech_gain_after(self, k: int) -> float:
        """Speech gain at the end of the k-th consecutive lost frame (k >= 1)."""
        if k <= self.hold_frames:
            return 1.0
        return max(0.0, 1.0 - (k - self.hold_frames) / self.fade_frames)

    def repeat_quantizers(self, k: int, n_q: int) -> int:
        """How many of the last ``n_q`` codes to repeat in lost frame ``k``."""
        if self.min_repeat_quantizers is None or k <= 1:
            return n_q
        return min(n_q, max(self.min_repeat_quantizers, -(-n_q // (1 << min(k - 1, 16)))))

    def _plan(self, mode, codes, speech_end, noise_end, lost) -> FramePlan:
        plan = FramePlan(mode, codes, (self._speech, speech_end), (self._noise, noise_end), lost)
        self._speech, self._noise = speech_end, noise_end
        return plan

    # -- events --------------------------------------------------------------
    def on_packet(self, codes) -> FramePlan:
        """A good (non-DTX) packet with these codes (1-D ints)."""
        c = np.asarray(codes, dtype=np.uint16).reshape(-1)
        c.setflags(write=False)
        self.last_codes, self.lost_count, self.in_dtx = c, 0, False
        return self._plan(ConcealmentMode.DECODE, c, 1.0, 0.0, 0)

    def on_dtx(self) -> FramePlan:
        """A DTX (silence) packet."""
        self.lost_count = 0
        self.in_dtx = True
        if self.last_codes is not None and self._speech > 0.0:
            codes, self.last_codes = self.last_codes, None
            return self._plan(ConcealmentMode.REPEAT, codes, 0.0, 1.0, 0)
        self.last_codes = None
        return self._plan(ConcealmentMode.COMFORT_NOISE, None, 0.0, 1.0, 0)

    def on_loss(self) -> FramePlan:
        """No packet for this frame."""
        self.lost_count += 1
        k = self.lost_count
        if self.in_dtx or self.last_codes is None or self._speech == 0.0:
            return self._plan(ConcealmentMode.COMFORT_NOISE, None, 0.0, 1.0, k)
        g = self.speech_gain_after(k)
        n_keep = self.repeat_quantizers(k, self.last_codes.shape[0])
        noise = math.sqrt(max(0.0, 1.0 - g * g))
        return self._plan(ConcealmentMode.REPEAT, self.last_codes[:n_keep], g, noise, k)

    def next(self, packet: Optional[Packet]) -> FramePlan:
        """Dispatch: ``None`` = lost, DTX packet, or a good packet."""
        if packet is None:
            return self.on_loss()
        if packet.is_dtx:
            return self.on_dtx()
        return self.on_packet(packet.codes)


def _band_edges(n_bins: int, sample_rate: int, num_bands: int) -> np.ndarray:
    """Bin edges of ``num_bands`` bands evenly spaced on the mel scale
    (each at least 2 bins wide)."""
    nyq = sample_rate / 2
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    imel = lambda m: 700.0 * (10 ** (m / 2595.0) - 1.0)  # noqa: E731
    hz = imel(np.linspace(0.0, mel(nyq), num_bands + 1))
    edges = np.round(hz / nyq * (n_bins - 1)).astype(int)
    edges[-1] = n_bins
    for i in range(1, len(edges)):
        edges[i] = max(edges[i], edges[i - 1] + 2)
    edges = np.unique(np.minimum(edges, n_bins))
    if edges[-1] != n_bins:
        edges = np.append(edges, n_bins)
    return edges


class ComfortNoiseGenerator:
    """Background-noise estimator and spectrally shaped noise synthesiser.

    Feed it clean decoded frames with :meth:`update` (float32 ``(frame_size,)``,
    full scale 1.0) and ask for noise frames with :meth:`generate` (same shape).
    The estimate is a per-band power spectrum (``num_bands`` mel bands over
    ``2 * frame_size``-point periodograms of sqrt-Hann windowed, 50%-overlapped
    frames). Each frame, each band's power is first smoothed over
    ``smooth_time`` seconds, then tracked with a first-order filter that falls
    with time constant ``fall_time`` and rises with ``rise_time``: a quiet
    frame pulls the estimate down quickly, speech hardly raises it, and a
    lasting louder background is followed within a few ``rise_time``.
    Until the first update the background is white noise at
    ``initial_level_db`` dBFS; frames quieter than ``min_level_db`` (digital
    silence) are ignored and no band goes below that level. The estimate's
    rise is capped at ``max_rise_db_per_s``. ``gain_db`` scales the
    synthesised noise. Stationary noise is estimated within about 1 dB
    (slightly low).
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        frame_size: int = 320,
        *,
        num_bands: int = 20,
        smooth_time: float = 0.04,
        fall_time: float = 0.1,
        rise_time: float = 0.5,
        max_rise_db_per_s: float = 6.0,
        initial_level_db: float = -70.0,
        min_level_db: float = -100.0,
        gain_db: float = 0.0,
        seed=None,
    ):
        self.sample_rate = int(sample_rate)
        self.frame_size = int(frame_size)
        self.n_fft = 2 * self.frame_size
        self.n_bins = self.n_fft // 2 + 1
        k = np.arange(self.n_fft)
        self.window = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * k / self.n_fft)).astype(np.float64)
        self._win_power = float(np.sum(self.window**2))
        self.edges = _band_edges(self.n_bins, self.sample_rate, int(num_bands))
        self._band_of_bin = np.repeat(np.arange(len(self.edges) - 1), np.diff(self.edges))
        self._band_width = np.diff(self.edges).astype(np.float64)
        dt = self.frame_size / self.sample_rate
        self._a_smooth = 1.0 - math.exp(-dt / smooth_time) if smooth_time > 0 else 1.0
        self._a_fall = 1.0 - math.exp(-dt / fall_time)
        self._a_rise = 1.0 - math.exp(-dt / rise_time)
        self._max_rise_db = max_rise_db_per_s * dt
        self.gain = 10.0 ** (gain_db / 20.0)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._floor = 10.0 ** (min_level_db / 10.0)
        init = 10.0 ** (initial_level_db / 10.0)
        self.band_power = np.full(len(self.edges) - 1, init)  # tracked background, power/sample
        self._smoothed: Optional[np.ndarray] = None
        self._in_prev = np.zeros(self.frame_size)
        self._prev_valid = False
        self._ola_tail = np.zeros(self.frame_size)
        self.frames_seen = 0

    @property
    def level_db(self) -> float:
        """Estimated background level in dBFS (10 log10 of mean power per sample)."""
        p = float(np.sum(self.band_power[self._band_of_bin]) / self.n_bins)
        return 10.0 * math.log10(max(p, 1e-20))

    def psd(self) -> np.ndarray:
        """Estimated background power per rfft bin ``(frame_size + 1,)``
        (power per sample; flat spectrum of variance v gives v everywhere)."""
        return self.band_power[self._band_of_bin].copy()

    def update(self, frame) -> None:
        """Feed one clean decoded frame (float, ``(frame_size,)``)."""
        x = np.asarray(frame, dtype=np.float64).reshape(self.frame_size)
        if not np.all(np.isfinite(x)):
            return
        buf = np.concatenate([self._in_prev, x])
        self._in_prev = x
        prev_valid, self._prev_valid = self._prev_valid, False
        if float(np.mean(x * x)) < self._floor:
            return  # digital silence says nothing about the background
        self._prev_valid = True
        spec = np.fft.rfft(buf * self.window)
        per_bin = (spec.real**2 + spec.imag**2) / self._win_power
        bands = np.bincount(self._band_of_bin, weights=per_bin) / self._band_width
        self.frames_seen += 1
        if not prev_valid:
            # Only the second half of this window holds (non-silent) signal.
            bands = bands * 2.0
        b_db = 10.0 * np.log10(np.maximum(bands, self._floor))
        if self._smoothed is None:
            self._smoothed = b_db
            self.band_power = np.maximum(bands, self._floor)
            return
        # Smooth and track in dB: a loud frame cannot hold the estimate up for
        # long, however loud it was.
        self._smoothed = self._smoothed + self._a_smooth * (b_db - self._smoothed)
        e_db = 10.0 * np.log10(np.maximum(self.band_power, self._floor))
        d = self._smoothed - e_db
        step = np.where(d < 0.0, self._a_fall * d, np.minimum(self._a_rise * d, self._max_rise_db))
        self.band_power = 10.0 ** ((e_db + step) / 10.0)

    def generate(self) -> np.ndarray:
        """One frame of comfort noise, float32 ``(frame_size,)``; continuous
        across calls (overlap-add), level and spectrum of the estimate."""
        white = self.rng.standard_normal(self.n_fft)
        spec = np.fft.rfft(white) * np.sqrt(self.band_power[self._band_of_bin])
        block = np.fft.irfft(spec, self.n_fft) * self.window * self.gain
        out = self._ola_tail + block[: self.frame_size]
        self._ola_tail = block[self.frame_size :].copy()
        return out.astype(np.float32)


def conceal_stream(
    packets: Iterable[Optional[Packet]],
    decode: Callable[[np.ndarray], np.ndarray],
    frame_size: int = 320,
    *,
    sample_rate: int = 16000,
    policy: Optional[ConcealmentPolicy] = None,
    noise: Optional[ComfortNoiseGenerator] = None,
) -> Iterator[np.ndarray]:
    """Run policy + decoder + comfort noise over a packet stream.

    ``packets``: decoded packets with ``None`` for lost ones. ``decode(codes)``
    maps uint16 ``(n_q,)`` codes to float32 ``(frame_size,)`` audio (the
    streaming neural decoder). Yields one float32 ``(frame_size,)`` frame per
    packet. Clean decoded frames update the noise estimate.
    """
    policy = policy or ConcealmentPolicy()
    noise = noise or ComfortNoiseGenerator(sample_rate, frame_size)
    for pkt in packets:
        plan = policy.next(pkt)
        audio = None
        if plan.codes is not None:
            audio = np.asarray(decode(plan.codes), dtype=np.float32).reshape(frame_size)
        if plan.mode is ConcealmentMode.DECODE and plan.speech_gain == (1.0, 1.0):
            noise.update(audio)
        n = noise.generate() if plan.needs_noise else None
        yield plan.mix(audio, n, frame_size)
