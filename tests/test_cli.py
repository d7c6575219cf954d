"""The installed package: one `sscodec` namespace, light import, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _run(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def test_import_is_light_and_namespaced():
    code = (
        "import sys, sscodec, sscodec.cli, sscodec.litert, sscodec.lyra, sscodec._native;"
        "import sscodec.models, sscodec.converter, sscodec.benchmarks;"
        "heavy = [m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules];"
        "assert not heavy, heavy;"
        "import importlib.util as u;"
        "leaked = [n for n in ('runtime', 'native', 'converter', 'benchmarks', 'models') if u.find_spec(n)];"
        "assert not leaked, leaked;"
        "print(sscodec.__version__)"
    )
    r = _run("-c", code, env={"PYTHONSAFEPATH": "1"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == __import__("sscodec").__version__


def test_bundled_sample_is_package_data():
    from sscodec import lyra, paths

    assert paths.SAMPLE_SPEECH.is_file()
    assert (paths.DATA_DIR / "LICENSE.festvox-ru.txt").is_file()
    x = lyra.load_speech()
    assert x.dtype == "float32" and len(x) == 96000 and 0.05 < float(abs(x).max()) <= 1.0


def test_cli_help_lists_commands():
    r = _run("-m", "sscodec", "--help")
    assert r.returncode == 0, r.stderr
    assert "lyra-roundtrip" in r.stdout and "info" in r.stdout


def test_console_script_installed():
    exe = os.path.join(os.path.dirname(sys.executable), "sscodec")
    if not os.path.exists(exe):
        pytest.skip("console scripts not next to the interpreter")
    r = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("sscodec ")


def test_lyra_roundtrip_main_job(lyra_dir):
    r = _run("-m", "sscodec", "lyra-roundtrip", "--bitrate", "3200", "--verify",
             "--model-dir", str(lyra_dir))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3200 bps" in r.stdout and "max|diff|=0 OK" in r.stdout
    assert "median ms" in r.stdout


def test_lyra_roundtrip_without_shared(tmp_path):
    r = _run("-m", "sscodec", "lyra-roundtrip", env={"SSCODEC_SHARED": str(tmp_path)})
    assert r.returncode == 2
    assert "Lyra v2 models not found" in r.stderr
