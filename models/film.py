"""FiLM conditioning on the denoise flag (SoundStream, Sec. 3.5).

``y = x * gamma(flag) + beta(flag)`` with per-channel ``gamma, beta`` linear in
the one-hot ``[1 - flag, flag]``: flag 0 selects (gamma0, beta0), flag 1 selects
(gamma1, beta1); fractional flags interpolate. Starts as the identity.
"""

from __future__ import annotations

import keras
from keras import ops


class FiLM(keras.layers.Layer):
    """x: [B, T, C]; flag: [B] or [B, 1] float (0 = keep noise, 1 = denoise)."""

    def build(self, input_shape):
        c = int(input_shape[-1])
        self.gamma = self.add_weight(name="gamma", shape=(2, c), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(2, c), initializer="zeros")
        self.built = True

    def call(self, x, flag):
        f = ops.reshape(ops.cast(flag, x.dtype), (-1, 1, 1))
        g = ops.cast(self.gamma, x.dtype)
        b = ops.cast(self.beta, x.dtype)
        gamma = g[0] + f * (g[1] - g[0])
        beta = b[0] + f * (b[1] - b[0])
        return x * gamma + beta
