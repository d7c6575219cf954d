"""The packet path of the live loopback: encoder side -> (simulated network)
-> decoder side of one :class:`sscodec.StreamingCodec`, on its own thread.

Every ``poll_s`` (1 ms) the thread pulls the packets the native worker has
finished and gives each one

* a loss draw from a seeded Gilbert model (:mod:`sscodec.loss`; ``loss_rate``
  long-run fraction lost, ``burst`` mean burst length in packets);
* a network delay, uniform in ``[0, jitter_ms]`` milliseconds;
* a playout time ``send time + jitter_buffer_ms`` (a fixed jitter buffer:
  the default buffer equals ``jitter_ms``, so no packet is late, and the
  jitter costs exactly that much latency).

Packets are handed to the decoder in order at their playout time: a packet
that has arrived by then is pushed, a lost or late one is pushed as ``None``
(the decoder conceals it). With no loss and no jitter each packet is pushed
as soon as it is pulled. Packet sizes are kept per frame (bytes, in frame
order) for the bitrate timeline.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import List, Optional

import numpy as np

__all__ = ["PacketChannel"]


class PacketChannel:
    """codec: a :class:`sscodec.StreamingCodec` created with ``loopback=False``
    (both sides). Counters (read any time from another thread): ``sent``,
    ``delivered``, ``lost``, ``late``, ``queue_full``, ``bytes_sent``;
    ``sizes`` is the list of packet sizes in bytes, one per frame."""

    def __init__(self, codec, *, loss_rate: float = 0.0, burst: Optional[float] = None,
                 jitter_ms: float = 0.0, jitter_buffer_ms: Optional[float] = None, seed: int = 0,
                 poll_s: float = 0.001):
        if jitter_ms < 0 or (jitter_buffer_ms is not None and jitter_buffer_ms < 0):
            raise ValueError("jitter and jitter buffer must be >= 0 ms")
        self._codec = codec
        self._rng = np.random.default_rng(seed)
        self._burst = burst
        self._loss = None
        self.loss_rate = 0.0
        self.set_loss_rate(loss_rate)
        self.jitter_s = float(jitter_ms) / 1000.0
        self.buffer_s = self.jitter_s if jitter_buffer_ms is None else float(jitter_buffer_ms) / 1000.0
        self.poll_s = float(poll_s)
        self._queue: deque = deque()  # [playout time, arrival time or None (lost), packet]
        self.sizes: List[int] = []
        self.sent = self.delivered = self.lost = self.late = self.queue_full = 0
        self.bytes_sent = 0
        self.error: Optional[BaseException] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def set_loss_rate(self, loss_rate: float) -> None:
        """Change the simulated loss rate (0 <= p < 1); takes effect on the next packet."""
        from sscodec.loss import GilbertElliott

        p = float(loss_rate)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"loss rate must be in [0, 1), got {p:g}")
        burst = self._burst
        if burst is not None:
            burst = max(burst, p / (1.0 - p), 1.0)
        self._loss = GilbertElliott.from_loss_rate(p, burst, seed=self._rng) if p > 0 else None
        self.loss_rate = p

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sscodec-channel", daemon=True)
        self._thread.start()

    def stop(self, drain: bool = False) -> None:
        """Stop the thread; with drain, deliver what is queued first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if drain:
            self._step(float("inf"))

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._step(time.monotonic())
                time.sleep(self.poll_s)
        except BaseException as e:  # noqa: BLE001 - reported by the engine's owner
            self.error = e

    def _step(self, now: float) -> None:
        codec = self._codec
        t = time.monotonic() if now == float("inf") else now
        for p in codec.pull_packets():
            self.sent += 1
            self.sizes.append(len(p))
            self.bytes_sent += len(p)
            model = self._loss
            if model is not None and bool(model.mask(1)[0]):
                arrival = None
            else:
                arrival = t + (self._rng.uniform(0.0, self.jitter_s) if self.jitter_s > 0 else 0.0)
            self._queue.append((t + self.buffer_s, arrival, p))
        q = self._queue
        while q and q[0][0] <= now:
            playout, arrival, p = q.popleft()
            if arrival is None:
                self.lost += 1
                pkt = None
            elif arrival > playout:
                self.late += 1
                pkt = None
            else:
                self.delivered += 1
                pkt = p
            if not codec.push_packet(pkt):
                self.queue_full += 1
