"""sscodec.bitstream: packet round trips, byte layout, strict validation."""

import numpy as np
import pytest

from sscodec.bitstream import (
    DEFAULT_FORMAT,
    LYRA_V2,
    PACKET_HEADER_SIZE,
    SSCODEC_16K,
    CodecFormat,
    Packet,
    PacketFlags,
    decode_packet,
    decode_packets,
    encode_dtx_packet,
    encode_packet,
    encode_packets,
    pack_codes,
    peek_header,
    unpack_codes,
)
from sscodec.errors import CorruptPacketError, SscodecError, UnsupportedVersionError


def _rand_codes(rng, fmt, n_q):
    return rng.integers(0, fmt.codebook_size, n_q)


# -- format ------------------------------------------------------------------


def test_format_presets_and_bitrates():
    f = SSCODEC_16K
    assert (f.sample_rate, f.frame_size, f.bits_per_code, f.max_quantizers, f.codebook_size) == (16000, 320, 10, 24, 1024)
    assert f.frame_rate == 50.0 and f.frame_duration == 0.02
    assert [f.bitrate(n) for n in (6, 12, 18, 24)] == [3000.0, 6000.0, 9000.0, 12000.0]
    assert f.packet_size(6) == 2 + 8 and f.max_packet_size == 2 + 30
    assert f.packet_bitrate(6) == 4000.0
    assert (LYRA_V2.bits_per_code, LYRA_V2.max_quantizers, LYRA_V2.codebook_size) == (4, 46, 16)
    assert LYRA_V2.bitrate(46) == 9200.0 and LYRA_V2.bitrate(16) == 3200.0
    assert DEFAULT_FORMAT == SSCODEC_16K


@pytest.mark.parametrize(
    "kw",
    [dict(bits_per_code=0), dict(bits_per_code=17), dict(max_quantizers=0), dict(max_quantizers=256),
     dict(codebook_size=2000), dict(frame_size=0), dict(sample_rate=0)],
)
def test_format_rejects_bad_values(kw):
    with pytest.raises(ValueError):
        CodecFormat(**kw)


def test_format_from_model_config():
    class Cfg:
        sample_rate, frame_size, num_quantizers, codebook_size = 16000, 320, 24, 1000

    f = CodecFormat.from_model_config(Cfg)
    assert (f.bits_per_code, f.codebook_size, f.max_quantizers) == (10, 1000, 24)


# -- byte layout -------------------------------------------------------------


def test_known_vectors():
    # codes 1, 2, 1023 at 10 bits: 0000000001 0000000010 1111111111 (+ 2 zero pad bits)
    assert encode_packet([1, 2, 1023]).hex() == "200300402ffc"
    assert encode_packet([1, 2, 1023], denoise=True).hex() == "220300402ffc"
    assert encode_packet([5, 10, 15], LYRA_V2).hex() == "20035af0"
    assert encode_dtx_packet().hex() == "2100"
    assert encode_dtx_packet(denoise=True).hex() == "2300"
    assert encode_packet([]).hex() == "2000"


def test_pack_codes_is_msb_first():
    assert pack_codes([0b1000000001], 10) == bytes([0b10000000, 0b01000000])
    assert pack_codes([1, 0, 1], 1) == bytes([0b10100000])
    assert pack_codes([0xABCD], 16) == b"\xab\xcd"
    np.testing.assert_array_equal(unpack_codes(b"\xab\xcd", 1, 16), [0xABCD])


# -- round trips ---------------------------------------------------------------


@pytest.mark.parametrize("n_q", range(0, 25))
def test_round_trip_every_n_q(n_q):
    rng = np.random.default_rng(n_q)
    for codes in (_rand_codes(rng, SSCODEC_16K, n_q), np.full(n_q, 1023), np.zeros(n_q, int)):
        for denoise in (False, True):
            pkt = encode_packet(codes, denoise=denoise)
            assert len(pkt) == PACKET_HEADER_SIZE + (n_q * 10 + 7) // 8
            p = decode_packet(pkt)
            assert p.n_q == n_q and p.denoise == denoise and not p.is_dtx
            assert p.codes.dtype == np.uint16
            np.testing.assert_array_equal(p.codes, codes)
            assert encode_packet(p.codes, denoise=p.denoise) == pkt


def test_round_trip_lyra_46x4():
    rng = np.random.default_rng(46)
    for n_q in range(0, 47):
        codes = _rand_codes(rng, LYRA_V2, n_q)
        pkt = encode_packet(codes, LYRA_V2)
        assert len(pkt) == 2 + (n_q + 1) // 2
        np.testing.assert_array_equal(decode_packet(pkt, LYRA_V2).codes, codes)
    full = encode_packet(np.arange(46) % 16, LYRA_V2)
    assert len(full) == 2 + 23 and LYRA_V2.bitrate(46) == 9200


@pytest.mark.parametrize("bpc", range(1, 17))
def test_round_trip_every_width(bpc):
    rng = np.random.default_rng(bpc)
    fmt = CodecFormat(bits_per_code=bpc, max_quantizers=255)
    for n_q in (0, 1, 7, 8, 9, 255):
        codes = _rand_codes(rng, fmt, n_q)
        np.testing.assert_array_equal(decode_packet(encode_packet(codes, fmt), fmt).codes, codes)


def test_bitrate_changes_every_packet():
    rng = np.random.default_rng(0)
    n_qs = [6, 24, 12, 0, 18, 6, 1, 24]
    pkts = [encode_packet(_rand_codes(rng, SSCODEC_16K, n), SSCODEC_16K) for n in n_qs]
    pkts.insert(3, encode_dtx_packet())
    decoded = decode_packets(pkts[:5] + [None] + pkts[5:])
    assert decoded[5] is None
    assert [p.n_q for p in decoded if p is not None] == n_qs[:3] + [0] + n_qs[3:]
    assert decoded[3].is_dtx


