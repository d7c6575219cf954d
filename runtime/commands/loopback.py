"""Live loopback: microphone -> encoder -> packets -> (simulated loss and
jitter) -> decoder -> speaker, in real time on the native frame scheduler
(its worker thread runs the graphs; PortAudio's callback only pushes and
pulls samples).

While it runs, type a command and Enter: ``3k`` / ``bitrate=9k`` (bitrate),
``d`` / ``denoise=on|off`` (encoder-side denoiser), ``loss=0.1``, ``q``.
``--script "t=2:bitrate=3k,t=4:denoise=on"`` schedules the same commands at
audio times (seconds since capture started).

The meter line (stderr; rewritten in place on a terminal) shows: audio time,
bitrate set (and sent, packet headers included), encode + decode time per
20 ms frame, RTF, end-to-end latency (capture ADC -> playback DAC), PortAudio
xruns, playback underruns, overruns (drops). A summary goes to stdout at the
end. Devices run at the model's rate (16 kHz) when they accept it; otherwise
at their own rate with soxr resampling on both sides. A stream that stops
calling back (e.g. an ALSA poll error after an underrun at start) is closed
and reopened on the same devices, at most twice per run.

Exit status: 0 (duration reached, q, Ctrl-C), 1 no usable audio device /
model / stream error, 2 bad arguments.
"""

from __future__ import annotations

HELP = "live mic -> codec -> speaker loop in real time (meter, bitrate/denoise switching, loss, jitter)"

STALL_S = 2.0  # no audio callback for this long: the device stream has stalled
STREAM_RESTARTS = 2  # stalled streams replaced per run before giving up (exit 1)


def _latency_arg(value: str):
    import argparse

    if value in ("low", "high"):
        return value
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("latency must be low, high or seconds") from None
    if v <= 0:
        raise argparse.ArgumentTypeError("latency must be > 0 s")
    return v


def add_arguments(p) -> None:
    from ._codec_cli import MODEL_HELP, PRECISIONS, bitrate_arg

    g = p.add_argument_group("audio devices")
    g.add_argument("--list-devices", action="store_true", help="list PortAudio's devices and exit")
    g.add_argument("--input", metavar="DEV", help="capture device: number or name substring (default: the default)")
    g.add_argument("--output", metavar="DEV", help="playback device: number or name substring (default: the default)")
    g.add_argument("--rate", type=int, metavar="HZ",
                   help="device sample rate (default: the model's if the devices take it, else theirs; "
                        "other rates are resampled with soxr)")
    g.add_argument("--block-ms", type=float, default=10.0, metavar="MS", help="audio callback block (default 10 ms)")
    g.add_argument("--latency", type=_latency_arg, default="high", metavar="low|high|S",
                   help="PortAudio suggested device latency (default high)")
    g.add_argument("--buffer-ms", type=float, default=20.0, metavar="MS",
                   help="playout safety margin against late frames (default 20 ms)")
    g.add_argument("--resample-quality", choices=("QQ", "LQ", "MQ", "HQ", "VHQ"), default="LQ",
                   help="soxr quality when resampling (default LQ: <= 20 ms added per direction; VHQ adds ~75)")
    g.add_argument("--realtime-priority", type=int, default=10, metavar="N",
                   help="run the process SCHED_FIFO at priority N (the audio callback at N+1) when permitted, "
                        "e.g. as root or with an rtprio limit (default 10; 0 = normal scheduling)")

    g = p.add_argument_group("codec")
    g.add_argument("--model", metavar="DIR", help=MODEL_HELP)
    g.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help="which conversion of the default model to use (default float32; ignored with --model)")
    g.add_argument("--threads", type=int, default=1, metavar="N", help="XNNPACK threads per graph (default 1)")
    g.add_argument("--bitrate", type=bitrate_arg, metavar="BPS",
                   help="initial bitrate, e.g. 3k, 6k (default: the model's highest)")
    g.add_argument("--denoise", action="store_true", help="start with the encoder-side denoiser on")

    g = p.add_argument_group("simulated network")
    g.add_argument("--loss-rate", type=float, default=0.0, metavar="P",
                   help="packet loss, long-run fraction 0..1 (Gilbert model)")
    g.add_argument("--burst", type=float, default=None, metavar="PACKETS",
                   help="mean loss-burst length (default: independent losses)")
    g.add_argument("--jitter-ms", type=float, default=0.0, metavar="MS",
                   help="per-packet network delay, uniform in [0, MS]")
    g.add_argument("--jitter-buffer-ms", type=float, default=None, metavar="MS",
                   help="receiver jitter buffer (default: --jitter-ms; packets later than it are concealed)")
    g.add_argument("--seed", type=int, default=0, help="loss/jitter simulator seed (default 0)")

    g = p.add_argument_group("run")
    g.add_argument("--duration", type=float, metavar="S", help="stop after S seconds of audio (default: until q / Ctrl-C)")
    g.add_argument("--script", metavar="SCHEDULE", help='timed commands, e.g. "t=2:bitrate=3k,t=4:denoise=on"')
    g.add_argument("--no-stdin", action="store_true", help="do not read commands from stdin")
    g.add_argument("--record", metavar="OUT.wav", help="record what was played (device rate, mono)")
    g.add_argument("--record-input", metavar="IN.wav", help="record what was captured (device rate, mono)")
    g.add_argument("--meter-interval", type=float, default=0.5, metavar="S",
                   help="meter refresh period (default 0.5 s; 0 = no meter)")
    g.add_argument("--json", metavar="PATH", help="also write the final report as JSON")


