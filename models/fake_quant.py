"""Int8-aware training: simulate the full-integer encoder's activation rounding.

A full-int8 TFLite encoder stores every activation tensor (the input audio and its
history, each conv output, each LeakyReLU, residual sum and FiLM output, the
embedding) as 8-bit integers on a per-tensor affine grid whose range was set by
calibration. :class:`FakeQuant` rounds a float tensor to such a grid in the forward
pass and lets the gradient through unchanged (straight-through estimator), so a
model fine-tuned with it learns to keep its codes stable under that rounding.

The grid of a tensor ``x`` [any shape] is ``2**bits - 1`` steps spanning
``margin * [min(x, 0), max(x, 0)]`` of the whole batch (stop-gradient): the range
always contains 0, as in TFLite, and ``margin > 1`` accounts for calibrated ranges
being wider than one batch's (they are the extremes of the whole calibration set).
Training only: it adds no weights and no state, so models with and without it
have the same variables, checkpoints and converted graphs.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras import ops


@dataclass(frozen=True)
class FakeQuant:
    bits: int = 8
    margin: float = 2.0

    def __post_init__(self):
        if not 2 <= self.bits <= 16:
            raise ValueError(f"fake-quant bits must be in 2..16, got {self.bits}")
        if self.margin < 1.0:
            raise ValueError(f"fake-quant margin must be >= 1, got {self.margin}")

    def __call__(self, x):
        """x: float tensor, any shape → the same values rounded to the int grid (STE)."""
        lo = ops.stop_gradient(ops.minimum(ops.min(x), 0.0)) * self.margin
        hi = ops.stop_gradient(ops.maximum(ops.max(x), 0.0)) * self.margin
        step = ops.maximum((hi - lo) / (2**self.bits - 1), 1e-8)
        q = ops.round((x - lo) / step) * step + lo
        return x + ops.stop_gradient(q - x)


def identity(x):
    return x
