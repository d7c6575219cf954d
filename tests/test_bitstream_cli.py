"""`sscodec ssc-info` and `sscodec simulate-loss`."""

import os
import struct
import zlib

import numpy as np
import pytest

from sscodec.bitstream import SSCODEC_16K, encode_dtx_packet, encode_packet
from sscodec.cli import main
from sscodec.container import ContainerFlags, read_ssc, write_ssc


@pytest.fixture
def ssc(tmp_path):
    rng = np.random.default_rng(0)
    pk = [encode_packet(rng.integers(0, 1024, 12)) for _ in range(300)] + [encode_dtx_packet()] * 10
    path = tmp_path / "in.ssc"
    write_ssc(path, pk, SSCODEC_16K, "speech16k", b"\x12\x34", original_length=310 * 320 - 5,
              flags=ContainerFlags.DTX, source_sample_rate=22050, source_length=136_703)
    return path


def test_ssc_info(ssc, capsys):
    assert main(["ssc-info", str(ssc), "--model-id", "speech16k", "--model-hash", "1234"]) == 0
    out = capsys.readouterr().out
    assert "valid .ssc v2" in out and "n_q=12: 300" in out and "dtx: 10" in out and "DTX" in out
    assert "source       22050 Hz, 136703 samples (6.200 s)" in out


def test_ssc_info_source_unknown_or_version_1(tmp_path, capsys):
    path = tmp_path / "same.ssc"
    write_ssc(path, [None], SSCODEC_16K, "m", original_length=300)
    assert main(["ssc-info", str(path)]) == 0
    assert "source       unknown: model rate 16000 Hz, 300 samples" in capsys.readouterr().out
    v1 = bytearray(path.read_bytes())
    del v1[36:48]  # drop the source fields: a version-1 file
    v1[8:12] = struct.pack("<HH", 1, struct.unpack_from("<H", v1, 10)[0] - 12)
    end = 12 + struct.unpack_from("<H", v1, 10)[0]
    v1[end : end + 4] = struct.pack("<I", zlib.crc32(bytes(v1[:end])))
    path.write_bytes(bytes(v1))
    assert main(["ssc-info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid .ssc v1" in out and "source       not stored (version 1): model rate 16000 Hz, 300 samples" in out


def test_ssc_info_errors(ssc, tmp_path, capsys):
    assert main(["ssc-info", str(ssc), "--model-id", "other"]) == 1
    assert "different model" in capsys.readouterr().err
    cut = tmp_path / "cut.ssc"
    cut.write_bytes(ssc.read_bytes()[:200])
    assert main(["ssc-info", str(cut)]) == 1
    assert "truncated" in capsys.readouterr().err
    assert main(["ssc-info", str(tmp_path / "missing.ssc")]) == 1


def test_simulate_loss(ssc, tmp_path, capsys):
    out = tmp_path / "lossy.ssc"
    assert main(["simulate-loss", str(ssc), str(out), "--loss-rate", "0.2", "--burst", "3", "--seed", "4"]) == 0
    assert "dropped" in capsys.readouterr().out
    a, b = read_ssc(ssc), read_ssc(out)
    assert b.header == a.header
    assert (b.header.source_sample_rate, b.header.source_length) == (22050, 136_703)
    lost = [r is None for r in b.records]
    assert 0.1 < np.mean(lost) < 0.3
    assert all(rb is None or rb == ra for ra, rb in zip(a.records, b.records))


def test_simulate_loss_writes_nothing_on_error(tmp_path, capsys):
    bad = tmp_path / "bad.ssc"
    bad.write_bytes(b"not an ssc file")
    assert main(["simulate-loss", str(bad), str(tmp_path / "o.ssc"), "--loss-rate", "0.1"]) == 1
    assert sorted(os.listdir(tmp_path)) == ["bad.ssc"]
    assert main(["simulate-loss", str(bad), str(tmp_path / "o.ssc"), "--loss-rate", "0.9", "--burst", "2"]) == 2
