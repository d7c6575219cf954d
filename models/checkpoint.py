"""Training checkpoints: exact resume, backend-neutral, compact.

A checkpoint is two files in the run directory, written atomically::

    ckpt_<step>.npz   generator, discriminator and both optimizers' variables
                      (+ the generator's weight EMA, ``gema/``, when the run keeps one)
    ckpt_<step>.json  step, data-pipeline state, wall time, config

``latest.json`` names the newest complete checkpoint. Only the last ``keep``
checkpoints are kept, and those whose step is a multiple of ``keep_every`` (> 0).
Generator + discriminators + Adam state for the ``speech16k`` preset are 54 MB of
float32 arrays, 64 MB with the weight EMA; the file is deflated (50 / 59 MB) so that
a checkpoint stays under 60 MB and can travel (e.g. to a GPU machine) either way.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .model_io import assign_from_arrays, atomic_savez, variables_to_arrays
from .. import atomic_write


def _opt_arrays(opt, prefix):
    return {f"{prefix}{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(opt.variables)}


def _assign_opt(opt, arrays, prefix):
    keys = sorted(k for k in arrays if k.startswith(prefix))
    if len(keys) != len(opt.variables):
        raise ValueError(f"optimizer {prefix}: checkpoint has {len(keys)} variables, model {len(opt.variables)}")
    for k, v in zip(keys, opt.variables):
        v.assign(arrays[k])


def save_checkpoint(run_dir, step, gen, disc, g_opt, d_opt, meta, keep=2, ema=None, keep_every=0):
    """``ema``: a :class:`~.weight_ema.WeightEMA` whose shadow is stored too (``gema/``)."""
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    arrays = {}
    arrays.update(variables_to_arrays(gen.variables, "gen/"))
    arrays.update(variables_to_arrays(disc.variables, "disc/"))
    arrays.update(_opt_arrays(g_opt, "gopt/"))
    arrays.update(_opt_arrays(d_opt, "dopt/"))
    if ema is not None:
        arrays.update(ema.arrays())
    atomic_savez(checkpoint_file(run, step), arrays, compress=True)
    _write_json(checkpoint_file(run, step, ".json"), dict(meta, step=step))
    write_latest(run, step)
    for old in checkpoint_steps(run)[:-keep]:
        if keep_every > 0 and old % keep_every == 0:
            continue
        checkpoint_file(run, old).unlink(missing_ok=True)
        checkpoint_file(run, old, ".json").unlink(missing_ok=True)


def checkpoint_file(run_dir, step: int, suffix: str = ".npz") -> Path:
    """``run_dir/ckpt_<step>.npz`` (the arrays), or with ``suffix=".json"`` its meta."""
    return Path(run_dir) / f"ckpt_{step:08d}{suffix}"


def write_latest(run_dir, step: int):
    """Point ``latest.json`` (what a resume starts from) at checkpoint ``step``."""
    _write_json(Path(run_dir) / "latest.json", {"step": step})


def _write_json(path, obj):
    atomic_write.write_text(path, json.dumps(obj, indent=1))


def checkpoint_steps(run_dir) -> list[int]:
    """The steps of the checkpoints (``ckpt_<step>.npz``) in ``run_dir``, ascending."""
    return sorted(int(p.stem[len("ckpt_"):]) for p in Path(run_dir).glob("ckpt_*.npz"))


def latest_step(run_dir):
    p = Path(run_dir) / "latest.json"
    if not p.is_file():
        return None
    return json.loads(p.read_text())["step"]


def load_checkpoint(run_dir, step, gen, disc, g_opt, d_opt, ema=None):
    """Restore the models and optimizers of ``step``; returns its meta dict. ``ema`` (a
    :class:`~.weight_ema.WeightEMA`): its shadow is restored too, or restarted at the
    loaded weights when the checkpoint has none (a run that had no EMA); the meta dict
    then says which in ``"weight_ema"`` (``"restored"`` / ``"restarted"``)."""
    run = Path(run_dir)
    with np.load(checkpoint_file(run, step)) as z:
        arrays = {k: z[k] for k in z.files}
    assign_from_arrays(gen.variables, arrays, "gen/")
    assign_from_arrays(disc.variables, arrays, "disc/")
    _assign_opt(g_opt, arrays, "gopt/")
    _assign_opt(d_opt, arrays, "dopt/")
    meta = json.loads(checkpoint_file(run, step, ".json").read_text())
    if ema is not None:
        if ema.load(arrays):
            meta["weight_ema"] = "restored"
        else:
            ema.reset()
            meta["weight_ema"] = "restarted"
    return meta
