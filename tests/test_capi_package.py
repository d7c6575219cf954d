"""dist/sscodec-capi-<arch>.tar.gz: contents, exported symbols, and the C
example examples/c/encode_decode.c built against the unpacked package and run
-- natively on x86-64 (output equal to the Python API's) and, for aarch64,
under qemu-aarch64 -cpu cortex-a76 (int8: packets bit-identical to x86-64, audio within 30 dB SNR)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO_ROOT

pytestmark = pytest.mark.xdist_group("android_cache")  # shares the native build cache (conftest.py)

MODEL = REPO_ROOT / "models" / "speech16k" / "int8"
SYSROOT = "/usr/aarch64-linux-gnu"
FILES = {"include/sscodec.h", "lib/libsscodec.so", "bin/sscodec_bench", "examples/encode_decode.c", "README.md",
         "BUILD_INFO.json"}


def _package(arch, build, out):
    from sscodec.android import capi_package

    path = capi_package.package(arch, out, build=build)
    assert path.name == f"sscodec-capi-{arch}.tar.gz"
    with tarfile.open(path) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
        assert FILES <= names, names
        t.extractall(out, filter="data")
    return path, out / f"sscodec-capi-{arch}"


def _packets(path) -> list[bytes]:
    raw, out, i = path.read_bytes(), [], 0
    while i < len(raw):
        n = raw[i] | raw[i + 1] << 8
        out.append(raw[i + 2:i + 2 + n])
        i += 2 + n
    return out


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory):
    """1.5 s of the bundled speech (+77 samples: not a whole number of frames), 16-bit PCM."""
    from sscodec.paths import SAMPLE_SPEECH

    x, sr = sf.read(SAMPLE_SPEECH, dtype="int16")
    assert sr == 16000
    p = tmp_path_factory.mktemp("wav") / "in.wav"
    sf.write(p, x[:24077], sr, subtype="PCM_16")
    return p


@pytest.fixture(scope="module")
def x86_example(x86_build, speech_wav, tmp_path_factory):
    """The x86-64 package unpacked, the example built against it and run once (int8, 6 kbps)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    tmp = tmp_path_factory.mktemp("capi-x86")
    tarball, pkg = _package("x86_64", x86_build, tmp)
    exe = pkg / "encode_decode"
    subprocess.run([cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-pedantic", "-Werror", f"-I{pkg / 'include'}",
                    str(pkg / "examples" / "encode_decode.c"), f"-L{pkg / 'lib'}", "-lsscodec",
                    "-Wl,-rpath,$ORIGIN/lib", "-o", str(exe)], check=True)
    from sscodec.litert import find_litert_library

    env = {"SSCODEC_LITERT_LIB": find_litert_library(), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([str(exe), str(MODEL), str(speech_wav), str(tmp / "out.wav"), "6000", str(tmp / "pk.bin")],
                       capture_output=True, text=True, env=env, timeout=300)
    return {"tarball": tarball, "pkg": pkg, "exe": exe, "env": env, "run": r, "out": tmp / "out.wav",
            "packets": tmp / "pk.bin", "tmp": tmp}


def test_package_x86_contents_and_exports(x86_example):
    pkg = x86_example["pkg"]
    import json

    info = json.loads((pkg / "BUILD_INFO.json").read_text())
    assert info["arch"] == "x86_64" and info["api_version"] == 1
    assert (pkg / "include" / "sscodec.h").read_bytes() == (REPO_ROOT / "native/include/sscodec.h").read_bytes()
    readme = (pkg / "README.md").read_text()
    assert "libLiteRt.so" in readme and "encode_decode" in readme and "Android" in readme
    nm = shutil.which("nm")
    if nm:
        lines = subprocess.run([nm, "-D", "--defined-only", str(pkg / "lib" / "libsscodec.so")], capture_output=True,
                               text=True, check=True).stdout.splitlines()
        exported = {ln.split()[-1] for ln in lines if ln.strip()}
        assert "sscodec_create" in exported and "sscodec_pull_audio" in exported
        assert all(s.startswith("sscodec_") for s in exported), sorted(s for s in exported if not s.startswith("sscodec_"))


def test_package_is_reproducible(x86_build, x86_example, tmp_path):
    from sscodec.android import capi_package

    again = capi_package.package("x86_64", tmp_path, build=x86_build)
    assert again.read_bytes() == x86_example["tarball"].read_bytes()


def test_c_example_x86_matches_python_api(x86_example, speech_wav):
    """The example's packets and decoded audio equal sscodec.Encoder/Decoder's, bit for bit."""
    import sscodec

    r = x86_example["run"]
    assert r.returncode == 0, r.stderr
    x, sr = sf.read(speech_wav, dtype="float32")
    enc = sscodec.Encoder(MODEL, bitrate=6000)
    ref_packets = enc.encode(x) + enc.flush()
    ref_audio = sscodec.Decoder(MODEL).decode(ref_packets)[:len(x)]
    packets = _packets(x86_example["packets"])
    assert packets == ref_packets and len(packets) == 76
    m = re.search(r"(\d+) packets, (\d+) bytes", r.stdout)
    assert m and int(m.group(1)) == len(packets) and int(m.group(2)) == sum(map(len, packets))
    y, ysr = sf.read(x86_example["out"], dtype="float32")
    assert ysr == 16000 and y.shape == x.shape
    assert np.array_equal(y, ref_audio)
    # it is the speech, coded: the per-frame energy envelopes follow each other
    n = len(x) // 320 * 320
    ex, ey = (np.log(np.mean(v[:n].reshape(-1, 320) ** 2, axis=1) + 1e-8) for v in (x, y))
    assert np.corrcoef(ex, ey)[0, 1] > 0.8


def test_c_example_bad_input(x86_example, speech_wav, tmp_path):
    exe, env = str(x86_example["exe"]), x86_example["env"]

    def run(*a):
        return subprocess.run([exe, *map(str, a)], capture_output=True, text=True, env=env, timeout=120)

    r = run(MODEL)
    assert r.returncode == 2 and "usage" in r.stderr
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav file at all")
    r = run(MODEL, junk, tmp_path / "o.wav")
    assert r.returncode == 1 and "not a RIFF/WAVE" in r.stderr
    stereo = tmp_path / "stereo.wav"
    sf.write(stereo, np.zeros((1600, 2), np.float32), 16000, subtype="PCM_16")
    r = run(MODEL, stereo, tmp_path / "o.wav")
    assert r.returncode == 1 and "mono" in r.stderr
    r8k = tmp_path / "8k.wav"
    sf.write(r8k, np.zeros(800, np.float32), 8000, subtype="PCM_16")
    r = run(MODEL, r8k, tmp_path / "o.wav")
    assert r.returncode == 1 and "resample" in r.stderr
    r = run(MODEL, speech_wav, tmp_path / "o.wav", 12345)
    assert r.returncode == 1 and "bitrate" in r.stderr
    r = run(tmp_path / "no-model", speech_wav, tmp_path / "o.wav")
    assert r.returncode == 1 and "cannot open the encoder" in r.stderr
    assert not (tmp_path / "o.wav").exists()


def test_c_example_aarch64_under_qemu(aarch64_build, aarch64_litert, cpuinfo_shim, x86_example, speech_wav,
                                      tmp_path):
    """The aarch64 package + example, run under qemu-aarch64: the x86-64 run's packets bit for bit
    (int8's full-integer encoder), its audio within the android-bench rule (SNR >= 30 dB against
    x86-64's: the int8 decoder keeps float activations, whose dynamic-range kernels round
    differently per CPU)."""
    tarball, pkg = _package("aarch64", aarch64_build, tmp_path)
    exe = pkg / "encode_decode"
    subprocess.run(["aarch64-linux-gnu-gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-pedantic", "-Werror",
                    f"-I{pkg / 'include'}", str(pkg / "examples" / "encode_decode.c"), f"-L{pkg / 'lib'}",
                    "-lsscodec", "-Wl,-rpath,$ORIGIN/lib", "-o", str(exe)], check=True)
    from sscodec.android.elf import elf_machine

    assert elf_machine(exe) == "aarch64" and elf_machine(pkg / "lib" / "libsscodec.so") == "aarch64"
    out, pk = tmp_path / "out.wav", tmp_path / "pk.bin"
    r = subprocess.run(["qemu-aarch64", "-cpu", "cortex-a76", "-L", SYSROOT, "-E", f"LD_PRELOAD={cpuinfo_shim}",
                        "-E", f"SSCODEC_LITERT_LIB={aarch64_litert}", str(exe), str(MODEL), str(speech_wav),
                        str(out), "6000", str(pk)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"76 packets", r.stdout)
    assert pk.read_bytes() == x86_example["packets"].read_bytes()
    y, ysr = sf.read(out, dtype="float32")
    y86, _ = sf.read(x86_example["out"], dtype="float32")
    from sscodec.android.device_bench import INT8_DECODER_MIN_SNR_DB, decoded_snr_db

    assert ysr == 16000 and y.shape == y86.shape
    assert decoded_snr_db(y86, y) >= INT8_DECODER_MIN_SNR_DB
