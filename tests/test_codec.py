"""sscodec.Encoder / Decoder / StreamingCodec on the tiny test model, through
the native scheduler and its C API: framing of odd push sizes, exact sample
accounting, bitrate switching, packet loss 0-30 %, corrupt packets, DTX,
resampling, model validation, and native == TF graphs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import sscodec
from sscodec import _native
from sscodec.bitstream import decode_packet
from sscodec.concealment import ConcealmentPolicy
from sscodec.loss import GilbertElliott
from sscodec.manifest import ManifestError, sha256_file

from conftest import TEST_DATA

TINY = TEST_DATA / "tiny_codec"
FS = 16000


@pytest.fixture(scope="module")
def tiny():
    d = TINY / "float32"
    if not (d / "manifest.json").is_file():
        pytest.skip("tests/data/tiny_codec/float32 is not generated yet")
    return d


def speech(seconds=2.0, seed=0):
    """Speech-like test signal: harmonics with a syllable envelope plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / FS
    x = sum(np.sin(k * phase) / k for k in range(1, 8))
    env = np.clip(np.sin(2 * np.pi * 3 * t), 0, None) ** 2
    return (0.2 * env * x + 0.003 * rng.standard_normal(len(t))).astype(np.float32)


def test_encode_decode_lengths_and_stats(tiny):
    enc = sscodec.Encoder(tiny)
    x = speech(1.013)
    packets = enc.encode(x) + enc.flush()
    frames = -(-len(x) // 320)
    assert len(packets) == frames
    fmt = enc.format
    assert all(len(p) == fmt.packet_size(fmt.max_quantizers) for p in packets)
    assert all(decode_packet(p, fmt).n_q == fmt.max_quantizers for p in packets)
    st = enc.stats()
    assert st["samples_in"] == len(x)
    assert st["samples_padded"] == frames * 320 - len(x)  # zero padding is counted
    assert st["frames_encoded"] == frames and st["samples_dropped"] == 0
    assert st["model_ms"] > 0 and st["encoder_ms"] > 0
    dec = sscodec.Decoder(tiny)
    y = dec.decode(packets)
    assert y.dtype == np.float32 and len(y) == frames * 320 and np.all(np.isfinite(y))
    ds = dec.stats()
    assert ds["frames_decoded"] == frames and ds["samples_out"] == len(y)
    assert ds["packets_lost"] == ds["packets_corrupt"] == 0


def test_push_sizes_that_do_not_divide_the_frame(tiny):
    x = speech(1.5)
    whole = sscodec.Encoder(tiny)
    ref = whole.encode(x) + whole.flush()
    enc = sscodec.Encoder(tiny)
    sizes = [128, 441, 480, 512, 1, 319, 321, 4096]
    got, pos, k = [], 0, 0
    while pos < len(x):
        n = sizes[k % len(sizes)]
        got += enc.encode(x[pos : pos + n])
        pos, k = pos + n, k + 1
    got += enc.flush()
    assert got == ref  # identical bytes: framing does not depend on push sizes
    # after flush the next encode() is a new stream (state zeroed)
    assert enc.encode(x) + enc.flush() == ref


def test_streaming_codec_loopback_equals_encoder_decoder(tiny):
    x = speech(1.0, seed=3)
    packets = (e := sscodec.Encoder(tiny)).encode(x) + e.flush()
    y_ref = sscodec.Decoder(tiny).decode(packets)
    sc = sscodec.StreamingCodec(tiny, loopback=True)
    assert sc.delay_samples == 320
    y = sc.roundtrip(x)
    np.testing.assert_array_equal(y, y_ref)
    st = sc.stats()
    assert st["frames_encoded"] == st["frames_decoded"] == len(packets)
    assert st["decode_latency"]["frames"] == len(packets)


def test_worker_thread_matches_caller_thread(tiny):
    x = speech(1.0, seed=4)
    ref = sscodec.StreamingCodec(tiny, loopback=True).roundtrip(x)
    sc = sscodec.StreamingCodec(tiny, loopback=True, worker_thread=True)
    with pytest.raises(_native.Error):
        sc.process()  # the worker processes
    np.testing.assert_array_equal(sc.roundtrip(x), ref)
    # real-time worker priority is best effort (granted to root / CAP_SYS_NICE)
    rt = sscodec.StreamingCodec(tiny, loopback=True, worker_thread=True, realtime_priority=5)
    np.testing.assert_array_equal(rt.roundtrip(x), ref)
    assert isinstance(rt.stats()["worker_realtime"], bool)


def test_send_receive_sides_with_odd_pushes_and_pulls(tiny):
    """Audio in with odd push sizes, packets across, audio out with odd pull
    sizes: exactly one output sample per input sample (after the flush pad)."""
    x = speech(3.0, seed=5)
    tx = sscodec.StreamingCodec(tiny)
    rx = sscodec.StreamingCodec(tiny)
    rng = np.random.default_rng(0)
    out, pos = [], 0
    while pos < len(x):
        n = int(rng.choice([128, 441, 480, 512, 1000]))
        assert tx.push_audio(x[pos : pos + n]) == len(x[pos : pos + n])
        pos += n
        tx.process()
        for p in tx.pull_packets():
            assert rx.push_packet(p)
        rx.process()
        out.append(rx.pull_audio(int(rng.choice([100, 441, 999]))))
    tx.flush()
    tx.process()
    for p in tx.pull_packets():
        rx.push_packet(p)
    rx.process()
    out.append(rx.pull_audio())
    y = np.concatenate(out)
    frames = -(-len(x) // 320)
    assert len(y) == frames * 320
    ref = sscodec.Decoder(tiny).decode((e := sscodec.Encoder(tiny)).encode(x) + e.flush())
    np.testing.assert_array_equal(y, ref)
    t, r = tx.stats(), rx.stats()
    assert t["samples_in"] + t["samples_padded"] == t["frames_encoded"] * 320 + t["input_pending"]
    assert r["frames_decoded"] * 320 == r["samples_out"] + r["output_pending"]
    # underrun: pulling more than there is pads with zeros, and it is counted
    z = rx.pull_audio(500, pad=True)
    assert len(z) == 500 and not z.any() and rx.stats()["samples_underrun"] == 500


def test_bitrate_switching_mid_stream(tiny):
    x = speech(1.2)
    enc = sscodec.Encoder(tiny, bitrate=1200)
    assert enc.info.bitrates == {300: 1, 600: 2, 900: 3, 1200: 4}
    third = len(x) // 3
    packets = enc.encode(x[:third])
    packets += enc.encode(x[third : 2 * third], bitrate="300")
    packets += enc.encode(x[2 * third :], num_quantizers=2) + enc.flush()
    nq = [decode_packet(p, enc.format).n_q for p in packets]
    assert nq[0] == 4 and nq[-1] == 2 and 1 in nq
    assert nq == sorted(nq, key=lambda q: {4: 0, 1: 1, 2: 2}[q])  # switches happen in order, once each
    with pytest.raises(ValueError, match="not available"):
        enc.set_bitrate("6k")
    y = sscodec.Decoder(tiny).decode(packets)
    assert len(y) == len(packets) * 320 and np.all(np.isfinite(y))


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.1, 0.2, 0.3])
def test_packet_loss(tiny, rate):
    x = speech(4.0, seed=1)
    packets = (e := sscodec.Encoder(tiny)).encode(x) + e.flush()
    mask = GilbertElliott.from_loss_rate(rate, 2.0 if rate else None, seed=7).mask(len(packets))
    lossy = [None if m else p for p, m in zip(packets, mask)]
    dec = sscodec.Decoder(tiny)
    y = dec.decode(lossy)
    assert len(y) == len(packets) * 320 and np.all(np.isfinite(y))
    assert np.abs(y).max() < 4.0
    st = dec.stats()
    assert st["packets_lost"] == int(mask.sum())
    assert st["frames_concealed"] + st["frames_comfort_noise"] >= int(mask.sum())
    if rate == 0:
        np.testing.assert_array_equal(y, sscodec.Decoder(tiny).decode(packets))


