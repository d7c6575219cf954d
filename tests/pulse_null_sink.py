"""A private PulseAudio daemon with virtual devices, for testing live audio
without a sound card (recipe: ../shared/AUDIO.md; needs the Debian packages
pulseaudio, pulseaudio-utils, libportaudio2, libasound2-plugins).

Layout: one stereo null sink ``v`` (48 kHz, ``norewinds=1``) and mono remaps
on its two channels, so that the talker and the codec's output are recorded
on ONE clock, sample-aligned, by a single recorder of ``v.monitor``::

    sink  talk  -> v front-left   (the test plays speech here)
    source mic  <- v.monitor front-left   (default source: the codec captures the talker)
    sink  spk   -> v front-right  (default sink: the codec plays here)

No feedback: what the codec plays (right) never reaches ``mic`` (left).

The daemon is this virtual sound card's "hardware clock", so its threads are
moved to SCHED_FIFO when permitted (root, as in CI): on a loaded machine
(2 vCPUs shared with training and builds) a normal-priority daemon is
starved for 100+ ms, the device then underruns no matter what the client
does, and PulseAudio grows its buffers (measured: 4-8 xruns and up to
+300 ms latency per 7 s run without, 0 xruns and a stable 120 ms with).
Clients must get :attr:`PulseNullSink.env` (private ``XDG_RUNTIME_DIR``) and
must be processes started after :meth:`start` -- PortAudio enumerates
devices when sounddevice is imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

RATE = 48000


def available() -> str | None:
    """None if the tools are installed, else what is missing."""
    missing = [t for t in ("pulseaudio", "pactl", "parec", "paplay") if shutil.which(t) is None]
    return ", ".join(missing) or None


class PulseNullSink:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sscodec-pulse-"))
        os.chmod(self.dir, 0o700)
        self.env = dict(os.environ)
        self.env.update(XDG_RUNTIME_DIR=str(self.dir / "run"), XDG_CONFIG_HOME=str(self.dir / "config"),
                        PULSE_RUNTIME_PATH=str(self.dir / "run" / "pulse"))
        for k in ("PULSE_SERVER", "PULSE_SINK", "PULSE_SOURCE"):
            self.env.pop(k, None)
        (self.dir / "run").mkdir(mode=0o700)
        (self.dir / "config").mkdir(mode=0o700)

    def _pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env=self.env, check=True, capture_output=True, text=True,
                              timeout=10).stdout

    def start(self) -> "PulseNullSink":
        subprocess.run(
            ["pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1", "--disallow-exit",
             "--use-pid-file=yes", "--log-target=stderr", "--log-level=error",
             "--load=module-native-protocol-unix",
             f"--load=module-null-sink sink_name=v rate={RATE} channels=2 norewinds=1"],
            env=self.env, check=True, capture_output=True, timeout=20)
        deadline = time.monotonic() + 10
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("pulseaudio did not answer within 10 s")
            time.sleep(0.05)
        self.realtime = self._make_realtime()
        remap = "channels=1 channel_map=mono remix=no"
        self._pactl("load-module", "module-remap-sink", "sink_name=talk", "master=v",
                    "master_channel_map=front-left", *remap.split())
        self._pactl("load-module", "module-remap-sink", "sink_name=spk", "master=v",
                    "master_channel_map=front-right", *remap.split())
        self._pactl("load-module", "module-remap-source", "source_name=mic", "master=v.monitor",
                    "master_channel_map=front-left", *remap.split())
        self._pactl("set-default-sink", "spk")
        self._pactl("set-default-source", "mic")
        return self

    def _make_realtime(self, priority: int = 20) -> bool:
        """SCHED_FIFO for every thread of the daemon; False if not permitted."""
        try:
            pid = int((self.dir / "run" / "pulse" / "pid").read_text().split()[0])
            for tid in os.listdir(f"/proc/{pid}/task"):
                os.sched_setscheduler(int(tid), os.SCHED_FIFO, os.sched_param(priority))
            return True
        except (OSError, ValueError, AttributeError):
            return False

    def record(self, path: Path) -> subprocess.Popen:
        """Start recording ``v.monitor`` (raw float32 stereo, :data:`RATE`) to ``path``."""
        f = open(path, "wb")
        try:
            return subprocess.Popen(["parec", "-d", "v.monitor", "--raw", "--format=float32le", f"--rate={RATE}",
                                     "--channels=2", "--latency-msec=20"], env=self.env, stdout=f)
        finally:
            f.close()

    def play(self, wav: Path) -> subprocess.Popen:
        """Play a file into the talker sink (left channel of ``v``)."""
        return subprocess.Popen(["paplay", "-d", "talk", str(wav)], env=self.env)

    def stop(self) -> None:
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True, timeout=10)
        pid_file = self.dir / "run" / "pulse" / "pid"
        deadline = time.monotonic() + 5
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)
