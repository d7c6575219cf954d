"""sscodec.container: .ssc round trips, corruption handling, atomic writes."""

import io
import os
import struct
import zlib

import numpy as np
import pytest

from sscodec.bitstream import LYRA_V2, SSCODEC_16K, CodecFormat, encode_dtx_packet, encode_packet
from sscodec.container import (
    CONTAINER_VERSION,
    MAGIC,
    ContainerFlags,
    SscHeader,
    SscReader,
    SscWriter,
    atomic_output,
    encode_header,
    parse_ssc,
    read_ssc,
    serialize_ssc,
    write_ssc,
)
from sscodec.errors import (
    ChecksumError,
    CorruptFileError,
    ModelMismatchError,
    SscodecError,
    TruncatedFileError,
    UnsupportedVersionError,
)

HASH = bytes(range(32))


def _packets(seed=0, fmt=SSCODEC_16K, n_qs=(6, 12, 24, 18, 0, 6)):
    rng = np.random.default_rng(seed)
    pk = [encode_packet(rng.integers(0, fmt.codebook_size, n), fmt) for n in n_qs]
    pk.insert(2, encode_dtx_packet(fmt))
    pk.insert(4, None)  # a frame without a packet
    return pk


def _file(pk=None, original_length=None, **kw):
    pk = _packets() if pk is None else pk
    n = len(pk) * 320 - 123 if original_length is None else original_length
    h = SscHeader(SSCODEC_16K, "speech16k", HASH, original_length=n, **kw)
    return serialize_ssc(h, pk)


def _listdir(d):
    return sorted(os.listdir(d))


# -- layout ------------------------------------------------------------------


def test_header_layout():
    h = SscHeader(SSCODEC_16K, "ab", b"\x01\x02", original_length=1000, flags=ContainerFlags.DTX,
                  source_sample_rate=44100, source_length=2756)
    b = encode_header(h)
    assert b[:8] == MAGIC == b"\x89SSC\r\n\x1a\n"
    version, header_len = struct.unpack_from("<HH", b, 8)
    assert version == CONTAINER_VERSION == 2
    assert header_len == 36 + 1 + 2 + 1 + 2 == len(b) - 12 - 4
    fields = struct.unpack_from("<IQHBBIBBHIQ", b, 12)
    assert fields == (16000, 1000, 320, 10, 24, 1024, 1, 0, 2, 44100, 2756)
    assert b[48:51] == b"\x02ab" and b[51:54] == b"\x02\x01\x02"
    assert struct.unpack_from("<I", b, len(b) - 4)[0] == zlib.crc32(b[:-4])
    # Source rate 0 (unknown / the model's): source_length is original_length.
    b0 = encode_header(SscHeader(SSCODEC_16K, "ab", original_length=1000))
    assert struct.unpack_from("<IQ", b0, 36) == (0, 1000)


def _v1_file(pk, original_length, model_id=b"m", model_hash=b"\xab\xcd"):
    """A version-1 file built by hand (no source fields)."""
    body = struct.pack("<IQHBBIBBH", 16000, original_length, 320, 10, 24, 1024, 1, 0, 0)
    body += bytes([len(model_id)]) + model_id + bytes([len(model_hash)]) + model_hash
    head = MAGIC + struct.pack("<HH", 1, len(body)) + body
    out = head + struct.pack("<I", zlib.crc32(head))
    for i, p in enumerate(pk):
        crc = zlib.crc32(p, zlib.crc32(struct.pack("<IH", i, len(p))))
        out += struct.pack("<H", len(p)) + p + struct.pack("<I", crc)
    trailer = struct.pack("<HI", 0xFFFF, len(pk))
    return out + trailer + struct.pack("<I", zlib.crc32(trailer))


