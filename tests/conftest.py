"""Shared pytest fixtures.

``../shared`` (read-only third-party material) is located as
``<repo root>/../shared`` or ``$SSCODEC_SHARED``; tests that need it skip
cleanly when it is absent.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = REPO_ROOT / "tests" / "data"

# ---------------------------------------------------------------------------
# Parallel runs (pytest-xdist, the README's ``-n auto``).
# * Tests that measure real-time behaviour (``pytestmark = pytest.mark.realtime``: live
#   audio through a PulseAudio daemon, latency, xruns) run ALONE: each holds an exclusive
#   lock while every other test holds a shared one, so no worker competes for the CPU
#   meanwhile. A turnstile keeps new shared holders out while an exclusive one waits.
# * Tests that share a cache outside the run (``pytest.mark.xdist_group(NAME)``: the native
#   build / bundle cache ~/.cache/sscodec/android) run one at a time: each holds the lock
#   of its group over setup + call + teardown. (pytest-xdist's own ``--dist loadgroup``
#   does not group under pytest 9.2: xdist 3.8 renames ``item._nodeid``, which pytest
#   no longer reads.)
# Without -n this changes nothing.
# ---------------------------------------------------------------------------


def _xdist_run_dir(config) -> Path:
    """Under xdist, the run's temp folder (pytest-N/), shared by its workers: xdist gives
    each worker ``--basetemp pytest-N/popen-gwK``; pytest prunes old runs' folders."""
    return Path(config.getoption("basetemp")).parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under xdist, each test's setup + call + teardown holds its groups' locks, then the
    CPU lock: shared, or exclusive for a ``realtime`` test, taken through the turnstile."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return (yield)
    from sscodec.android.cache import file_lock

    run_dir = _xdist_run_dir(item.config)
    with contextlib.ExitStack() as held:
        for name in sorted({str(m.args[0]) for m in item.iter_markers("xdist_group") if m.args}):
            held.enter_context(file_lock(run_dir / f"group-{name}.lock"))
        with file_lock(run_dir / "cpu.turnstile"):
            held.enter_context(file_lock(run_dir / "cpu.lock", shared=item.get_closest_marker("realtime") is None))
        return (yield)


def _shared_dir() -> Path | None:
    env = os.environ.get("SSCODEC_SHARED")
    p = Path(env) if env else REPO_ROOT.parent / "shared"
    return p if p.is_dir() else None


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    p = _shared_dir()
    if p is None:
        pytest.skip("../shared is absent (set SSCODEC_SHARED)")
    return p


@pytest.fixture(scope="session")
def lyra_dir(shared_dir) -> Path:
    p = shared_dir / "lyra-v2"
    if not all((p / f).is_file() for f in ("soundstream_encoder.tflite", "quantizer.tflite", "lyragan.tflite")):
        pytest.skip("../shared/lyra-v2 is absent")
    return p


@pytest.fixture(scope="session")
def tiny_models() -> Path:
    """Directory with tiny_multi.tflite / tiny_state.tflite (see tests/data/make_tiny_models.py)."""
    return TEST_DATA


@pytest.fixture(scope="session")
def built_once(request, tmp_path_factory):
    """``built_once(name, build) -> Path``: the folder ``name``, filled by ``build(folder)``
    once per test run -- under xdist once for all workers (the first to ask builds it while
    holding a lock, the others wait for it and reuse it). Read-only for its users: copy
    what you change."""
    from sscodec.android.cache import file_lock

    root = _xdist_run_dir(request.config) if os.environ.get("PYTEST_XDIST_WORKER") else tmp_path_factory.getbasetemp()

    def get(name: str, build) -> Path:
        d = root / f"once-{name}"
        with file_lock(root / f"once-{name}.lock"):
            if not (d / ".built").is_file():
                shutil.rmtree(d, ignore_errors=True)
                d.mkdir()
                build(d)
                (d / ".built").touch()
        return d

    return get


# ---------------------------------------------------------------------------
# Native builds for the Android benchmark / C API package tests
# (tests/test_android_bench.py, tests/test_capi_package.py). Builds and the
# aarch64 ai-edge-litert wheel are cached in ~/.cache/sscodec/android.
# ---------------------------------------------------------------------------

CROSS_HINT = "apt-get install g++-aarch64-linux-gnu qemu-user (bash .ci/setup does)"


def _android_tool_error():
    from sscodec.android import AndroidToolError

    return AndroidToolError


@pytest.fixture(scope="session")
def x86_build():
    """libsscodec.so + sscodec_bench for the host (x86-64)."""
    from sscodec.android import native_build

    arch = native_build.host_arch()
    if arch != "x86_64":
        pytest.skip(f"these tests compare against an x86-64 build; this host is {arch}")
    missing = native_build.missing_tools(arch)
    if missing:
        pytest.skip("cannot build natively: missing " + "; ".join(missing))
    return native_build.build(arch)


@pytest.fixture(scope="session")
def cross_tools(x86_build):
    """Skips unless the aarch64 cross compiler and qemu-user are installed."""
    import shutil

    from sscodec.android import native_build

    missing = native_build.missing_tools("aarch64")
    if shutil.which("qemu-aarch64") is None:
        missing.append("qemu-aarch64")
    if missing:
        pytest.skip(f"no aarch64 cross toolchain/emulator ({'; '.join(missing)}): {CROSS_HINT}")


@pytest.fixture(scope="session")
def aarch64_build(cross_tools):
    from sscodec.android import native_build

    return native_build.build("aarch64")


@pytest.fixture(scope="session")
def aarch64_litert(cross_tools):
    """The aarch64 libLiteRt.so (downloads the pinned wheel once; skips without network)."""
    from sscodec.android import litert_wheel

    try:
        return litert_wheel.aarch64_litert_library()
    except _android_tool_error() as e:
        if "could not download" in str(e):
            pytest.skip(f"aarch64 ai-edge-litert wheel unavailable (no network?): {str(e).splitlines()[0]}")
        raise


@pytest.fixture(scope="session")
def aarch64_bundle(aarch64_build, aarch64_litert):
    from sscodec.android import bundle

    return bundle.make_bundle(build=aarch64_build)


@pytest.fixture(scope="session")
def cpuinfo_shim(cross_tools, tmp_path_factory):
    """tools/adb_qemu/cpuinfo_shim.c built for aarch64 (XNNPACK under qemu-user needs it)."""
    import subprocess

    out = tmp_path_factory.mktemp("shim") / "cpuinfo_shim.so"
    subprocess.run(["aarch64-linux-gnu-gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", str(out),
                    str(REPO_ROOT / "tools" / "adb_qemu" / "cpuinfo_shim.c")], check=True)
    return out
