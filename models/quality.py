"""Objective quality metrics used in training eval (and by the benchmarks).

* ViSQOL v3 speech mode at 16 kHz with the deep-lattice MOS mapping
  (``visqol-python[lattice]``), MOS-LQO 1..5.
* PESQ wide-band (``pesq``), MOS-LQO ~1..4.6.
* STOI (``pystoi``), 0..1.

Inputs are 1-D float arrays at ``sample_rate``; references and degraded
signals must already be time-aligned (see :func:`align`).
"""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=1)
def _visqol_api():
    from visqol import VisqolApi

    api = VisqolApi()
    api.create(mode="speech", use_lattice_model=True)
    return api


def _to16k(x, sample_rate):
    x = np.asarray(x, np.float64)
    if sample_rate == 16000:
        return x
    import soxr

    return soxr.resample(x, sample_rate, 16000, quality="VHQ")


def visqol_speech(ref, deg, sample_rate=16000):
    ref, deg = _to16k(ref, sample_rate), _to16k(deg, sample_rate)
    n = min(len(ref), len(deg))
    return float(_visqol_api().measure_from_arrays(ref[:n], deg[:n], 16000).moslqo)


def pesq_wb(ref, deg, sample_rate=16000):
    from pesq import pesq

    ref, deg = _to16k(ref, sample_rate), _to16k(deg, sample_rate)
    n = min(len(ref), len(deg))
    return float(pesq(16000, ref[:n], deg[:n], "wb"))


def stoi(ref, deg, sample_rate=16000):
    from pystoi import stoi as _stoi

    n = min(len(ref), len(deg))
    return float(_stoi(np.asarray(ref[:n], np.float64), np.asarray(deg[:n], np.float64), sample_rate, extended=False))


def align(ref, deg, max_lag):
    """Remove a constant codec delay: shift ``deg`` left by the lag in
    ``0..max_lag`` samples that maximises cross-correlation; returns equal-length
    (ref, deg, lag)."""
    ref = np.asarray(ref, np.float64)
    deg = np.asarray(deg, np.float64)
    n = min(len(ref), len(deg)) - max_lag
    if n <= 0:
        return ref, deg, 0
    scores = [float(np.dot(ref[:n], deg[lag : lag + n])) for lag in range(max_lag + 1)]
    lag = int(np.argmax(scores))
    m = min(len(ref), len(deg) - lag)
    return ref[:m], deg[lag : lag + m], lag
