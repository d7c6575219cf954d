"""sscodec.loss (Gilbert-Elliott simulator) and sscodec.concealment (PLC policy, comfort noise)."""

import math

import numpy as np
import pytest

from sscodec.bitstream import Packet, PacketFlags, decode_packet, encode_dtx_packet, encode_packet
from sscodec.concealment import (
    ComfortNoiseGenerator,
    ConcealmentMode,
    ConcealmentPolicy,
    FramePlan,
    conceal_stream,
)
from sscodec.loss import GilbertElliott, apply_loss, burst_stats, loss_mask

F = 320


# -- Gilbert-Elliott -----------------------------------------------------------------


@pytest.mark.parametrize(
    "rate, burst",
    [(0.01, 1.5), (0.05, 2.0), (0.1, 3.0), (0.2, 1.25), (0.3, 5.0), (0.5, 2.0), (0.1, None)],
)
def test_measured_rate_and_burst_match_parameters(rate, burst):
    g = GilbertElliott.from_loss_rate(rate, burst, seed=42)
    m = np.concatenate([g.mask(997) for _ in range(100)] + [g.mask(300_000)])  # streaming + bulk
    s = burst_stats(m)
    want_burst = 1 / (1 - rate) if burst is None else burst
    assert g.expected_loss_rate == pytest.approx(rate) and g.expected_burst_length == pytest.approx(want_burst)
    assert abs(s.loss_rate - rate) < max(0.1 * rate, 0.002), s
    assert abs(s.mean_burst - want_burst) < 0.05 * want_burst, s


def test_transition_probabilities():
    g = GilbertElliott(0.03, 0.4, seed=1)
    s = g.states(400_000)
    prev, nxt = s[:-1], s[1:]
    p_hat = np.mean(nxt[~prev])
    r_hat = np.mean(~nxt[prev])
    assert p_hat == pytest.approx(0.03, rel=0.05) and r_hat == pytest.approx(0.4, rel=0.05)


def test_chunked_generation_continues_the_chain():
    # Chunks of 1 packet exercise the per-call transition; statistics must hold.
    g = GilbertElliott.from_loss_rate(0.2, 4.0, seed=3)
    m = np.concatenate([g.mask(1) for _ in range(60_000)])
    s = burst_stats(m)
    assert abs(s.loss_rate - 0.2) < 0.03 and abs(s.mean_burst - 4.0) < 0.4


def test_seeded_and_deterministic():
    a = loss_mask(10_000, 0.1, 3, seed=123)
    b = loss_mask(10_000, 0.1, 3, seed=123)
    c = loss_mask(10_000, 0.1, 3, seed=124)
    assert a.dtype == bool and a.shape == (10_000,)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_gilbert_elliott_general_case():
    g = GilbertElliott(0.05, 0.25, loss_good=0.01, loss_bad=0.6, seed=9)
    want = (0.05 / 0.30) * 0.6 + (0.25 / 0.30) * 0.01
    assert g.expected_loss_rate == pytest.approx(want)
    assert burst_stats(g.mask(400_000)).loss_rate == pytest.approx(want, rel=0.05)


def test_edge_cases():
    assert not loss_mask(1000, 0.0, seed=0).any()
    assert loss_mask(0, 0.3, 2, seed=0).shape == (0,)
    m = loss_mask(1000, 0.5, 1.0, seed=0)  # p = r = 1: strictly alternating
    assert m.sum() == 500 and burst_stats(m).max_burst == 1
    always_bad = GilbertElliott(0.0, 0.0, start="bad", seed=0)
    assert always_bad.mask(50).all()


@pytest.mark.parametrize(
    "args",
    [(1.0, 2.0), (-0.1, 2.0), (0.1, 0.5), (0.9, 2.0), (0.1, math.inf)],  # 0.9 needs bursts >= 9
)
def test_invalid_parameters(args):
    with pytest.raises(ValueError):
        GilbertElliott.from_loss_rate(*args)


def test_invalid_probabilities():
    with pytest.raises(ValueError):
        GilbertElliott(1.5, 0.5)
    with pytest.raises(ValueError):
        GilbertElliott(0.0, 0.0)  # no stationary state without start=


