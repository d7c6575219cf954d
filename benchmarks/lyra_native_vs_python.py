"""Per-frame time of Lyra v2's chain (encoder -> quantize -> dequantize ->
decoder, one 20 ms frame) through sscodec's native core vs through the Python
``ai_edge_litert`` Interpreter, in the same run, on real speech.

    python -m sscodec.benchmarks.lyra_native_vs_python [--repeats 5] [--interleave frame|pass]
                                                       [--out f.json] [--check]

Paths measured (all one XNNPACK thread, fresh streams per repeat, run
interleaved frame by frame so machine load hits them alike):

* ``native_cpp``: ``_native.LyraV2Chain`` -- graphs chained zero-copy in C++;
  time per frame measured in C++ (steady_clock) around the 4 graph runs + copies.
* ``native_py_runners``: the generic ``Model``/``Runner`` API driven from a
  Python loop (4 ``run()`` per frame on zero-copy views); time.perf_counter.
* ``python_interpreter``: ``ai_edge_litert.interpreter.Interpreter`` signature
  runners, the reference; time.perf_counter.

Prints JSON (median / p99 / mean ms per frame). ``--check`` exits 1 if the
native C++ path's median is slower than the Interpreter's. Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np


def _stats(ms: np.ndarray) -> dict:
    return {
        "frames": int(ms.size),
        "median_ms": round(float(np.median(ms)), 4),
        "p99_ms": round(float(np.percentile(ms, 99)), 4),
        "mean_ms": round(float(ms.mean()), 4),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5, help="passes over the audio per path (default 5)")
    ap.add_argument("--bitrate", type=int, action="append", choices=[3200, 6000, 9200])
    ap.add_argument("--model-dir", help="Lyra v2 folder (default: <repo>/../shared/lyra-v2)")
    ap.add_argument("--input", help="speech file (default: bundled sample)")
    ap.add_argument("--out", help="also write the JSON here")
    ap.add_argument("--check", action="store_true", help="exit 1 if native is slower than Python")
    ap.add_argument("--interleave", choices=["frame", "pass"], default="frame",
                    help="alternate paths every frame (fair under load; default) or every "
                         "pass over the audio (warmer caches)")
    args = ap.parse_args(argv)

    from sscodec import lyra, paths

    model_dir = args.model_dir or paths.lyra_dir()
    if model_dir is None:
        print("Lyra v2 not found (<repo root>/../shared/lyra-v2 or $SSCODEC_SHARED)", file=sys.stderr)
        return 2
    x = lyra.frames(lyra.load_speech(args.input))

    # One step of each path per frame, interleaved frame by frame (rotating the
    # order), so that machine load hits all paths alike.
    def make_native_cpp(nq):
        chain = lyra.NativeLyra(model_dir)

        def step(f):
            _, _, secs = chain.process(f[None, :], nq)
            return secs[0] * 1e3  # measured inside C++
        return step

    def make_native_py_runners(nq):
        r = lyra.NativeLyraRunners(model_dir)
        out = np.zeros(lyra.FRAME_SAMPLES, np.float32)
        idx = np.zeros(lyra.MAX_QUANTIZERS, np.int32)

        def step(f):
            t0 = time.perf_counter()
            r.process_frame(f, nq, out, idx)
            return (time.perf_counter() - t0) * 1e3
        return step

    def make_python_interpreter(nq):
        ref = lyra.InterpreterLyra(model_dir)

        def step(f):
            t0 = time.perf_counter()
            ref.process_frame(f, nq)
            return (time.perf_counter() - t0) * 1e3
        return step

    makers = {"native_cpp": make_native_cpp, "native_py_runners": make_native_py_runners,
              "python_interpreter": make_python_interpreter}
    names = list(makers)

    import ai_edge_litert  # noqa: F401  (version below)
    from importlib.metadata import version

    report = {
        "benchmark": "lyra_v2_chain_per_frame",
        "machine": {"platform": platform.platform(), "processor": platform.machine(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "ai_edge_litert": version("ai-edge-litert"),
                    "loadavg_1m": round(os.getloadavg()[0], 2)},
        "audio": {"seconds": round(x.size / lyra.SAMPLE_RATE, 2), "frames_per_pass": len(x)},
        "repeats": args.repeats, "interleave": args.interleave, "threads": 1, "results": {},
    }
    ok = True
    for bps in args.bitrate or sorted(lyra.BITRATES):
        nq = lyra.num_quantizers_for(bps)
        times = {k: [] for k in names}
        for rep in range(args.repeats + 1):  # pass 0 is warm-up, not recorded
            steps = {k: makers[k](nq) for k in names}  # fresh streams
            if args.interleave == "frame":
                for i, f in enumerate(x):
                    order = names[i % 3:] + names[: i % 3]
                    t = {k: steps[k](f) for k in order}
                    if rep:
                        for k in names:
                            times[k].append(t[k])
            else:  # whole passes, rotating which path goes first
                for k in names[rep % 3:] + names[: rep % 3]:
                    t = [steps[k](f) for f in x]
                    if rep:
                        times[k].extend(t)
        times = {k: np.asarray(v) for k, v in times.items()}
        res = {k: _stats(v) for k, v in times.items()}
        speedup = res["python_interpreter"]["median_ms"] / res["native_cpp"]["median_ms"]
        res["speedup_median_python_over_native_cpp"] = round(speedup, 3)
        # Same-frame pairs: robust to load drifting during the run.
        res["paired_median_python_minus_native_cpp_ms"] = round(
            float(np.median(times["python_interpreter"] - times["native_cpp"])), 4)
        res["native_not_slower"] = bool(res["native_cpp"]["median_ms"] <= res["python_interpreter"]["median_ms"])
        ok &= res["native_not_slower"]
        report["results"][f"{bps}bps"] = res
    report["machine"]["loadavg_1m_end"] = round(os.getloadavg()[0], 2)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
    return 1 if (args.check and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
