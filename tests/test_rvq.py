"""Residual vector quantizer: k-means init, dropout masking, EMA updates, gradients."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from sscodec.models.rvq import ResidualVectorQuantizer  # noqa: E402


def _data(n=2000, d=8, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype("float32")


def test_kmeans_init_and_more_quantizers_lower_error():
    x = _data()
    rvq = ResidualVectorQuantizer(num_quantizers=6, codebook_size=32, dim=8)
    rvq.build()
    rvq.kmeans_init(x, iters=5)
    errs = []
    for n in range(1, 7):
        y = np.asarray(rvq.decode(rvq.encode(x[None], n)))[0]
        errs.append(float(np.mean((x - y) ** 2)))
    assert all(b < a for a, b in zip(errs, errs[1:])), errs
    assert errs[0] < np.mean(x**2) * 0.9


def test_dropout_masks_codes_and_output():
    x = _data(40)[None]
    rvq = ResidualVectorQuantizer(num_quantizers=4, codebook_size=16, dim=8)
    rvq.build()
    rvq.kmeans_init(_data(500, seed=1), iters=2)
    x2 = np.concatenate([x[:, :20], x[:, :20]], 0)  # [2, 20, 8]
    q, codes, commit = rvq(x2, n_q=np.array([1, 4], "int32"), training=False)
    codes = np.asarray(codes)
    assert (codes[0, :, 1:] == -1).all() and (codes[0, :, 0] >= 0).all()
    assert (codes[1] >= 0).all()
    ref1 = np.asarray(rvq.decode(codes[:1, :, :1]))
    assert np.allclose(np.asarray(q)[0], ref1[0], atol=1e-6)
    assert float(commit) > 0


def test_ema_update_moves_codebooks_only_in_training():
    rvq = ResidualVectorQuantizer(num_quantizers=2, codebook_size=16, dim=8, decay=0.5)
    rvq.build()
    rvq.kmeans_init(_data(300, seed=2), iters=2)
    before = np.asarray(rvq.codebooks[0]).copy()
    x = (_data(64, seed=3) + 2.0)[None]
    rvq(x, training=False)
    assert np.array_equal(before, np.asarray(rvq.codebooks[0]))
    rvq(x, training=True)
    assert not np.allclose(before, np.asarray(rvq.codebooks[0]))


def test_straight_through_gradient():
    rvq = ResidualVectorQuantizer(num_quantizers=2, codebook_size=16, dim=8)
    rvq.build()
    x = tf.Variable(_data(10)[None])
    with tf.GradientTape() as tape:
        q, _, commit = rvq(x, training=False)
        loss = tf.reduce_sum(q * 3.0)
    g = tape.gradient(loss, x)
    assert np.allclose(np.asarray(g), 3.0)


def _stage1_setup(cluster_sizes, **kw):
    """2-stage RVQ whose stage-1 EMA state is frozen (decay 1) at ``cluster_sizes`` [16]."""
    rvq = ResidualVectorQuantizer(num_quantizers=2, codebook_size=16, dim=8, decay=1.0, **kw)
    rvq.build()
    rvq.kmeans_init(_data(400, seed=4), iters=3)
    cs = np.asarray(cluster_sizes, "float32")
    rvq.cluster_sizes[1].assign(cs)
    rvq.embed_sums[1].assign(np.asarray(rvq.codebooks[1]) * cs[:, None])
    return rvq


def _restarted(rvq, before):
    return np.linalg.norm(np.asarray(rvq.codebooks[1]) - before, axis=1) > 1e-3


def test_dead_codes_judged_against_the_stage_mean_with_dead_fraction():
    usage = [0.01] * 8 + [1.0] * 8  # stage mean 0.505
    x = _data(64, seed=5).reshape(4, 16, 8)
    for kw, expect in ((dict(dead_threshold=2.0), [True] * 16),  # absolute: all below 2.0
                       (dict(dead_threshold=2.0, dead_fraction=0.1), [True] * 8 + [False] * 8)):
        rvq = _stage1_setup(usage, **kw)
        before = np.asarray(rvq.codebooks[1]).copy()
        rvq(x, training=True)
        assert _restarted(rvq, before).tolist() == expect, kw
    # restarted codes start at the stage's mean usage, not at 1
    assert np.allclose(np.asarray(rvq.cluster_sizes[1])[:8], 0.505, atol=1e-3)
    with pytest.raises(ValueError):
        ResidualVectorQuantizer(dead_fraction=1.5)


def test_dead_codes_restart_from_rows_the_stage_quantized():
    """With quantizer dropout only example 0 reaches stage 1; every restarted stage-1
    code must be one of ITS residuals, not a row that stopped at stage 0."""
    rvq = _stage1_setup([0.0] * 16, dead_threshold=0.5)  # every stage-1 code dead
    x = _data(64, seed=6).reshape(4, 16, 8) * np.array([1.0, 5.0, 5.0, 5.0], "float32")[:, None, None]
    cb0 = np.asarray(rvq.codebooks[0]).copy()
    r0 = x[0] - cb0[np.asarray(rvq.encode(x[:1], 1))[0, :, 0]]  # example 0's stage-1 input [16, 8]
    rvq(x, n_q=np.array([2, 1, 1, 1], "int32"), training=True)
    cb1 = np.asarray(rvq.codebooks[1])
    dist = np.linalg.norm(cb1[:, None, :] - r0[None], axis=-1).min(axis=1)
    assert (dist < 1e-4).all(), dist