def test_burst_stats_and_apply_loss():
    m = np.array([0, 1, 1, 0, 0, 1, 1, 1, 0, 1], bool)
    s = burst_stats(m)
    assert (s.packets, s.lost, s.bursts, s.max_burst) == (10, 6, 3, 3)
    assert s.mean_burst == 2.0 and s.loss_rate == 0.6
    assert burst_stats(np.zeros(5, bool)).bursts == 0
    pk = [bytes([i]) for i in range(10)]
    out = apply_loss(pk, m)
    assert [o is None for o in out] == m.tolist() and out[0] == b"\x00"
    with pytest.raises(ValueError):
        apply_loss(pk[:3], m)


# -- concealment policy ----------------------------------------------------------------


def _codes(n=24, v=7):
    return np.full(n, v, np.uint16)


def test_policy_loss_schedule():
    pol = ConcealmentPolicy(hold_frames=2, fade_frames=4, min_repeat_quantizers=4)
    first = pol.on_packet(_codes())
    assert first.mode is ConcealmentMode.DECODE and first.speech_gain == (1.0, 1.0) and first.noise_gain == (0.0, 0.0)
    plans = [pol.on_loss() for _ in range(10)]
    modes = [p.mode for p in plans]
    assert modes == [ConcealmentMode.REPEAT] * 6 + [ConcealmentMode.COMFORT_NOISE] * 4
    ends = [p.speech_gain[1] for p in plans]
    assert ends[:6] == pytest.approx([1.0, 1.0, 0.75, 0.5, 0.25, 0.0])
    assert [p.lost_count for p in plans] == list(range(1, 11))
    assert [p.n_q if False else (None if p.codes is None else len(p.codes)) for p in plans][:6] == [24, 12, 6, 4, 4, 4]
    for p in plans:
        if p.codes is not None:
            assert np.array_equal(p.codes, _codes()[: len(p.codes)])
        s1, n1 = p.speech_gain[1], p.noise_gain[1]
        assert s1**2 + n1**2 == pytest.approx(1.0)  # power-complementary cross-fade
    for a, b in zip([first] + plans, plans):  # gains are continuous across frames
        assert a.speech_gain[1] == b.speech_gain[0] and a.noise_gain[1] == b.noise_gain[0]
    back = pol.on_packet(_codes(6, 3))
    assert back.mode is ConcealmentMode.DECODE and back.speech_gain == (0.0, 1.0) and back.noise_gain == (1.0, 0.0)


def test_policy_dtx_and_startup():
    pol = ConcealmentPolicy()
    assert pol.on_loss().mode is ConcealmentMode.COMFORT_NOISE  # nothing received yet
    pol.on_packet(_codes())
    d1 = pol.next(decode_packet(encode_dtx_packet()))
    assert d1.mode is ConcealmentMode.REPEAT and d1.speech_gain[1] == 0.0 and d1.noise_gain[1] == 1.0
    d2 = pol.on_dtx()
    assert d2.mode is ConcealmentMode.COMFORT_NOISE and d2.codes is None
    lost = pol.next(None)  # loss during DTX: comfort noise, never old speech
    assert lost.mode is ConcealmentMode.COMFORT_NOISE
    good = pol.next(decode_packet(encode_packet([1, 2, 3])))
    assert good.mode is ConcealmentMode.DECODE and good.speech_gain == (0.0, 1.0)


def test_policy_without_quantizer_reduction():
    pol = ConcealmentPolicy(hold_frames=0, fade_frames=1, min_repeat_quantizers=None)
    pol.on_packet(_codes(12))
    p = pol.on_loss()
    assert p.mode is ConcealmentMode.REPEAT and len(p.codes) == 12 and p.speech_gain == (1.0, 0.0)
    assert pol.on_loss().mode is ConcealmentMode.COMFORT_NOISE


def test_frame_plan_ramps_and_mix():
    plan = FramePlan(ConcealmentMode.REPEAT, _codes(), (1.0, 0.5), (0.0, math.sqrt(0.75)))
    s, n = plan.gains(F)
    assert s.shape == n.shape == (F,) and s.dtype == np.float32
    assert s[-1] == pytest.approx(0.5) and s[0] == pytest.approx(1.0 - 0.5 / F)
    out = plan.mix(np.ones(F, np.float32), np.ones(F, np.float32), F)
    np.testing.assert_allclose(out, s + n, rtol=1e-6)
    assert plan.mix(None, None, F).shape == (F,)


# -- comfort noise ---------------------------------------------------------------------


def _level_db(x):
    return 10 * math.log10(np.mean(np.square(x, dtype=np.float64)))


