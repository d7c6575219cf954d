"""``sscodec android-bench``: run ``sscodec_bench`` on a phone over adb (or here,
natively) and turn its reports into one ``sscodec bench``-style document.

Flow on a device: pick the device -> check it is arm64 -> push the aarch64
bundle, the model's graphs and the input audio to ``/data/local/tmp/sscodec``
-> run ``./ld-linux-aarch64.so.1 --library-path ./lib ./sscodec_bench ...``
(pinned core, 1 thread) per precision -> pull each JSON report and the decoded
audio -> one document (``android_bench.json``) printed with the same table
code as ``sscodec bench``. With ``verify``, the x86-64 build runs the same
frames here and the outputs are compared (int8: identical packets, decoded
audio within 30 dB SNR of x86-64's, bit-identical when the decoder is full-integer; float32:
identical packets, decoded audio within 1e-5; dynamic-int8: reported only,
its kernels differ by CPU features).

Devices that say they are emulators (``ro.kernel.qemu``/``ro.boot.qemu`` = 1,
as the qemu stand-in ``tools/adb_qemu/adb`` does) are labelled ``emulated``:
their numbers are not timings.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import AndroidToolError

REMOTE_DIR = "/data/local/tmp/sscodec"
STAGES = ("encoder", "rvq_encode", "rvq_decode", "decoder")
SCHEMA = "sscodec-android-bench/1"
FLOAT_TOL = 1e-5
# int8 folders whose decoder keeps float activations (the default): the dynamic-range kernels
# round activations differently per CPU and the difference travels on through the decoder's
# state, so the decoded audio is held to an SNR against the reference machine's, far above
# the codec's own coding noise (its output is within ~5-10 dB SNR of its input).
INT8_DECODER_MIN_SNR_DB = 30.0
RULES = {
    "int8": f"packets bit-identical (full-integer encoder); decoded audio SNR >= {INT8_DECODER_MIN_SNR_DB:g} dB "
            "against the reference (the decoder's activations are float: dynamic-range kernels round "
            "differently per CPU)",
    "int8 (integer decoder)": "packets and decoded audio bit-identical",
    "float32": f"packets identical, decoded audio within {FLOAT_TOL:g}",
    "dynamic-int8": "not required to match: XNNPACK's dynamic-range int8 kernels round differently with "
                    "different CPU features (dotprod, i8mm), so codes can differ between machines",
}
PROPS = ("ro.product.manufacturer", "ro.product.model", "ro.product.device", "ro.soc.manufacturer", "ro.soc.model",
         "ro.hardware", "ro.build.version.release", "ro.build.version.sdk", "ro.product.cpu.abi",
         "ro.kernel.qemu", "ro.boot.qemu")


@dataclass
class RunSpec:
    frames: int = 1000
    warmup: int = 20
    core: str = "auto"
    bitrate: int | None = None
    timeout_s: float = 1800


@dataclass
class RunResult:
    precision: str
    report: dict
    decoded: Path  # float32 LE samples of every frame


def input_audio(sample_rate: int) -> np.ndarray:
    """The bundled real-speech sample at the model's rate (the same audio ``sscodec bench`` uses)."""
    from sscodec.audio import read_audio, resample
    from sscodec.paths import SAMPLE_SPEECH

    x, sr = read_audio(SAMPLE_SPEECH)
    x = resample(x, sr, sample_rate) if sr != sample_rate else x
    return np.ascontiguousarray(np.asarray(x, np.float32).reshape(-1))


def bench_args(spec: RunSpec, model: str, litert: str, input_path: str, out: str, decoded: str) -> list[str]:
    a = ["--model", model, "--litert", litert, "--frames", str(spec.frames), "--warmup", str(spec.warmup),
         "--core", str(spec.core), "--input", input_path, "--out", out, "--decoded-out", decoded]
    if spec.bitrate:
        a += ["--bitrate", str(spec.bitrate)]
    return a


def _load_report(path: Path, where: str) -> dict:
    try:
        d = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise AndroidToolError(f"{where}: report {path} unreadable: {e}") from None
    if d.get("schema") != "sscodec-device-bench/1":
        raise AndroidToolError(f"{where}: {path} is not an sscodec_bench report")
    return d