def test_corrupt_packets_are_concealed_not_fatal(tiny):
    x = speech(1.0)
    packets = (e := sscodec.Encoder(tiny)).encode(x) + e.flush()
    rng = np.random.default_rng(0)
    bad = [rng.integers(0, 256, rng.integers(1, 40)).astype(np.uint8).tobytes() for _ in range(200)]
    dec = sscodec.Decoder(tiny)
    y = dec.decode(packets[:10] + bad + packets[10:] + [b"\x20\x00" + b"\xff" * 600])
    assert len(y) == (len(packets) + 201) * 320 and np.all(np.isfinite(y))
    st = dec.stats()
    # random bytes are rarely valid packets; every invalid one is counted
    assert st["packets_corrupt"] >= 150
    assert st["frames_decoded"] == len(packets) + 201


def test_dtx_and_comfort_noise(tiny):
    rng = np.random.default_rng(0)
    x = np.concatenate([speech(0.6), 1e-4 * rng.standard_normal(FS).astype(np.float32), speech(0.4)])
    enc = sscodec.Encoder(tiny, dtx=True)
    packets = enc.encode(x) + enc.flush()
    dtx = [p for p in packets if decode_packet(p, enc.format).is_dtx]
    assert len(dtx) >= 30 and all(len(p) == 2 for p in dtx)
    assert enc.stats()["packets_dtx_sent"] == len(dtx)
    dec = sscodec.Decoder(tiny)
    y = dec.decode(packets)
    assert len(y) == len(packets) * 320 and np.all(np.isfinite(y))
    st = dec.stats()
    # each background-refresh packet (see the next test) costs one fade frame
    is_dtx = [decode_packet(p, enc.format).is_dtx for p in packets]
    first, last = is_dtx.index(True), len(is_dtx) - 1 - is_dtx[::-1].index(True)
    refresh = is_dtx[first:last].count(False)
    assert refresh == len(dtx) // 19 or refresh == len(dtx) // 20
    assert st["packets_dtx_received"] == len(dtx) and st["frames_comfort_noise"] >= len(dtx) - 1 - refresh


