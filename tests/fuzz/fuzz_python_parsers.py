#!/usr/bin/env python3
"""Atheris (libFuzzer for Python) harness for sscodec's packet and .ssc parsers.

Every input is fed to both parsers:

* packet: the first 2 bytes select a CodecFormat (same mapping as
  native/fuzz/fuzz_common.h), the rest is a packet for
  ``sscodec.bitstream.decode_packet``;
* container: the whole input is an ``.ssc`` file for
  ``sscodec.container.parse_ssc``.

Only the documented exceptions (``sscodec.errors.SscodecError`` and
subclasses) may escape a parser; anything else (IndexError, struct.error,
OverflowError, ...) is a crash. Whatever parses must re-encode to the same
bytes.

    pip install atheris
    python tests/fuzz/fuzz_python_parsers.py --seconds 60
    python tests/fuzz/fuzz_python_parsers.py --runs 100000
    python tests/fuzz/fuzz_python_parsers.py --seconds 600 -- -jobs=1 -dict=...   # extra libFuzzer flags after --

The committed seed corpus (native/fuzz/corpus/{packet,container}) is read
but never written: new inputs go to a temporary directory (or --corpus DIR).
Crash reproducers are written to the current directory (crash-*), as usual
with libFuzzer. ``one_input`` is importable without atheris (the pytest suite
replays the corpus through it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED_DIRS = [REPO / "native" / "fuzz" / "corpus" / "packet", REPO / "native" / "fuzz" / "corpus" / "container"]
KMAXQ = (1, 2, 3, 4, 6, 8, 12, 16, 18, 24, 32, 46, 64, 128, 200, 255)

_mods = {}


def _load(instrument: bool = False):
    if _mods:
        return _mods
    import numpy  # noqa: F401  (imported first so it is not instrumented)

    import sscodec.bitstream as bitstream
    import sscodec.container as container
    import sscodec.errors as errors

    if instrument:
        import atheris

        # instrument_imports() cannot hook sscodec when it comes from an
        # editable install (custom loader), so instrument the bytecode of
        # everything loaded so far, sscodec included.
        atheris.instrument_all()
    _mods.update(bitstream=bitstream, container=container, errors=errors)
    _mods["formats"] = {}
    return _mods


def fuzz_format(s0: int, s1: int):
    """CodecFormat for the two selector bytes (cached)."""
    m = _load()
    key = (s0, s1)
    fmt = m["formats"].get(key)
    if fmt is None:
        bpc = (s0 & 0x0F) + 1
        full = 1 << bpc
        fmt = m["bitstream"].CodecFormat(
            bits_per_code=bpc, max_quantizers=KMAXQ[s0 >> 4], codebook_size=1 if s1 >= full else full - s1
        )
        m["formats"][key] = fmt
    return fmt


class InvariantError(AssertionError):
    pass


def one_input(data: bytes) -> None:
    m = _load()
    bs, ct, errors = m["bitstream"], m["container"], m["errors"]
    allowed = errors.SscodecError

    # -- packet parser --------------------------------------------------------
    if len(data) >= 2:
        fmt = fuzz_format(data[0], data[1])
        pkt = data[2:]
        try:
            p = bs.decode_packet(pkt, fmt)
        except allowed:
            pass
        else:
            if p.n_q > fmt.max_quantizers or (p.n_q and int(p.codes.max()) >= fmt.codebook_size):
                raise InvariantError("decoded packet outside its format")
            again = bs.encode_packet(p.codes, fmt, denoise=p.denoise, dtx=p.is_dtx)
            if again != pkt:
                raise InvariantError(f"packet re-encodes differently: {pkt.hex()} -> {again.hex()}")

    # -- container parser -----------------------------------------------------
    try:
        f = ct.parse_ssc(data)
    except allowed:
        ok = False
    else:
        ok = True
        again = ct.serialize_ssc(f.header, f.records)
        if again != data:
            raise InvariantError("container re-serialises differently")
        if len(f.packets) != len(f.records):
            raise InvariantError("packets/records length mismatch")
    # Structure-only parsing must accept everything full parsing accepts.
    try:
        ct.parse_ssc(data, validate_packets=False)
    except allowed:
        if ok:
            raise InvariantError("validate_packets=False rejected a valid file")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(description="atheris fuzzing of sscodec's Python parsers")
    ap.add_argument("--seconds", type=int, default=0, help="stop after this many seconds")
    ap.add_argument("--runs", type=int, default=-1, help="stop after this many inputs")
    ap.add_argument("--corpus", type=Path, help="writable corpus dir (default: a temp dir)")
    ap.add_argument("inputs", nargs="*", help="run only these files (reproduce a crash)")
    args = ap.parse_args(argv)

    import atheris

    _load(instrument=True)

    def test_one_input(data: bytes) -> None:
        one_input(bytes(data))

    tmp = None
    lf = [sys.argv[0]]
    if args.inputs:
        lf += [str(p) for p in args.inputs]
    else:
        if args.corpus is None:
            tmp = tempfile.TemporaryDirectory(prefix="sscodec-atheris-")
            args.corpus = Path(tmp.name)
        args.corpus.mkdir(parents=True, exist_ok=True)
        if args.seconds:
            lf.append(f"-max_total_time={args.seconds}")
        if args.runs >= 0:
            lf.append(f"-runs={args.runs}")
        lf += ["-max_len=4096", "-print_final_stats=1"]
        lf += extra + [str(args.corpus)] + [str(d) for d in SEED_DIRS]
    atheris.Setup(lf, test_one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