def test_version_1_file_still_reads():
    pk = [encode_packet([1, 2, 1023]), b""]
    data = _v1_file(pk, 600)
    f = parse_ssc(data, expected_format=SSCODEC_16K)
    h = f.header
    assert h.version == 1 and h.original_length == 600 and h.model_hash == b"\xab\xcd"
    assert f.records == [pk[0], None]
    assert h.source_sample_rate == 0 and h.effective_source_rate == 16000 and h.source_length == 600
    assert serialize_ssc(h, f.records) == data  # version 1 is written back as version 1
    with pytest.raises(ValueError, match="version 1"):
        SscHeader(SSCODEC_16K, "m", version=1, source_sample_rate=8000, source_length=1)
    with pytest.raises(ValueError, match="version"):
        SscHeader(SSCODEC_16K, "m", version=3)


def test_docs_example_is_exact():
    """The byte example in docs/bitstream.md is what the writer produces."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "bitstream.md").read_text()
    block = doc.split("source of 1654 samples")[1].split("```")[1]
    data = bytes.fromhex("".join(re.split(r"\s{3,}", line.strip())[0] for line in block.strip().splitlines()))
    h = SscHeader(SSCODEC_16K, "m", b"\xab\xcd", 600, source_sample_rate=44100, source_length=1654)
    assert data == serialize_ssc(h, [encode_packet([1, 2, 1023]), None]) and len(data) == 85
    v1 = encode_header(SscHeader(SSCODEC_16K, "m", b"\xab\xcd", 600, version=1))
    flat = " ".join(doc.split())  # the version-1 prose quotes its first 12 bytes and header CRC
    assert v1[:12].hex(" ") in flat and f"CRC is `{v1[-4:].hex(' ')}`" in flat


def test_record_and_trailer_layout():
    pkt = encode_packet([1, 2, 1023])
    h = SscHeader(SSCODEC_16K, "m")
    data = serialize_ssc(h, [pkt, None])
    off = len(encode_header(h))
    rec0 = data[off : off + 2 + len(pkt) + 4]
    assert rec0[:2] == struct.pack("<H", len(pkt)) and rec0[2:-4] == pkt
    assert struct.unpack("<I", rec0[-4:])[0] == zlib.crc32(struct.pack("<IH", 0, len(pkt)) + pkt)
    rec1 = data[off + len(rec0) : off + len(rec0) + 6]
    assert rec1[:2] == b"\x00\x00" and struct.unpack("<I", rec1[2:])[0] == zlib.crc32(struct.pack("<IH", 1, 0))
    trailer = data[-10:]
    assert trailer[:6] == b"\xff\xff" + struct.pack("<I", 2)
    assert struct.unpack("<I", trailer[6:])[0] == zlib.crc32(trailer[:6])


# -- round trips ---------------------------------------------------------------


def test_write_read_round_trip(tmp_path):
    pk = _packets()
    path = tmp_path / "a.ssc"
    write_ssc(path, pk, SSCODEC_16K, "speech16k", HASH, original_length=2000, flags=ContainerFlags.DTX)
    f = read_ssc(path, expected_model_id="speech16k", expected_model_hash=HASH, expected_format=SSCODEC_16K)
    assert f.records == pk
    assert f.header.original_length == 2000 and f.header.model_id == "speech16k"
    assert f.header.model_hash == HASH and f.header.flags == ContainerFlags.DTX
    assert f.header.format == SSCODEC_16K and f.num_frames == len(pk)
    assert f.packets[4] is None and f.packets[2].is_dtx
    assert [p.n_q for p in f.packets if p is not None] == [6, 12, 0, 24, 18, 0, 6]
    assert path.read_bytes() == serialize_ssc(f.header, pk)
    assert _listdir(tmp_path) == ["a.ssc"]


def test_lyra_and_odd_formats_round_trip():
    rng = np.random.default_rng(3)
    pk = [encode_packet(rng.integers(0, 16, n), LYRA_V2) for n in (16, 30, 46)]
    data = serialize_ssc(SscHeader(LYRA_V2, "lyra-v2", b""), pk)
    f = parse_ssc(data, expected_format=LYRA_V2)
    assert f.records == pk and f.header.format == LYRA_V2
    odd = CodecFormat(sample_rate=8000, frame_size=160, bits_per_code=7, max_quantizers=5, codebook_size=100)
    data = serialize_ssc(SscHeader(odd, "météo", b"\xff" * 64, 300), [encode_packet([99, 1], odd)] * 2)
    f = parse_ssc(data)
    assert f.header.format == odd and f.header.model_id == "météo" and len(f.header.model_hash) == 64


def test_streaming_writer_default_length_and_reader_iteration(tmp_path):
    path = tmp_path / "s.ssc"
    with SscWriter(path, SSCODEC_16K, "speech16k") as w:
        for n in (6, 12, 18, 24):
            w.write_codes(np.arange(n))
        w.write(None)
        w.write_codes(None, dtx=True)
    assert read_ssc(path).header.original_length == 6 * 320
    with open(path, "rb") as fh:
        r = SscReader(fh)
        pk = list(r.packets())
        assert r.finished and r.num_records == 6
    assert [None if p is None else p.n_q for p in pk] == [6, 12, 18, 24, None, 0]


def test_source_fields_round_trip(tmp_path):
    pk = _packets()
    path = tmp_path / "src.ssc"
    write_ssc(path, pk, SSCODEC_16K, "speech16k", HASH, original_length=2000,
              source_sample_rate=44100, source_length=5512)
    h = read_ssc(path).header
    assert (h.version, h.source_sample_rate, h.source_length, h.original_length) == (2, 44100, 5512, 2000)
    assert h.effective_source_rate == 44100 and h.source_duration == pytest.approx(5512 / 44100)
    assert path.read_bytes() == serialize_ssc(h, pk)
    # Streaming: the source length may be given only at close().
    with SscWriter(path, SSCODEC_16K, "m", source_sample_rate=22050) as w:
        w.write(None)
        w.close(original_length=300, source_length=413)
    h = read_ssc(path).header
    assert (h.source_sample_rate, h.source_length, h.original_length) == (22050, 413, 300)
    with pytest.raises(ValueError, match="source_length is required"):
        with SscWriter(tmp_path / "n.ssc", SSCODEC_16K, "m", source_sample_rate=22050) as w:
            w.write(None)
    assert not (tmp_path / "n.ssc").exists()


def test_empty_stream(tmp_path):
    write_ssc(tmp_path / "e.ssc", [], SSCODEC_16K, "x")
    f = read_ssc(tmp_path / "e.ssc")
    assert f.records == [] and f.header.original_length == 0


def test_reader_accepts_file_objects_and_bytes():
    data = _file()
    assert read_ssc(io.BytesIO(data)).records == read_ssc(data).records == parse_ssc(bytearray(data)).records


# -- corruption ----------------------------------------------------------------


def test_truncation_at_every_offset():
    data = _file()
    for cut in range(len(data)):
        with pytest.raises(CorruptFileError) as ei:
            parse_ssc(data[:cut])
        if cut >= 8:  # past the magic: always reported as truncation
            assert isinstance(ei.value, TruncatedFileError), (cut, ei.value)


def test_every_single_bit_flip_is_detected():
    data = _file()
    header_len = len(encode_header(parse_ssc(data).header))
    for bit in range(len(data) * 8):
        bad = bytearray(data)
        bad[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(SscodecError) as ei:
            parse_ssc(bytes(bad))
        byte = bit // 8
        if 12 <= byte < header_len:
            assert isinstance(ei.value, ChecksumError), (byte, ei.value)
        elif byte >= header_len:
            # records/trailer: CRC error, or the length field now points elsewhere
            assert isinstance(ei.value, CorruptFileError), (byte, ei.value)


def test_payload_flip_is_a_checksum_error():
    data = bytearray(_file())
    off = len(encode_header(parse_ssc(bytes(data)).header)) + 2  # record 0 packet byte 0
    data[off + 3] ^= 0x40
    with pytest.raises(ChecksumError, match="record 0"):
        parse_ssc(bytes(data))


def test_wrong_magic():
    data = _file()
    with pytest.raises(CorruptFileError, match="magic"):
        parse_ssc(b"RIFF" + data[4:])
    with pytest.raises(CorruptFileError, match="magic"):
        parse_ssc(b"hello world, not an ssc file at all")
    with pytest.raises(TruncatedFileError):
        parse_ssc(b"")
    with pytest.raises(TruncatedFileError):
        parse_ssc(MAGIC[:5])


@pytest.mark.parametrize("version", [0, 3, 0xFFFF])
def test_unknown_container_version(version):
    data = bytearray(_file())
    struct.pack_into("<H", data, 8, version)
    with pytest.raises(UnsupportedVersionError, match=f"version {version}"):
        parse_ssc(bytes(data))


def _rehash_header(data: bytearray, header_len: int):
    struct.pack_into("<I", data, header_len - 4, zlib.crc32(bytes(data[: header_len - 4])))


def test_unknown_packet_version_in_header():
    data = bytearray(_file())
    hl = len(encode_header(parse_ssc(bytes(data)).header))
    data[32] = 2  # packet_version
    _rehash_header(data, hl)
    with pytest.raises(UnsupportedVersionError, match="packet format version 2"):
        parse_ssc(bytes(data))


@pytest.mark.parametrize(
    "offset, value, match",
    [(33, 1, "reserved"), (34, 0x80, "reserved"), (26, 0, "bits_per_code"), (26, 17, "bits_per_code"),
     (27, 0, "max_quantizers"), (28, 0, "codebook_size"), (28, 2000, "codebook_size"), (24, 0, "frame_size")],
)
def test_invalid_header_fields_with_valid_crc(offset, value, match):
    data = bytearray(_file())
    hl = len(encode_header(parse_ssc(bytes(data)).header))
    if offset == 28:
        struct.pack_into("<I", data, 28, value)
    elif offset == 24:
        struct.pack_into("<H", data, 24, value)
    else:
        data[offset] = value
    _rehash_header(data, hl)
    with pytest.raises(CorruptFileError, match=match):
        parse_ssc(bytes(data))


def test_model_id_not_utf8():
    data = bytearray(serialize_ssc(SscHeader(SSCODEC_16K, "ab"), []))
    data[49] = 0xFF
    _rehash_header(data, 12 + 36 + 1 + 2 + 1 + 4)
    with pytest.raises(CorruptFileError, match="UTF-8"):
        parse_ssc(bytes(data))


def test_model_mismatch():
    data = _file()
    parse_ssc(data, expected_model_id="speech16k", expected_model_hash=HASH)
    with pytest.raises(ModelMismatchError, match="model id 'speech16k'.*expected 'speech16k-v2'"):
        parse_ssc(data, expected_model_id="speech16k-v2")
    with pytest.raises(ModelMismatchError, match="model hash"):
        parse_ssc(data, expected_model_hash=b"\x00" * 32)
    with pytest.raises(ModelMismatchError, match="bits_per_code 10 \\(expected 4\\)"):
        parse_ssc(data, expected_format=LYRA_V2)


def test_trailing_garbage_and_record_count():
    data = _file()
    with pytest.raises(CorruptFileError, match="trailing bytes"):
        parse_ssc(data + b"\x00")
    # A valid trailer whose count disagrees (e.g. a record cut out cleanly).
    bad = bytearray(data)
    struct.pack_into("<I", bad, len(bad) - 8, 99)
    struct.pack_into("<I", bad, len(bad) - 4, zlib.crc32(bytes(bad[-10:-4])))
    with pytest.raises(CorruptFileError, match="trailer says 99 records"):
        parse_ssc(bytes(bad))


def test_dropped_duplicated_or_swapped_records_are_detected():
    pk = [encode_packet([i, i, i]) for i in range(4)]
    h = SscHeader(SSCODEC_16K, "m")
    head = encode_header(h)
    from sscodec.container import encode_record, encode_trailer

    recs = [encode_record(i, p) for i, p in enumerate(pk)]
    for order in ([0, 2, 3], [0, 1, 1, 2, 3], [1, 0, 2, 3]):
        data = head + b"".join(recs[i] for i in order) + encode_trailer(len(order))
        with pytest.raises(ChecksumError):
            parse_ssc(data)


def test_record_too_long_and_invalid_packet():
    h = SscHeader(SSCODEC_16K, "m", original_length=0)
    from sscodec.container import encode_record, encode_trailer

    data = encode_header(h) + encode_record(0, bytes(33)) + encode_trailer(1)
    with pytest.raises(CorruptFileError, match="length 33 > maximum packet size 32"):
        parse_ssc(data)
    bad_pkt = bytes([0x20, 1, 0xFF, 0xC1])  # non-zero padding
    data = encode_header(h) + encode_record(0, bad_pkt) + encode_trailer(1)
    with pytest.raises(CorruptFileError, match="record 0: invalid packet"):
        parse_ssc(data)
    assert parse_ssc(data, validate_packets=False).records == [bad_pkt]


def test_original_length_beyond_frames():
    with pytest.raises(CorruptFileError, match="hold only"):
        parse_ssc(_file(pk=[encode_packet([1])], original_length=321))


def test_truncated_or_corrupt_version_2_header():
    data = _file(source_sample_rate=48000, source_length=6000)
    header_len = len(encode_header(parse_ssc(data).header))
    for cut in range(8, header_len):
        with pytest.raises(TruncatedFileError, match="header"):
            parse_ssc(data[:cut])
    for at in range(36, 48):  # the source fields sit under the header CRC
        bad = bytearray(data)
        bad[at] ^= 0x01
        with pytest.raises(ChecksumError, match="header checksum"):
            parse_ssc(bytes(bad))
    # header_len must match the version's layout exactly.
    relabelled = bytearray(data)
    struct.pack_into("<H", relabelled, 8, 1)
    _rehash_header(relabelled, header_len)
    with pytest.raises(CorruptFileError, match="bad model"):
        parse_ssc(bytes(relabelled))
    v1 = bytearray(_v1_file([], 0))
    struct.pack_into("<H", v1, 8, 2)
    _rehash_header(v1, 12 + 24 + 2 + 1 + 2 + 4)
    with pytest.raises(CorruptFileError, match="header too short"):
        parse_ssc(bytes(v1))


def test_source_length_checks():
    # Source rate 0 means "the model's": source_length must equal original_length.
    data = bytearray(_file(original_length=900))
    struct.pack_into("<Q", data, 40, 901)
    _rehash_header(data, len(encode_header(parse_ssc(_file(original_length=900)).header)))
    with pytest.raises(CorruptFileError, match="source_length 901 differs"):
        parse_ssc(bytes(data))
    with pytest.raises(ValueError, match="source_length must equal"):
        SscHeader(SSCODEC_16K, "m", original_length=900, source_length=901)
    # The source may last at most one model-rate sample longer than the frames
    # hold: 1 frame = 320 samples at 16 kHz; 321 samples = 884.4 at 44.1 kHz.
    pk = [encode_packet([1])]
    assert parse_ssc(_file(pk=pk, original_length=320, source_sample_rate=44100, source_length=884))
    with pytest.raises(CorruptFileError, match="source has 885 samples at 44100 Hz"):
        parse_ssc(_file(pk=pk, original_length=320, source_sample_rate=44100, source_length=885))
    # Source rates above 768 kHz are refused (decode would resample to them).
    ok = _file(pk=pk, original_length=320, source_sample_rate=768000, source_length=15360)
    assert parse_ssc(ok).header.source_sample_rate == 768000
    hl = len(encode_header(parse_ssc(ok).header))
    for rate in (768001, 2**32 - 1):
        data = bytearray(ok)
        struct.pack_into("<I", data, 36, rate)
        _rehash_header(data, hl)
        with pytest.raises(CorruptFileError, match="exceeds 768000 Hz"):
            parse_ssc(bytes(data))
    with pytest.raises(ValueError, match="source_sample_rate must be"):
        SscHeader(SSCODEC_16K, "m", original_length=320, source_sample_rate=768001, source_length=15361)


# -- atomic writing --------------------------------------------------------------


def test_no_file_left_when_writing_fails(tmp_path):
    path = tmp_path / "out.ssc"
    with pytest.raises(RuntimeError):
        with SscWriter(path, SSCODEC_16K, "m") as w:
            w.write(encode_packet([1, 2, 3]))
            raise RuntimeError("encoder crashed")
    assert _listdir(tmp_path) == []
    with pytest.raises(ValueError, match="invalid packet"):
        write_ssc(path, [encode_packet([1]), b"\x20\x01\xff\xc1"], SSCODEC_16K, "m")
    assert _listdir(tmp_path) == []
    with pytest.raises(ValueError, match="original_length"):
        write_ssc(path, [encode_packet([1])], SSCODEC_16K, "m", original_length=321)
    assert _listdir(tmp_path) == []
    with pytest.raises(ValueError, match="source_length 885 at 44100 Hz"):
        write_ssc(path, [encode_packet([1])], SSCODEC_16K, "m", source_sample_rate=44100, source_length=885)
    assert _listdir(tmp_path) == []
    w = SscWriter(path, SSCODEC_16K, "m")
    w.write(None)
    w.abort()
    assert _listdir(tmp_path) == []


def test_unclosed_writer_leaves_nothing(tmp_path):
    import gc

    w = SscWriter(tmp_path / "x.ssc", SSCODEC_16K, "m")
    w.write(None)
    assert len(_listdir(tmp_path)) == 1 and _listdir(tmp_path)[0].endswith(".tmp")
    del w
    gc.collect()
    assert _listdir(tmp_path) == []


def test_failed_write_keeps_existing_file(tmp_path):
    path = tmp_path / "keep.ssc"
    write_ssc(path, [encode_packet([1])], SSCODEC_16K, "old")
    before = path.read_bytes()
    with pytest.raises(KeyError):
        with SscWriter(path, SSCODEC_16K, "new") as w:
            w.write(encode_packet([2]))
            raise KeyError("boom")
    assert path.read_bytes() == before and _listdir(tmp_path) == ["keep.ssc"]
    write_ssc(path, [encode_packet([3])], SSCODEC_16K, "new")
    assert read_ssc(path).header.model_id == "new"


def test_atomic_output_helper(tmp_path):
    path = tmp_path / "out.wav"
    with pytest.raises(SscodecError):
        with atomic_output(path) as fh:
            fh.write(b"partial audio")
            parse_ssc(b"garbage")  # decoding fails half way
    assert _listdir(tmp_path) == []
    with atomic_output(path) as fh:
        fh.write(b"complete")
    assert path.read_bytes() == b"complete" and _listdir(tmp_path) == ["out.wav"]
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)


def test_writer_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        SscWriter(tmp_path / "a.ssc", SSCODEC_16K, "")
    with pytest.raises(ValueError):
        SscWriter(tmp_path / "a.ssc", SSCODEC_16K, "m", b"\x00" * 65)
    with pytest.raises(ValueError):
        SscWriter(tmp_path / "a.ssc", SSCODEC_16K, "m", flags=0x100)
    with SscWriter(tmp_path / "b.ssc", SSCODEC_16K, "m") as w:
        with pytest.raises(ValueError, match="pass None"):
            w.write(b"")
    assert _listdir(tmp_path) == ["b.ssc"]