def test_dtx_background_refresh_packets(tiny):
    """During DTX every 20th silent frame (after the hangover) is a normal
    2-code packet; the decoder decodes it (not comfort noise); 0 turns it off.
    None (the default) is the native scheduler's default of 20."""
    rng = np.random.default_rng(1)
    x = np.concatenate([speech(0.4), 1e-4 * rng.standard_normal(3 * FS).astype(np.float32)])
    runs = {}
    for refresh in (None, 0):
        enc = sscodec.Encoder(tiny, dtx=True, **({} if refresh is None else {"dtx_refresh_frames": refresh}))
        packets = enc.encode(x) + enc.flush()
        kinds = ["D" if decode_packet(p, enc.format).is_dtx else len(decode_packet(p, enc.format).codes)
                 for p in packets]
        dec = sscodec.Decoder(tiny)
        y = dec.decode(packets)
        assert len(y) == len(packets) * 320 and np.all(np.isfinite(y))
        runs[refresh] = (kinds, dec.stats())
    kinds, st = runs[None]
    first = kinds.index("D")
    silent = kinds[first:]
    refresh_at = [i for i, k in enumerate(silent) if k != "D"]
    assert refresh_at and all(silent[i] == 2 for i in refresh_at)
    assert refresh_at == list(range(19, len(silent), 20))  # the 20th, 40th, ... DTX-period frame
    kinds0, st0 = runs[0]
    assert "D" in kinds0 and all(k in ("D", kinds0[0]) for k in kinds0)
    assert st["packets_dtx_received"] == silent.count("D")
    # refresh packets are decoded, not replaced by comfort noise
    assert st["frames_comfort_noise"] < st0["frames_comfort_noise"]


def test_any_input_sample_rate(tiny):
    import soxr

    x16 = speech(1.0)
    x44 = soxr.resample(x16, FS, 44100, quality="VHQ").astype(np.float32)
    enc = sscodec.Encoder(tiny, sample_rate=44100)
    packets = enc.encode(x44[:20000]) + enc.encode(x44[20000:]) + enc.flush()
    assert abs(len(packets) - 50) <= 1
    dec = sscodec.Decoder(tiny, sample_rate=44100)
    y = np.concatenate([dec.decode(packets), dec.flush()])
    assert abs(len(y) - len(packets) * 320 * 44100 / FS) <= 2
    with pytest.raises(ValueError, match="cannot change"):
        enc.encode(x44[:1000])
        enc.encode(x16[:1000], sample_rate=16000)


