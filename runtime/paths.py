"""Where things are: the repository checkout, ``../shared``, bundled data.

``shared`` (read-only third-party material such as Lyra v2) sits beside the
repository clone, i.e. ``<repo root>/../shared``. It is located, in order, from

1. the environment variable ``SSCODEC_SHARED`` (if set, it is authoritative);
2. the checkout this package was imported from (editable installs);
3. the current directory or one of its parents that is an sscodec checkout
   (non-editable installs run from the clone, as CI does).

Everything that needs it must cope with ``None`` (skip / explain), because a
runtime install has no ``shared``.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_SHARED = "SSCODEC_SHARED"

_PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = _PACKAGE_DIR / "data"
SAMPLE_SPEECH = DATA_DIR / "sample_speech_ru.wav"


def _is_checkout(p: Path) -> bool:
    pp = p / "pyproject.toml"
    try:
        return pp.is_file() and 'name = "sscodec"' in pp.read_text(encoding="utf-8")
    except OSError:
        return False


def repo_root() -> Path | None:
    """The sscodec source checkout, if this package or the cwd is inside one."""
    candidates = [_PACKAGE_DIR.parent]
    cwd = Path.cwd().resolve()
    candidates += [cwd, *cwd.parents]
    for c in candidates:
        if _is_checkout(c):
            return c
    return None


def shared_dir() -> Path | None:
    """``<repo root>/../shared`` (or ``$SSCODEC_SHARED``), or None if absent."""
    env = os.environ.get(ENV_SHARED)
    if env:
        p = Path(env).expanduser()
        return p if p.is_dir() else None
    root = repo_root()
    if root is not None:
        p = (root / ".." / "shared").resolve()
        if p.is_dir():
            return p
    return None


def lyra_dir() -> Path | None:
    """Directory holding Lyra v2's three .tflite files, or None if absent."""
    s = shared_dir()
    if s is None:
        return None
    p = s / "lyra-v2"
    needed = ("soundstream_encoder.tflite", "quantizer.tflite", "lyragan.tflite")
    return p if all((p / n).is_file() for n in needed) else None
