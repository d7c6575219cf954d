"""``dist/sscodec-capi-<arch>.tar.gz``: the C API for apps, per architecture.

    sscodec-capi-<arch>/
      include/sscodec.h          the plain C API (no C++ across it)
      lib/libsscodec.so          exports sscodec_* only; dlopen()s libLiteRt.so at run time
      bin/sscodec_bench          frame-by-frame speed of a model folder on this machine
      examples/encode_decode.c   WAV -> packets -> WAV
      README.md                  build/link/run instructions, run-time requirements
      BUILD_INFO.json            arch, compiler, commit, sha256 of every file, required symbol versions

The archive is reproducible for the same build (sorted, mtime 0, root-owned).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from ..atomic_write import replacing
from . import AndroidToolError, litert_wheel, native_build

README = """# sscodec C API — {arch}

`libsscodec.so` is sscodec's streaming codec (encoder → residual VQ → packets →
decoder, 20 ms frames, packet-loss concealment, comfort noise, DTX, a
lock-free frame scheduler) behind the plain C API in `include/sscodec.h`.
Built for **{arch} Linux (glibc)** with {compiler}; it needs {needs}.
Only `sscodec_*` symbols are exported.

## Run-time requirement: libLiteRt.so

The library does not link LiteRT; it `dlopen()`s `libLiteRt.so` from
`sscodec_config.litert_library`, else `$SSCODEC_LITERT_LIB`, else the loader's
search path. Get the {arch} build from the `ai-edge-litert` {litert} wheel:

{litert_how}

## Build and run the example

```sh
cc -std=c99 -O2 -Iinclude examples/encode_decode.c -Llib -lsscodec \\
   -Wl,-rpath,'$ORIGIN/lib' -o encode_decode
SSCODEC_LITERT_LIB=/path/to/libLiteRt.so ./encode_decode MODEL_DIR in.wav out.wav 6000
```

`MODEL_DIR` is a converted model folder (`manifest.json` + four `.tflite`
graphs), e.g. `models/speech16k/int8` of the sscodec repository. The input is
mono 16-bit or float WAV at the model's rate (16 kHz); it prints the packet
count and bytes and writes the decoded audio (float WAV).
`bin/sscodec_bench --model MODEL_DIR --litert /path/to/libLiteRt.so --frames 1000`
prints per-stage frame times as JSON (`--help`).

## Android

This is a glibc build. An app process on Android uses bionic, so an APK needs
`libsscodec.so` built with the Android NDK from the same sources and the
Android build of `libLiteRt.so`; see `docs/android.md` of the repository (JNI
wrapper, jniLibs layout, threading). For benchmarking from `adb shell`,
`sscodec android-bench` runs this glibc build with a bundled glibc loader.
"""

LITERT_HOW = {
    "x86_64": "    pip install ai-edge-litert=={v}\n    python -c \"import ai_edge_litert, os; "
              "print(os.path.join(os.path.dirname(ai_edge_litert.__file__), 'libLiteRt.so'))\"",
    "aarch64": "    pip download --no-deps --only-binary=:all: --platform manylinux_2_27_aarch64 \\\n"
               "        --python-version 3.11 ai-edge-litert=={v}\n"
               "    unzip -j ai_edge_litert-{v}-*.whl ai_edge_litert/libLiteRt.so\n\n"
               "It needs glibc >= 2.34 and GLIBCXX_3.4.30 (GCC 12's libstdc++).",
}


def _symbol_versions(path: Path) -> list[str]:
    """Highest GLIBC_/GLIBCXX_/CXXABI_ version each library namespace needs (readelf -V)."""
    readelf = shutil.which("readelf") or shutil.which("aarch64-linux-gnu-readelf")
    if readelf is None:
        return []
    r = subprocess.run([readelf, "-V", "-W", str(path)], capture_output=True, text=True)
    best: dict = {}
    for name, ver in re.findall(r"Name: (GLIBCXX|GLIBC|CXXABI|GCC)_([0-9.]+)", r.stdout):
        key = tuple(int(x) for x in ver.split("."))
        if key > best.get(name, (0,)):
            best[name] = key
    return [f"{n}_{'.'.join(map(str, v))}" for n, v in sorted(best.items())]


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = len(data), mode, 0, 0, 0, "root", "root"
    tar.addfile(ti, io.BytesIO(data))


def package(arch: str, out_dir="dist", build: native_build.NativeBuild | None = None) -> Path:
    """Builds (cached) and writes ``<out_dir>/sscodec-capi-<arch>.tar.gz``; returns its path."""
    from sscodec.benchmarks import common

    nb = build or native_build.build(arch)
    root = native_build.source_root()
    example = root / "examples" / "c" / "encode_decode.c"
    if not example.is_file():
        raise AndroidToolError(f"{example} is missing")
    needs = _symbol_versions(nb.lib)
    files = {
        "include/sscodec.h": (nb.header.read_bytes(), 0o644),
        "lib/libsscodec.so": (nb.lib.read_bytes(), 0o755),
        "bin/sscodec_bench": (nb.bench.read_bytes(), 0o755),
        "examples/encode_decode.c": (example.read_bytes(), 0o644),
    }
    path_, _, ver = nb.compiler().partition(" ")
    compiler_desc = f"{Path(path_).name} {ver}".strip()
    readme = README.format(arch=arch, compiler=compiler_desc, litert=litert_wheel.VERSION,
                           needs=("symbol versions up to " + ", ".join(needs)) if needs else "a glibc Linux",
                           litert_how=LITERT_HOW[arch].format(v=litert_wheel.VERSION))
    files["README.md"] = (readme.encode(), 0o644)
    info = {"format": "sscodec-capi/1", "arch": arch, "api_version": _api_version(nb.header),
            "compiler": compiler_desc, "commit": common.git_commit(), "requires": needs,
            "litert": {"package": "ai-edge-litert", "version": litert_wheel.VERSION, "bundled": False},
            "files": {n: {"sha256": _sha(d), "bytes": len(d)} for n, (d, _) in sorted(files.items())}}
    files["BUILD_INFO.json"] = (json.dumps(info, indent=1).encode() + b"\n", 0o644)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = f"sscodec-capi-{arch}"
    path = out / f"{name}.tar.gz"
    import gzip

    with replacing(path) as tmp, open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in (name, f"{name}/bin", f"{name}/examples", f"{name}/include", f"{name}/lib"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime, ti.uname, ti.gname = tarfile.DIRTYPE, 0o755, 0, "root", "root"
            tar.addfile(ti)
        for n, (data, mode) in sorted(files.items()):
            _add(tar, f"{name}/{n}", data, mode)
    return path


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _api_version(header: Path) -> int | None:
    m = re.search(r"#define SSCODEC_API_VERSION (\d+)", header.read_text())
    return int(m.group(1)) if m else None
