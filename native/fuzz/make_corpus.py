#!/usr/bin/env python3
"""Regenerate the fuzzing seed corpus in native/fuzz/corpus/ (deterministic).

    python native/fuzz/make_corpus.py            # rewrite the committed corpus
    python native/fuzz/make_corpus.py --out DIR  # write elsewhere (tests compare)

corpus/packet/*: 2 format-selector bytes (see native/fuzz/fuzz_common.h) +
one packet. corpus/container/*: whole .ssc files, container version 1
(the original seeds, kept for backward compatibility) and version 2
(``v2_*``, ``bad_v2_*``: with the source rate/length fields). Both the libFuzzer
harnesses (native/fuzz/) and the atheris harness
(tests/fuzz/fuzz_python_parsers.py) start from these files.
"""

from __future__ import annotations

import argparse
import shutil
import zlib
from pathlib import Path

import numpy as np

from sscodec.bitstream import CodecFormat, encode_dtx_packet, encode_packet
from sscodec.container import ContainerFlags, SscHeader, serialize_ssc

KMAXQ = (1, 2, 3, 4, 6, 8, 12, 16, 18, 24, 32, 46, 64, 128, 200, 255)


def fuzz_format(s0: int, s1: int) -> CodecFormat:
    """Same mapping as FuzzFormat() in native/fuzz/fuzz_common.h."""
    bpc = (s0 & 0x0F) + 1
    full = 1 << bpc
    return CodecFormat(
        bits_per_code=bpc,
        max_quantizers=KMAXQ[s0 >> 4],
        codebook_size=1 if s1 >= full else full - s1,
    )


SSCODEC_SEL = (0x99, 0x00)  # 10 bits x 24
LYRA_SEL = (0xB3, 0x00)  # 4 bits x 46


def packet_seeds(rng) -> dict[str, bytes]:
    out = {}
    for sel, tag in ((SSCODEC_SEL, "sscodec"), (LYRA_SEL, "lyra")):
        fmt = fuzz_format(*sel)
        for n_q in sorted({0, 1, 3, 6, 12, 18, fmt.max_quantizers}):
            codes = rng.integers(0, fmt.codebook_size, n_q)
            out[f"{tag}_nq{n_q:02d}"] = bytes(sel) + encode_packet(codes, fmt)
        out[f"{tag}_max_codes"] = bytes(sel) + encode_packet(
            np.full(fmt.max_quantizers, fmt.codebook_size - 1), fmt, denoise=True
        )
        out[f"{tag}_dtx"] = bytes(sel) + encode_dtx_packet(fmt)
    # Other widths, a non-power-of-two codebook, and a few invalid packets.
    for sel in ((0x00, 0x00), (0x47, 0x00), (0xFF, 0x00), (0x99, 0x18)):
        fmt = fuzz_format(*sel)
        n_q = min(fmt.max_quantizers, 5)
        out[f"fmt{sel[0]:02x}{sel[1]:02x}_nq{n_q}"] = bytes(sel) + encode_packet(
            rng.integers(0, fmt.codebook_size, n_q), fmt
        )
    good = encode_packet([1, 2, 1023], fuzz_format(*SSCODEC_SEL))
    out["bad_version"] = bytes(SSCODEC_SEL) + bytes([0x40]) + good[1:]
    out["bad_padding"] = bytes(SSCODEC_SEL) + good[:-1] + bytes([good[-1] | 1])
    out["bad_truncated"] = bytes(SSCODEC_SEL) + good[:-1]
    out["bad_reserved_flag"] = bytes(SSCODEC_SEL) + bytes([good[0] | 0x04]) + good[1:]
    return out


def container_seeds(rng) -> dict[str, bytes]:
    from sscodec.bitstream import LYRA_V2, SSCODEC_16K

    out = {}
    f = SSCODEC_16K
    v1 = {"version": 1}
    pk = [encode_packet(rng.integers(0, 1024, n), f) for n in (6, 12, 24, 18)]
    pk += [encode_dtx_packet(f), None, encode_packet(rng.integers(0, 1024, 6), f, denoise=True)]
    h = SscHeader(f, "speech16k", bytes(range(8)), original_length=len(pk) * 320 - 100,
                  flags=ContainerFlags.DTX, **v1)
    out["sscodec_mixed"] = serialize_ssc(h, pk)
    out["sscodec_empty"] = serialize_ssc(SscHeader(f, "s", b"", **v1), [])
    out["sscodec_one_missing"] = serialize_ssc(SscHeader(f, "speech16k", b"\xaa" * 32, 320, **v1), [None])
    lp = [encode_packet(rng.integers(0, 16, n), LYRA_V2) for n in (16, 30, 46)]
    out["lyra"] = serialize_ssc(SscHeader(LYRA_V2, "lyra-v2", b"\x01\x02", 3 * 320, **v1), lp)
    odd = CodecFormat(sample_rate=8000, frame_size=160, bits_per_code=7, max_quantizers=5, codebook_size=100)
    out["odd_format"] = serialize_ssc(
        SscHeader(odd, "m\u00e9t\u00e9o", b"", 2 * 160, flags=ContainerFlags.DENOISE, **v1),
        [encode_packet([99, 0, 50], odd), encode_packet([1, 2, 3, 4, 5], odd)],
    )
    out["utf8_model_id"] = serialize_ssc(
        SscHeader(f, "\u6a21\u578b-\U0001f3a7-\u00e9", bytes(64), 320, **v1), [encode_packet([0, 1023], f)]
    )
    good = out["sscodec_mixed"]
    out["bad_truncated"] = good[:-7]
    b = bytearray(good)
    b[70] ^= 0x08
    out["bad_record_crc"] = bytes(b)
    out.update(container_v2_seeds(pk, odd))
    return out


def container_v2_seeds(pk, odd) -> dict[str, bytes]:
    """Version-2 files: source rate/length fields (Hz / samples at that rate)."""
    from sscodec.bitstream import SSCODEC_16K as f

    n = len(pk) * 320 - 100  # samples at 16 kHz
    out = {}
    h = SscHeader(f, "speech16k", bytes(range(8)), n, flags=ContainerFlags.DTX,
                  source_sample_rate=44100, source_length=n * 44100 // 16000)
    out["v2_sscodec_44k1"] = serialize_ssc(h, pk)
    out["v2_sscodec_same_rate"] = serialize_ssc(SscHeader(f, "speech16k", b"\xaa" * 32, 320), [None])
    out["v2_odd_22k05"] = serialize_ssc(
        SscHeader(odd, "m\u00e9t\u00e9o", b"", 2 * 160, source_sample_rate=22050, source_length=882),
        [encode_packet([99, 0, 50], odd), encode_packet([1, 2, 3, 4, 5], odd)],
    )
    good = out["v2_sscodec_44k1"]
    out["bad_v2_truncated_header"] = good[:44]  # cut inside source_length
    # Source lasting longer than the records hold (header CRC valid).
    b = bytearray(good)
    b[40:48] = (h.source_length * 10).to_bytes(8, "little")
    end = 12 + int.from_bytes(b[10:12], "little")
    b[end : end + 4] = zlib.crc32(bytes(b[:end])).to_bytes(4, "little")
    out["bad_v2_source_too_long"] = bytes(b)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "corpus")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(20240505)
    for sub, seeds in (("packet", packet_seeds(rng)), ("container", container_seeds(rng))):
        d = args.out / sub
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        for name, data in sorted(seeds.items()):
            (d / f"{name}.bin").write_bytes(data)
        print(f"{d}: {len(seeds)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