# ------------------------------------------------------------------ device


def device_info(adb, device) -> dict:
    props = {p: adb.getprop(p) for p in PROPS}
    abi = props.get("ro.product.cpu.abi", "")
    if abi and not abi.startswith("arm64"):
        raise AndroidToolError(f"device {device.serial} is {abi}, the bundle is for arm64-v8a (aarch64)")
    emulated = props.get("ro.kernel.qemu") == "1" or props.get("ro.boot.qemu") == "1"
    return {"serial": device.serial, "props": props,
            "name": " ".join(v for v in (props.get("ro.product.manufacturer"), props.get("ro.product.model")) if v),
            "android": props.get("ro.build.version.release"), "abi": abi, "emulated": emulated,
            "emulation": ("the device reports ro.kernel.qemu/ro.boot.qemu = 1 (an emulator): "
                          "numbers are NOT timings of a phone") if emulated else None}


def run_on_device(adb, bundle, variants: dict, spec: RunSpec, work: Path, remote_dir: str = REMOTE_DIR,
                  log=print) -> dict:
    """Push, run each precision, pull. {precision: RunResult}."""
    rd = remote_dir.rstrip("/")
    if not rd.startswith("/data/") or rd in ("/data/local", "/data/local/tmp") or ".." in rd.split("/"):
        raise AndroidToolError(f"--remote-dir {remote_dir!r}: give a folder of its own under /data (programs cannot "
                               f"run from /sdcard), e.g. {REMOTE_DIR}")
    remote_dir = rd
    from sscodec.manifest import load_manifest

    rq = shlex.quote
    adb.check_shell(f"rm -rf {rq(remote_dir)} && mkdir -p {rq(remote_dir + '/lib')} {rq(remote_dir + '/out')}",
                    f"preparing {remote_dir}")
    log(f"android-bench: pushing the bundle ({bundle.info['bytes'] / 1e6:.1f} MB) to {remote_dir}")
    for rel in sorted(bundle.files):
        adb.push(bundle.path / rel, f"{remote_dir}/{rel}")
    adb.check_shell(f"cd {rq(remote_dir)} && chmod 755 ./ld-linux-aarch64.so.1 ./sscodec_bench", "chmod")
    first = load_manifest(next(iter(variants.values())), verify_hashes=False)
    inp = work / "input.f32"
    input_audio(first.sample_rate).tofile(inp)
    adb.push(inp, f"{remote_dir}/input.f32")

    results = {}
    for prec, d in variants.items():
        m = load_manifest(d)  # hashes checked before pushing
        rmodel = f"{remote_dir}/models/{prec}"
        log(f"android-bench: pushing {m.model_id} {prec} graphs")
        for f in ["manifest.json"] + [g.file for g in m.graphs.values()]:
            adb.push(Path(d) / f, f"{rmodel}/{f}")
        rout, rdec = f"{remote_dir}/out/{prec}.json", f"{remote_dir}/out/{prec}_decoded.f32"
        argv = bundle.start_command() + bench_args(spec, rmodel, "./lib/libLiteRt.so", "./input.f32", rout, rdec)
        cmd = f"cd {rq(remote_dir)} && " + " ".join(rq(a) for a in argv)
        log(f"android-bench: running {prec} on the device: {cmd}")
        rc, out = adb.shell(cmd, timeout=spec.timeout_s)
        if rc != 0:
            hint = ""
            if rc == 159 or "Bad system call" in out:
                hint = ("\nThe kernel refused a system call (seccomp); try glibc without rseq: run the command above "
                        "with GLIBC_TUNABLES=glibc.pthread.rseq=0 in front.")
            raise AndroidToolError(f"sscodec_bench failed on the device (exit {rc}):\n{out[-3000:]}{hint}")
        lrep, ldec = work / f"device_{prec}.json", work / f"device_{prec}_decoded.f32"
        adb.pull(rout, lrep)
        adb.pull(rdec, ldec)
        results[prec] = RunResult(prec, _load_report(lrep, "device"), ldec)
    return results


# ------------------------------------------------------------------ here


