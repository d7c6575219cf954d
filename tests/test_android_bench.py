"""sscodec_bench (x86-64 and aarch64) and `sscodec android-bench` end to end
through the qemu stand-in adb (tools/adb_qemu/adb): push -> run under
qemu-aarch64 -cpu cortex-a76 -> pull, outputs checked against the x86-64 build.
Emulated numbers are never checked as timings, only labelled."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT

pytestmark = pytest.mark.xdist_group("android_cache")  # shares the native build cache (conftest.py)

MODELS = REPO_ROOT / "models" / "speech16k"
STANDIN = REPO_ROOT / "tools" / "adb_qemu" / "adb"
STAGES = ("encoder", "rvq_encode", "rvq_decode", "decoder", "encode_total", "decode_total", "total")


def _litert():
    from sscodec.litert import find_litert_library

    return find_litert_library()


def _bench(build, *args, timeout=300):
    return subprocess.run([str(build.bench), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def _split_packets(raw: bytes) -> list[bytes]:
    out, i = [], 0
    while i < len(raw):
        n = raw[i] | raw[i + 1] << 8
        out.append(raw[i + 2:i + 2 + n])
        i += 2 + n
    assert i == len(raw)
    return out


def _cli(*args, env=None, timeout=900):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "sscodec", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=e, timeout=timeout)


# ------------------------------------------------------------------ sscodec_bench on x86-64


def test_native_bench_report_and_digests(x86_build, tmp_path):
    """The report has sscodec bench's fields (+p90) and its digests match the files it wrote."""
    from sscodec.benchmarks import report

    rep, dec, pk = tmp_path / "r.json", tmp_path / "d.f32", tmp_path / "p.bin"
    r = _bench(x86_build, "--model", MODELS / "int8", "--litert", _litert(), "--frames", 30, "--warmup", 5,
               "--core", 0, "--out", rep, "--decoded-out", dec, "--packets-out", pk)
    assert r.returncode == 0, r.stderr
    d = json.loads(rep.read_text())
    assert d["schema"] == "sscodec-device-bench/1" and d["tool"]["built_for"] == "x86_64"
    assert d["core"]["pinned"] == 0 and d["core"]["running_on_end"] == 0
    assert d["model"]["bitrate_bps"] == 6000 and d["model"]["num_quantizers"] == 12
    st = d["sscodec"]["int8"]["native_scheduler"]
    for s in STAGES:
        v = st[s]
        assert v["frames"] == 30
        assert 0 < v["median_ms"] <= v["p90_ms"] <= v["p99_ms"] <= v["max_ms"], (s, v)
        assert v["rtf"] == pytest.approx(20.0 / v["median_ms"], rel=0.01)
    assert st["total"]["median_ms"] >= st["encoder"]["median_ms"]
    # digests recomputed here from the files the program wrote (warm-up frames included)
    packets = _split_packets(pk.read_bytes())
    assert len(packets) == 35 and all(len(p) == 2 + 15 for p in packets)  # 12 x 10 bits + header
    h = hashlib.sha256()
    for p in packets:
        h.update(len(p).to_bytes(2, "little") + p)
    out = d["output"]
    assert out["packets_sha256"] == h.hexdigest() and out["packet_bytes"] == sum(map(len, packets))
    audio = np.fromfile(dec, np.float32)
    assert audio.size == out["decoded_samples"] == 35 * 320
    assert out["decoded_sha256"] == hashlib.sha256(audio.tobytes()).hexdigest()
    assert out["decoded_rms"] == pytest.approx(float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))), rel=1e-5)
    assert out["decoded_rms"] > 1e-3  # real decoded audio, not silence
    # the same table code prints it
    md = report.bench_markdown(d)
    assert "| sscodec | int8 | native_scheduler |" in md and f"{st['total']['median_ms']:.3f}" in md

    # deterministic; another bitrate gives other packets
    rep2 = tmp_path / "r2.json"
    assert _bench(x86_build, "--model", MODELS / "int8", "--litert", _litert(), "--frames", 30, "--warmup", 5,
                  "--out", rep2).returncode == 0
    assert json.loads(rep2.read_text())["output"]["packets_sha256"] == out["packets_sha256"]
    rep3 = tmp_path / "r3.json"
    assert _bench(x86_build, "--model", MODELS / "int8", "--litert", _litert(), "--frames", 30, "--warmup", 5,
                  "--bitrate", 3000, "--out", rep3).returncode == 0
    d3 = json.loads(rep3.read_text())
    assert d3["model"]["bitrate_bps"] == 3000 and d3["output"]["packets_sha256"] != out["packets_sha256"]


