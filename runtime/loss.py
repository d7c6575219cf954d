"""Packet-loss simulation: a seeded Gilbert-Elliott two-state Markov model.

The channel is in state GOOD or BAD for each packet. Per packet it moves
GOOD -> BAD with probability ``p`` and BAD -> GOOD with probability ``r``; a
packet is lost with probability ``loss_good`` in GOOD and ``loss_bad`` in BAD.
``loss_good=0, loss_bad=1`` (the default) is the classic *Gilbert* model, in
which every BAD packet is lost, so:

* long-run loss rate      ``L = p / (p + r)``
* mean loss-burst length  ``B = 1 / r`` packets (bursts are geometric)

:meth:`GilbertElliott.from_loss_rate` inverts that: ``r = 1/B`` and
``p = L r / (1 - L)``. Independent (Bernoulli) loss at rate ``L`` is the
special case ``B = 1/(1-L)``, the default when no burst length is given.
``B`` must be at least ``max(1, L/(1-L))`` so that ``p <= 1``.

A loss *mask* is a bool array with one entry per packet, ``True`` = lost.
Generation draws whole GOOD/BAD run lengths at once (numpy, geometric), so
millions of packets take milliseconds. A model is a stateful stream:
consecutive :meth:`~GilbertElliott.mask` calls continue the same Markov
chain, and the same seed always gives the same losses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

__all__ = ["GilbertElliott", "LossStats", "loss_mask", "burst_stats", "apply_loss"]


class GilbertElliott:
    """Two-state Markov packet-loss model (see the module docstring).

    p: P(GOOD -> BAD) per packet. r: P(BAD -> GOOD) per packet.
    loss_good / loss_bad: loss probability in each state.
    seed: int or ``numpy.random.Generator``. start: ``"good"``, ``"bad"`` or
    None to draw the first state from the stationary distribution.
    """

    def __init__(
        self,
        p: float,
        r: float,
        *,
        loss_good: float = 0.0,
        loss_bad: float = 1.0,
        seed=None,
        start: Optional[str] = None,
    ):
        for name, v in (("p", p), ("r", r), ("loss_good", loss_good), ("loss_bad", loss_bad)):
            if not (isinstance(v, (int, float)) and 0.0 <= float(v) <= 1.0):
                raise ValueError(f"{name} must be a probability in [0, 1], got {v!r}")
        if p + r == 0:
            if start is None:
                raise ValueError("p = r = 0 has no stationary state; pass start='good' or 'bad'")
        if start not in (None, "good", "bad"):
            raise ValueError("start must be None, 'good' or 'bad'")
        self.p, self.r = float(p), float(r)
        self.loss_good, self.loss_bad = float(loss_good), float(loss_bad)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._start = start
        self._last: Optional[bool] = None  # state of the last emitted packet, True = BAD

    @classmethod
    def from_loss_rate(
        cls, loss_rate: float, mean_burst: Optional[float] = None, *, seed=None
    ) -> "GilbertElliott":
        """Gilbert model with long-run ``loss_rate`` and mean burst length ``mean_burst``
        (packets; default: that of independent losses, ``1/(1-loss_rate)``)."""
        if not 0.0 <= loss_rate < 1.0:
            raise ValueError(f"loss_rate must be in [0, 1), got {loss_rate!r}")
        if mean_burst is None:
            mean_burst = 1.0 / (1.0 - loss_rate)
        if not (math.isfinite(mean_burst) and mean_burst >= 1.0):
            raise ValueError(f"mean_burst must be a finite number >= 1, got {mean_burst!r}")
        r = 1.0 / mean_burst
        p = loss_rate * r / (1.0 - loss_rate)
        if p > 1.0 + 1e-12:
            raise ValueError(
                f"loss rate {loss_rate} needs mean bursts of at least "
                f"{loss_rate / (1 - loss_rate):.3g} packets, got {mean_burst}"
            )
        return cls(min(p, 1.0), r, seed=seed, start="good" if loss_rate == 0 else None)

    # -- theory -------------------------------------------------------------
    @property
    def stationary_bad(self) -> float:
        """Long-run fraction of packets in state BAD."""
        return self.p / (self.p + self.r) if self.p + self.r else float(self._start == "bad")

    @property
    def expected_loss_rate(self) -> float:
        pb = self.stationary_bad
        return pb * self.loss_bad + (1.0 - pb) * self.loss_good

    @property
    def expected_burst_length(self) -> float:
        """Mean BAD-run length ``1/r`` (= mean loss burst for the Gilbert case)."""
        return math.inf if self.r == 0 else 1.0 / self.r

    def reset(self) -> None:
        """Forget the chain state (the random generator keeps going)."""
        self._last = None

    # -- sampling -----------------------------------------------------------
    def _first_state(self) -> bool:
        if self._last is None:
            if self._start is not None:
                return self._start == "bad"
            return bool(self.rng.random() < self.stationary_bad)
        leave = self.p if not self._last else self.r
        return self._last != bool(self.rng.random() < leave)

    def states(self, n: int) -> np.ndarray:
        """Next ``n`` channel states (bool, True = BAD)."""
        n = int(n)
        if n < 0:
            raise ValueError("n must be >= 0")
        out = np.empty(n, dtype=bool)
        if n == 0:
            return out
        state = self._first_state()
        pos = 0
        while pos < n:
            leave = self.p if not state else self.r
            if leave == 0.0:  # absorbing
                out[pos:] = state
                pos = n
                break
            # Draw alternating runs (state, !state, state, ...) in one batch,
            # sized to cover the rest of the mask with high probability.
            other = self.r if not state else self.p
            pair = 1.0 / leave + (1.0 / other if other > 0 else math.inf)
            m = 8 + (0 if math.isinf(pair) else int(1.25 * (n - pos) / pair))
            a = self.rng.geometric(leave, m)
            b = self.rng.geometric(other, m) if other > 0 else np.full(m, n + 1, dtype=np.int64)
            runs = np.empty(2 * m, dtype=np.int64)
            runs[0::2], runs[1::2] = a, b
            ends = np.minimum(np.cumsum(runs), n - pos)
            vals = np.empty(2 * m, dtype=bool)
            vals[0::2], vals[1::2] = state, not state
            lens = np.diff(np.concatenate(([0], ends)))
            seg = np.repeat(vals, lens)
            out[pos : pos + seg.shape[0]] = seg
            pos += seg.shape[0]
            # The last run drawn is "complete" only if the batch did not cover
            # n; if so the next batch starts in the state after it.
            if pos < n:
                state = not bool(vals[-1])  # a fresh run of the other state
        self._last = bool(out[-1])
        return out

    def mask(self, n: int) -> np.ndarray:
        """Loss mask for the next ``n`` packets (bool, True = lost)."""
        s = self.states(n)
        if self.loss_good == 0.0 and self.loss_bad == 1.0:
            return s
        prob = np.where(s, self.loss_bad, self.loss_good)
        return self.rng.random(s.shape[0]) < prob

    def __repr__(self) -> str:
        return (
            f"GilbertElliott(p={self.p:.4g}, r={self.r:.4g}, loss_good={self.loss_good}, "
            f"loss_bad={self.loss_bad}; loss rate {self.expected_loss_rate:.3g}, "
            f"mean burst {self.expected_burst_length:.3g})"
        )


def loss_mask(
    n: int, loss_rate: float, mean_burst: Optional[float] = None, *, seed=None
) -> np.ndarray:
    """Gilbert loss mask for ``n`` packets (bool, True = lost); see
    :meth:`GilbertElliott.from_loss_rate`."""
    return GilbertElliott.from_loss_rate(loss_rate, mean_burst, seed=seed).mask(n)


@dataclass(frozen=True)
class LossStats:
    """Measured statistics of a loss mask."""

    packets: int
    lost: int
    loss_rate: float
    bursts: int
    mean_burst: float  # packets per run of consecutive losses (0 if none)
    max_burst: int


def burst_stats(mask) -> LossStats:
    """Loss rate and burst-length statistics of a loss mask."""
    m = np.asarray(mask, dtype=bool).reshape(-1)
    n = m.shape[0]
    lost = int(m.sum())
    if lost == 0:
        return LossStats(n, 0, 0.0, 0, 0.0, 0)
    d = np.diff(np.concatenate(([False], m, [False])).astype(np.int8))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    lens = ends - starts
    return LossStats(n, lost, lost / n, int(lens.shape[0]), float(lens.mean()), int(lens.max()))


def apply_loss(packets: Sequence, mask) -> list:
    """Replace the lost packets by ``None`` (``mask[i]`` True = packet ``i`` lost)."""
    m = np.asarray(mask, dtype=bool).reshape(-1)
    if m.shape[0] != len(packets):
        raise ValueError(f"mask has {m.shape[0]} entries for {len(packets)} packets")
    return [None if lost else p for p, lost in zip(packets, m.tolist())]
