"""Python <-> C++ cross-checks for the packet format and the .ssc container.

Compiles native/tests/bitstream_tool.cc (and the C++ unit test
native/tests/bitstream_test.cc) with the system C++ compiler into a temp dir;
skipped when no compiler is available.
"""

import os
import shutil
import subprocess
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
    fields = [fm.sample_rate, h.original_length, fm.frame_size, fm.bits_per_code, fm.max_quantizers,
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
        h = SscHeader(f, mid, mh, original_length=max(0, len(pk) * f.frame_size - 5), flags=flags)
        want.append("OK " + serialize_ssc(h, pk).hex())
        lines.append(
            f"W {f.sample_rate} {h.original_length} {f.frame_size} {_fmt_args(f)} {int(flags)} "
            f"{_hex(mid.encode())} {_hex(mh)} " + " ".join(_hex(p) for p in pk)
        )
    assert tool(lines) == want