def run_local(build, variants: dict, spec: RunSpec, work: Path, litert: str | None = None, log=print) -> dict:
    """The same runs with the host build (x86-64), natively. {precision: RunResult}."""
    from sscodec.litert import find_litert_library
    from sscodec.manifest import load_manifest

    lit = find_litert_library(litert)
    first = load_manifest(next(iter(variants.values())), verify_hashes=False)
    inp = work / "input.f32"
    input_audio(first.sample_rate).tofile(inp)
    results = {}
    for prec, d in variants.items():
        rep, dec = work / f"local_{prec}.json", work / f"local_{prec}_decoded.f32"
        cmd = [str(build.bench)] + bench_args(spec, str(d), lit, str(inp), str(rep), str(dec))
        log(f"android-bench: running {prec} here ({build.arch})")
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=spec.timeout_s)
        except subprocess.TimeoutExpired:
            raise AndroidToolError(f"sscodec_bench ({build.arch}) timed out") from None
        if r.returncode != 0:
            raise AndroidToolError(f"sscodec_bench ({build.arch}) failed (exit {r.returncode}):\n"
                                   f"{(r.stdout + r.stderr)[-3000:]}")
        results[prec] = RunResult(prec, _load_report(rep, build.arch), dec)
    return results


# ------------------------------------------------------------------ checks


def decoded_snr_db(ref: np.ndarray, dev: np.ndarray) -> float:
    """SNR (dB) of ``dev`` against ``ref`` (same-length float arrays); inf when identical."""
    from sscodec.models.data import snr_db

    ref, dev = np.asarray(ref, np.float64), np.asarray(dev, np.float64)
    return float("inf") if np.array_equal(ref, dev) else snr_db(ref, ref - dev)


def compare(ref: RunResult, dev: RunResult, integer_decoder: bool = False) -> dict:
    """Outputs of the same frames on two machines, judged by :data:`RULES`.
    ``integer_decoder``: the folder's decoder graph is full-integer (manifest precision int8)."""
    a, b = ref.report["output"], dev.report["output"]
    x = np.fromfile(ref.decoded, np.float32)
    y = np.fromfile(dev.decoded, np.float32)
    same_len = x.size == y.size == a["decoded_samples"] == b["decoded_samples"]
    maxdiff = float(np.max(np.abs(x - y))) if same_len and x.size else None
    snr = decoded_snr_db(x, y) if same_len and x.size else None
    pk = a["packets_sha256"] == b["packets_sha256"]
    dec = a["decoded_sha256"] == b["decoded_sha256"]
    p = ref.precision
    rule = RULES.get(p, "not compared")
    if p == "int8" and integer_decoder:
        ok, rule = pk and dec, RULES["int8 (integer decoder)"]
    elif p == "int8":
        ok = bool(pk and snr is not None and snr >= INT8_DECODER_MIN_SNR_DB)
    elif p == "float32":
        ok = bool(pk and maxdiff is not None and maxdiff <= FLOAT_TOL)
    else:
        ok = None
    return {"precision": p, "frames": a["frames"], "packets_identical": pk, "decoded_identical": dec,
            "decoded_max_abs_diff": maxdiff, "decoded_snr_db": None if snr is None or np.isinf(snr) else round(snr, 2),
            "decoded_rms": b["decoded_rms"], "reference_rms": a["decoded_rms"],
            "rule": rule, "ok": ok,
            "reference": ref.report["tool"]["built_for"], "compared": dev.report["tool"]["built_for"]}


# ------------------------------------------------------------------ document


def _macs(variants: dict, results: dict) -> tuple[dict, list]:
    out, unavailable = {}, []
    try:
        from sscodec.benchmarks import macs
        from sscodec.manifest import load_manifest

        for p, d in variants.items():
            m = load_manifest(d, verify_hashes=False)
            mm = macs.manifest_macs(m, results[p].report["model"]["num_quantizers"])
            t = results[p].report["sscodec"][p]["native_scheduler"]["total"]["median_ms"]
            mm["achieved_gflops"] = round(2 * mm["total_macs"] / (t * 1e-3) / 1e9, 3) if t else None
            mm["fraction_of_measured_peak"] = None
            mm["min_time_at_peak_ms"] = None
            out[f"sscodec_{p}"] = mm
        out["note"] = ("MACs per 20 ms frame counted on the host from the graphs' flatbuffers; achieved = 2*MACs / "
                       "median total per frame on the device")
    except Exception as e:  # noqa: BLE001  (needs ai_edge_litert's schema module)
        unavailable.append({"what": "macs", "why": f"{type(e).__name__}: {e}"})
    return out, unavailable


