"""A mono float32 sample FIFO for the playback side of the audio callback
(one thread: the callback writes decoded samples and reads what it plays)."""

from __future__ import annotations

import numpy as np

__all__ = ["SampleFifo"]


class SampleFifo:
    """Ring of ``capacity`` float32 samples. ``write`` keeps what fits and
    returns that count; ``read_into`` / ``drop`` take from the head."""

    def __init__(self, capacity: int):
        self._buf = np.zeros(int(capacity), np.float32)
        self._head = 0  # read position
        self.level = 0  # samples stored

    @property
    def capacity(self) -> int:
        return len(self._buf)

    def write(self, x) -> int:
        x = np.asarray(x, np.float32).reshape(-1)
        n = min(len(x), self.capacity - self.level)
        if n <= 0:
            return 0
        cap = self.capacity
        start = (self._head + self.level) % cap
        first = min(n, cap - start)
        self._buf[start : start + first] = x[:first]
        self._buf[: n - first] = x[first:n]
        self.level += n
        return n

    def read_into(self, out: np.ndarray) -> int:
        """Fill ``out`` (1-D) from the head as far as the FIFO goes; returns the count."""
        n = min(len(out), self.level)
        cap = self.capacity
        first = min(n, cap - self._head)
        out[:first] = self._buf[self._head : self._head + first]
        out[first:n] = self._buf[: n - first]
        self._head = (self._head + n) % cap
        self.level -= n
        return n

    def drop(self, n: int) -> int:
        """Discard up to ``n`` samples from the head; returns the count."""
        n = max(0, min(int(n), self.level))
        self._head = (self._head + n) % self.capacity
        self.level -= n
        return n
