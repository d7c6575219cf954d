"""`sscodec loopback` pieces without audio hardware: the control/script
parser, the packet channel (loss, jitter, jitter buffer), the playout FIFO,
and the engine's callback driven with synthetic PortAudio blocks -- where the
true latency of every click is known, so the reported latency, underruns and
latency trims are checked exactly."""

from __future__ import annotations

import subprocess
import sys
from collections import deque
from types import SimpleNamespace

import numpy as np
import pytest

from sscodec.live.channel import PacketChannel
from sscodec.live.control import Action, ControlError, parse_action, parse_script
from sscodec.live.devices import DeviceChoice
from sscodec.live.engine import LoopbackEngine
from sscodec.live.fifo import SampleFifo

# -- control ------------------------------------------------------------------


def test_parse_actions():
    assert parse_action("bitrate=3k") == Action("bitrate", 3000)
    assert parse_action(" B=9.5kbps ") == Action("bitrate", 9500)
    assert parse_action("6k") == Action("bitrate", 6000) == parse_action("6000")
    assert parse_action("denoise=on") == Action("denoise", True)
    assert parse_action("denoise=OFF") == Action("denoise", False)
    assert parse_action("d") == Action("denoise", None)
    assert parse_action("loss=0.25") == Action("loss", 0.25)
    assert parse_action("q") == Action("quit") == parse_action("quit")
    assert parse_action("   ") is None
    for bad in ("bitrate=fast", "denoise=maybe", "loss=1.5", "volume=3", "hello"):
        with pytest.raises(ControlError):
            parse_action(bad)


def test_parse_script_sorted_and_multi_action():
    s = parse_script("t=4:denoise=on, t=2:bitrate=3k:loss=0.1")
    assert [(x.t, x.action) for x in s] == [(2.0, Action("bitrate", 3000)), (2.0, Action("loss", 0.1)),
                                            (4.0, Action("denoise", True))]
    assert parse_script("") == []
    for bad in ("2:bitrate=3k", "t=x:bitrate=3k", "t=2", "t=2:bitrate=slow"):
        with pytest.raises(ControlError):
            parse_script(bad)


