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


# ---------------------------------------------------------------------------
# Converted models
# ---------------------------------------------------------------------------

DEFAULT_MODEL = "speech16k"


def models_dir() -> Path:
    """Folder of the ``sscodec.models`` package: ``sscodec/models/`` in an
    installed package, ``models/`` of the checkout in an editable install
    (found without importing the package)."""
    import importlib.util

    spec = importlib.util.find_spec(f"{__package__}.models")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0]).resolve()
    return _PACKAGE_DIR / "models"


class ModelNotFoundError(FileNotFoundError):
    """A converted model folder (default or named) does not exist."""


def default_model_dir(precision: str = "float32") -> Path:
    """The shipped default model's folder for ``precision``.

    Raises :class:`ModelNotFoundError` with what to do when it is not
    installed (the shipped model lands with training; until then pass
    ``--model DIR`` / ``model=DIR``, e.g. ``tests/data/tiny_codec/float32``).
    """
    from .manifest import PRECISIONS

    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r} (choose from {', '.join(PRECISIONS)})")
    d = models_dir() / DEFAULT_MODEL / precision
    if not (d / "manifest.json").is_file():
        raise ModelNotFoundError(
            f"the default model ({DEFAULT_MODEL}, {precision}) is not installed: {d} has no "
            f"manifest.json. It ships once training finishes; until then name a converted "
            f"model folder with --model DIR (Python: model=DIR), e.g. the tiny test model "
            f"tests/data/tiny_codec/float32, or Lyra v2's folder ../shared/lyra-v2."
        )
    return d


def resolve_model_dir(model=None, precision: str = "float32") -> Path:
    """``model`` (a folder) if given, else :func:`default_model_dir`."""
    if model is None:
        return default_model_dir(precision)
    d = Path(model).expanduser()
    if not d.is_dir():
        raise ModelNotFoundError(f"model folder not found: {d}")
    return d