def test_concealment_policy_matches_python():
    rng = np.random.default_rng(0)
    for trial in range(20):
        py, nat = ConcealmentPolicy(), _native.ConcealmentPolicy()
        for _ in range(200):
            r = rng.random()
            if r < 0.35:
                ev = None
            elif r < 0.45:
                ev = "dtx"
            else:
                ev = rng.integers(0, 1024, int(rng.integers(1, 25))).tolist()
            if ev is None:
                p = py.on_loss()
            elif ev == "dtx":
                p = py.on_dtx()
            else:
                p = py.on_packet(ev)
            mode, codes, speech_g, noise_g, lost = nat.next(ev)
            assert mode == p.mode.value
            assert (codes is None) == (p.codes is None)
            if codes is not None:
                assert codes == p.codes.tolist()
            np.testing.assert_allclose(speech_g, p.speech_gain, atol=1e-6)
            np.testing.assert_allclose(noise_g, p.noise_gain, atol=1e-6)
            assert lost == p.lost_count


# --- model folder validation -------------------------------------------------


def _copy(tiny, tmp_path):
    d = tmp_path / "model"
    shutil.copytree(tiny, d)
    return d


def test_refuses_modified_graph(tiny, tmp_path):
    d = _copy(tiny, tmp_path)
    b = bytearray((d / "decoder.tflite").read_bytes())
    b[len(b) // 2] ^= 0xFF
    (d / "decoder.tflite").write_bytes(bytes(b))
    with pytest.raises(ManifestError, match="sha256"):
        sscodec.Decoder(d)
    sscodec.Encoder(d)  # the encoder side does not load the decoder graph


def test_refuses_manifest_that_disagrees_with_graphs(tiny, tmp_path):
    d = _copy(tiny, tmp_path)
    m = json.loads((d / "manifest.json").read_text())
    m["graphs"]["encoder"]["inputs"][0]["shape"] = [1, 321]
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ManifestError, match="manifest"):
        sscodec.Encoder(d)
    m = json.loads((tiny / "manifest.json").read_text())
    m["graphs"]["decoder"]["states"][0]["shape"] = [1, 7, 16]
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ManifestError):
        sscodec.Decoder(d)
    m = json.loads((tiny / "manifest.json").read_text())
    m["model"]["embedding_dim"] = 17
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ManifestError, match="17"):
        sscodec.Encoder(d)


def test_refuses_bad_folders(tiny, tmp_path):
    from sscodec.paths import ModelNotFoundError

    with pytest.raises(ModelNotFoundError):
        sscodec.Encoder(tmp_path / "nope")
    with pytest.raises(ManifestError):
        sscodec.Encoder(tmp_path)  # no manifest.json
    d = _copy(tiny, tmp_path)
    (d / "manifest.json").write_text("{not json")
    with pytest.raises(ManifestError, match="JSON"):
        sscodec.Encoder(d)
    m = json.loads((tiny / "manifest.json").read_text())
    m["format_version"] = 99
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ManifestError, match="version"):
        sscodec.Encoder(d)
    (d / "manifest.json").write_text((tiny / "manifest.json").read_text())
    (d / "rvq_encode.tflite").unlink()
    with pytest.raises(ManifestError, match="missing"):
        sscodec.Encoder(d)


def test_native_manifest_reader_agrees_with_python(tiny):
    """The C API opens the folder by itself: same id and code-book hash."""
    c = _native.Codec(str(tiny), encoder=True, decoder=False,
                      litert_library=__import__("sscodec.litert").litert.find_litert_library())
    info = c.info
    m = json.loads((tiny / "manifest.json").read_text())
    assert info["model_id"] == m["model"]["model_id"]
    assert info["model_hash"] == bytes.fromhex(sha256_file(tiny / "rvq_decode.tflite"))
    assert info["frame_size"] == m["model"]["frame_size"]


def test_every_precision_decodes_the_same_files(tiny):
    """RVQ graphs are float32 in every precision: one code-book hash, so a
    file encoded with one precision decodes with another."""
    hashes = set()
    for p in ("float32", "dynamic-int8", "int8"):
        d = TINY / p
        if (d / "manifest.json").is_file():
            hashes.add(sscodec.Decoder(d).model_hash)
    assert len(hashes) == 1


