"""Signal checks for the live loopback tests: log-envelope lag/correlation
(robust for a low-fidelity codec: it compares when there is speech and how
loud, not waveforms) and sample-exact offsets by FFT cross-correlation."""

from __future__ import annotations

import numpy as np

HOP_S = 0.0025  # envelope hop: 2.5 ms
FLOOR = 1e-4  # -80 dBFS


def envelope(x: np.ndarray, rate: int) -> np.ndarray:
    """Log RMS per 2.5 ms hop."""
    hop = int(round(rate * HOP_S))
    n = len(x) // hop
    r = np.sqrt(np.mean(np.square(x[: n * hop].reshape(n, hop), dtype=np.float64), axis=1))
    return np.log(np.maximum(r, FLOOR))


def corr_at(ref_env: np.ndarray, deg_env: np.ndarray, lag: int, start: int, length: int) -> float:
    """Correlation of deg_env[start:start+length] with ref_env shifted back by lag hops."""
    a = ref_env[start - lag : start - lag + length]
    b = deg_env[start : start + length]
    if start - lag < 0 or len(a) < length or len(b) < length or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def best_lag(ref_env, deg_env, start: int, length: int, max_lag: int):
    """(lag in hops, correlation) maximizing corr_at over 0..max_lag."""
    best = (0, -2.0)
    for lag in range(0, max_lag + 1):
        c = corr_at(ref_env, deg_env, lag, start, length)
        if c == c and c > best[1]:
            best = (lag, c)
    return best


def offset(ref: np.ndarray, sig: np.ndarray) -> int:
    """k such that sig[t] ~ ref[t + k] (FFT cross-correlation, k may be < 0)."""
    n = 1 << int(np.ceil(np.log2(len(ref) + len(sig))))
    c = np.fft.irfft(np.fft.rfft(ref, n) * np.conj(np.fft.rfft(sig, n)), n)
    k = int(np.argmax(c))
    return k if k < n // 2 else k - n