def test_native_bench_bad_input(x86_build, tmp_path):
    lit = _litert()
    r = _bench(x86_build)
    assert r.returncode == 2 and "--model DIR is required" in r.stderr
    r = _bench(x86_build, "--model", MODELS / "int8", "--frames", 0)
    assert r.returncode == 2 and "--frames" in r.stderr
    r = _bench(x86_build, "--model", MODELS / "int8", "--bogus")
    assert r.returncode == 2 and "unknown argument" in r.stderr
    r = _bench(x86_build, "--model", tmp_path / "nope", "--litert", lit)
    assert r.returncode == 1 and "cannot open the encoder" in r.stderr
    r = _bench(x86_build, "--model", MODELS / "int8", "--litert", tmp_path / "libLiteRt.so")
    assert r.returncode == 1 and "LiteRT library not found" in r.stderr
    r = _bench(x86_build, "--model", MODELS / "int8", "--litert", lit, "--bitrate", 12345)
    assert r.returncode == 1 and "bitrate" in r.stderr
    r = _bench(x86_build, "--model", MODELS / "int8", "--litert", lit, "--core", 1023)
    assert r.returncode == 1 and "may only run on CPUs" in r.stderr
    short = tmp_path / "short.f32"
    np.zeros(10, np.float32).tofile(short)
    r = _bench(x86_build, "--model", MODELS / "int8", "--litert", lit, "--input", short)
    assert r.returncode == 1 and "at least one frame" in r.stderr
    r = _bench(x86_build, "--model", MODELS / "int8", "--litert", lit, "--out", tmp_path / "no" / "dir.json",
               "--frames", 2, "--warmup", 0)
    assert r.returncode == 1 and "cannot write" in r.stderr


# ------------------------------------------------------------------ android-bench through the stand-in


@pytest.fixture(scope="module")
def standin_run(aarch64_bundle, cpuinfo_shim, tmp_path_factory):
    """One `sscodec android-bench --adb <stand-in> --verify` run (int8 + float32, few frames)."""
    tmp = tmp_path_factory.mktemp("android")
    env = {"ADB_QEMU_ROOT": str(tmp / "device-root")}
    out = tmp / "out"
    r = _cli("android-bench", "--adb", STANDIN, "--precision", "int8,float32", "--frames", 6, "--warmup", 2,
             "--core", 0, "--verify", "--out", out, env=env)
    return r, out, tmp / "device-root" / "device" / "data" / "local" / "tmp" / "sscodec"


def test_android_bench_standin_end_to_end(standin_run, x86_build, tmp_path):
    r, out, remote = standin_run
    assert r.returncode == 0, r.stdout + r.stderr
    # labelled as emulation in the table, on stderr and in the JSON
    assert "EMULATED" in r.stdout and "NOT timings" in r.stdout
    assert "WARNING: EMULATED run" in r.stderr
    assert "| sscodec | int8 | native_scheduler |" in r.stdout and "| sscodec | float32 | native_scheduler |" in r.stdout
    doc = json.loads((out / "android_bench.json").read_text())
    from sscodec.android.device_bench import validate_doc

    assert validate_doc(doc) == []
    assert doc["emulated"] is True and doc["device"]["props"]["ro.kernel.qemu"] == "1"
    assert doc["device"]["abi"] == "arm64-v8a"
    assert doc["machine"]["machine"] == "aarch64" and "Cortex-A76" in doc["machine"]["cpu"]
    assert doc["core"]["pinned"] == 0 and doc["settings"]["frames"] == 6
    assert doc["versions"]["sscodec_bench"]["built_for"] == "aarch64"
    assert doc["bundle"]["litert"]["version"] == "2.3.0"
    assert doc["verification"]["int8"]["ok"] is True and doc["verification"]["float32"]["ok"] is True

    # Independent check: the x86-64 build on the very input file the device got.
    for prec in ("int8", "float32"):
        dev = json.loads((out / f"device_{prec}.json").read_text())  # the pulled report
        assert dev["tool"]["built_for"] == "aarch64"
        dev_audio = np.fromfile(remote / "out" / f"{prec}_decoded.f32", np.float32)
        assert hashlib.sha256(dev_audio.tobytes()).hexdigest() == dev["output"]["decoded_sha256"]
        rep, dec = tmp_path / f"{prec}.json", tmp_path / f"{prec}.f32"
        rr = _bench(x86_build, "--model", MODELS / prec, "--litert", _litert(), "--frames", 6, "--warmup", 2,
                    "--input", remote / "input.f32", "--out", rep, "--decoded-out", dec)
        assert rr.returncode == 0, rr.stderr
        ref = json.loads(rep.read_text())["output"]
        assert ref["frames"] == dev["output"]["frames"] == 8
        assert ref["packets_sha256"] == dev["output"]["packets_sha256"], prec
        x86_audio = np.fromfile(dec, np.float32)
        assert x86_audio.size == dev_audio.size == 8 * 320
        if prec == "int8":  # full-integer encoder: same packets; decoder with float activations
            from sscodec.android.device_bench import INT8_DECODER_MIN_SNR_DB, decoded_snr_db

            assert decoded_snr_db(x86_audio, dev_audio) >= INT8_DECODER_MIN_SNR_DB
        else:
            assert np.max(np.abs(x86_audio - dev_audio)) <= 1e-5
        assert np.sqrt(np.mean(dev_audio ** 2)) > 1e-3


