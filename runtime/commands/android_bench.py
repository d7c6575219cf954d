"""Real-time-factor benchmark on an Android phone over adb.

Builds (cached) the aarch64 bundle -- glibc loader + libraries, the aarch64
libLiteRt.so of ai-edge-litert, libsscodec.so and sscodec_bench -- pushes it
with the model's graphs to /data/local/tmp/sscodec, runs frame-by-frame timing
on the device (pinned core, 1 thread, warm-up, N frames) for each precision,
pulls the JSON reports and prints the same table as `sscodec bench`.
`--verify` also runs the x86-64 build here on the same frames and checks the
device's output (identical packets; decoded audio: int8 within 30 dB SNR, or
bit-identical with a full-integer decoder; float32 within 1e-5). `--local` runs the
x86-64 build here instead of a device.

Devices that report being an emulator (ro.kernel.qemu=1, e.g. the qemu
stand-in tools/adb_qemu/adb) are labelled EMULATED: not timings.
Exit status: 0 ok, 1 failure (adb missing, no device, push/run failed,
output mismatch), 2 bad arguments.
"""

from __future__ import annotations

HELP = "speed of the codec on an Android phone over adb (aarch64 bundle, pinned core)"

PRECISIONS = ("float32", "dynamic-int8", "int8")


def _precisions(value: str) -> list[str]:
    import argparse

    if value == "all":
        return list(PRECISIONS)
    out = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in out if v not in PRECISIONS]
    if bad or not out:
        raise argparse.ArgumentTypeError(f"unknown precision {','.join(bad) or value!r} "
                                         f"(choose from {', '.join(PRECISIONS)}, a comma list, or all)")
    return list(dict.fromkeys(out))


def _core(value: str) -> str:
    import argparse

    if value in ("auto", "none") or (value.isdigit() and int(value) < 1024):
        return value
    raise argparse.ArgumentTypeError(f"--core {value!r}: a CPU number, 'auto' (the biggest core) or 'none'")


def _positive(value: str) -> int:
    import argparse

    try:
        v = int(value)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive integer")
    return v


def add_arguments(p) -> None:
    from ._codec_cli import bitrate_arg

    p.add_argument("--adb", metavar="PATH", help="adb executable (default: $ADB, adb on PATH, $ANDROID_HOME)")
    p.add_argument("--serial", "-s", metavar="SERIAL", help="device serial (needed when several are connected)")
    p.add_argument("--core", type=_core, default="auto",
                   help="CPU core to pin to: a number, 'auto' (highest capacity / max frequency; default) or 'none'")
    p.add_argument("--precision", type=_precisions, default=list(PRECISIONS), metavar="P[,P...]",
                   help="float32, dynamic-int8, int8, a comma list, or all (default all)")
    p.add_argument("--frames", type=_positive, default=1000, help="timed frames per precision (default 1000)")
    p.add_argument("--warmup", type=int, default=20, help="untimed warm-up frames first (default 20)")
    p.add_argument("--bitrate", type=bitrate_arg, metavar="BPS",
                   help="bitrate (default 6k if the model has it, else half its quantizers)")
    p.add_argument("--model", metavar="DIR",
                   help="converted model folder (a precision folder or its parent; default the shipped speech16k)")
    p.add_argument("--out", metavar="DIR", default="benchmarks/results/android",
                   help="where android_bench.json and the raw reports go (default benchmarks/results/android)")
    p.add_argument("--remote-dir", default="/data/local/tmp/sscodec", help="folder on the device (default %(default)s)")
    p.add_argument("--verify", action="store_true",
                   help="also run the x86-64 build here on the same frames and compare the outputs")
    p.add_argument("--local", action="store_true", help="run the host (x86-64) build here instead of a device")
    p.add_argument("--timeout", type=float, default=1800, metavar="S", help="limit per run in seconds (default 1800)")


def _variants(args) -> dict:
    from sscodec.benchmarks import common

    try:
        allv = common.model_variants(args.model)
    except SystemExit as e:  # model_variants reports a missing model this way
        raise FileNotFoundError(str(e.code).removeprefix("error: ")) from None
    missing = [p for p in args.precision if p not in allv]
    if missing:
        raise FileNotFoundError(f"the model has no {', '.join(missing)} conversion (it has {', '.join(allv)})")
    return {p: allv[p] for p in args.precision}


def _integer_decoder(folder) -> bool:
    """Whether a converted folder's decoder graph is all-integer (``--int8-decoder int8``; an
    ``int8-float-out`` decoder keeps a float output conv, whose kernels may round differently
    per CPU, so it is held to the int8 SNR rule)."""
    from sscodec.manifest import load_manifest

    m = load_manifest(folder, verify_hashes=False)
    return "decoder" in m.graphs and m.graphs["decoder"].all_integer


def run(args) -> int:
    import shutil
    import sys
    from pathlib import Path

    from sscodec.android import AndroidToolError, adb as adb_mod, bundle as bundle_mod, native_build
    from sscodec.android import device_bench as db
    from sscodec.benchmarks import report
    from sscodec.manifest import ManifestError

    from ._codec_cli import fail

    def log(msg):
        print(msg, file=sys.stderr)

    if args.warmup < 0:
        return fail("--warmup must be >= 0", 2)
    if args.local and args.verify:
        return fail("--verify compares a device with this machine; it cannot be used with --local", 2)
    spec = db.RunSpec(frames=args.frames, warmup=args.warmup, core=args.core, bitrate=args.bitrate,
                      timeout_s=args.timeout)
    out = Path(args.out)
    try:
        variants = _variants(args)
        with db.tempdir() as tmp:
            work = Path(tmp)
            device = bundle = verification = None
            if args.local:
                results = db.run_local(native_build.build(native_build.host_arch()), variants, spec, work, log=log)
                prefix = "local"
            else:
                adb = adb_mod.Adb(args.adb, args.serial, timeout=args.timeout)
                dev = adb.select()
                device = db.device_info(adb, dev)
                if device["emulated"]:
                    log(f"android-bench: WARNING: {device['emulation']}")
                log("android-bench: building the aarch64 bundle (cached)")
                bundle = bundle_mod.make_bundle()
                results = db.run_on_device(adb, bundle, variants, spec, work, args.remote_dir, log=log)
                prefix = "device"
                if args.verify:
                    ref = db.run_local(native_build.build(native_build.host_arch()), variants, spec, work, log=log)
                    verification = {p: db.compare(ref[p], results[p], _integer_decoder(variants[p])) for p in results}
            doc = db.make_doc(results, variants, spec, device=device, bundle=bundle, verification=verification)
            out.mkdir(parents=True, exist_ok=True)
            for p, r in results.items():
                shutil.copyfile(work / f"{prefix}_{p}.json", out / f"{prefix}_{p}.json")
    except (AndroidToolError, ManifestError, FileNotFoundError, OSError) as e:
        return fail(str(e))
    errs = db.validate_doc(doc)
    report.write_json(doc, out / "android_bench.json")
    print(report.bench_markdown(doc))
    if verification:
        print(db.verification_markdown(verification))
    log(f"wrote {out / 'android_bench.json'}")
    if doc["emulated"]:
        log("android-bench: WARNING: EMULATED run -- the times above are not phone timings")
    if errs:
        return fail("report schema problems: " + "; ".join(errs))
    bad = [p for p, v in (verification or {}).items() if v["ok"] is False]
    if bad:
        return fail(f"device output differs from the x86-64 run for {', '.join(bad)} "
                    f"({'; '.join(verification[p]['rule'] for p in bad)})")
    return 0
