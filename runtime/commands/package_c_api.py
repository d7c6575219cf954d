"""Package the C API for apps: dist/sscodec-capi-<arch>.tar.gz holding
lib/libsscodec.so, include/sscodec.h, bin/sscodec_bench, the C example
examples/encode_decode.c and a README (how to build against it, where
libLiteRt.so comes from). x86_64 builds natively, aarch64 with Debian's
g++-aarch64-linux-gnu (cmake/toolchains/aarch64-linux-gnu.cmake). Builds are
cached in ~/.cache/sscodec/android/build. Needs a source checkout.
Exit status: 0 ok, 1 build failure, 2 bad arguments.
"""

from __future__ import annotations

HELP = "build libsscodec.so + sscodec.h packages (dist/sscodec-capi-<arch>.tar.gz)"


def add_arguments(p) -> None:
    p.add_argument("--arch", choices=("x86_64", "aarch64", "all"), default="all",
                   help="target architecture (default all)")
    p.add_argument("--out", metavar="DIR", default="dist", help="output folder (default dist)")


def run(args) -> int:
    from sscodec.android import ARCHES, AndroidToolError, capi_package

    from ._codec_cli import fail

    arches = ARCHES if args.arch == "all" else (args.arch,)
    try:
        for a in arches:
            path = capi_package.package(a, args.out)
            print(f"{path} ({path.stat().st_size / 1e6:.2f} MB)")
    except (AndroidToolError, OSError) as e:
        return fail(str(e))
    return 0
