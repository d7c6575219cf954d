"""Shared pytest fixtures.

``../shared`` (read-only third-party material) is located as
``<repo root>/../shared`` or ``$SSCODEC_SHARED``; tests that need it skip
cleanly when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = REPO_ROOT / "tests" / "data"


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
