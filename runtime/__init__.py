"""sscodec: on-device streaming neural audio codec (SoundStream-style).

The hot path is native: ``sscodec._native`` is a C++17 core that loads
TFLite/LiteRT graphs through the LiteRT C API (``libLiteRt.so`` from the
``ai-edge-litert`` wheel, dlopen()ed at run time) and runs them one audio frame
at a time. ``sscodec.litert`` is the thin Python layer over it.

Importing this package must stay cheap: never import TensorFlow/Keras here
(runtime installs do not have them).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
