"""Write a file so that it appears whole or not at all.

``replacing(path)`` hands out a temporary path beside ``path`` (same directory, same
extension, so writers that pick a format by extension — ``soundfile``, ``np.savez`` — behave
as for ``path``); when the ``with`` block ends normally the temporary file is renamed over
``path`` in one step, and when it raises the temporary file is deleted and ``path`` is left as
it was. A reader, a crash or a full disk therefore never leaves half a file at ``path``.

    with replacing(out / "manifest.json") as tmp:
        tmp.write_text(json.dumps(doc))

(``sscodec.container.AtomicFile`` is the streaming, fsync'ing variant for the codec's own
output files.)
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def replacing(path) -> Iterator[Path]:
    """Yield a fresh temporary ``Path`` next to ``path``; rename it over ``path`` on success,
    delete it on an exception (which propagates). The file gets the permissions a plain
    ``open(path, "w")`` would (0666 less the umask)."""
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=str(path.parent) or ".", prefix=f".{path.name}.",
                                suffix=".tmp" + path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path, text: str) -> Path:
    """``Path(path).write_text(text)``, atomically (see :func:`replacing`)."""
    with replacing(path) as tmp:
        tmp.write_text(text)
    return Path(path)