def _check_args(args):
    """Message for the first invalid argument, or None."""
    if not 0.0 <= args.loss_rate < 1.0:
        return "--loss-rate must be in [0, 1)"
    if args.jitter_ms < 0 or (args.jitter_buffer_ms is not None and args.jitter_buffer_ms < 0):
        return "--jitter-ms / --jitter-buffer-ms must be >= 0"
    if args.duration is not None and args.duration <= 0:
        return "--duration must be > 0"
    if not 1.0 <= args.block_ms <= 100.0:
        return "--block-ms must be in [1, 100]"
    if not 0.0 <= args.buffer_ms <= 1000.0:
        return "--buffer-ms must be in [0, 1000]"
    if args.rate is not None and not 8000 <= args.rate <= 384000:
        return "--rate must be in [8000, 384000] Hz"
    if args.meter_interval < 0:
        return "--meter-interval must be >= 0"
    return None


def _realtime(priority: int) -> bool:
    """Put this thread -- and so every thread created after it: PortAudio's,
    the sound server client's, ours -- on SCHED_FIFO ``priority`` when
    permitted. On a loaded machine a normal-priority thread that holds the
    GIL or feeds the sound server otherwise delays the audio callback."""
    import os

    if priority <= 0 or not hasattr(os, "sched_setscheduler"):
        return False
    try:
        prio = min(priority, os.sched_get_priority_max(os.SCHED_FIFO))
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(prio))
        return True
    except OSError:
        return False


def _stdin_reader(q) -> None:
    import sys

    try:
        for line in sys.stdin:
            q.put(line)
    except (OSError, ValueError):
        pass


class _Controls:
    """Applies :class:`~sscodec.live.control.Action` s to the running loop."""

    def __init__(self, codec, channel, stats, out, stop):
        self.codec, self.channel, self.stats, self.out, self.stop = codec, channel, stats, out, stop

    def apply(self, action, t: float, source: str) -> None:
        try:
            if action.key == "bitrate":
                self.codec.set_bitrate(action.value)
            elif action.key == "denoise":
                on = (not self.stats.denoise) if action.value is None else bool(action.value)
                if on and not self.codec.info.encoder_denoise:
                    raise ValueError(f"model {self.codec.model_id} has no encoder-side denoiser")
                self.codec.set_denoise(on, False)
                self.stats.denoise = on
            elif action.key == "loss":
                self.channel.set_loss_rate(action.value)
            elif action.key == "quit":
                self.stop.set()
        except ValueError as e:
            self.out.message(f"[{t:7.2f} s] {source}: {action.describe()} refused: {e}")
            return
        what = action.describe()
        if action.key == "denoise":
            what = f"denoise={'on' if self.stats.denoise else 'off'}"
        self.stats.record_event(t, what)
        self.out.message(f"[{t:7.2f} s] {source}: {what}")


