"""Show where sscodec finds its native core, libLiteRt.so and the shared data."""

from __future__ import annotations

HELP = "show native core / LiteRT library / shared-data locations"


def run(args) -> int:
    import sscodec
    from sscodec import paths

    print(f"sscodec {sscodec.__version__} at {sscodec.__path__[0]}")
    try:
        from sscodec import _native

        print(f"native core: {_native.__file__}")
    except ImportError as e:  # pragma: no cover - broken install
        print(f"native core: NOT IMPORTABLE ({e})")
    try:
        from sscodec.litert import find_litert_library

        print(f"libLiteRt.so: {find_litert_library()}")
    except Exception as e:  # noqa: BLE001 - report, don't crash
        print(f"libLiteRt.so: NOT FOUND ({e})")
    shared = paths.shared_dir()
    print(f"shared dir: {shared if shared else 'not found (set SSCODEC_SHARED)'}")
    return 0