def test_android_bench_errors(standin_run, tmp_path):
    assert standin_run[0].returncode == 0  # the bundle is built and cached
    env = {"ADB_QEMU_ROOT": str(tmp_path / "root")}
    common = ["--precision", "int8", "--frames", 2, "--warmup", 0, "--out", tmp_path / "o"]

    r = _cli("android-bench", "--adb", tmp_path / "no-adb", *common, env=env)
    assert r.returncode == 1 and "not an executable" in r.stderr
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    r = _cli("android-bench", *common, env={**env, "PATH": str(empty), "ADB": "", "ANDROID_HOME": "",
                                            "ANDROID_SDK_ROOT": ""})
    assert r.returncode == 1 and "adb not found" in r.stderr
    r = _cli("android-bench", "--adb", STANDIN, *common, env={**env, "ADB_QEMU_DEVICES": "0"})
    assert r.returncode == 1 and "no device connected" in r.stderr
    r = _cli("android-bench", "--adb", STANDIN, "--serial", "nope", *common, env=env)
    assert r.returncode == 1 and "device 'nope' not found" in r.stderr
    r = _cli("android-bench", "--adb", STANDIN, *common, env={**env, "ADB_QEMU_FULL": "1"})
    assert r.returncode == 1 and "adb push" in r.stderr and "No space left" in r.stderr
    r = _cli("android-bench", "--adb", STANDIN, "--remote-dir", "/sdcard/x", *common, env=env)
    assert r.returncode == 1 and "under /data" in r.stderr
    # a failure on the device comes back with its message and a non-zero exit
    r = _cli("android-bench", "--adb", STANDIN, "--core", 1023, *common, env=env)
    assert r.returncode == 1 and "failed on the device" in r.stderr and "may only run on CPUs" in r.stderr
    r = _cli("android-bench", "--adb", STANDIN, "--precision", "bogus", env=env)
    assert r.returncode == 2 and "unknown precision" in r.stderr
    r = _cli("android-bench", "--adb", STANDIN, "--frames", 0, env=env)
    assert r.returncode == 2
    assert not (tmp_path / "o" / "android_bench.json").exists()


def test_android_bench_local(x86_build, tmp_path):
    """--local: the x86-64 build here, same document and table, not labelled as emulation."""
    r = _cli("android-bench", "--local", "--precision", "int8", "--frames", 8, "--warmup", 2, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "EMULATED" not in r.stdout and "| sscodec | int8 | native_scheduler |" in r.stdout
    doc = json.loads((tmp_path / "android_bench.json").read_text())
    assert doc["emulated"] is False and doc["machine"]["machine"] == "x86_64"
    assert doc["macs"]["sscodec_int8"]["total_macs"] > 1e6


def test_decoded_snr_rule():
    """The int8 cross-CPU rule: SNR of the device's decoded audio against the reference's."""
    from sscodec.android.device_bench import INT8_DECODER_MIN_SNR_DB, decoded_snr_db

    x = np.sin(np.arange(16000) * 0.05).astype(np.float32) * 0.3
    assert decoded_snr_db(x, x.copy()) == float("inf")
    noise = np.random.default_rng(0).normal(size=x.size).astype(np.float32)
    for snr in (20.0, 40.0):
        scale = np.sqrt(np.sum(x.astype(np.float64) ** 2) / np.sum(noise.astype(np.float64) ** 2) / 10 ** (snr / 10))
        assert decoded_snr_db(x, x + scale * noise) == pytest.approx(snr, abs=0.01)
    assert 20.0 < INT8_DECODER_MIN_SNR_DB < 40.0


def test_integer_decoder_rule_follows_the_manifest(tmp_path):
    """Bit-identical decoded audio is required only of an all-integer decoder graph."""
    import shutil

    from sscodec.commands.android_bench import _integer_decoder

    src = REPO_ROOT / "tests" / "data" / "tiny_codec" / "int8"
    assert not _integer_decoder(src)  # the default int8 folder: float-activation decoder
    for name, extra in (("full", {}), ("fout", {"float_nodes": ["conv_out", "audio"]})):
        d = tmp_path / name
        shutil.copytree(src, d)
        doc = json.loads((d / "manifest.json").read_text())
        doc["graphs"]["decoder"].update({"precision": "int8", **extra})
        (d / "manifest.json").write_text(json.dumps(doc))
        assert _integer_decoder(d) == (name == "full"), name
