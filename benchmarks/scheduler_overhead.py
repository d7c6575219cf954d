"""Frame-scheduler benchmark: overhead per frame and deadline misses at 1x
real-time pacing.

1. Overhead (max speed, caller-thread loopback): N frames through encoder ->
   RVQ -> packetizer -> depacketizer -> concealment -> RVQ decode -> decoder
   via the C API. Graph time is measured around each graph's Run(); the
   scheduler's overhead is everything else -- framing and ring copies, packet
   packing/parsing, concealment/mixing, timing, C API push/process/pull:

     in_scheduler = processing wall time - graph time   (per frame)
     api          = wall time of the push/process/pull loop - processing wall time
     overhead %   = (in_scheduler + api) / graph time   (goal <= 2 %)

   Repeated --repeats times; the median repeat is reported.
2. Real-time pacing (worker thread): a producer pushes audio-device-sized
   chunks (--chunk samples, default 441 = 10 ms at 44.1 kHz -> here at the
   model rate) at exactly real-time cadence and a playback consumer pulls the
   same amount per period, for --pace-seconds (600 = the 10-minute run). The
   worker thread processes; the scheduler counts deadline misses (a frame
   whose latency -- last input sample in -> decoded audio ready -- exceeds the
   20 ms frame), latency p50/p99/max, overruns and underruns.

Model: --model DIR, else the shipped default, else Lyra v2 (../shared), else
the tiny test model. JSON goes to stdout (or --out FILE).

  python -m sscodec.benchmarks.scheduler_overhead                    # CI-sized (short pacing)
  python -m sscodec.benchmarks.scheduler_overhead --pace-seconds 600 --out sched.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np


def pick_model(model):
    from sscodec import paths

    if model:
        return Path(model), "given"
    try:
        return paths.default_model_dir("float32"), "default (speech16k float32)"
    except paths.ModelNotFoundError:
        pass
    if paths.lyra_dir() is not None:
        return paths.lyra_dir(), "Lyra v2 (default model not shipped yet)"
    root = paths.repo_root()
    if root is not None and (root / "tests/data/tiny_codec/float32/manifest.json").is_file():
        return root / "tests/data/tiny_codec/float32", "tiny test model (no default model, no Lyra)"
    raise SystemExit("no model: pass --model DIR")


def test_signal(seconds, rate):
    from sscodec.audio import read_audio, resample
    from sscodec.paths import SAMPLE_SPEECH

    x, sr = read_audio(SAMPLE_SPEECH)
    x = resample(x, sr, rate)
    reps = int(np.ceil(seconds * rate / len(x)))
    return np.tile(x, reps)[: int(seconds * rate)].astype(np.float32)


def overhead_run(model_dir, x, bitrate, library):
    from sscodec import _native
    from sscodec.litert import find_litert_library

    c = _native.Codec(str(model_dir), litert_library=find_litert_library(library), loopback=True,
                      bitrate=bitrate or 0)
    F = c.info["frame_size"]
    # warm-up (first runs allocate XNNPACK workspaces)
    c.push_audio(x[: 10 * F])
    c.process()
    c.pull_audio()
    c.reset()
    t0 = time.perf_counter_ns()
    pos, n = 0, len(x)
    while pos < n:
        take = min(n - pos, c.input_room())
        pos += c.push_audio(x[pos : pos + take])
        c.process()
        c.pull_audio()
    wall_ms = (time.perf_counter_ns() - t0) * 1e-6
    s = c.stats()
    frames = s["frames_decoded"]
    process_ms = s["encode_process_ms"] + s["decode_process_ms"]
    model_ms = s["model_ms"]
    in_sched = process_ms - model_ms
    api = wall_ms - process_ms
    return {
        "frames": frames,
        "model_ms_per_frame": model_ms / frames,
        "stage_ms_per_frame": {k: s[k + "_ms"] / frames for k in ("encoder", "rvq_encode", "rvq_decode", "decoder")},
        "in_scheduler_us_per_frame": 1000 * in_sched / frames,
        "api_us_per_frame": 1000 * api / frames,
        "overhead_us_per_frame": 1000 * (in_sched + api) / frames,
        "overhead_pct_of_model": 100 * (in_sched + api) / model_ms,
        "in_scheduler_pct_of_model": 100 * in_sched / model_ms,
        "rtf": wall_ms / (frames * 1000 * F / c.info["sample_rate"]),
    }


def _realtime_self(priority):
    """Give the calling (pacing) thread SCHED_FIFO, like an audio callback."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
        return True
    except (AttributeError, OSError):
        return False


