"""The real-time part of ``sscodec loopback``: one full-duplex PortAudio
stream whose callback feeds the native scheduler and plays its output.

Per callback (``frames`` samples at the device rate R, mono in and out):

1. capture: channel 0 (or the mean of the channels) -> soxr to the model rate
   (16 kHz) when R differs -> ``StreamingCodec.push_audio`` (wait-free; the
   native worker thread cuts 20 ms frames, encodes, packetizes);
2. the :class:`~sscodec.live.channel.PacketChannel` thread moves packets to
   the decoder side (loss / jitter), the worker decodes them;
3. playback: ``pull_audio`` (all that is ready) -> soxr back to R -> the
   playout :class:`~sscodec.live.fifo.SampleFifo` -> the output block.

Playout buffer: playback starts ``buffer_ms`` after the first decoded sample
(a safety margin against late frames). A block the FIFO cannot fill is
completed with zeros (an *underrun*: samples and events counted; the late
audio then plays later, so the buffer grows by the gap). When the smallest
slack (FIFO level left after a block) over a 2 s window exceeds the margin
by more than 10 ms, the excess is dropped (*trimmed*, counted) so latency
returns to the margin.

End-to-end latency (capture ADC -> playback DAC, seconds), measured for every
block: in a full-duplex callback the input and output blocks start at the
same stream index, PortAudio gives the ADC time of the input block (T_in)
and the DAC time of the output block (T_out), and output sample b carries
input sample ``b - Z + D``, where Z counts the zeros inserted into the output
(pre-roll, underruns) and D the samples removed (trims, a full FIFO, input
dropped by a full codec ring), all at rate R. So ``latency = (T_out - T_in) + (Z - D) / R``.
soxr keeps sample indices (it delays, never shifts), and the codec's frame
``k`` decodes input frame ``k``, so nothing else enters; waiting for a whole
20 ms frame, processing, the channel and resampler delays all show up in Z.

The device term T_out - T_in is the host API's estimate, and on some host APIs
it wanders: through PulseAudio's ALSA plugin the capture-side delay drifted by
up to +45 ms within a few seconds (a slow ramp, then a drop), and sometimes
down by up to 14 ms, while the real end-to-end lag, measured on the sink
monitor, stayed at 120 ms to the 10 ms (tests/test_loopback_pulse.py). In a full-duplex stream every callback takes
``frames`` samples in and gives ``frames`` out, so the device latency can only
change where samples are lost or added: an xrun, a stream restart (or two
device clocks that differ, which ends in xruns). The engine therefore reports
the device term as the smallest T_out - T_in seen since the last such event:
this removes the upward wander and keeps a downward one (on PulseAudio the
report stayed within -14 / +19 ms of the measured lag over 28 runs, against
-12 / +49 ms for the raw value); the raw per-callback value stays in the
latency trace (``host_device_ms``).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Optional

import numpy as np

from .fifo import SampleFifo

__all__ = ["LoopbackEngine"]

TRIM_WINDOW_S = 2.0
TRIM_HYSTERESIS_S = 0.010


class _Resampler:
    """Streaming soxr resampler (mono float32); identity when the rates match."""

    def __init__(self, in_rate: int, out_rate: int, quality: str):
        self._rs = None
        if in_rate != out_rate:
            import soxr

            self._rs = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=quality)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self._rs is None or len(x) == 0:
            return x
        return np.asarray(self._rs.resample_chunk(x), dtype=np.float32).reshape(-1)


class LoopbackEngine:
    """sd: the sounddevice module. codec: :class:`sscodec.StreamingCodec`
    (both sides, ``worker_thread=True``). channel: its
    :class:`~sscodec.live.channel.PacketChannel`. devices:
    :class:`~sscodec.live.devices.DeviceChoice`. block_ms: callback block
    (ms); buffer_ms: playout safety margin (ms); latency: PortAudio suggested
    latency ("low", "high" or seconds); resample_quality: soxr QQ/LQ/MQ/HQ/VHQ;
    record / record_input: :class:`~sscodec.live.recorder.WavRecorder` of the
    played / captured device-rate signal; realtime_priority > 0: try
    SCHED_FIFO for the audio callback thread.

    Counters (plain attributes, written by the callback, read by anyone):
    ``callbacks``, ``captured`` (device samples), ``played_pipeline``,
    ``zeros_preroll``, ``underrun_events``, ``underrun_samples``,
    ``trimmed_samples``, ``input_dropped`` (model-rate samples), ``fifo_dropped``,
    ``overrun_events`` (any of those three),
    ``xruns`` (PortAudio status flags by name), ``stream_restarts`` (stalled
    streams replaced), ``latency_s`` (last block's),
    and the sums in :meth:`take_latency`.
    """

    def __init__(self, sd, codec, channel, devices, *, block_ms: float = 10.0, buffer_ms: float = 20.0,
                 latency="high", resample_quality: str = "LQ", record=None, record_input=None,
                 realtime_priority: int = 0):
        self._sd, self.codec, self.channel, self.devices = sd, codec, channel, devices
        self.rate = int(devices.sample_rate)
        self.model_rate = int(codec.sample_rate)
        self.block = max(1, int(round(self.rate * block_ms / 1000.0)))
        self.margin = int(round(self.rate * buffer_ms / 1000.0))
        self.latency_setting = latency
        self.resample_quality = resample_quality
        self.resampling = self.rate != self.model_rate
        self._rs_in = _Resampler(self.rate, self.model_rate, resample_quality)
        self._rs_out = _Resampler(self.model_rate, self.rate, resample_quality)
        self.fifo = SampleFifo(4 * self.rate)
        self.record, self.record_input = record, record_input
        self.realtime_priority = int(realtime_priority)
        self.callback_realtime: Optional[bool] = None
        self.error: Optional[BaseException] = None
        self.stream = None
        self.stream_latency = (0.0, 0.0)
        self.device_timestamps = True
        # counters (callback thread)
        self.callbacks = 0
        self.captured = 0
        self.played_pipeline = 0
        self.zeros_preroll = 0
        self.underrun_events = 0
        self.underrun_samples = 0
        self.trimmed_samples = 0
        self.trim_events = 0
        self.input_dropped = 0
        self.fifo_dropped = 0
        self.overrun_events = 0  # input ring full, FIFO full or latency trim
        self.xruns = {"input_overflow": 0, "input_underflow": 0, "output_underflow": 0, "output_overflow": 0}
        self.playing = False
        self.latency_s = float("nan")
        self.last_callback = 0.0
        self.stream_restarts = 0  # stalled streams replaced (restart_stream)
        self.max_callback_gap = 0.0  # s between callback starts (block period when all is well)
        self.max_callback_time = 0.0  # s spent in one callback
        self._zeros = 0  # Z: zeros inserted into the output (all kinds)
        self._preroll_left: Optional[int] = None
        self._win_min_slack: Optional[int] = None
        self._win_samples = 0
        self._lat_lock = threading.Lock()
        self._lat = [0.0, 0, float("inf"), float("-inf")]  # sum, count, min, max since take_latency()
        self._lat_all = [0.0, 0, float("inf"), float("-inf")]
        self._out = np.zeros(self.block, np.float32)
        self.latency_trace: list = []  # (audio s, device ms, pipeline ms, host device ms), ~every 100 ms
        self._device_floor: Optional[float] = None  # s: min T_out - T_in since the last xrun/restart
        self.device_resets = 0  # times the device latency estimate started over (xruns, restarts)
        self._next_trace = 0

    # -- control ------------------------------------------------------------

    def start(self) -> None:
        self.channel.start()
        self._open_stream()

    def _open_stream(self) -> None:
        d = self.devices
        self.stream = self._sd.Stream(samplerate=self.rate, blocksize=self.block, device=(d.input, d.output),
                                      channels=(d.input_channels, d.output_channels), dtype="float32",
                                      latency=self.latency_setting, callback=self._callback)
        self.stream_latency = tuple(float(v) for v in self.stream.latency)
        self.last_callback = time.monotonic()
        self.stream.start()

    def restart_stream(self) -> None:
        """Replace a stalled stream (no callbacks) by a fresh one on the same
        devices; the channel, the codec, the FIFO and the counters carry on.
        A PortAudio error from the dead stream's abort/close is ignored (it is
        being thrown away); one from opening the new stream propagates."""
        old, self.stream = self.stream, None
        if old is not None:
            for step in (old.abort, old.close):
                try:
                    step()
                except self._sd.PortAudioError:
                    pass
        self.stream_restarts += 1
        self._device_floor = None  # a new stream: new device buffers
        self.callback_realtime = None  # a new callback thread: set its priority again
        self._open_stream()

    def stop(self) -> None:
        """Stop the stream (callbacks end), then the channel thread."""
        if self.stream is not None:
            try:
                self.stream.stop()
            finally:
                self.stream.close()
                self.stream = None
        self.channel.stop()

    def watch_stall(self, now: float, *, stall_s: float = 2.0, max_restarts: int = 2) -> str:
        """For the owner's loop (now: ``time.monotonic()``): "ok" while
        callbacks arrive; after stall_s seconds without one, "restarted" (the
        stream was replaced by :meth:`restart_stream`) up to max_restarts
        times per run, then "dead"."""
        if now - self.last_callback <= stall_s:
            return "ok"
        if self.stream_restarts >= max_restarts:
            return "dead"
        self.restart_stream()
        return "restarted"

    @property
    def captured_seconds(self) -> float:
        return self.captured / self.rate

    def take_latency(self) -> dict:
        """Latency (ms) over the blocks since the last call: mean/min/max/blocks."""
        with self._lat_lock:
            s, n, lo, hi = self._lat
            self._lat = [0.0, 0, float("inf"), float("-inf")]
        return _lat_dict(s, n, lo, hi)

    def latency_total(self) -> dict:
        with self._lat_lock:
            return _lat_dict(*self._lat_all)

    # -- the callback -------------------------------------------------------

    def _callback(self, indata, outdata, frames, time_info, status) -> None:
        try:
            self._process(indata, outdata, frames, time_info, status)
        except BaseException as e:  # noqa: BLE001 - surfaced by the owner's loop
            self.error = e
            outdata.fill(0)
            raise self._sd.CallbackAbort from e

    def _set_realtime(self) -> None:
        self.callback_realtime = False
        if self.realtime_priority > 0 and hasattr(os, "sched_setscheduler"):
            try:
                prio = min(self.realtime_priority, os.sched_get_priority_max(os.SCHED_FIFO))
                os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(prio))  # this thread (Linux)
                self.callback_realtime = True
            except OSError:
                pass

    def _process(self, indata, outdata, frames, time_info, status) -> None:
        if self.callback_realtime is None:
            self._set_realtime()
        t0 = time.monotonic()
        if self.callbacks:
            self.max_callback_gap = max(self.max_callback_gap, t0 - self.last_callback)
        self.callbacks += 1
        self.last_callback = t0
        if status:
            for k in self.xruns:
                if getattr(status, k):
                    self.xruns[k] += 1
                    self._device_floor = None  # samples lost or added: the device latency may have moved
        # -- capture -> encoder side
        x = indata[:, 0] if indata.shape[1] == 1 else indata.mean(axis=1)
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self.record_input is not None:
            self.record_input.write(x)
        y = self._rs_in(x)
        if len(y):
            lost = len(y) - int(self.codec.push_audio(y))
            if lost:
                self.input_dropped += lost
                self.overrun_events += 1
        self.captured += frames
        # -- decoder side -> playout FIFO
        z = self._rs_out(np.asarray(self.codec.pull_audio(None), dtype=np.float32))
        if len(z):
            lost = len(z) - self.fifo.write(z)
            if lost:
                self.fifo_dropped += lost
                self.overrun_events += 1
        if len(self._out) < frames:
            self._out = np.zeros(frames, np.float32)
        out = self._out[:frames]
        pos = 0
        if not self.playing:
            if self._preroll_left is None and self.fifo.level > 0:
                self._preroll_left = self.margin
            k = frames if self._preroll_left is None else min(frames, self._preroll_left)
            out[:k] = 0.0
            self._zeros += k
            self.zeros_preroll += k
            pos = k
            if self._preroll_left is not None:
                self._preroll_left -= k
                if self._preroll_left == 0:
                    self.playing = True
        if self.playing and pos < frames:
            self._measure_latency(time_info)
            want = frames - pos
            slack = self.fifo.level - want
            self._win_min_slack = slack if self._win_min_slack is None else min(self._win_min_slack, slack)
            n = self.fifo.read_into(out[pos:])
            self.played_pipeline += n
            if n < want:
                out[pos + n :] = 0.0
                self._zeros += want - n
                self.underrun_samples += want - n
                self.underrun_events += 1
            self._win_samples += frames
            if self._win_samples >= TRIM_WINDOW_S * self.rate:
                self._maybe_trim()
        outdata[:] = out[:, None]
        if self.record is not None:
            self.record.write(out)
        self.max_callback_time = max(self.max_callback_time, time.monotonic() - t0)

    def _maybe_trim(self) -> None:
        excess = (self._win_min_slack or 0) - self.margin
        if excess > TRIM_HYSTERESIS_S * self.rate:
            self.trimmed_samples += self.fifo.drop(excess)
            self.trim_events += 1
            self.overrun_events += 1
        self._win_min_slack = None
        self._win_samples = 0

    def _measure_latency(self, time_info) -> None:
        t_in, t_out = time_info.inputBufferAdcTime, time_info.outputBufferDacTime
        if t_in > 0 and t_out > 0:
            host = t_out - t_in
            if self._device_floor is None:
                self.device_resets += 1
                self._device_floor = host
            else:
                self._device_floor = min(self._device_floor, host)
            device = self._device_floor
        else:  # host API without timestamps: PortAudio's reported stream latencies
            self.device_timestamps = False
            host = device = self.stream_latency[0] + self.stream_latency[1]
        removed = (self.trimmed_samples + self.fifo_dropped
                   + self.input_dropped * self.rate / self.model_rate)
        pipeline = (self._zeros - removed) / self.rate
        lat = device + pipeline
        self.latency_s = lat
        if self.callbacks >= self._next_trace:  # ~10 points per second for the report
            self._next_trace = self.callbacks + max(1, int(0.1 * self.rate / self.block))
            self.latency_trace.append((round(self.captured_seconds, 3), round(1000 * device, 2),
                                       round(1000 * pipeline, 2), round(1000 * host, 2)))
        with self._lat_lock:
            for acc in (self._lat, self._lat_all):
                acc[0] += lat
                acc[1] += 1
                acc[2] = min(acc[2], lat)
                acc[3] = max(acc[3], lat)


def _lat_dict(s: float, n: int, lo: float, hi: float) -> dict:
    if n == 0:
        return {"mean_ms": None, "min_ms": None, "max_ms": None, "blocks": 0}
    return {"mean_ms": 1000.0 * s / n, "min_ms": 1000.0 * lo, "max_ms": 1000.0 * hi, "blocks": n}
