"""Residual vector quantizer with EMA codebooks (SoundStream, Sec. 3.3).

Each of ``num_quantizers`` stages quantizes the residual left by the previous
ones with a codebook of ``codebook_size`` vectors of dimension ``D``.

* k-means initialisation on the first training batch(es): :meth:`kmeans_init`.
* EMA codebook updates (decay ``decay``) with Laplace smoothing.
* Restart of dead codes from random vectors of the residuals this stage
  quantized in the current batch.
  A code is dead when its EMA usage (rows per step) is below ``dead_threshold``,
  or, with ``dead_fraction > 0``, below that fraction of its own stage's mean
  usage. Under quantizer dropout stage q sees only ``(N_q - q) / N_q`` of the rows,
  so one absolute threshold keeps restarting the late stages' codes (speech16k,
  batch 8 × 24 frames: mean usage 0.19 rows/step in stage 0, 0.008 in stage 23,
  against a threshold of 0.02); the relative one treats every stage alike. (On
  the shipped model neither restart change moved the quantization SNR; see the
  model card.)
* Commitment loss ``mean ||r_q - sg(c_q)||^2`` and straight-through gradients.
* Quantizer dropout: ``n_q`` per example; stages ``q >= n_q`` contribute nothing
  and receive no codebook update from that example.

Always runs in float32 (also under mixed bf16 training). Codebooks, EMA
counts and sums are non-trainable variables, one per stage, so the EMA update
is a plain ``assign`` that works under TF and through JAX ``stateless_call``.
"""

from __future__ import annotations

import numpy as np
import keras
from keras import ops


