"""Cross-built native artifacts for aarch64 (phones, ARM Linux) and x86-64.

Small modules, one job each:

* ``cache``         where downloaded/built artifacts live (``~/.cache/sscodec/android``)
* ``native_build``  CMake build of ``libsscodec.so`` + ``sscodec_bench`` for x86_64 or aarch64
* ``litert_wheel``  the aarch64 ``libLiteRt.so`` from the pinned ai-edge-litert manylinux wheel
* ``bundle``        the self-contained aarch64 bundle (glibc loader + libs + programs) for Android
* ``adb``           a thin, error-checked ``adb`` client (devices / push / pull / shell / getprop)
* ``device_bench``  ``sscodec android-bench``: push, run, pull, report, compare with x86-64
* ``capi_package``  ``dist/sscodec-capi-<arch>.tar.gz`` (library, header, example, README)

Nothing here is needed at run time by ``import sscodec``; building needs a
source checkout (``native/``), CMake and, for aarch64, Debian's
``g++-aarch64-linux-gnu``. See ``docs/android.md``.
"""

from __future__ import annotations

from ..errors import SscodecError


class AndroidToolError(SscodecError):
    """A build, download, bundle or adb step failed; the message says what to do."""


ARCHES = ("x86_64", "aarch64")