def test_native_graphs_match_tensorflow(tiny):
    """Native streaming (TFLite float32, ping-pong states, output mapping)
    equals the TF concrete functions the graphs were converted from."""
    pytest.importorskip("tensorflow")
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from sscodec.converter.graphs import FrameGraphs, new_state_name, state_name
    from sscodec.models.model_io import load_model_dir

    model = load_model_dir(TINY / "keras")
    g = FrameGraphs(model)
    enc_fn, dec_fn = g.concrete("encoder"), g.concrete("decoder")
    rq_e, rq_d = g.concrete("rvq_encode"), g.concrete("rvq_decode")
    x = speech(0.3, seed=9)
    frames = len(x) // 320
    es = {state_name(i): np.zeros((1, s.length, s.channels), np.float32) for i, s in enumerate(g.enc_specs)}
    ds = {state_name(i): np.zeros((1, s.length, s.channels), np.float32) for i, s in enumerate(g.dec_specs)}
    nq = np.array([model.cfg.num_quantizers], np.int32)
    flag = np.zeros([1], np.float32)
    ref_codes, ref_audio = [], []
    for k in range(frames):
        o = enc_fn({"audio": x[None, k * 320 : (k + 1) * 320], "denoise": flag, **es})
        es = {state_name(i): o[new_state_name(i)].numpy() for i in range(len(g.enc_specs))}
        c = rq_e({"embedding": o["embedding"], "num_quantizers": nq})["codes"]
        ref_codes.append(c.numpy().reshape(-1))
        emb = rq_d({"codes": c, "num_quantizers": nq})["embedding"]
        o = dec_fn({"embedding": emb, "denoise": flag, **ds})
        ds = {state_name(i): o[new_state_name(i)].numpy() for i in range(len(g.dec_specs))}
        ref_audio.append(o["audio"].numpy().reshape(-1))
    enc = sscodec.Encoder(tiny)
    packets = enc.encode(x[: frames * 320])
    codes = [decode_packet(p, enc.format).codes for p in packets]
    assert np.array_equal(np.stack(codes), np.stack(ref_codes))
    y = sscodec.Decoder(tiny).decode(packets)
    np.testing.assert_allclose(y, np.concatenate(ref_audio), atol=1e-4)


def test_fewer_stage_rvq_signatures_give_the_all_stage_codes(tiny):
    """At n_q < N_q the encoder runs the RVQ signature with the fewest stages
    that covers n_q (less codebook memory read per frame); its codes are the
    first n_q codes of the all-stage signature."""
    m = json.loads((tiny / "manifest.json").read_text())
    stages = [s["stages"] for s in m["graphs"]["rvq_encode"]["stage_signatures"]]
    Q = m["model"]["num_quantizers"]
    assert stages and stages[-1] < Q
    x = speech(0.5, seed=4)
    n = len(x) // 320 * 320
    full = np.stack([decode_packet(p, sscodec.Encoder(tiny).format).codes
                     for p in sscodec.Encoder(tiny, num_quantizers=Q).encode(x[:n])])
    for n_q in range(1, Q):
        enc = sscodec.Encoder(tiny, num_quantizers=n_q)
        codes = np.stack([decode_packet(p, enc.format).codes for p in enc.encode(x[:n])])
        assert np.array_equal(codes, full[:, :n_q]), n_q


def test_encoder_opens_the_manifests_rvq_stage_signatures(tiny, tmp_path):
    """The native pipeline really uses the stage signatures: one that names a
    signature the graph lacks is refused (natively and in Python), as are stage
    counts out of order or not below N_q."""
    d = tmp_path / "m"
    shutil.copytree(tiny, d)
    m = json.loads((tiny / "manifest.json").read_text())
    sigs = m["graphs"]["rvq_encode"]["stage_signatures"]
    sigs[0]["signature"] = "no_such_signature"
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(Exception, match="no_such_signature"):
        _native.Codec(str(d), encoder=True, decoder=False,
                      litert_library=__import__("sscodec.litert").litert.find_litert_library())
    for bad in ([{"stages": 2, "signature": "stages_002"}, {"stages": 1, "signature": "stages_001"}],
                [{"stages": m["model"]["num_quantizers"], "signature": "serving_default"}]):
        m["graphs"]["rvq_encode"]["stage_signatures"] = bad
        (d / "manifest.json").write_text(json.dumps(m))
        with pytest.raises(ManifestError, match="stage_signatures"):
            sscodec.Encoder(d)
        with pytest.raises(Exception, match="stage_signatures"):
            _native.Codec(str(d), encoder=True, decoder=False,
                          litert_library=__import__("sscodec.litert").litert.find_litert_library())