def run(args) -> int:
    import json
    import queue
    import signal
    import sys
    import threading
    import time
    from pathlib import Path

    from sscodec.live.control import ControlError, parse_action, parse_script
    from sscodec.live.devices import (AudioDeviceError, choose_devices, find_devices, format_devices,
                                      load_sounddevice)

    from ._codec_cli import fail, user_errors

    msg = _check_args(args)
    if msg:
        return fail(msg, 2)
    try:
        script = parse_script(args.script or "")
    except ControlError as e:
        return fail(f"--script: {e}", 2)
    try:
        sd = load_sounddevice()
        if args.list_devices:
            print(format_devices(sd))
            return 0
        find_devices(sd, args.input, args.output)  # fail before loading the model
    except AudioDeviceError as e:
        return fail(str(e))

    process_rt = _realtime(args.realtime_priority)

    from sscodec.codec import StreamingCodec
    from sscodec.live.channel import PacketChannel
    from sscodec.live.engine import LoopbackEngine
    from sscodec.live.meter import LiveStats, MeterOutput
    from sscodec.live.recorder import WavRecorder

    try:
        codec = StreamingCodec(args.model, bitrate=args.bitrate, precision=args.precision, num_threads=args.threads,
                               worker_thread=True, realtime_priority=max(0, args.realtime_priority))
    except user_errors() as e:
        return fail(str(e))
    except ValueError as e:
        return fail(str(e), 2)
    for s in script:
        if s.action.key == "bitrate":
            try:
                codec.info.num_quantizers_for(s.action.value)
            except ValueError as e:
                return fail(f"--script: {e}", 2)
    if (args.denoise or any(s.action.key == "denoise" and s.action.value for s in script)) \
            and not codec.info.encoder_denoise:
        return fail(f"model {codec.model_id} has no encoder-side denoiser", 2)
    codec.set_denoise(args.denoise, False)

    try:
        devices = choose_devices(sd, args.input, args.output, codec.sample_rate, args.rate)
    except AudioDeviceError as e:
        return fail(str(e))
    except sd.PortAudioError as e:
        return fail(f"audio devices: {e}")

    recorders = []
    try:
        rec = WavRecorder(args.record, devices.sample_rate) if args.record else None
        recorders.append(rec)
        rec_in = WavRecorder(args.record_input, devices.sample_rate) if args.record_input else None
        recorders.append(rec_in)
    except (ValueError, OSError, RuntimeError) as e:  # soundfile raises RuntimeError (LibsndfileError)
        return fail(f"--record: {e}")

    channel = PacketChannel(codec, loss_rate=args.loss_rate, burst=args.burst, jitter_ms=args.jitter_ms,
                            jitter_buffer_ms=args.jitter_buffer_ms, seed=args.seed)
    engine = LoopbackEngine(sd, codec, channel, devices, block_ms=args.block_ms, buffer_ms=args.buffer_ms,
                            latency=args.latency, resample_quality=args.resample_quality, record=rec,
                            record_input=rec_in,
                            realtime_priority=args.realtime_priority + 1 if args.realtime_priority > 0 else 0)
    stats = LiveStats(engine, codec, channel)
    stats.denoise = bool(args.denoise)
    out = MeterOutput(sys.stderr)
    stop = threading.Event()
    controls = _Controls(codec, channel, stats, out, stop)

    rs = (f"resampling {devices.sample_rate} <-> {codec.sample_rate} Hz (soxr {args.resample_quality})"
          if devices.sample_rate != codec.sample_rate else f"no resampling ({devices.sample_rate} Hz)")
    print(f"loopback: model {codec.model_id} at {stats.bitrate} bps; in #{devices.input} {devices.input_name}, "
          f"out #{devices.output} {devices.output_name}; {rs}", flush=True)
    cmds: "queue.SimpleQueue[str]" = queue.SimpleQueue()
    if not args.no_stdin and sys.stdin is not None:
        if sys.stdin.isatty():
            print("type a command + Enter: 3k | bitrate=9k | d | denoise=on | loss=0.1 | q", flush=True)
        threading.Thread(target=_stdin_reader, args=(cmds,), name="sscodec-stdin", daemon=True).start()

    old = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    sys.setswitchinterval(0.001)  # the audio callback thread waits less for the GIL
    error = None
    try:
        engine.start()
        pending = list(script)
        interval = args.meter_interval
        next_meter = time.monotonic() + (interval or 1e9)
        while not stop.is_set():
            time.sleep(0.005)
            if engine.error is not None or channel.error is not None:
                error = f"audio processing failed: {engine.error or channel.error!r}"
                break
            t = engine.captured_seconds
            while pending and pending[0].t <= t:
                controls.apply(pending.pop(0).action, t, "script")
            while True:
                try:
                    line = cmds.get_nowait()
                except queue.Empty:
                    break
                try:
                    a = parse_action(line)
                except ControlError as e:
                    out.message(f"[{t:7.2f} s] {e}")
                    continue
                if a is not None:
                    controls.apply(a, t, "stdin")
            if args.duration is not None and t >= args.duration:
                break
            now = time.monotonic()
            stall = engine.watch_stall(now, stall_s=STALL_S, max_restarts=STREAM_RESTARTS)
            if stall == "restarted":
                out.message(f"[{t:7.2f} s] the audio device stalled (no callback for {STALL_S:g} s): "
                            f"restarted the stream ({engine.stream_restarts} of {STREAM_RESTARTS})")
            elif stall == "dead":
                error = (f"the audio device stopped delivering audio (no callback for {STALL_S:g} s, "
                         f"{STREAM_RESTARTS} stream restarts did not help)")
                break
            if now >= next_meter:
                out.update(stats.line())
                next_meter = now + interval
    except sd.PortAudioError as e:
        error = f"could not run the audio stream on in #{devices.input} / out #{devices.output}: {e}"
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        try:
            engine.stop()
        except sd.PortAudioError as e:
            error = error or f"closing the audio stream: {e}"
        out.close()
        written = []
        for r in recorders:
            if r is not None:
                try:
                    written.append(r.close())
                except (OSError, RuntimeError) as e:
                    error = error or f"recording to {r.path}: {e}"
    report = stats.report()
    report["process_realtime"] = process_rt
    codec.close()
    for line in LiveStats.summary_lines(report):
        print(line)
    for p in written:
        print(f"recorded {p}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    if error:
        return fail(error)
    return 0