@pytest.mark.parametrize("level", [-60.0, -40.0, -25.0])
def test_comfort_noise_matches_white_background_level(level):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(F * 250) * 10 ** (level / 20)
    g = ComfortNoiseGenerator(seed=1)
    for i in range(250):
        g.update(x[i * F : (i + 1) * F])
    assert g.level_db == pytest.approx(level, abs=1.5)
    out = np.concatenate([g.generate() for _ in range(150)])
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert _level_db(out[F:]) == pytest.approx(level, abs=1.5)


def test_comfort_noise_follows_spectral_shape():
    rng = np.random.default_rng(1)
    low = np.convolve(rng.standard_normal(F * 250), np.ones(16) / 4, mode="same")  # low-pass
    g = ComfortNoiseGenerator(seed=2)
    for i in range(250):
        g.update(low[i * F : (i + 1) * F])
    out = np.concatenate([g.generate() for _ in range(100)])

    def low_share(sig):
        p = np.abs(np.fft.rfft(sig)) ** 2
        return p[: len(p) // 8].sum() / p.sum()

    assert low_share(low) > 0.8 and low_share(out) > 0.7
    assert _level_db(out) == pytest.approx(_level_db(low), abs=2.0)


def test_noise_estimate_ignores_speech_bursts_and_tracks_changes():
    rng = np.random.default_rng(2)
    n = 500
    noise = rng.standard_normal(F * n) * 10 ** (-45 / 20)
    t = np.arange(F * n)
    speech = np.repeat((np.arange(n) // 8) % 2, F) * 0.3 * np.sin(2 * np.pi * 220 * t / 16000)
    g = ComfortNoiseGenerator(seed=3)
    levels = []
    for i in range(n):
        g.update((noise + speech)[i * F : (i + 1) * F])
        levels.append(g.level_db)
    assert max(levels[100:]) < -45 + 4 and min(levels[100:]) > -45 - 3
    # Background drops by 20 dB: followed within 0.5 s.
    quiet = rng.standard_normal(F * 25) * 10 ** (-65 / 20)
    for i in range(25):
        g.update(quiet[i * F : (i + 1) * F])
    assert g.level_db == pytest.approx(-65, abs=2.5)


def test_comfort_noise_handles_silence_and_garbage():
    g = ComfortNoiseGenerator(seed=0)
    assert np.isfinite(g.generate()).all()  # before any update
    g.update(np.zeros(F))  # digital silence: ignored
    g.update(np.full(F, np.nan))  # ignored
    assert g.level_db == pytest.approx(-70.0)
    quiet = np.random.default_rng(0).standard_normal(F) * 1e-4  # -80 dBFS
    for _ in range(20):
        g.update(quiet)
    g.generate()
    out = g.generate()
    assert np.isfinite(out).all() and _level_db(out) == pytest.approx(-80, abs=3)


# -- the whole loop ------------------------------------------------------------------------


def _fake_decoder(codes):
    """Stand-in for the neural decoder: a tone whose amplitude depends on the codes."""
    amp = 0.05 + 0.01 * (len(codes) / 24)
    return (amp * np.sin(2 * np.pi * 300 * np.arange(F) / 16000)).astype(np.float32)


def test_conceal_stream_under_heavy_bursty_loss_never_fails():
    rng = np.random.default_rng(5)
    packets = []
    for i in range(600):
        if 200 <= i < 260:
            packets.append(encode_dtx_packet())
        else:
            packets.append(encode_packet(rng.integers(0, 1024, int(rng.choice([6, 12, 18, 24])))))
    mask = loss_mask(len(packets), 0.3, 6.0, seed=11)
    received = [None if p is None else decode_packet(p) for p in apply_loss(packets, mask)]
    out = np.concatenate(list(conceal_stream(received, _fake_decoder, F)))
    assert out.shape == (600 * F,) and out.dtype == np.float32
    assert np.isfinite(out).all() and np.max(np.abs(out)) < 0.2


def test_long_loss_ends_in_comfort_noise_at_background_level():
    rng = np.random.default_rng(6)
    bg = 10 ** (-40 / 20)

    def noisy_decoder(codes):
        return (rng.standard_normal(F) * bg).astype(np.float32)

    pk = [Packet(_codes())] * 100 + [None] * 100
    out = np.concatenate(list(conceal_stream(pk, noisy_decoder, F)))
    tail = out[150 * F :]  # long after the fade: comfort noise only
    assert _level_db(tail) == pytest.approx(-40, abs=2.0)
    assert Packet(_codes()).flags == PacketFlags.NONE
