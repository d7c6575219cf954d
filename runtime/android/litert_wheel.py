"""The aarch64 ``libLiteRt.so``: from the manylinux aarch64 wheel of the pinned
``ai-edge-litert`` release (needs glibc >= 2.34 and GLIBCXX_3.4.30 at run time,
which the bundle supplies).

The wheel is fetched once with ``pip download`` (or taken from
``$SSCODEC_LITERT_AARCH64_WHEEL`` on machines without network), checked
against its pinned SHA-256, and the library is extracted into the cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from ..atomic_write import replacing
from ..manifest import sha256_file
from . import AndroidToolError
from .cache import cache_dir
from .elf import require_machine

VERSION = "2.3.0"
PLATFORM = "manylinux_2_27_aarch64"
WHEEL_NAME = f"ai_edge_litert-{VERSION}-cp311-cp311-{PLATFORM}.whl"
# sha256 of the wheel on PyPI (the library inside is Python-independent).
WHEEL_SHA256 = "853fc608f96da87bd5f3458465dfb9abbf18d5ae6b94eceacead407146f175ae"
MEMBER = "ai_edge_litert/libLiteRt.so"
ENV_WHEEL = "SSCODEC_LITERT_AARCH64_WHEEL"


def _download(dest_dir: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--platform", PLATFORM,
           "--python-version", "3.11", "--disable-pip-version-check", "-q", f"ai-edge-litert=={VERSION}",
           "-d", str(dest_dir)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise AndroidToolError("pip download of the aarch64 ai-edge-litert wheel timed out") from None
    wheel = dest_dir / WHEEL_NAME
    if r.returncode != 0 or not wheel.is_file():
        tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-8:])
        raise AndroidToolError(
            f"could not download ai-edge-litert=={VERSION} for {PLATFORM} (no network?). Download {WHEEL_NAME} "
            f"elsewhere and set ${ENV_WHEEL} to its path.\n{tail}")
    return wheel


def wheel_path() -> Path:
    """The verified wheel: ``$SSCODEC_LITERT_AARCH64_WHEEL``, the cached copy, or a fresh download."""
    env = os.environ.get(ENV_WHEEL)
    if env:
        wheel = Path(env).expanduser()
        if not wheel.is_file():
            raise AndroidToolError(f"${ENV_WHEEL}={env!r} is not a file")
    else:
        wheel = cache_dir("wheels") / WHEEL_NAME
        if not wheel.is_file():
            wheel = _download(wheel.parent)
    digest = sha256_file(wheel)
    if digest != WHEEL_SHA256:
        raise AndroidToolError(f"{wheel}: sha256 {digest} is not that of {WHEEL_NAME} ({WHEEL_SHA256}); "
                               f"delete it to download again")
    return wheel


def aarch64_litert_library() -> Path:
    """Path of the extracted aarch64 ``libLiteRt.so`` (cached)."""
    out_dir = cache_dir(f"litert-{VERSION}-aarch64")
    lib = out_dir / "libLiteRt.so"
    stamp = out_dir / "wheel.sha256"
    if lib.is_file() and stamp.is_file() and stamp.read_text().strip() == WHEEL_SHA256:
        return lib
    wheel = wheel_path()
    with replacing(lib) as tmp:
        try:
            with zipfile.ZipFile(wheel) as z, z.open(MEMBER) as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
        except (KeyError, zipfile.BadZipFile) as e:
            raise AndroidToolError(f"{wheel}: cannot extract {MEMBER}: {e}") from None
        require_machine(tmp, "aarch64")
    stamp.write_text(WHEEL_SHA256 + "\n")
    return lib
