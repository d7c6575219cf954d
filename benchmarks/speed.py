"""Per-frame speed of sscodec, Lyra v2 and Opus (``sscodec bench``).

Paths (all single thread, one 20 ms frame per step, run *interleaved frame by
frame* with a rotating order so machine load hits every path alike):

* ``native_scheduler``: the C API frame scheduler (``_native.Codec``, caller
  thread, loopback: encoder -> RVQ -> packet -> depacketize -> RVQ decode ->
  decoder). Total = wall time of push + process + pull; stages = the
  scheduler's own per-stage counters (stats difference per frame).
* ``native_runners``: the native core's ``Model``/``Runner`` API, one
  ``run()`` per graph, timed around each ``run()`` from Python.
* ``python_interpreter``: ``ai_edge_litert`` Interpreter signature runners
  (explicit states), timed around each call.
* Opus (``opuslib``): encode and decode per 20 ms frame.

RTF = frame duration / time per frame (> 1 is faster than real time).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

STAGES = ("encoder", "rvq_encode", "rvq_decode", "decoder")


def stats_ms(ms, frame_ms=20.0) -> dict:
    ms = np.asarray(ms, np.float64)
    med = float(np.median(ms))
    return {"median_ms": round(med, 4), "p99_ms": round(float(np.percentile(ms, 99)), 4),
            "mean_ms": round(float(ms.mean()), 4), "frames": int(ms.size),
            "rtf": round(frame_ms / med, 2) if med > 0 else None}


def test_signal(n_samples: int, rate: int = 16000) -> np.ndarray:
    from sscodec.audio import read_audio, resample
    from sscodec.paths import SAMPLE_SPEECH

    x, sr = read_audio(SAMPLE_SPEECH)
    x = resample(x, sr, rate) if sr != rate else x
    x = np.asarray(x, np.float32).reshape(-1)
    return np.tile(x, -(-n_samples // len(x)))[:n_samples]


# ---------------------------------------------------------------- sscodec paths


def _output_map(sig, logical):
    """logical output name -> runner output name (converted graphs may name
    their outputs output_0..N in sorted logical-key order)."""
    names = [t.name for t in sig.outputs]
    if all(n in names for n in logical):
        return {n: n for n in logical}
    srt = sorted(logical)
    return {n: f"output_{srt.index(n)}" for n in logical}


class SscodecRunners:
    """The four graphs through the native core's Model/Runner API."""

    def __init__(self, manifest, nq):
        from sscodec.litert import load_model

        self.m, self.nq = manifest, nq
        self.r, self.omap, self.models = {}, {}, {}
        for role, g in manifest.graphs.items():
            mod = load_model(manifest.graph_path(role), num_threads=1)
            self.models[role] = mod
            key = g.signature_for(nq) if role == "rvq_encode" else g.signature  # as the native pipeline picks
            self.r[role] = mod.runner(key)
            self.omap[role] = _output_map(mod.signature(key), [t.name for t in g.outputs])

    def _in(self, role, name):
        return self.r[role].input(name)

    def _out(self, role, name):
        return self.r[role].output(self.omap[role][name])

    def step(self, frame):
        t = {}
        for role in ("encoder", "decoder"):  # feed back state (not timed)
            for s in self.m.graphs[role].states:
                if getattr(self, "_started", False):
                    self._in(role, s["input"])[...] = self._out(role, s["output"]).reshape(s["shape"])
        self._started = True
        self._in("encoder", "audio")[...] = frame.reshape(1, -1)
        t0 = time.perf_counter(); self.r["encoder"].run(); t["encoder"] = time.perf_counter() - t0
        self._in("rvq_encode", "embedding")[...] = self._out("encoder", "embedding").reshape(
            self._in("rvq_encode", "embedding").shape)
        self._in("rvq_encode", "num_quantizers")[...] = self.nq
        t0 = time.perf_counter(); self.r["rvq_encode"].run(); t["rvq_encode"] = time.perf_counter() - t0
        self._in("rvq_decode", "codes")[...] = self._out("rvq_encode", "codes").reshape(
            self._in("rvq_decode", "codes").shape)
        self._in("rvq_decode", "num_quantizers")[...] = self.nq
        t0 = time.perf_counter(); self.r["rvq_decode"].run(); t["rvq_decode"] = time.perf_counter() - t0
        self._in("decoder", "embedding")[...] = self._out("rvq_decode", "embedding").reshape(
            self._in("decoder", "embedding").shape)
        t0 = time.perf_counter(); self.r["decoder"].run(); t["decoder"] = time.perf_counter() - t0
        return {k: v * 1e3 for k, v in t.items()}