def test_encode_packets_batch_matches_single():
    rng = np.random.default_rng(1)
    for n_q in (0, 1, 6, 24):
        codes = rng.integers(0, 1024, (17, n_q))
        assert encode_packets(codes) == [encode_packet(c) for c in codes]
        assert encode_packets(codes, denoise=True) == [encode_packet(c, denoise=True) for c in codes]
    lyra = rng.integers(0, 16, (5, 46))
    assert encode_packets(lyra, LYRA_V2) == [encode_packet(c, LYRA_V2) for c in lyra]


def test_dtx_packet_is_header_only():
    p = decode_packet(encode_dtx_packet())
    assert p.is_dtx and p.n_q == 0 and p.flags == PacketFlags.DTX
    assert len(encode_dtx_packet(LYRA_V2)) == 2
    with pytest.raises(ValueError):
        encode_packet([1, 2], dtx=True)


def test_accepts_bytes_like():
    pkt = encode_packet([7, 8, 9])
    for buf in (bytearray(pkt), memoryview(pkt), np.frombuffer(pkt, np.uint8)):
        np.testing.assert_array_equal(decode_packet(buf).codes, [7, 8, 9])
    with pytest.raises(TypeError):
        decode_packet("2000")


def test_decoded_codes_are_read_only_and_packets_compare():
    p = decode_packet(encode_packet([1, 2, 3]))
    with pytest.raises(ValueError):
        p.codes[0] = 5
    assert p == Packet(np.array([1, 2, 3], np.uint16))
    assert p != Packet(np.array([1, 2, 4], np.uint16))


# -- encoder-side argument checks ---------------------------------------------


@pytest.mark.parametrize(
    "codes, exc",
    [([1024], ValueError), ([-1], ValueError), (np.zeros(25, int), ValueError),
     ([[1, 2]], ValueError), ([1.5], TypeError)],
)
def test_encode_rejects_bad_codes(codes, exc):
    with pytest.raises(exc):
        encode_packet(codes)


# -- strict decoding ----------------------------------------------------------


def test_every_truncation_and_extension_is_rejected():
    for n_q in (0, 1, 6, 24):
        pkt = encode_packet(np.full(n_q, 5))
        for cut in range(len(pkt)):
            with pytest.raises(CorruptPacketError):
                decode_packet(pkt[:cut])
        with pytest.raises(CorruptPacketError, match="trailing"):
            decode_packet(pkt + b"\x00")


@pytest.mark.parametrize("version", [0, 2, 3, 7])
def test_unknown_version(version):
    pkt = bytearray(encode_packet([1, 2, 3]))
    pkt[0] = (version << 5) | (pkt[0] & 0x1F)
    with pytest.raises(UnsupportedVersionError):
        decode_packet(bytes(pkt))
    with pytest.raises(UnsupportedVersionError):
        peek_header(bytes(pkt))


@pytest.mark.parametrize("bit", [2, 3, 4])
def test_reserved_flags(bit):
    pkt = bytearray(encode_packet([1, 2, 3]))
    pkt[0] |= 1 << bit
    with pytest.raises(CorruptPacketError, match="reserved"):
        decode_packet(bytes(pkt))


def test_nonzero_padding():
    pkt = bytearray(encode_packet([1, 2, 1023]))  # 30 bits -> 2 padding bits
    for b in (1, 2):
        bad = bytearray(pkt)
        bad[-1] |= b
        with pytest.raises(CorruptPacketError, match="padding"):
            decode_packet(bytes(bad))


def test_too_many_quantizers_and_dtx_with_codes():
    with pytest.raises(CorruptPacketError, match="at most 24"):
        decode_packet(bytes([0x20, 25]) + bytes(SSCODEC_16K.payload_size(25)))
    bad = bytearray(encode_packet([1, 2]))
    bad[0] |= PacketFlags.DTX
    with pytest.raises(CorruptPacketError, match="DTX"):
        decode_packet(bytes(bad))
    # Lyra packet decoded with the sscodec format: n_q 46 > 24.
    with pytest.raises(CorruptPacketError):
        decode_packet(encode_packet(np.zeros(46, int), LYRA_V2), SSCODEC_16K)


def test_code_above_codebook_size():
    fmt = CodecFormat(bits_per_code=10, max_quantizers=24, codebook_size=1000)
    ok = encode_packet([999, 0], fmt)
    np.testing.assert_array_equal(decode_packet(ok, fmt).codes, [999, 0])
    bad = encode_packet([0, 1000])  # valid for the 1024-entry format
    with pytest.raises(CorruptPacketError, match="codebook size 1000"):
        decode_packet(bad, fmt)


def test_random_garbage_only_raises_documented_errors():
    rng = np.random.default_rng(7)
    valid = 0
    for _ in range(5000):
        n = int(rng.integers(0, 40))
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        if n >= 1 and rng.random() < 0.7:
            data = bytes([0x20 | (data[0] & 0x03)]) + data[1:]
        try:
            p = decode_packet(data)
        except SscodecError:
            continue
        valid += 1
        assert encode_packet(p.codes, denoise=p.denoise, dtx=p.is_dtx) == data
    assert valid > 0


def test_encode_decode_speed():
    """Per-frame cost stays small (it runs 50x per second per stream)."""
    import time

    codes = np.arange(24) * 40
    pkt = encode_packet(codes)
    t = time.perf_counter()
    for _ in range(2000):
        decode_packet(encode_packet(codes))
    per_frame = (time.perf_counter() - t) / 2000
    assert per_frame < 2e-3, per_frame  # generous: ~25 us on a dev box
    assert decode_packet(pkt).n_q == 24
