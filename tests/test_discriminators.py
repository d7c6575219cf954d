"""models/discriminators.py: output structure, and the period discriminator's fold
(samples exactly p apart share a column)."""

import numpy as np
import pytest

pytest.importorskip("keras")

from sscodec.models.discriminators import Discriminators, PeriodDiscriminator  # noqa: E402


def test_every_sub_discriminator_returns_logits_and_features():
    x = np.random.default_rng(0).normal(size=(2, 2560)).astype(np.float32)
    plain = Discriminators(name="d")(x)
    assert len(plain) == 4  # 3 wave scales + STFT
    outs = Discriminators(periods=(2, 3, 5), name="d2")(x)
    assert len(outs) == 7
    for logits, feats in outs[4:]:
        assert logits.shape[0] == 2 and logits.shape[-1] == 1 and len(feats) == 5


@pytest.mark.parametrize("period", [3, 7])
def test_period_fold_makes_a_signal_of_that_period_constant_down_each_column(period):
    """Input periodic in ``period`` samples: each column of the fold is constant, so every
    logit away from the zero-padded edges is the same down the time axis. White noise
    (and a signal of another period) is not."""
    t = 2520 * 9  # a multiple of 3 and 7: no end padding
    one = np.random.default_rng(1).normal(size=period).astype(np.float32)
    periodic = np.tile(one, t // period)[None]
    d = PeriodDiscriminator(period)
    logits = np.asarray(d(periodic)[0])[0, :, :, 0]  # [T', period]
    edge = len(logits) // 4  # away from the zero padding of the strided convs
    inner = logits[edge:-edge]
    assert inner.shape[1] == period and len(inner) >= 10
    assert np.max(np.abs(inner - inner[0])) < 1e-5
    noise = np.random.default_rng(2).normal(size=(1, t)).astype(np.float32)
    other = np.tile(np.random.default_rng(3).normal(size=period + 1), t)[: t][None].astype(np.float32)
    for x in (noise, other):
        inner = np.asarray(d(x)[0])[0, edge:-edge, :, 0]
        assert np.max(np.abs(inner - inner[0])) > 1e-3


def test_period_fold_pads_a_length_that_is_not_a_multiple():
    d = PeriodDiscriminator(7)
    logits, _ = d(np.zeros((1, 2560), np.float32))  # 2560 = 7 * 365 + 5
    assert logits.shape[2] == 7
