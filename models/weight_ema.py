"""Exponential moving average of the generator's trainable weights (Polyak averaging).

A GAN's last steps leave noise in the weights: averaging a run's checkpoints along
its trajectory measured better than any single one of them (r6 on 8 held-out
clips at 6 kbps: PESQ-WB 1.69–1.70 averaged vs 1.63–1.66 single, see
``average_checkpoints``). The trainer keeps the same average as it goes, so a run
(e.g. a GPU burst, whose checkpoints stay on that machine) ships averaged weights
without keeping checkpoints::

    shadow ← decay^every · shadow + (1 − decay^every) · weights     every ``every`` steps

The shadow lives on the host as float32 numpy arrays, one per trainable variable
(encoder, decoder, FiLM; the RVQ codebooks are non-trainable EMA statistics of
their own and are used as trained). Checkpoints store it under ``gema/``; the
trainer's eval and export, and ``export_checkpoint``, use it in place of the raw
weights.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .model_io import variable_key

PREFIX = "gema/"


class WeightEMA:
    def __init__(self, variables, decay: float, every: int = 10):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"weight EMA decay must be in (0, 1), got {decay}")
        if every < 1:
            raise ValueError(f"weight EMA interval must be >= 1, got {every}")
        self.variables = list(variables)
        self.decay = float(decay)
        self.every = int(every)
        self.reset()

    def reset(self):
        """Start the average at the variables' current values."""
        self.shadow = [np.array(v.numpy(), np.float32) for v in self.variables]

    def maybe_update(self, step: int):
        """Fold the current weights in when ``step`` is a multiple of ``every``."""
        if step % self.every:
            return
        d = self.decay**self.every
        for s, v in zip(self.shadow, self.variables):
            s *= d
            s += (1.0 - d) * np.asarray(v.numpy(), np.float32)

    def arrays(self) -> dict:
        """{``gema/<variable path>``: shadow array} for a checkpoint."""
        return {PREFIX + variable_key(v): s for v, s in zip(self.variables, self.shadow)}

    def load(self, arrays: dict) -> bool:
        """Take the shadow from checkpoint ``arrays``; False (shadow unchanged, i.e. the
        current weights) when the checkpoint has none (a run that had no EMA)."""
        keys = [PREFIX + variable_key(v) for v in self.variables]
        if not all(k in arrays for k in keys):
            return False
        for i, k in enumerate(keys):
            if arrays[k].shape != self.shadow[i].shape:
                raise ValueError(f"{k}: checkpoint shape {arrays[k].shape}, model {self.shadow[i].shape}")
            self.shadow[i] = np.array(arrays[k], np.float32)
        return True

    @contextlib.contextmanager
    def applied(self):
        """Within the block the variables hold the averaged weights; restored after."""
        saved = [np.array(v.numpy()) for v in self.variables]
        try:
            for v, s in zip(self.variables, self.shadow):
                v.assign(s)
            yield
        finally:
            for v, x in zip(self.variables, saved):
                v.assign(x)


def averaged_generator_arrays(arrays: dict) -> dict:
    """Checkpoint arrays → the ``gen/`` arrays with every weight that has a ``gema/``
    shadow replaced by it (unchanged when the checkpoint has no EMA)."""
    out = {k: v for k, v in arrays.items() if k.startswith("gen/")}
    for k, v in arrays.items():
        if k.startswith(PREFIX):
            out["gen/" + k[len(PREFIX):]] = v
    return out
