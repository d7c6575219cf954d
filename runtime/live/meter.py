"""Live statistics of ``sscodec loopback``: the one-line meter (values over
the last interval) and the final report (totals, JSON-ready).

Units: times in ms, bitrates in bits/s, audio time in s. ``RTF`` is codec
processing time (encode + decode, native worker) / audio duration, so < 1
keeps up with real time. ``sent`` bitrate counts whole packets (headers
included) per second of audio.
"""

from __future__ import annotations

from typing import List, Optional

__all__ = ["LiveStats", "MeterOutput"]


def _fmt_kbps(bps: Optional[float]) -> str:
    return "-" if bps is None else f"{bps / 1000:.1f}"


class LiveStats:
    """engine: :class:`~sscodec.live.engine.LoopbackEngine`; codec:
    :class:`sscodec.StreamingCodec`; channel:
    :class:`~sscodec.live.channel.PacketChannel`."""

    def __init__(self, engine, codec, channel):
        self.engine, self.codec, self.channel = engine, codec, channel
        self.frame_ms = 1000.0 * codec.frame_size / codec.sample_rate
        self.denoise = False
        self.events: List[dict] = []
        self._prev = self._snapshot()

    def _snapshot(self) -> dict:
        s = self.codec.stats()
        return {"enc_ms": s["encode_process_ms"], "dec_ms": s["decode_process_ms"],
                "enc_frames": s["frames_encoded"], "dec_frames": s["frames_decoded"],
                "packets": self.channel.sent, "bytes": self.channel.bytes_sent}

    @property
    def bitrate(self) -> int:
        """The nominal code bitrate now (bps)."""
        return int(round(self.codec.format.bitrate(self.codec.num_quantizers)))

    def record_event(self, t: float, what: str) -> None:
        self.events.append({"t": round(t, 3), "action": what,
                            "frame": int(self.codec.stats()["frames_encoded"]), "packet": int(self.channel.sent)})

    def interval(self) -> dict:
        """Values since the previous call (the meter's)."""
        now = self._snapshot()
        p, self._prev = self._prev, now
        d = {k: now[k] - p[k] for k in now}
        lat = self.engine.take_latency()
        audio_ms = d["enc_frames"] * self.frame_ms
        e = self.engine
        return {
            "t": e.captured_seconds,
            "bitrate": self.bitrate,
            "sent_bps": 8000.0 * d["bytes"] / (d["packets"] * self.frame_ms) if d["packets"] else None,
            "enc_ms": d["enc_ms"] / d["enc_frames"] if d["enc_frames"] else None,
            "dec_ms": d["dec_ms"] / d["dec_frames"] if d["dec_frames"] else None,
            "rtf": (d["enc_ms"] + d["dec_ms"]) / audio_ms if audio_ms else None,
            "latency_ms": lat["mean_ms"],
        }

    def line(self) -> str:
        """The one-line meter."""
        r = self.interval()
        e, c = self.engine, self.channel
        ms = (lambda v: "-" if v is None else f"{v:.2f}")
        lat = "-" if r["latency_ms"] is None else f"{r['latency_ms']:.0f} ms"
        parts = [
            f"{r['t']:6.1f} s",
            f"{_fmt_kbps(r['bitrate'])} kbps ({_fmt_kbps(r['sent_bps'])} sent)",
            f"enc {ms(r['enc_ms'])} + dec {ms(r['dec_ms'])} ms/frame",
            f"RTF {'-' if r['rtf'] is None else format(r['rtf'], '.3f')}",
            f"latency {lat}",
            f"xruns {sum(e.xruns.values())}",
            f"underruns {e.underrun_events}",
            f"overruns {e.overrun_events}",
        ]
        if c.loss_rate > 0 or c.jitter_s > 0 or c.lost or c.late:
            parts.append(f"lost {c.lost} late {c.late}")
        parts.append(f"denoise {'on' if self.denoise else 'off'}")
        return " | ".join(parts)

    def bitrate_timeline(self, window_frames: int = 50) -> List[dict]:
        """Sent bitrate per window of packets (default 1 s): [{t0, t1, bps}]."""
        sizes = list(self.channel.sizes)
        out = []
        for i in range(0, len(sizes) - window_frames + 1, window_frames):
            w = sizes[i : i + window_frames]
            out.append({"t0": i * self.frame_ms / 1000.0, "t1": (i + len(w)) * self.frame_ms / 1000.0,
                        "bps": 8000.0 * sum(w) / (len(w) * self.frame_ms)})
        return out

    def report(self) -> dict:
        """Totals for the end of the run (JSON-ready)."""
        e, c = self.engine, self.channel
        s = self.codec.stats()
        fe, fd = max(s["frames_encoded"], 1), max(s["frames_decoded"], 1)
        audio_ms = s["frames_encoded"] * self.frame_ms
        d = e.devices
        return {
            "device": {"input": d.input_name, "input_index": d.input, "output": d.output_name,
                       "output_index": d.output, "sample_rate": e.rate, "model_rate": e.model_rate,
                       "resampled": e.resampling, "resample_quality": e.resample_quality if e.resampling else None,
                       "block_samples": e.block, "portaudio_latency_ms": [1000 * v for v in e.stream_latency],
                       "device_timestamps": e.device_timestamps, "device_latency_resets": e.device_resets,
                       "callback_realtime": e.callback_realtime},
            "model": {"id": self.codec.model_id, "dir": str(self.codec.info.model_dir), "frame_ms": self.frame_ms},
            "duration_s": e.captured_seconds,
            "bitrate_bps": self.bitrate,
            "frames": {"encoded": int(s["frames_encoded"]), "decoded": int(s["frames_decoded"]),
                       "concealed": int(s["frames_concealed"]), "comfort_noise": int(s["frames_comfort_noise"])},
            "packets": {"sent": c.sent, "delivered": c.delivered, "lost": c.lost, "late": c.late,
                        "queue_full": c.queue_full, "bytes": c.bytes_sent,
                        "sent_bps": 8000.0 * c.bytes_sent / (c.sent * self.frame_ms) if c.sent else None,
                        "loss_rate_setting": c.loss_rate, "jitter_ms": 1000 * c.jitter_s,
                        "jitter_buffer_ms": 1000 * c.buffer_s},
            "timing": {"encode_ms_per_frame": s["encode_process_ms"] / fe,
                       "decode_ms_per_frame": s["decode_process_ms"] / fd,
                       "rtf": (s["encode_process_ms"] + s["decode_process_ms"]) / audio_ms if audio_ms else None,
                       "encode_latency": s["encode_latency"], "decode_latency": s["decode_latency"],
                       "worker_realtime": bool(s["worker_realtime"])},
            "latency_ms": e.latency_total(),
            "latency_trace": {"columns": ["t_s", "device_ms", "pipeline_ms", "host_device_ms"],
                              "rows": list(e.latency_trace)},
            "playout": {"buffer_ms": 1000.0 * e.margin / e.rate,
                        "preroll_ms": 1000.0 * e.zeros_preroll / e.rate,
                        "underrun_events": e.underrun_events,
                        "underrun_ms": 1000.0 * e.underrun_samples / e.rate,
                        "trim_events": e.trim_events, "trimmed_ms": 1000.0 * e.trimmed_samples / e.rate},
            "overruns": {"events": e.overrun_events, "input_dropped_samples": e.input_dropped,
                         "codec_samples_dropped": int(s["samples_dropped"]), "fifo_dropped": e.fifo_dropped,
                         "trim_events": e.trim_events},
            "xruns": dict(e.xruns),
            "stream_restarts": e.stream_restarts,
            "callbacks": e.callbacks,
            "callback_max_gap_ms": 1000.0 * e.max_callback_gap,
            "callback_max_ms": 1000.0 * e.max_callback_time,
            "events": self.events,
            "bitrate_timeline": self.bitrate_timeline(),
        }

    @staticmethod
    def summary_lines(r: dict) -> List[str]:
        """Human-readable end-of-run lines from :meth:`report`."""
        dv, t, p, pl, lat = r["device"], r["timing"], r["packets"], r["playout"], r["latency_ms"]
        rs = (f"resampled {dv['sample_rate']} <-> {dv['model_rate']} Hz (soxr {dv['resample_quality']})"
              if dv["resampled"] else "no resampling")
        lines = [
            f"devices  in #{dv['input_index']} {dv['input']}, out #{dv['output_index']} {dv['output']}; "
            f"{dv['sample_rate']} Hz, {dv['block_samples']}-sample blocks; {rs}",
            f"ran      {r['duration_s']:.2f} s of audio, {r['frames']['encoded']} frames encoded, "
            f"{r['frames']['decoded']} decoded ({r['frames']['concealed']} concealed)",
            f"bitrate  {r['bitrate_bps']} bps at the end; {_fmt_kbps(p['sent_bps'])} kbps sent on average "
            f"(packet headers included)",
            f"speed    encode {t['encode_ms_per_frame']:.2f} ms + decode {t['decode_ms_per_frame']:.2f} ms per "
            f"{r['model']['frame_ms']:g} ms frame, RTF {t['rtf'] or 0:.3f}; worker "
            f"{'real-time' if t['worker_realtime'] else 'normal'} priority, "
            f"{t['decode_latency']['deadline_misses'] + t['encode_latency']['deadline_misses']} deadline misses",
        ]
        if lat["blocks"]:
            lines.append(f"latency  end to end (capture -> playback) mean {lat['mean_ms']:.1f} ms, min "
                         f"{lat['min_ms']:.1f}, max {lat['max_ms']:.1f} (PortAudio device buffers "
                         f"{dv['portaudio_latency_ms'][0]:.0f} + {dv['portaudio_latency_ms'][1]:.0f} ms; "
                         f"playout margin {pl['buffer_ms']:.0f} ms)")
        else:
            lines.append("latency  n/a (nothing was played)")
        xr = ", ".join(f"{k} {v}" for k, v in r["xruns"].items() if v) or "none"
        lines.append(f"xruns    PortAudio: {xr}; playback underruns {pl['underrun_events']} "
                     f"({pl['underrun_ms']:.0f} ms of zeros); overruns {r['overruns']['events']} "
                     f"({pl['trim_events']} latency trims, {pl['trimmed_ms']:.0f} ms; "
                     f"{r['overruns']['input_dropped_samples']} input samples dropped)"
                     + (f"; {r['stream_restarts']} stalled stream(s) restarted" if r.get("stream_restarts") else ""))
        if p["loss_rate_setting"] > 0 or p["jitter_ms"] > 0 or p["lost"] or p["late"]:
            lines.append(f"channel  {p['lost']} lost, {p['late']} late of {p['sent']} packets "
                         f"(jitter {p['jitter_ms']:.0f} ms, jitter buffer {p['jitter_buffer_ms']:.0f} ms)")
        return lines


class MeterOutput:
    """Where the meter goes: on a terminal one line rewritten in place
    (``\r`` + clear to end of line); otherwise (a pipe, a log) one line per
    update. :meth:`message` prints a line of its own (e.g. "bitrate=3000")."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._dirty = False

    def update(self, line: str) -> None:
        if self.tty:
            import shutil

            width = shutil.get_terminal_size((160, 24)).columns - 1  # a wrapped line cannot be rewritten
            self.stream.write("\r" + line[:width] + "\x1b[K")
            self._dirty = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        if self._dirty:
            self.stream.write("\r\x1b[K")
            self._dirty = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._dirty:
            self.stream.write("\n")
            self.stream.flush()
            self._dirty = False
