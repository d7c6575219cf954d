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
    h = SscHeader(SSCODEC_16K, "ab", b"\x01\x02", original_length=1000, flags=ContainerFlags.DTX)
    b = encode_header(h)
    assert b[:8] == MAGIC == b"\x89SSC\r\n\x1a\n"
    version, header_len = struct.unpack_from("<HH", b, 8)
    assert version == CONTAINER_VERSION == 1
    assert header_len == 24 + 1 + 2 + 1 + 2 == len(b) - 12 - 4
    sr, orig, frame, bpc, maxq, cb, pver, res, flags = struct.unpack_from("<IQHBBIBBH", b, 12)
    assert (sr, orig, frame, bpc, maxq, cb, pver, res, flags) == (16000, 1000, 320, 10, 24, 1024, 1, 0, 2)
    assert b[36:39] == b"\x02ab" and b[39:42] == b"\x02\x01\x02"
    assert struct.unpack_from("<I", b, len(b) - 4)[0] == zlib.crc32(b[:-4])


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


@pytest.mark.parametrize("version", [0, 2, 0xFFFF])
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
    data[37] = 0xFF
    _rehash_header(data, 12 + 24 + 1 + 2 + 1 + 4)
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
