"""The self-contained aarch64 bundle that runs ``sscodec_bench`` on a phone.

Android has no glibc, and the aarch64 ``libLiteRt.so`` of the manylinux wheel
needs one (>= 2.34), so the bundle carries its own: the glibc loader runs the
program with the bundled libraries only::

    <bundle>/ld-linux-aarch64.so.1      glibc's dynamic loader (started directly)
    <bundle>/sscodec_bench              the benchmark (links libsscodec.so)
    <bundle>/libsscodec.so              the C API library
    <bundle>/lib/                       libLiteRt.so, libc, libm, libstdc++, libgcc_s, libdl, libpthread, librt
    <bundle>/bundle.json                what is inside (sha256, sizes, versions, start command)

    cd <bundle> && ./ld-linux-aarch64.so.1 --library-path ./lib ./sscodec_bench --model DIR ...

The glibc pieces come from the cross toolchain's sysroot (Debian 12:
glibc 2.36, libstdc++ of GCC 12), ``$SSCODEC_AARCH64_SYSROOT`` to override.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..manifest import sha256_file
from . import AndroidToolError, litert_wheel, native_build
from .cache import cache_dir
from .elf import require_machine

ENV_SYSROOT = "SSCODEC_AARCH64_SYSROOT"
DEFAULT_SYSROOT = "/usr/aarch64-linux-gnu/lib"
LOADER = "ld-linux-aarch64.so.1"
GLIBC_LIBS = ("libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libdl.so.2", "libpthread.so.0",
              "librt.so.1")
START = ["./" + LOADER, "--library-path", "./lib", "./sscodec_bench"]
MANIFEST = "bundle.json"


@dataclass
class Bundle:
    path: Path
    files: dict  # relative path -> {"sha256", "bytes"}
    info: dict

    def start_command(self) -> list[str]:
        """argv (relative to the bundle folder) that starts sscodec_bench."""
        return list(START)


def sysroot() -> Path:
    d = Path(os.environ.get(ENV_SYSROOT, DEFAULT_SYSROOT))
    if not (d / LOADER).exists():
        raise AndroidToolError(f"no aarch64 glibc at {d} ({LOADER} missing): apt-get install g++-aarch64-linux-gnu "
                               f"(or set ${ENV_SYSROOT})")
    return d


def _copy(src: Path, dst: Path, mode: int) -> None:
    if not src.exists():
        raise AndroidToolError(f"bundle: {src} not found")
    shutil.copyfile(src.resolve(), dst)  # symlinks resolved: the bundle holds real files
    dst.chmod(mode)
    require_machine(dst, "aarch64")


def make_bundle(dest: Path | None = None, build: native_build.NativeBuild | None = None) -> Bundle:
    """Build (cached) and assemble the bundle folder; returns it."""
    build = build or native_build.build("aarch64")
    if build.arch != "aarch64":
        raise AndroidToolError(f"the bundle needs the aarch64 build, got {build.arch}")
    litert = litert_wheel.aarch64_litert_library()
    root = sysroot()
    dest = Path(dest) if dest else cache_dir("bundle-aarch64")
    if dest.exists():
        if any(dest.iterdir()) and not (dest / MANIFEST).is_file():
            raise AndroidToolError(f"{dest} exists and is not an sscodec bundle; refusing to overwrite it")
        shutil.rmtree(dest)
    (dest / "lib").mkdir(parents=True)
    _copy(root / LOADER, dest / LOADER, 0o755)
    for name in GLIBC_LIBS:
        _copy(root / name, dest / "lib" / name, 0o644)
    _copy(litert, dest / "lib" / "libLiteRt.so", 0o644)
    _copy(build.bench, dest / "sscodec_bench", 0o755)
    _copy(build.lib, dest / "libsscodec.so", 0o644)
    files = {}
    for p in sorted(dest.rglob("*")):
        if p.is_file():
            files[p.relative_to(dest).as_posix()] = {"sha256": sha256_file(p),
                                                    "bytes": p.stat().st_size}
    info = {"format": "sscodec-aarch64-bundle/1", "arch": "aarch64",
            "litert": {"package": "ai-edge-litert", "version": litert_wheel.VERSION, "wheel": litert_wheel.WHEEL_NAME,
                       "wheel_sha256": litert_wheel.WHEEL_SHA256},
            "glibc_sysroot": str(root), "compiler": build.compiler(), "start": " ".join(START) + " ARGS...",
            "bytes": sum(f["bytes"] for f in files.values()), "files": files}
    (dest / MANIFEST).write_text(json.dumps(info, indent=1) + "\n")
    return Bundle(dest, files, info)