def _lock_memory():
    """mlockall(MCL_CURRENT | MCL_FUTURE): no page faults (e.g. on the mmapped
    graphs) on the real-time path. Best effort; returns whether it worked."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        return libc.mlockall(1 | 2) == 0
    except (OSError, AttributeError):
        return False


def pacing_run(model_dir, x, seconds, chunk, bitrate, library, realtime=0):
    from sscodec import _native
    from sscodec.litert import find_litert_library

    c = _native.Codec(str(model_dir), litert_library=find_litert_library(library), loopback=True,
                      worker_thread=True, bitrate=bitrate or 0, input_frames=50, output_frames=50,
                      worker_rt_priority=realtime)
    callbacks_rt = _realtime_self(realtime + 1) if realtime else False
    sr, F = c.info["sample_rate"], c.info["frame_size"]
    # warm-up: the first runs of each graph allocate XNNPACK workspaces
    c.push_audio(x[: 10 * F])
    c.wait_idle(10000)
    c.pull_audio()
    c.reset()
    period = chunk / sr
    total_chunks = int(seconds * sr / chunk)
    # Playback starts after a priming (playout) delay of one frame + one chunk
    # + one frame budget: a frame's last sample arrives up to one chunk after
    # the frame ends, and the frame may then take up to its budget (one frame
    # duration) -- so a frame that meets its deadline is always played in time,
    # and every underrun is a deadline miss (the two counts agree).
    prime_chunks = int(np.ceil((2 * F + chunk) / chunk))
    pulled = pushed = 0
    underrun_windows = 0
    out = np.zeros(chunk, np.float32)
    t_start = time.perf_counter()
    late = 0
    max_lateness = 0.0
    for i in range(total_chunks + prime_chunks):
        target = t_start + i * period
        now = time.perf_counter()
        if target > now:
            time.sleep(target - now)
        else:
            lateness = now - target
            max_lateness = max(max_lateness, lateness)
            if lateness > period:
                late += 1
        if i < total_chunks:
            k = (i * chunk) % (len(x) - chunk)
            pushed += c.push_audio(x[k : k + chunk])
            if i == total_chunks - 1:
                c.flush()  # end of stream: the last partial frame is zero-padded (counted)
        if i >= prime_chunks:
            out = c.pull_audio(chunk, True)
            pulled += chunk
    c.wait_idle(10000)
    s = c.stats()
    if callbacks_rt:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    return {
        "realtime_priority": {"requested": realtime, "worker": s["worker_realtime"], "callbacks": callbacks_rt},
        "seconds": seconds,
        "chunk_samples": chunk,
        "frames": s["frames_decoded"],
        "deadline_misses": s["decode_latency"]["deadline_misses"],
        "latency_ms": {k: s["decode_latency"][k] for k in ("mean_ms", "p50_ms", "p99_ms", "max_ms")},
        "frame_budget_ms": s["frame_ms"],
        "samples_in": s["samples_in"],
        "samples_dropped": s["samples_dropped"],
        "samples_underrun": s["samples_underrun"],
        "samples_padded": s["samples_padded"],
        "packets_dropped": s["packets_dropped"],
        "priming_ms": 1000 * prime_chunks * period,
        "producer_late_periods": late,
        "producer_max_lateness_ms": 1000 * max_lateness,
        "model_ms_per_frame": s["model_ms"] / max(s["frames_decoded"], 1),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model folder (default: shipped model, else Lyra v2, else tiny)")
    ap.add_argument("--bitrate", type=int, default=0, help="bits per second (default: the model's highest)")
    ap.add_argument("--seconds", type=float, default=30.0, help="audio per overhead repeat (default 30)")
    ap.add_argument("--repeats", type=int, default=5, help="overhead repeats (default 5; the median is kept)")
    ap.add_argument("--pace-seconds", type=float, default=10.0,
                    help="length of the real-time pacing run (default 10; 600 = the 10-minute run; 0 = skip)")
    ap.add_argument("--chunk", type=int, default=441, help="samples per device callback (default 441)")
    ap.add_argument("--realtime", type=int, default=0, metavar="PRIO",
                    help="run the worker (and the pacing thread, as an audio callback would) with "
                         "SCHED_FIFO priority PRIO when permitted (default 0: normal priority)")
    ap.add_argument("--lock-memory", action="store_true",
                    help="mlockall() the process before the pacing run (no page faults on the real-time path)")
    ap.add_argument("--library", help="libLiteRt.so path")
    ap.add_argument("--out", help="write the JSON here instead of stdout")
    args = ap.parse_args(argv)

    model_dir, why = pick_model(args.model)
    from sscodec.codec import ModelInfo  # noqa: F401  (import check)
    from sscodec import _native
    from sscodec.litert import find_litert_library

    probe = _native.Codec(str(model_dir), litert_library=find_litert_library(args.library),
                          encoder=True, decoder=False)
    info = probe.info
    probe.close()
    x = test_signal(args.seconds, info["sample_rate"])
    runs = [overhead_run(model_dir, x, args.bitrate, args.library) for _ in range(args.repeats)]
    runs.sort(key=lambda r: r["overhead_pct_of_model"])
    med = runs[len(runs) // 2]
    result = {
        "benchmark": "scheduler_overhead",
        "model": str(model_dir),
        "model_choice": why,
        "model_id": info["model_id"],
        "kind": info["kind"],
        "frame_size": info["frame_size"],
        "sample_rate": info["sample_rate"],
        "bitrate_bps": args.bitrate or None,
        "host": {"machine": platform.machine(), "cpus": os.cpu_count(), "load_avg": os.getloadavg()},
        "overhead": med,
        "overhead_pct_all_repeats": [round(r["overhead_pct_of_model"], 3) for r in runs],
        "goal_overhead_pct": 2.0,
    }
    if args.pace_seconds > 0:
        result["memory_locked"] = _lock_memory() if args.lock_memory else False
        result["pacing"] = pacing_run(model_dir, x, args.pace_seconds, args.chunk, args.bitrate, args.library,
                                      args.realtime)
        result["goal_deadline_misses"] = 0
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
