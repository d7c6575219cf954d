"""sscodec: on-device streaming neural audio codec (SoundStream-style).

The hot path is native: ``sscodec._native`` is a C++17 core that loads
TFLite/LiteRT graphs through the LiteRT C API (``libLiteRt.so`` from the
``ai-edge-litert`` wheel, dlopen()ed at run time) and runs them one audio frame
at a time. ``sscodec.litert`` is the thin Python layer over it.

Importing this package must stay cheap: never import TensorFlow/Keras here
(runtime installs do not have them).
"""

__version__ = "0.1.0"

__all__ = ["__version__", "Encoder", "Decoder", "StreamingCodec"]

_LAZY = {"Encoder": "codec", "Decoder": "codec", "StreamingCodec": "codec"}


def __getattr__(name):
    # sscodec.Encoder / Decoder / StreamingCodec (sscodec.codec), imported on
    # first use so that ``import sscodec`` stays cheap.
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'sscodec' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value
