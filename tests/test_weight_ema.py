"""models/weight_ema.py: the shadow average, its checkpoint arrays and the swap in/out."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")


def _vars():
    a = keras.Variable(np.zeros((2, 3), np.float32), name="kernel")
    b = keras.Variable(np.zeros((3,), np.float32), name="bias")
    return [a, b]


def _ema_after_one_update(value):
    """(variables now all ``value``, a decay-0.5 EMA that folded them in once: shadow = value / 2)."""
    from sscodec.models.weight_ema import WeightEMA

    vs = _vars()
    ema = WeightEMA(vs, decay=0.5, every=1)
    for v in vs:
        v.assign(np.full(v.shape, value, np.float32))
    ema.maybe_update(1)
    return vs, ema


def test_shadow_follows_the_weights_every_n_steps():
    from sscodec.models.weight_ema import WeightEMA

    vs = _vars()
    ema = WeightEMA(vs, decay=0.9, every=2)
    for v in vs:
        v.assign(np.ones(v.shape, np.float32))
    ema.maybe_update(1)  # not a multiple of 2: nothing folded in
    assert all(np.all(s == 0) for s in ema.shadow)
    ema.maybe_update(2)
    for s in ema.shadow:
        np.testing.assert_allclose(s, 1 - 0.9**2, rtol=1e-6)


def test_applied_swaps_the_average_in_and_restores():
    vs, ema = _ema_after_one_update(4.0)
    with ema.applied():
        assert all(np.allclose(v.numpy(), 2.0) for v in vs)
    assert all(np.allclose(v.numpy(), 4.0) for v in vs)
    with pytest.raises(RuntimeError):
        with ema.applied():
            raise RuntimeError("eval failed")
    assert all(np.allclose(v.numpy(), 4.0) for v in vs)


def test_checkpoint_arrays_round_trip_and_export_prefers_them():
    from sscodec.models.weight_ema import WeightEMA, averaged_generator_arrays

    vs, ema = _ema_after_one_update(2.0)
    arrays = ema.arrays()
    assert all(k.startswith("gema/") for k in arrays)
    other = WeightEMA(vs, decay=0.5, every=1)  # shadow = current weights (2.0)
    assert other.load(arrays) and all(np.allclose(s, 1.0) for s in other.shadow)
    assert not other.load({})  # a checkpoint without EMA leaves the shadow as it is
    gen = {"gen/" + k[len("gema/"):]: np.full(a.shape, 2.0, np.float32) for k, a in arrays.items()}
    gen["gen/rvq/codebook_0"] = np.zeros((4, 2), np.float32)
    merged = averaged_generator_arrays({**gen, **arrays, "disc/x": np.zeros(1)})
    assert set(merged) == set(gen)
    assert all(np.allclose(merged[k], 1.0) for k in gen if "codebook" not in k)
    assert averaged_generator_arrays(gen).keys() == gen.keys()


def test_bad_settings_are_refused():
    from sscodec.models.weight_ema import WeightEMA

    with pytest.raises(ValueError):
        WeightEMA(_vars(), decay=1.0)
    with pytest.raises(ValueError):
        WeightEMA(_vars(), decay=0.99, every=0)


def test_default_preset_checkpoint_with_weight_ema_fits_in_60_mb(tmp_path):
    """Issue 3: a speech16k checkpoint (models, Adam states, and the EMA shadow of the configs
    that turn it on) must stay under 60 MB so it can travel. Every array is filled with random
    values, which deflate no better than trained float32 weights (both ~7 %)."""
    pytest.importorskip("tensorflow")
    from pathlib import Path

    from sscodec.models.checkpoint import save_checkpoint
    from sscodec.models.config import TrainConfig
    from sscodec.models.train import build
    from sscodec.models.weight_ema import WeightEMA

    import sscodec.models as models_pkg

    tc = TrainConfig.load(Path(models_pkg.__file__).parent / "configs" / "speech16k_int8_aware.toml")
    assert tc.preset == "speech16k" and tc.weight_ema_decay > 0
    gen, disc, g_opt, d_opt = build(tc)
    rng = np.random.default_rng(0)
    for v in [*gen.variables, *disc.variables, *g_opt.variables, *d_opt.variables]:
        if "float" in str(v.dtype):
            v.assign(rng.normal(0, 0.05, v.shape).astype(np.float32))
    ema = WeightEMA(gen.trainable_variables, tc.weight_ema_decay)
    ema.shadow = [s + rng.normal(0, 1e-3, s.shape).astype(np.float32) for s in ema.shadow]
    save_checkpoint(tmp_path, 1, gen, disc, g_opt, d_opt, {"config": tc.to_dict()}, ema=ema)
    size = (tmp_path / "ckpt_00000001.npz").stat().st_size
    assert size < 60e6, f"{size / 1e6:.1f} MB"