class SscodecInterpreter:
    """The four graphs through the Python ``ai_edge_litert`` Interpreter."""

    def __init__(self, manifest, nq):
        from sscodec.converter.verify import GraphStream

        self.s, self.nq = GraphStream(manifest), nq

    def step(self, frame):
        s, t = self.s, {}
        z = np.array([0.0], np.float32)
        t0 = time.perf_counter()
        out = s._run_stateful("encoder", {"audio": frame[None].astype(np.float32), "denoise": z})
        t["encoder"] = time.perf_counter() - t0
        nq = np.array([self.nq], np.int32)
        t0 = time.perf_counter()
        codes = s.rvq_encode(out["embedding"], self.nq)[None]
        t["rvq_encode"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        emb = s.runners["rvq_decode"](codes=codes.astype(np.int32), num_quantizers=nq)["embedding"]
        t["rvq_decode"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        s._run_stateful("decoder", {"embedding": emb, "denoise": z})
        t["decoder"] = time.perf_counter() - t0
        return {k: v * 1e3 for k, v in t.items()}


class Scheduler:
    """The native frame scheduler (C API), caller thread, loopback."""

    def __init__(self, model_dir, bitrate=0):
        from sscodec import _native
        from sscodec.litert import find_litert_library

        self.c = _native.Codec(str(model_dir), litert_library=find_litert_library(None), loopback=True,
                               bitrate=int(bitrate or 0))
        self.F = self.c.info["frame_size"]
        self.prev = self.c.stats()

    def step(self, frame):
        c = self.c
        t0 = time.perf_counter()
        c.push_audio(frame)
        c.process()
        c.pull_audio()
        wall = (time.perf_counter() - t0) * 1e3
        s = c.stats()
        t = {k: s[k + "_ms"] - self.prev[k + "_ms"] for k in STAGES}
        t["total"] = wall
        self.prev = s
        return t

    def final_stats(self):
        return self.c.stats()


# ---------------------------------------------------------------- Lyra v2 paths


class LyraRunners:
    def __init__(self, model_dir, nq):
        from sscodec.lyra import NativeLyraRunners

        self.l, self.nq = NativeLyraRunners(model_dir), nq

    def step(self, frame):
        l, t = self.l, {}
        l._enc_in[...] = frame.reshape(l._enc_in.shape)
        t0 = time.perf_counter(); l.enc.run(); t["encoder"] = time.perf_counter() - t0
        l._q_in[...] = l._enc_out
        l._q_nq[...] = self.nq
        t0 = time.perf_counter(); l.qenc.run(); t["rvq_encode"] = time.perf_counter() - t0
        idx = l._q_idx.reshape(-1).copy()
        idx[self.nq:] = 0
        l._d_idx.reshape(-1)[:] = idx
        t0 = time.perf_counter(); l.qdec.run(); t["rvq_decode"] = time.perf_counter() - t0
        l._g_in[...] = l._d_out
        t0 = time.perf_counter(); l.dec.run(); t["decoder"] = time.perf_counter() - t0
        return {k: v * 1e3 for k, v in t.items()}


class LyraInterpreter:
    def __init__(self, model_dir, nq):
        from sscodec.lyra import InterpreterLyra

        self.l, self.nq = InterpreterLyra(model_dir), nq

    def step(self, frame):
        l, t = self.l, {}
        t0 = time.perf_counter()
        feat = l.enc(input_audio=frame.reshape(1, -1))["output_0"]
        t["encoder"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        q = l.qenc(input_frames=feat, num_quantizers=np.array(self.nq, dtype=np.int32))
        t["rvq_encode"] = time.perf_counter() - t0
        idx = np.array(q["output_0"], dtype=np.int32)
        idx.reshape(-1)[self.nq:] = 0
        t0 = time.perf_counter()
        y = l.qdec(encoding_indices=idx)["output_0"]
        t["rvq_decode"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        l.dec(input_audio=y)
        t["decoder"] = time.perf_counter() - t0
        return {k: v * 1e3 for k, v in t.items()}


class Opus:
    def __init__(self, bitrate):
        from .opus_ref import OpusCodec

        self.c = OpusCodec(bitrate)

    def step(self, frame):
        return self.c.timed_step(frame)


# ---------------------------------------------------------------- the run


def run_paths(paths: dict, frames: np.ndarray, warmup: int = 10, progress=None) -> dict:
    """paths: {name: object with step(frame) -> {stage: ms}}; interleaved frame by frame."""
    names = list(paths)
    times = {k: [] for k in names}
    for i, f in enumerate(frames):
        k0 = i % len(names)
        for k in names[k0:] + names[:k0]:
            t0 = time.perf_counter()
            st = paths[k].step(f)
            wall = (time.perf_counter() - t0) * 1e3
            st.setdefault("total", sum(v for s, v in st.items()))
            st["step_wall"] = wall
            if i >= warmup:
                times[k].append(st)
        if progress:
            progress(1)
    out = {}
    for k, rows in times.items():
        stages = [s for s in rows[0] if s != "step_wall"]
        out[k] = {s: stats_ms([r[s] for r in rows]) for s in stages}
    return out


def _status_kb(text, key):
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def peak_rss(model_dir, seconds: float = 5.0) -> dict:
    """Memory of a streaming encoder+decoder pair (``StreamingCodec``, loopback)
    in a fresh process: VmRSS after ``import sscodec`` + numpy (baseline), VmRSS
    after streaming ``seconds`` of audio, and the process's peak (VmHWM)."""
    code = r"""
import sys, json, numpy as np
import sscodec, sscodec.codec
def st():
    return open("/proc/self/status").read()
base = st()
sc = sscodec.StreamingCodec(sys.argv[1], loopback=True)
x = (np.random.default_rng(0).standard_normal(int(float(sys.argv[2]) * 16000)) * 0.05).astype(np.float32)
sc.roundtrip(x)
after = st()
print(json.dumps({"base": base, "after": after}))
"""
    import json

    try:
        r = subprocess.run([sys.executable, "-c", code, str(model_dir), str(seconds)], capture_output=True,
                           text=True, timeout=300)
        d = json.loads(r.stdout.strip().splitlines()[-1])
    except Exception as e:  # noqa: BLE001
        return {"peak_rss_mib": None, "error": str(e)}
    base = _status_kb(d["base"], "VmRSS") / 1024
    after = _status_kb(d["after"], "VmRSS") / 1024
    hwm = _status_kb(d["after"], "VmHWM") / 1024
    return {"peak_rss_mib": round(hwm, 1), "rss_after_stream_mib": round(after, 1),
            "python_baseline_rss_mib": round(base, 1), "codec_rss_mib": round(after - base, 1),
            "stream_seconds": seconds,
            "method": "fresh process: VmRSS after importing numpy+sscodec (baseline), VmRSS after "
                      "StreamingCodec(loopback).roundtrip of the audio, VmHWM = peak RSS of the process"}


def bench_quantizers(manifest, bitrate=None) -> int:
    """Quantizers of a speed run: the most whose bitrate fits ``bitrate`` (bps);
    default the 6 kbps operating point if it exists, else half of them.
    ValueError if ``bitrate`` is below one quantizer's."""
    N = manifest.num_quantizers
    if bitrate is None:
        return next((q for q in range(1, N + 1) if abs(manifest.bitrate(q) - 6000) < 1), max(1, N // 2))
    fit = [q for q in range(1, N + 1) if manifest.bitrate(q) <= bitrate + 1e-6]
    if not fit:
        raise ValueError(f"bitrate {bitrate} bps is below the model's lowest, {manifest.bitrate(1):.0f} bps")
    return fit[-1]


def bench(model=None, frames: int = 1000, quick: bool = False, progress: bool = True,
          pace_seconds: float | None = None, bitrate: int | None = None) -> dict:
    """The whole ``sscodec bench`` run -> JSON-able dict (see report.BENCH_KEYS).
    ``bitrate`` (bps): sscodec's (see :func:`bench_quantizers`); Lyra v2 runs at
    its nearest rate, Opus at the same (at least 6 kbps)."""
    from sscodec.manifest import load_manifest
    from sscodec.paths import lyra_dir

    from . import common, macs, opus_ref

    variants = common.model_variants(model)
    first = load_manifest(next(iter(variants.values())), verify_hashes=False)
    fs, sr, N = first.frame_size, first.sample_rate, first.num_quantizers
    frame_ms = 1000.0 * fs / sr
    nq = bench_quantizers(first, bitrate)
    bps = int(round(first.bitrate(nq)))
    warmup = 5 if quick else 20
    x = test_signal((frames + warmup) * fs, sr).reshape(-1, fs)

    result = {"schema": "sscodec-bench/1", "quick": bool(quick), "machine": common.machine_info(),
              "versions": common.versions(), "commit": common.git_commit(),
              "model": {"model_id": first.model_id, "folders": {p: str(d) for p, d in variants.items()},
                        "frame_size": fs, "sample_rate": sr, "num_quantizers": nq, "bitrate_bps": bps},
              "settings": {"frames": int(frames), "warmup_frames": warmup, "threads": 1, "interleaved": True,
                           "frame_ms": frame_ms, "audio": "bundled speech sample, tiled",
                           "rtf_definition": "frame duration / median time per frame (>1 = faster than real time)"},
              "sscodec": {}, "lyra_v2": None, "opus": None, "ratios": {}, "macs": {}, "peak": None,
              "memory": None, "scheduler": None, "unavailable": []}

    paths = {}
    for p, d in variants.items():
        m = load_manifest(d)
        paths[f"sscodec/{p}/native_scheduler"] = Scheduler(d, bps)
        paths[f"sscodec/{p}/native_runners"] = SscodecRunners(m, nq)
        paths[f"sscodec/{p}/python_interpreter"] = SscodecInterpreter(m, nq)
    ld = lyra_dir()
    from sscodec.lyra import BITRATES as LYRA_BITRATES

    lyra_bps = min(LYRA_BITRATES, key=lambda b: abs(b - bps))
    if ld is not None:
        from sscodec.lyra import num_quantizers_for

        lnq = num_quantizers_for(lyra_bps)
        paths["lyra_v2/native_scheduler"] = Scheduler(ld, lyra_bps)
        paths["lyra_v2/native_runners"] = LyraRunners(ld, lnq)
        paths["lyra_v2/python_interpreter"] = LyraInterpreter(ld, lnq)
    else:
        result["unavailable"].append({"what": "lyra_v2", "why": "../shared/lyra-v2 not found"})
    if opus_ref.available():
        paths[f"opus/{bps}bps"] = Opus(max(bps, 6000))
    else:
        result["unavailable"].append({"what": "opus", "why": "opuslib/libopus not importable"})

    bar = common.Bar(len(x), "bench frames", progress)
    timed = run_paths(paths, x, warmup=warmup, progress=bar)
    bar.close()

    for key, st in timed.items():
        parts = key.split("/")
        if parts[0] == "sscodec":
            result["sscodec"].setdefault(parts[1], {})[parts[2]] = st
        elif parts[0] == "lyra_v2":
            result["lyra_v2"] = result["lyra_v2"] or {"bitrate_bps": lyra_bps, "folder": str(ld)}
            result["lyra_v2"][parts[1]] = st
        elif parts[0] == "opus":
            result["opus"] = {"bitrate_bps": max(bps, 6000), "libopus": opus_ref.version(), "opuslib": st}
    for k, p in paths.items():
        if k.endswith("native_scheduler"):
            s = p.final_stats()
            parts = k.split("/")
            tgt = result["sscodec"][parts[1]] if parts[0] == "sscodec" else result["lyra_v2"]
            tgt["native_scheduler_latency"] = s["decode_latency"]

    # Ratios against sscodec (float32 if present), same run, median total per frame.
    ref_p = "float32" if "float32" in result["sscodec"] else next(iter(result["sscodec"]))
    ref = result["sscodec"][ref_p]["native_runners"]["total"]["median_ms"]
    ratios = {"reference": f"sscodec {ref_p} native_runners median total per frame"}
    for p, d in result["sscodec"].items():
        ratios[f"sscodec_{p}"] = round(d["native_runners"]["total"]["median_ms"] / ref, 3)
    if result["lyra_v2"]:
        ratios["lyra_v2_over_sscodec"] = round(result["lyra_v2"]["native_runners"]["total"]["median_ms"] / ref, 3)
    if result["opus"]:
        ratios["opus_over_sscodec"] = round(result["opus"]["opuslib"]["total"]["median_ms"] / ref, 4)
    result["ratios"] = ratios

    # MACs and the fraction of peak achieved.
    peak = macs.cpu_peak(measure=True)
    result["peak"] = peak
    pk = peak["measured_matmul"].get("gflops") or peak["theoretical_fma"].get("gflops")
    for p, d in variants.items():
        m = load_manifest(d, verify_hashes=False)
        mm = macs.manifest_macs(m, nq)
        t = result["sscodec"][p]["native_runners"]["total"]["median_ms"]
        achieved = 2 * mm["total_macs"] / (t * 1e-3) / 1e9
        mm["achieved_gflops"] = round(achieved, 3)
        mm["fraction_of_measured_peak"] = round(achieved / pk, 4) if pk else None
        mm["min_time_at_peak_ms"] = round(2 * mm["total_macs"] / (pk * 1e9) * 1e3, 4) if pk else None
        result["macs"][f"sscodec_{p}"] = mm
    if ld is not None:
        from sscodec.lyra import MODEL_FILES

        mm = macs.files_macs(dict(zip(("encoder", "quantizer", "decoder"), (ld / f for f in MODEL_FILES))))
        t = result["lyra_v2"]["native_runners"]["total"]["median_ms"]
        achieved = 2 * mm["total_macs"] / (t * 1e-3) / 1e9
        mm["achieved_gflops"] = round(achieved, 3)
        mm["fraction_of_measured_peak"] = round(achieved / pk, 4) if pk else None
        result["macs"]["lyra_v2"] = mm
    result["macs"]["note"] = ("MACs of CONV_2D/DEPTHWISE_CONV_2D/TRANSPOSE_CONV/FULLY_CONNECTED/BATCH_MATMUL per "
                              "20 ms frame from the flatbuffer shapes; achieved = 2*MACs / median native "
                              "total time; int8 graphs still count MACs (peak is float32)")

    # Memory and the scheduler at 1x pacing.
    fdir = variants.get("float32", next(iter(variants.values())))
    result["memory"] = peak_rss(fdir, 2.0 if quick else 10.0)
    try:
        from . import scheduler_overhead as so

        xs = test_signal(int((2 if quick else 10) * sr), sr)
        over = so.overhead_run(fdir, xs, bps, None)
        pace = so.pacing_run(fdir, xs, pace_seconds if pace_seconds is not None else (2.0 if quick else 20.0),
                             441, bps, None)
        result["scheduler"] = {"model": str(fdir), "overhead": over, "pacing_1x": pace,
                               "source": "sscodec._native.Codec stats (benchmarks/scheduler_overhead.py)"}
    except Exception as e:  # noqa: BLE001
        result["scheduler"] = None
        result["unavailable"].append({"what": "scheduler", "why": f"{type(e).__name__}: {e}"})
    result["machine"]["loadavg_1m_end"] = round(os.getloadavg()[0], 2)
    return result