def make_doc(results: dict, variants: dict, spec: RunSpec, *, device: dict | None, bundle=None,
             verification: dict | None = None) -> dict:
    from sscodec.benchmarks import common

    reps = {p: r.report for p, r in results.items()}
    first = next(iter(reps.values()))
    emulated = bool(device and device.get("emulated"))
    doc = {
        "schema": SCHEMA, "quick": False, "emulated": emulated,
        "emulation": device.get("emulation") if device else None,
        "device": device or {"name": "this machine (no adb)", "serial": None, "emulated": False},
        "machine": dict(first["machine"]), "core": first["core"],
        "versions": {**common.versions(), "sscodec_bench": first["tool"]},
        "commit": common.git_commit(),
        "model": {**{k: first["model"][k] for k in ("model_id", "frame_size", "sample_rate", "num_quantizers",
                                                    "bitrate_bps")},
                  "folders": {p: str(d) for p, d in variants.items()}},
        "settings": {**first["settings"], "core_requested": spec.core},
        "sscodec": {p: rep["sscodec"][p] for p, rep in reps.items()},
        "lyra_v2": None, "opus": None,
        "memory": {p: rep["memory"] for p, rep in reps.items()},
        "outputs": {p: rep["output"] for p, rep in reps.items()},
        "verification": verification,
        "bundle": None if bundle is None else {k: bundle.info[k] for k in ("litert", "compiler", "start", "bytes")},
        "unavailable": [],
    }
    doc["machine"]["loadavg_1m_end"] = max((r["machine"].get("loadavg_1m_end") or 0) for r in reps.values())
    ref = "float32" if "float32" in reps else next(iter(reps))
    base = reps[ref]["sscodec"][ref]["native_scheduler"]["total"]["median_ms"]
    doc["ratios"] = {"reference": f"sscodec {ref} native_scheduler median total per frame on this device"}
    for p, rep in reps.items():
        doc["ratios"][f"sscodec_{p}"] = round(rep["sscodec"][p]["native_scheduler"]["total"]["median_ms"] / base, 3)
    doc["macs"], doc["unavailable"] = _macs(variants, results)
    return doc


def validate_doc(d: dict) -> list:
    """Schema problems of an android-bench document (empty = valid)."""
    errs = [f"missing key {k}" for k in ("schema", "emulated", "device", "machine", "core", "model", "settings",
                                         "sscodec", "outputs", "ratios", "macs") if k not in d]
    if d.get("schema") != SCHEMA:
        errs.append(f"schema != {SCHEMA}")
    for p, paths in (d.get("sscodec") or {}).items():
        for st in STAGES + ("total",):
            if not {"median_ms", "p90_ms", "p99_ms", "mean_ms", "frames", "rtf"} <= set(
                    paths.get("native_scheduler", {}).get(st, {})):
                errs.append(f"sscodec.{p}.native_scheduler.{st}: keys")
    return errs


def verification_markdown(ver: dict) -> str:
    L = ["", "Output check against the x86-64 build run here on the same frames:", "",
         "| precision | packets | decoded audio | max abs diff | SNR (dB) | rule | result |",
         "|---|---|---|---|---|---|---|"]
    for p, v in ver.items():
        res = {True: "OK", False: "**MISMATCH**", None: "reported"}[v["ok"]]
        md = "–" if v["decoded_max_abs_diff"] is None else f"{v['decoded_max_abs_diff']:.3g}"
        snr = "–" if v.get("decoded_snr_db") is None else f"{v['decoded_snr_db']:.1f}"
        L.append(f"| {p} | {'identical' if v['packets_identical'] else 'differ'} | "
                 f"{'identical' if v['decoded_identical'] else 'differs'} | {md} | {snr} | {v['rule']} | {res} |")
    return "\n".join(L) + "\n"


def tempdir():
    return tempfile.TemporaryDirectory(prefix="sscodec-android-")
