"""Per-frame time of Lyra v2's chain (encoder -> quantize -> dequantize ->
decoder, one 20 ms frame) through sscodec's native core vs through the Python
``ai_edge_litert`` Interpreter, in the same run, on real speech.

    python -m sscodec.benchmarks.lyra_native_vs_python [--repeats 5] [--out f.json] [--check]

Paths measured (all one XNNPACK thread, fresh stream per repeat, interleaved
so machine load hits them alike):

* ``native_cpp``: ``_native.LyraV2Chain`` -- the frame loop in C++, graphs
  chained zero-copy; time per frame from C++ (steady_clock).
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
    args = ap.parse_args(argv)

    from sscodec import lyra, paths

    model_dir = args.model_dir or paths.lyra_dir()
    if model_dir is None:
        print("Lyra v2 not found (<repo root>/../shared/lyra-v2 or $SSCODEC_SHARED)", file=sys.stderr)
        return 2
    x = lyra.frames(lyra.load_speech(args.input))

    def native_cpp(nq):
        _, _, secs = lyra.NativeLyra(model_dir).process(x, nq)
        return secs * 1e3

    def native_py_runners(nq):
        r = lyra.NativeLyraRunners(model_dir)
        out = np.zeros(lyra.FRAME_SAMPLES, np.float32)
        idx = np.zeros(lyra.MAX_QUANTIZERS, np.int32)
        ms = np.zeros(len(x))
        for i, f in enumerate(x):
            t0 = time.perf_counter()
            r.process_frame(f, nq, out, idx)
            ms[i] = (time.perf_counter() - t0) * 1e3
        return ms

    def python_interpreter(nq):
        _, _, secs = lyra.InterpreterLyra(model_dir).process(x, nq)
        return secs * 1e3

    paths_ = {"native_cpp": native_cpp, "native_py_runners": native_py_runners,
              "python_interpreter": python_interpreter}
    import ai_edge_litert  # noqa: F401  (version below)
    from importlib.metadata import version

    report = {
        "benchmark": "lyra_v2_chain_per_frame",
        "machine": {"platform": platform.platform(), "processor": platform.machine(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "ai_edge_litert": version("ai-edge-litert"),
                    "loadavg_1m": round(os.getloadavg()[0], 2)},
        "audio": {"seconds": round(x.size / lyra.SAMPLE_RATE, 2), "frames_per_pass": len(x)},
        "repeats": args.repeats, "threads": 1, "results": {},
    }
    ok = True
    for bps in args.bitrate or sorted(lyra.BITRATES):
        nq = lyra.num_quantizers_for(bps)
        for fn in paths_.values():  # warm-up pass (not recorded)
            fn(nq)
        times = {k: [] for k in paths_}
        for _ in range(args.repeats):
            for k, fn in paths_.items():
                times[k].append(fn(nq))
        res = {k: _stats(np.concatenate(v)) for k, v in times.items()}
        speedup = res["python_interpreter"]["median_ms"] / res["native_cpp"]["median_ms"]
        res["speedup_median_python_over_native_cpp"] = round(speedup, 3)
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
