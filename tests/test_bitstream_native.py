"""Python <-> C++ cross-checks for the packet format and the .ssc container.

Compiles native/tests/bitstream_tool.cc (and the C++ unit test
native/tests/bitstream_test.cc) with the system C++ compiler into a temp dir;
skipped when no compiler is available.
"""

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from sscodec.bitstream import LYRA_V2, SSCODEC_16K, CodecFormat, decode_packet, encode_dtx_packet, encode_packet
from sscodec.container import ContainerFlags, SscHeader, parse_ssc, serialize_ssc
from sscodec.errors import (
    ChecksumError,
    CorruptDataError,
    TruncatedFileError,
    UnsupportedVersionError,
)

REPO = Path(__file__).resolve().parents[1]
NATIVE = REPO / "native"
SOURCES = ["packet.cc", "crc32.cc", "container_reader.cc", "container_writer.cc"]
CORPUS = NATIVE / "fuzz" / "corpus"


def _compiler():
    for cxx in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if cxx and shutil.which(cxx):
            return cxx
    return None


def _build(tmp_dir: Path, main_src: str, name: str) -> Path:
    cxx = _compiler()
    if cxx is None:
        pytest.skip("no C++ compiler")
    exe = tmp_dir / name
    cmd = [cxx, "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", f"-I{NATIVE}", str(NATIVE / main_src)]
    cmd += [str(NATIVE / s) for s in SOURCES] + ["-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return exe


@pytest.fixture(scope="module")
def tool(tmp_path_factory):
    exe = _build(tmp_path_factory.mktemp("native"), "tests/bitstream_tool.cc", "bitstream_tool")

    def run(lines):
        r = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out = r.stdout.splitlines()
        assert len(out) == len(lines)
        return out

    return run


def test_cpp_unit_test(tmp_path):
    exe = _build(tmp_path, "tests/bitstream_test.cc", "bitstream_test")
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def _hex(b):
    return b.hex() if b else "-"


def _fmt_args(f: CodecFormat):
    return f"{f.bits_per_code} {f.max_quantizers} {f.codebook_size}"


def test_identical_packet_bytes(tool):
    rng = np.random.default_rng(0)
    cases = []
    for f in (SSCODEC_16K, LYRA_V2):
        for n_q in range(f.max_quantizers + 1):
            for denoise in (False, True):
                cases.append((f, rng.integers(0, f.codebook_size, n_q), denoise))
    for bpc in range(1, 17):
        f = CodecFormat(bits_per_code=bpc, max_quantizers=255, codebook_size=max(1, (1 << bpc) - bpc + 1))
        for n_q in (0, 1, 5, 8, 13, 255):
            cases.append((f, rng.integers(0, f.codebook_size, n_q), bool(n_q & 1)))
    lines = [f"P {_fmt_args(f)} {2 if dn else 0} " + " ".join(map(str, c)) for f, c, dn in cases]
    lines.append(f"P {_fmt_args(SSCODEC_16K)} 1")  # DTX
    out = tool(lines)
    for (f, c, dn), got in zip(cases, out):
        assert got == "OK " + encode_packet(c, f, denoise=dn).hex()
    assert out[-1] == "OK " + encode_dtx_packet().hex()


def _py_packet(data, f):
    try:
        p = decode_packet(data, f)
    except UnsupportedVersionError:
        return "ERR version"
    except CorruptDataError:
        return "ERR corrupt"
    return "OK " + " ".join(map(str, [p.version, int(p.flags), p.n_q] + p.codes.tolist()))


def _cpp_packet(line):
    if line.startswith("OK"):
        return line
    return "ERR version" if line == "ERR UNSUPPORTED_VERSION" else "ERR corrupt"


def _mutations(rng, data, n):
    out = []
    for _ in range(n):
        b = bytearray(data)
        k = rng.integers(0, 4)
        if k == 0 and b:
            i = int(rng.integers(0, len(b) * 8))
            b[i // 8] ^= 1 << (i % 8)
        elif k == 1:
            b = b[: int(rng.integers(0, len(b) + 1))]
        elif k == 2:
            b += bytes(rng.integers(0, 256, int(rng.integers(1, 4)), dtype=np.uint8))
        elif b:
            b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
        out.append(bytes(b))
    return out


def test_same_packet_verdicts_on_corpus_and_mutations(tool):
    rng = np.random.default_rng(1)
    import importlib.util

    spec = importlib.util.spec_from_file_location("fpp", REPO / "tests" / "fuzz" / "fuzz_python_parsers.py")
    fpp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fpp)
    cases = []
    for path in sorted((CORPUS / "packet").iterdir()):
        raw = path.read_bytes()
        f = fpp.fuzz_format(raw[0], raw[1])
        for pkt in [raw[2:]] + _mutations(rng, raw[2:], 60):
            cases.append((f, pkt))
    out = tool([f"U {_fmt_args(f)} {_hex(p)}" for f, p in cases])
    verdicts = [_py_packet(p, f) for f, p in cases]
    assert sum(v.startswith("OK") for v in verdicts) > 50
    for (f, p), py, cpp in zip(cases, verdicts, out):
        assert py == _cpp_packet(cpp), (f, p.hex())


def _py_container(data):
    try:
        f = parse_ssc(data)
    except UnsupportedVersionError:
        return "ERR version"
    except TruncatedFileError:
        return "ERR truncated"
    except ChecksumError:
        return "ERR checksum"
    except CorruptDataError:
        return "ERR corrupt"
    h, fm = f.header, f.header.format
    fields = [h.version, fm.sample_rate, h.original_length, h.source_sample_rate, h.source_length, fm.frame_size, fm.bits_per_code, fm.max_quantizers,
              fm.codebook_size, h.packet_version, int(h.flags), _hex(h.model_id.encode()), _hex(h.model_hash),
              len(f.records)] + [_hex(r) for r in f.records]
    return "OK " + " ".join(map(str, fields))


def _cpp_container(line):
    if line.startswith("OK"):
        return line
    return {"ERR UNSUPPORTED_VERSION": "ERR version", "ERR TRUNCATED": "ERR truncated",
            "ERR BAD_CHECKSUM": "ERR checksum"}.get(line, "ERR corrupt")


def test_same_container_verdicts_on_corpus_and_mutations(tool):
    rng = np.random.default_rng(2)
    files = [p.read_bytes() for p in sorted((CORPUS / "container").iterdir())]
    cases = []
    for data in files:
        cases += [data] + _mutations(rng, data, 150)
    out = tool([f"C {_hex(d)}" for d in cases])
    verdicts = [_py_container(d) for d in cases]
    assert sum(v.startswith("OK") for v in verdicts) >= 5
    for d, py, cpp in zip(cases, verdicts, out):
        assert py == _cpp_container(cpp), d.hex()


def _rehash(data: bytearray) -> bytes:
    """Recompute the header CRC (header_len taken from the data)."""
    end = 12 + struct.unpack_from("<H", data, 10)[0]
    struct.pack_into("<I", data, end, zlib.crc32(bytes(data[:end])))
    return bytes(data)


def test_same_container_verdicts_on_version_edge_cases(tool):
    pk = [encode_packet([5, 6, 7]), None]

    def v2(orig=600, rate=0, n=None, **kw):
        return serialize_ssc(SscHeader(SSCODEC_16K, "m", b"\x01", orig, source_sample_rate=rate,
                                       source_length=n, **kw), pk)

    v1 = v2(version=1)
    cases = [v1, v2(), v2(rate=44100, n=1653), v2(rate=8000, n=0)]
    for version in (0, 1, 2, 3):  # relabelled: header_len no longer fits, or unknown
        for data in (v1, v2(rate=48000, n=1800)):
            b = bytearray(data)
            struct.pack_into("<H", b, 8, version)
            cases.append(_rehash(b))
    def with_source(rate, n):  # any source fields, header CRC fixed
        return _rehash(bytearray(v2()[:36] + struct.pack("<IQ", rate, n) + v2()[48:]))

    for n in (600, 601, 2**62, 2**64 - 1):
        cases += [with_source(0, n), with_source(44100, n), with_source(2**32 - 1, n)]
    for rate in (1, 44100, 768000, 768001, 2**32 - 1):  # longest source: 2 frames + 1 sample = 641 samples at 16 kHz
        longest = 641 * rate // 16000
        cases += [with_source(rate, longest), with_source(rate, longest + 1)]
    cases += [v2()[:cut] for cut in range(0, 56, 5)]
    out = tool([f"C {_hex(d)}" for d in cases])
    verdicts = [_py_container(d) for d in cases]
    assert sum(v.startswith("OK") for v in verdicts) >= 10
    assert sum(v == "ERR corrupt" for v in verdicts) >= 10
    for d, py, cpp in zip(cases, verdicts, out):
        assert py == _cpp_container(cpp), d.hex()


def _w_line(f, mid, mh, flags, pk, orig, version=2, rate=0, n=None):
    n = orig if n is None else n
    return (f"W {version} {f.sample_rate} {orig} {rate} {n} {f.frame_size} {_fmt_args(f)} {int(flags)} "
            f"{_hex(mid.encode())} {_hex(mh)} " + " ".join(_hex(p) for p in pk))


def test_cpp_writer_produces_python_bytes(tool):
    rng = np.random.default_rng(3)
    odd = CodecFormat(sample_rate=8000, frame_size=160, bits_per_code=7, max_quantizers=5, codebook_size=100)
    specs = [
        (SSCODEC_16K, "speech16k", bytes(range(32)), ContainerFlags.DTX,
         [encode_packet(rng.integers(0, 1024, n)) for n in (6, 24, 0)] + [None, encode_dtx_packet()]),
        (LYRA_V2, "lyra-v2", b"", ContainerFlags.NONE, [encode_packet(rng.integers(0, 16, 46), LYRA_V2)]),
        (odd, "météo", b"\x01", ContainerFlags.DENOISE, []),
    ]
    lines, want = [], []
    for f, mid, mh, flags, pk in specs:
        orig = max(0, len(pk) * f.frame_size - 5)
        for version, rate, n in ((2, 0, None), (1, 0, None), (2, 44100, orig * 44100 // f.sample_rate),
                                 (2, 768000, 2**64 - 1)):
            h = SscHeader(f, mid, mh, original_length=orig, flags=flags, version=version,
                          source_sample_rate=rate, source_length=n)
            want.append("OK " + serialize_ssc(h, pk).hex())
            lines.append(_w_line(f, mid, mh, flags, pk, orig, version, rate, n))
    # Headers both sides refuse to write.
    bad = [dict(version=3), dict(version=0), dict(version=1, rate=8000, n=5), dict(n=7), dict(rate=768001, n=5)]
    for kw in bad:
        with pytest.raises(ValueError):
            SscHeader(SSCODEC_16K, "m", original_length=5, version=kw.get("version", 2),
                      source_sample_rate=kw.get("rate", 0), source_length=kw.get("n"))
        lines.append(_w_line(SSCODEC_16K, "m", b"", 0, [], 5, **kw))
        want.append("ERR INVALID_ARGUMENT")
    assert tool(lines) == want