class ResidualVectorQuantizer(keras.layers.Layer):
    def __init__(
        self,
        num_quantizers=24,
        codebook_size=1024,
        dim=64,
        decay=0.99,
        dead_threshold=0.5,
        dead_fraction=0.0,
        epsilon=1e-5,
        **kwargs,
    ):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.num_quantizers = num_quantizers
        self.codebook_size = codebook_size
        self.dim = dim
        self.decay = decay
        self.dead_threshold = dead_threshold
        if not 0.0 <= dead_fraction < 1.0:
            raise ValueError(f"dead_fraction must be in [0, 1), got {dead_fraction}")
        self.dead_fraction = dead_fraction
        self.epsilon = epsilon
        self.seed_gen = keras.random.SeedGenerator(1234)

    def build(self, input_shape=None):
        k, d = self.codebook_size, self.dim
        self.codebooks, self.cluster_sizes, self.embed_sums = [], [], []
        for q in range(self.num_quantizers):
            self.codebooks.append(
                self.add_weight(name=f"codebook_{q}", shape=(k, d), initializer="random_normal", trainable=False)
            )
            self.cluster_sizes.append(
                self.add_weight(name=f"cluster_size_{q}", shape=(k,), initializer="ones", trainable=False)
            )
            self.embed_sums.append(
                self.add_weight(name=f"embed_sum_{q}", shape=(k, d), initializer="zeros", trainable=False)
            )
        self.built = True

    # ---- shared per-stage primitives -------------------------------------------------
    @staticmethod
    def _nearest(flat, codebook):
        """flat: [N, D], codebook: [K, D] → int32 [N] index of the nearest code (L2).

        argmin_k ||x - c_k||² = argmax_k (x·c_k - ||c_k||²/2): the row constant
        ||x||² is dropped and nothing scales the matmul, so a converted graph's
        FULLY_CONNECTED weights are the codebook's own bytes and can share one
        buffer with the GATHER of the residual update (the TFLite converter stores
        identical read-only buffers once).
        """
        score = _matmul_transposed(flat, codebook) - 0.5 * ops.sum(codebook * codebook, axis=-1)[None, :]
        return _argmax_last(score)

    # ---- inference -------------------------------------------------------------------
    def encode(self, x, n_q=None):
        """x: [B, T, D] float → codes int32 [B, T, n_q]."""
        n_q = self.num_quantizers if n_q is None else int(n_q)
        x = ops.cast(x, "float32")
        shape = ops.shape(x)
        residual = ops.reshape(x, (-1, self.dim))
        codes = []
        for q in range(n_q):
            idx = self._nearest(residual, self.codebooks[q])
            residual = residual - ops.take(self.codebooks[q], idx, axis=0)
            codes.append(idx)
        codes = ops.stack(codes, axis=-1)
        return ops.reshape(codes, (shape[0], shape[1], n_q))

    def decode(self, codes):
        """codes: int [B, T, n] (n <= num_quantizers) → [B, T, D] float32."""
        n = codes.shape[-1]
        out = 0.0
        for q in range(n):
            out = out + ops.take(self.codebooks[q], codes[..., q], axis=0)
        return out

    # ---- training --------------------------------------------------------------------
    def call(self, x, n_q=None, training=False):
        """Quantize with per-example quantizer dropout.

        x: [B, T, D]; n_q: int32 [B] quantizers used per example (None = all).
        Returns (quantized [B, T, D] with straight-through gradient,
        codes int32 [B, T, num_quantizers] (stages >= n_q hold -1),
        commitment loss scalar).
        """
        x = ops.cast(x, "float32")
        b, t = ops.shape(x)[0], ops.shape(x)[1]
        if n_q is None:
            n_q = ops.full((b,), self.num_quantizers, dtype="int32")
        n_q = ops.cast(n_q, "int32")
        mask_bt = ops.reshape(ops.repeat(n_q[:, None], t, axis=1), (-1,))  # [B*T] n_q per row
        residual = ops.reshape(x, (-1, self.dim))
        quantized = ops.zeros_like(residual)
        commit = 0.0
        codes = []
        for q in range(self.num_quantizers):
            active = ops.cast(mask_bt > q, "float32")  # [N]
            cb = self.codebooks[q]
            idx = self._nearest(ops.stop_gradient(residual), cb)
            qv = ops.take(cb, idx, axis=0)
            diff = residual - ops.stop_gradient(qv)
            denom = ops.maximum(ops.sum(active), 1.0) * self.dim
            commit = commit + ops.sum(active[:, None] * diff * diff) / denom
            if training:
                self._ema_update(q, ops.stop_gradient(residual), idx, active)
            quantized = quantized + active[:, None] * ops.stop_gradient(qv)
            residual = residual - active[:, None] * ops.stop_gradient(qv)
            codes.append(ops.where(active > 0, idx, -1))
        flat_x = ops.reshape(x, (-1, self.dim))
        out = flat_x + ops.stop_gradient(quantized - flat_x)
        out = ops.reshape(out, (b, t, self.dim))
        codes = ops.reshape(ops.stack(codes, axis=-1), (b, t, self.num_quantizers))
        return out, codes, commit / self.num_quantizers

    def _ema_update(self, q, flat, idx, active):
        k = self.codebook_size
        onehot = ops.one_hot(idx, k, dtype="float32") * active[:, None]  # [N, K]
        counts = ops.sum(onehot, axis=0)  # [K]
        sums = ops.matmul(ops.transpose(onehot), flat)  # [K, D]
        has_data = ops.sum(active) > 0
        d = self.decay
        old_cs = ops.convert_to_tensor(self.cluster_sizes[q])
        old_es = ops.convert_to_tensor(self.embed_sums[q])
        old_cb = ops.convert_to_tensor(self.codebooks[q])
        cs = old_cs * d + counts * (1 - d)
        es = old_es * d + sums * (1 - d)
        n = ops.sum(cs)
        smoothed = (cs + self.epsilon) / (n + k * self.epsilon) * n
        cb = es / smoothed[:, None]
        # restart dead codes from random residuals of this batch, with the usage they
        # are judged by: 1 (absolute threshold) or the stage's mean (relative)
        if self.dead_fraction > 0:
            mean_use = n / k
            dead = cs < self.dead_fraction * mean_use
            restart = ops.ones_like(cs) * mean_use
        else:
            dead = cs < self.dead_threshold
            restart = ops.ones_like(cs)
        # drawn from the rows this stage quantized: a row past its example's n_q still
        # holds the larger residual of an earlier stage and would make a code that fits
        # nothing this stage sees (and dies again)
        pick = ops.where(active > 0, 0.0, -1e9)[None, :]  # [1, N] log-weights
        rows = ops.reshape(keras.random.categorical(pick, k, seed=self.seed_gen), (k,))
        fresh = ops.take(flat, rows, axis=0)
        cb = ops.where(dead[:, None], fresh, cb)
        es = ops.where(dead[:, None], fresh * restart[:, None], es)
        cs = ops.where(dead, restart, cs)
        self.cluster_sizes[q].assign(ops.where(has_data, cs, old_cs))
        self.embed_sums[q].assign(ops.where(has_data, es, old_es))
        self.codebooks[q].assign(ops.where(has_data, cb, old_cb))

    def kmeans_init(self, x, iters=10, seed=0):
        """k-means initialise every stage on embeddings ``x`` [N, D] (numpy).

        Stage q is fitted to the residual left by stages < q. Sets codebooks,
        EMA sums and counts consistently.
        """
        if not self.built:
            self.build()
        rng = np.random.default_rng(seed)
        residual = np.asarray(x, dtype=np.float32).reshape(-1, self.dim)
        k = self.codebook_size
        for q in range(self.num_quantizers):
            replace = residual.shape[0] < k
            cb = residual[rng.choice(residual.shape[0], k, replace=replace)].copy()
            if replace:
                cb += rng.normal(0, 1e-3, cb.shape).astype(np.float32)
            for _ in range(iters):
                idx = _np_nearest(residual, cb)
                counts = np.bincount(idx, minlength=k).astype(np.float32)
                sums = np.zeros_like(cb)
                np.add.at(sums, idx, residual)
                used = counts > 0
                cb[used] = sums[used] / counts[used, None]
                dead = ~used
                if dead.any():
                    cb[dead] = residual[rng.choice(residual.shape[0], dead.sum())]
            idx = _np_nearest(residual, cb)
            counts = np.maximum(np.bincount(idx, minlength=k).astype(np.float32), 1.0)
            self.codebooks[q].assign(cb)
            self.cluster_sizes[q].assign(counts)
            self.embed_sums[q].assign(cb * counts[:, None])
            residual = residual - cb[idx]


def _argmax_last(x):
    """int32 argmax over the last axis. On TensorFlow this is a bare ``tf.argmax``
    (Keras adds a signed-zero fix-up made of ops TFLite has no builtin for)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.argmax(x, axis=-1, output_type=tf.int32)
    return ops.cast(ops.argmax(x, axis=-1), "int32")


def _matmul_transposed(a, b):
    """``a @ b.T`` for a [N, D], b [K, D] → [N, K]. On TensorFlow a ``transpose_b``
    matmul, which TFLite maps to FULLY_CONNECTED reading ``b`` as stored."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.linalg.matmul(a, b, transpose_b=True)
    return ops.matmul(a, ops.transpose(b))


def _np_nearest(x, cb):
    d = (x * x).sum(1, keepdims=True) - 2 * x @ cb.T + (cb * cb).sum(1)[None]
    return d.argmin(1)
