"""CMake build of ``libsscodec.so`` + ``sscodec_bench`` for x86_64 or aarch64.

Native for the host's architecture, cross for the other one (x86-64 host ->
aarch64 with ``cmake/toolchains/aarch64-linux-gnu.cmake``, Debian's
``g++-aarch64-linux-gnu``). Build trees are cached per architecture and per
source checkout under ``~/.cache/sscodec/android/build/`` and rebuilt
incrementally; ``cmake --install --strip`` lays out ``install/{lib,include,bin}``.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import ARCHES, AndroidToolError
from .cache import cache_dir, cache_lock
from .elf import require_machine

TOOLCHAINS = {"aarch64": "cmake/toolchains/aarch64-linux-gnu.cmake"}
CROSS_CXX = {"aarch64": "aarch64-linux-gnu-g++"}
APT_HINT = {"aarch64": "apt-get install g++-aarch64-linux-gnu"}


@dataclass
class NativeBuild:
    arch: str
    build_dir: Path
    prefix: Path  # install tree

    @property
    def lib(self) -> Path:
        return self.prefix / "lib" / "libsscodec.so"

    @property
    def bench(self) -> Path:
        return self.prefix / "bin" / "sscodec_bench"

    @property
    def header(self) -> Path:
        return self.prefix / "include" / "sscodec.h"

    def compiler(self) -> str:
        """"<compiler path> <version>" as CMake detected it."""
        import re

        for f in sorted(self.build_dir.glob("CMakeFiles/*/CMakeCXXCompiler.cmake")):
            t = f.read_text()
            c = re.search(r'set\(CMAKE_CXX_COMPILER "([^"]*)"\)', t)
            v = re.search(r'set\(CMAKE_CXX_COMPILER_VERSION "([^"]*)"\)', t)
            if c:
                return f"{c.group(1)} {v.group(1) if v else ''}".strip()
        return "unknown compiler"


def host_arch() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m, m)


def source_root() -> Path:
    """The sscodec checkout holding ``native/`` and ``CMakeLists.txt``."""
    from sscodec import paths

    root = paths.repo_root()
    if root is None or not (root / "CMakeLists.txt").is_file() or not (root / "native").is_dir():
        raise AndroidToolError("building the native programs needs an sscodec source checkout "
                               "(native/ and CMakeLists.txt); run from the repository")
    return root


def missing_tools(arch: str) -> list[str]:
    """What is missing to build for ``arch`` here (empty = nothing)."""
    out = []
    if shutil.which("cmake") is None:
        out.append("cmake (apt-get install cmake)")
    if arch == host_arch():
        if shutil.which(os.environ.get("CXX", "c++")) is None and shutil.which("g++") is None:
            out.append("a C++17 compiler (apt-get install g++)")
    elif arch in CROSS_CXX:
        if host_arch() != "x86_64":
            out.append(f"cross-building {arch} is set up for x86-64 hosts only")
        elif shutil.which(CROSS_CXX[arch]) is None:
            out.append(f"{CROSS_CXX[arch]} ({APT_HINT[arch]})")
    else:
        out.append(f"cross-building for {arch} from {host_arch()} is not supported")
    return out


def _run(cmd, what: str, cwd=None) -> None:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-40:])
        raise AndroidToolError(f"{what} failed (exit {r.returncode}): {' '.join(map(str, cmd))}\n{tail}")


def build(arch: str, jobs: int | None = None) -> NativeBuild:
    """Configure (if needed), build and install ``libsscodec.so`` + ``sscodec_bench``."""
    if arch not in ARCHES:
        raise AndroidToolError(f"unknown architecture {arch!r} (choose from {', '.join(ARCHES)})")
    missing = missing_tools(arch)
    if missing:
        raise AndroidToolError(f"cannot build for {arch}: missing " + "; ".join(missing))
    root = source_root()
    key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:10]
    bdir = cache_dir("build", f"{arch}-{key}")
    prefix = bdir / "install"
    cfg = ["cmake", "-S", str(root), "-B", str(bdir), "-DSSCODEC_BUILD_PYTHON=OFF", "-DSSCODEC_BUILD_CAPI=ON",
           "-DSSCODEC_BUILD_TESTS=OFF", "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_INSTALL_PREFIX={prefix}"]
    if arch != host_arch():
        cfg.append(f"-DCMAKE_TOOLCHAIN_FILE={root / TOOLCHAINS[arch]}")
    jobs = jobs or int(os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2"))
    with cache_lock(bdir):
        _run(cfg, f"CMake configure ({arch})")
        _run(["cmake", "--build", str(bdir), "-j", str(jobs), "--target", "sscodec", "sscodec_bench"],
             f"native build ({arch})")
        _run(["cmake", "--install", str(bdir), "--strip"], f"native install ({arch})")
    nb = NativeBuild(arch, bdir, prefix)
    for p in (nb.lib, nb.bench):
        require_machine(p, arch)
    if not nb.header.is_file():
        raise AndroidToolError(f"install tree {prefix} has no include/sscodec.h")
    return nb