def test_bad_arguments_exit_2_without_touching_devices():
    for args in (["--script", "t=2"], ["--loss-rate", "1.5"], ["--duration", "0"], ["--block-ms", "500"]):
        r = subprocess.run([sys.executable, "-m", "sscodec", "loopback", *args], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 2, (args, r.stderr)
        assert "error" in r.stderr and "Traceback" not in r.stderr


# -- channel ------------------------------------------------------------------


class FakePackets:
    """The packet side of a StreamingCodec: queued packets out, pushed packets in."""

    def __init__(self):
        self.out = deque()
        self.received = []

    def pull_packets(self):
        got = list(self.out)
        self.out.clear()
        return got

    def push_packet(self, p):
        self.received.append(p)
        return True


def _send(ch, codec, n, now, size=17):
    for i in range(n):
        codec.out.append(bytes([i % 256]) * size)
        ch._step(now + i * 0.02)


def test_channel_perfect_delivers_in_order_at_once():
    codec = FakePackets()
    ch = PacketChannel(codec)
    _send(ch, codec, 100, 0.0)
    assert len(codec.received) == 100 and all(p is not None for p in codec.received)
    assert [p[0] for p in codec.received] == [i % 256 for i in range(100)]
    assert ch.sent == ch.delivered == 100 and ch.lost == ch.late == 0
    assert ch.sizes == [17] * 100 and ch.bytes_sent == 1700


def test_channel_loss_rate_and_seed():
    def run(seed):
        codec = FakePackets()
        ch = PacketChannel(codec, loss_rate=0.3, seed=seed)
        _send(ch, codec, 4000, 0.0)
        return ch, [p is None for p in codec.received]

    ch, mask = run(7)
    assert ch.lost == sum(mask) and 0.27 < ch.lost / 4000 < 0.33
    assert run(7)[1] == mask and run(8)[1] != mask
    ch.set_loss_rate(0.0)
    codec = ch._codec
    _send(ch, codec, 50, 100.0)
    assert all(p is not None for p in codec.received[-50:])


def test_channel_jitter_buffer_holds_and_conceals_late_packets():
    codec = FakePackets()
    ch = PacketChannel(codec, jitter_ms=40, jitter_buffer_ms=20, seed=1)
    codec.out.append(b"x" * 10)
    ch._step(0.0)
    assert codec.received == []  # held until its playout time
    ch._step(0.019)
    assert codec.received == []
    ch._step(0.0201)
    assert len(codec.received) == 1
    _send(ch, codec, 2000, 1.0)
    ch.stop(drain=True)
    assert len(codec.received) == 2001 == ch.sent
    # uniform delay in [0, 40] ms behind a 20 ms buffer: half are late
    assert 0.45 < ch.late / ch.sent < 0.55 and ch.lost == 0
    assert ch.late == sum(p is None for p in codec.received)
    codec2 = FakePackets()
    ch2 = PacketChannel(codec2, jitter_ms=40, seed=1)  # default buffer = jitter: none late
    _send(ch2, codec2, 500, 0.0)
    ch2.stop(drain=True)
    assert ch2.late == 0 and len(codec2.received) == 500


# -- FIFO ---------------------------------------------------------------------


def test_fifo_wraps_and_counts():
    f = SampleFifo(10)
    assert f.write(np.arange(7)) == 7
    out = np.zeros(5, np.float32)
    assert f.read_into(out) == 5 and list(out) == [0, 1, 2, 3, 4]
    assert f.write(np.arange(100, 110)) == 8  # 2 left + 8 = full
    assert f.drop(3) == 3 and f.level == 7  # drops 5, 6, 100
    out = np.zeros(9, np.float32)
    assert f.read_into(out) == 7 and f.level == 0
    assert list(out) == [101, 102, 103, 104, 105, 106, 107, 0, 0]
    assert f.read_into(out) == 0 and f.drop(5) == 0


# -- engine -------------------------------------------------------------------


class FrameCodec:
    """Stands in for StreamingCodec at 16 kHz: an identity 'codec' that makes
    each complete 320-sample frame available to pull_audio (unless held)."""

    sample_rate = 16000
    frame = 320

    def __init__(self):
        self.pending = np.zeros(0, np.float32)
        self.ready = deque()
        self.hold = False

    def push_audio(self, y):
        self.pending = np.concatenate([self.pending, y])
        while len(self.pending) >= self.frame:
            self.ready.append(self.pending[: self.frame].copy())
            self.pending = self.pending[self.frame :]
        return len(y)

    def pull_audio(self, n=None):
        if self.hold or not self.ready:
            return np.zeros(0, np.float32)
        out = np.concatenate(list(self.ready))
        self.ready.clear()
        return out


FakeSd = SimpleNamespace(CallbackAbort=RuntimeError)


class _Status:
    input_overflow = input_underflow = output_underflow = output_overflow = False

    def __bool__(self):
        return False


class _Xrun(_Status):
    output_underflow = True

    def __bool__(self):
        return True


def _drive(rate, seconds, *, hold=(), device_s=0.05, buffer_ms=20.0, click_every=0.25,
           host_wander=None, xrun_at=None):
    """Run the engine's callback over synthetic clicks; returns (engine,
    [(true latency s, reported latency s) per click], output signal).
    device_s: the true device latency (s), or a function of stream time t (s);
    host_wander(t): s the host API's input timestamp claims on top of the truth
    (T_in earlier by that much, the true path unchanged); xrun_at: stream time
    (s) of the block whose status carries an output underflow."""
    dev_at = device_s if callable(device_s) else (lambda t: device_s)
    codec = FrameCodec()
    dev = DeviceChoice(0, 0, "fake in", "fake out", rate, 1, 1)
    eng = LoopbackEngine(FakeSd, codec, None, dev, block_ms=10, buffer_ms=buffer_ms)
    B = eng.block
    n_blocks = int(seconds * rate / B)
    x = np.zeros(n_blocks * B, np.float32)
    clicks = np.arange(int(0.1 * rate), len(x) - rate // 2, int(click_every * rate))
    x[clicks] = 0.8
    out = np.zeros_like(x)
    reported = np.full(n_blocks, np.nan)
    for k in range(n_blocks):
        codec.hold = any(a <= k * B / rate < b for a, b in hold)
        t = k * B / rate
        wander = host_wander(t) if host_wander else 0.0
        ti = SimpleNamespace(inputBufferAdcTime=1.0 + t - wander, outputBufferDacTime=1.0 + t + dev_at(t),
                             currentTime=1.0 + t)
        o = np.zeros((B, 1), np.float32)
        xrun = xrun_at is not None and k == int(xrun_at * rate / B)
        eng._process(x[k * B : (k + 1) * B, None], o, B, ti, _Xrun() if xrun else _Status())
        out[k * B : (k + 1) * B] = o[:, 0]
        reported[k] = eng.latency_s
    pairs = []
    for i in clicks:
        seg = np.abs(out[i : i + int(0.8 * click_every * rate)])  # comes out before the next click
        j = i + int(np.argmax(seg))
        if seg.max() < 0.1:
            continue  # fell into a trim or an underrun gap
        pairs.append(((j - i) / rate + dev_at(j / rate), reported[j // B]))
    return eng, pairs, out


@pytest.mark.parametrize("rate", [16000, 48000])
def test_engine_reported_latency_is_the_true_click_latency(rate):
    eng, pairs, _ = _drive(rate, 3.0)
    assert len(pairs) >= 10
    for true, rep in pairs:
        assert rep == pytest.approx(true, abs=1.5 / rate + 1e-9 if rate == 16000 else 0.0005)
    # device 50 ms + a frame's wait less the block already in it (20 - 10 ms) + 20 ms margin;
    # soxr LQ adds its delay at 48 kHz
    first = pairs[0][0]
    if rate == 16000:
        assert first == pytest.approx(0.05 + 0.01 + 0.02)
    else:
        assert 0.08 < first < 0.15
    assert eng.underrun_events == 0 and eng.trim_events == 0 and eng.playing
    assert eng.resampling == (rate != 16000)


def test_engine_underrun_grows_latency_then_trim_restores_it():
    # the codec stalls for 80 ms at t = 1 s: underrun (zeros), the late audio plays later;
    # the 2 s slack window then sees 60+ ms of excess and trims it
    eng, pairs, out = _drive(16000, 6.0, hold=[(1.0, 1.08)])
    assert eng.underrun_events >= 1 and eng.underrun_samples >= 0.05 * 16000
    assert eng.trim_events >= 1 and eng.trimmed_samples > 0.04 * 16000
    for true, rep in pairs:
        assert rep == pytest.approx(true, abs=1.5 / 16000)
    lat = [p[0] for p in pairs]
    base = lat[0]
    assert max(lat) > base + 0.04  # grew by the stall
    assert lat[-1] == pytest.approx(base, abs=0.015)  # and came back after the trim


def test_engine_latency_ignores_wandering_host_timestamps():
    # PulseAudio's ALSA plugin: the capture delay the host reports ramps up by 45 ms and drops
    # back (a sawtooth) while the real path does not move; the report stays on the truth
    eng, pairs, _ = _drive(16000, 6.0, host_wander=lambda t: 0.045 * (((t - 0.5) / 2.0) % 1.0) if t > 0.5 else 0.0)
    assert len(pairs) >= 20
    for true, rep in pairs:
        assert rep == pytest.approx(true, abs=1.5 / 16000)
    host = np.array([r[3] for r in eng.latency_trace])
    assert host.max() > 90 and eng.device_resets == 1  # the host's estimate did wander (ms)


def test_engine_device_latency_starts_over_after_an_xrun():
    # at t = 3 s an output underflow comes with a real 30 ms longer device path: the estimate
    # restarts there and follows it (the floor since the xrun, not since the start)
    eng, pairs, _ = _drive(16000, 6.0, device_s=lambda t: 0.05 if t < 3.0 else 0.08, xrun_at=3.0)
    assert eng.xruns["output_underflow"] == 1 and eng.device_resets == 2
    late = [(true, rep) for true, rep in pairs if true > 0.1]
    assert len(late) >= 8
    for true, rep in pairs:
        assert rep == pytest.approx(true, abs=1.5 / 16000)


class _FakeStream:
    """sounddevice.Stream stand-in: records abort/close; its abort can fail
    like a dead ALSA stream's."""

    opened: list = []

    def __init__(self, **kw):
        self.kw, self.calls, self.latency = kw, [], (0.01, 0.02)
        _FakeStream.opened.append(self)

    def start(self):
        self.calls.append("start")

    def abort(self):
        self.calls.append("abort")
        raise _FakeSd.PortAudioError("Wait timed out")

    def close(self):
        self.calls.append("close")

    def stop(self):
        self.calls.append("stop")


class _FakeSd:
    CallbackAbort = RuntimeError

    class PortAudioError(Exception):
        pass

    Stream = _FakeStream


class _FakeChannel:
    def __init__(self):
        self.calls = []

    def start(self):
        self.calls.append("start")

    def stop(self):
        self.calls.append("stop")


def test_stalled_stream_is_restarted_twice_then_declared_dead():
    _FakeStream.opened = []
    ch = _FakeChannel()
    eng = LoopbackEngine(_FakeSd, FrameCodec(), ch, DeviceChoice(0, 1, "in", "out", 16000, 1, 1))
    eng.start()
    first = _FakeStream.opened[0]
    t0 = eng.last_callback
    assert eng.watch_stall(t0 + 1.9) == "ok"
    assert eng.watch_stall(t0 + 2.1) == "restarted"
    # the stalled stream was aborted (its error swallowed) and closed; a new one runs on the same devices
    assert first.calls == ["start", "abort", "close"] and len(_FakeStream.opened) == 2
    assert _FakeStream.opened[1].kw["device"] == (0, 1) and _FakeStream.opened[1].calls == ["start"]
    assert eng.stream is _FakeStream.opened[1] and eng.stream_restarts == 1
    assert ch.calls == ["start"]  # the packet channel carried on
    t1 = eng.last_callback
    assert eng.watch_stall(t1 + 0.5) == "ok"  # the fresh stream gets its own 2 s
    eng.last_callback = t1 + 1.0  # it called back once, then stalled too
    assert eng.watch_stall(t1 + 3.5) == "restarted" and eng.stream_restarts == 2
    assert eng.watch_stall(eng.last_callback + 2.5) == "dead" and len(_FakeStream.opened) == 3
    eng.stop()
    assert ch.calls == ["start", "stop"] and eng.stream is None
