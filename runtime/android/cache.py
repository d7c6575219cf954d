"""Where downloaded wheels, native builds and bundles are cached (outside the repo)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

ENV_CACHE = "SSCODEC_CACHE_DIR"


def cache_dir(*parts: str) -> Path:
    """``$SSCODEC_CACHE_DIR/android/...``, else ``$XDG_CACHE_HOME/sscodec/android/...``,
    else ``~/.cache/sscodec/android/...`` (created)."""
    env = os.environ.get(ENV_CACHE)
    if env:
        base = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "sscodec"
    d = base.joinpath("android", *parts)
    d.mkdir(parents=True, exist_ok=True)
    return d


@contextlib.contextmanager
def file_lock(path, *, shared: bool = False):
    """Hold a POSIX ``flock`` on ``path`` (created if missing): exclusive, or shared with
    other shared holders."""
    import fcntl

    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def cache_lock(d: Path):
    """Hold ``d/.lock`` exclusively: two processes building into the same cache folder
    (two ``sscodec android`` commands, parallel tests) take turns."""
    return file_lock(Path(d) / ".lock")
