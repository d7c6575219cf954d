"""Python face of the native LiteRT core (``sscodec._native``).

``libLiteRt.so`` is found at run time, never linked at build time:

1. an explicit path given by the caller;
2. ``$SSCODEC_LITERT_LIB``;
3. the installed ``ai_edge_litert`` package's ``libLiteRt.so`` (located with
   ``importlib.util.find_spec`` — the package itself is not imported).

On aarch64/Android the same code runs with another path (explicit or env).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

ENV_LITERT_LIB = "SSCODEC_LITERT_LIB"
LIB_NAME = "libLiteRt.so"


class LiteRtLibraryNotFound(FileNotFoundError):
    """libLiteRt.so could not be located."""


def find_litert_library(path: str | os.PathLike | None = None) -> str:
    """Return the path of the LiteRT C API library to dlopen()."""
    if path is not None:
        p = Path(path)
        if p.is_dir():
            p = p / LIB_NAME
        if not p.is_file():
            raise LiteRtLibraryNotFound(f"LiteRT library not found at explicit path {str(p)!r}")
        return str(p)
    env = os.environ.get(ENV_LITERT_LIB)
    if env:
        p = Path(env)
        if p.is_dir():
            p = p / LIB_NAME
        if not p.is_file():
            raise LiteRtLibraryNotFound(
                f"${ENV_LITERT_LIB}={env!r} does not point at {LIB_NAME}"
            )
        return str(p)
    spec = importlib.util.find_spec("ai_edge_litert")
    if spec is None or not spec.submodule_search_locations:
        raise LiteRtLibraryNotFound(
            f"{LIB_NAME} not found: the 'ai-edge-litert' package is not installed "
            f"(pip install ai-edge-litert) and ${ENV_LITERT_LIB} is not set"
        )
    for loc in spec.submodule_search_locations:
        p = Path(loc) / LIB_NAME
        if p.is_file():
            return str(p)
    raise LiteRtLibraryNotFound(
        f"{LIB_NAME} not found in the ai_edge_litert package at "
        f"{list(spec.submodule_search_locations)}; set ${ENV_LITERT_LIB}"
    )


_ENVS: dict = {}


def environment(library: str | os.PathLike | None = None, log_level: str = "error"):
    """A shared ``_native.Environment`` for the located libLiteRt.so (cached)."""
    from . import _native

    path = find_litert_library(library)
    key = (path, log_level)
    env = _ENVS.get(key)
    if env is None:
        env = _ENVS[key] = _native.Environment(path, log_level)
    return env


def load_model(
    model: str | os.PathLike | bytes | bytearray | memoryview,
    *,
    num_threads: int = 1,
    kernels: str = "xnnpack",
    library: str | os.PathLike | None = None,
):
    """Load and compile a .tflite model (path or bytes) with the native core.

    ``num_threads=1`` + XNNPACK matches ``ai_edge_litert.interpreter.Interpreter``'s
    defaults, which gives bit-identical outputs.
    """
    from . import _native

    env = environment(library)
    if isinstance(model, (bytes, bytearray, memoryview)):
        return _native.Model.from_buffer(env, model, num_threads=num_threads, kernels=kernels)
    return _native.Model.from_file(env, os.fspath(model), num_threads=num_threads, kernels=kernels)


def aligned_empty(shape, dtype, alignment: int = 64, padding: int = 64):
    """Zeroed C-contiguous numpy array whose data is ``alignment``-aligned and
    followed by ``padding`` spare bytes: suitable for ``Runner.bind_input`` /
    ``bind_output`` (zero-copy)."""
    import numpy as np

    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.zeros(nbytes + alignment + padding, dtype=np.uint8)
    offset = (-raw.ctypes.data) % alignment
    return raw[offset : offset + nbytes].view(dtype).reshape(shape)
