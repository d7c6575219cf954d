"""Backend-neutral weight files and model directories.

Variables are stored by their Keras path in a NumPy ``.npz`` archive, so a
checkpoint written under TensorFlow loads under JAX and vice versa.

A *model directory* (what the trainer exports and the converter reads)::

    config.json            ModelConfig (architecture)
    generator.weights.npz  every generator variable, float32, by path
    training_run.json      run id, steps, data, wall time (optional)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .config import ModelConfig
from ..atomic_write import replacing


class ModelDirError(Exception):
    """A model directory is missing, incomplete or does not match its config."""


def variable_key(v):
    """Path of a variable relative to its model: the first component (the
    model's auto-numbered instance name, e.g. ``sound_stream_1``) is dropped;
    seed-generator states (numbered globally by Keras) are keyed by role."""
    path = v.path
    if path.startswith("seed_generator"):
        return "seed_generator_state"
    return path.split("/", 1)[1] if "/" in path else path


def variables_to_arrays(variables, prefix=""):
    out = {}
    for v in variables:
        key = prefix + variable_key(v)
        if key in out:
            raise ValueError(f"duplicate variable path {key}")
        out[key] = np.asarray(v.numpy() if hasattr(v, "numpy") else v.value)
    return out


def assign_from_arrays(variables, arrays, prefix="", strict=True):
    """Assign ``arrays[prefix + v.path]`` to each variable; shape-checked."""
    missing = []
    for v in variables:
        key = prefix + variable_key(v)
        if key not in arrays:
            missing.append(key)
            continue
        a = arrays[key]
        if tuple(a.shape) != tuple(v.shape):
            raise ModelDirError(f"weight {key}: file has shape {a.shape}, model expects {tuple(v.shape)}")
        v.assign(a.astype(v.dtype) if hasattr(a, "astype") else a)
    if strict and missing:
        raise ModelDirError(f"{len(missing)} weights missing from file, e.g. {missing[:3]}")
    return missing


def atomic_savez(path, arrays, compress=False):
    """Write ``arrays`` to ``path`` (.npz) via a temp file, so readers never see half a file;
    ``compress``: deflate (float weights shrink only ~7 %, at ~2 s per 50 MB)."""
    with replacing(path) as tmp:
        (np.savez_compressed if compress else np.savez)(tmp, **arrays)


TRAINING_ONLY = ("cluster_size_", "embed_sum_", "seed_generator_state")

# Written beside generator.weights.npz by an export (the run's discriminators, for warm starts).
DISCRIMINATOR_FILE = "discriminator.weights.npz"


def save_discriminator_arrays(out_dir, arrays):
    """Write ``{variable key: array}`` of the discriminators to ``OUT_DIR/discriminator.weights.npz``."""
    atomic_savez(Path(out_dir) / DISCRIMINATOR_FILE, arrays, compress=True)


def save_model_dir(model, out_dir, run_info=None, inference_only=False):
    """Export a generator (float32 weights) + config to ``out_dir``.

    ``inference_only`` drops the RVQ's EMA statistics and RNG state (not needed
    to encode/decode or convert; halves the file)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(model.cfg.to_dict(), indent=2) + "\n")
    arrays = {k: v.astype(np.float32) if v.dtype.kind == "f" else v for k, v in variables_to_arrays(model.variables).items()}
    if inference_only:
        arrays = {k: v for k, v in arrays.items() if not any(t in k.rsplit("/", 1)[-1] for t in TRAINING_ONLY)}
    atomic_savez(out / "generator.weights.npz", arrays)
    if run_info is not None:
        (out / "training_run.json").write_text(json.dumps(run_info, indent=2) + "\n")


def load_model_config(model_dir) -> ModelConfig:
    d = Path(model_dir)
    cfg_path = d / "config.json"
    if not cfg_path.is_file():
        raise ModelDirError(f"{d}: no config.json (not an sscodec model directory)")
    try:
        return ModelConfig.from_dict(json.loads(cfg_path.read_text()))
    except (ValueError, TypeError, json.JSONDecodeError) as e:
        raise ModelDirError(f"{cfg_path}: invalid model config: {e}") from e


def load_model_dir(model_dir):
    """Rebuild the generator from ``config.json`` and load its weights."""
    from .generator import SoundStream

    d = Path(model_dir)
    cfg = load_model_config(d)
    wpath = d / "generator.weights.npz"
    if not wpath.is_file():
        raise ModelDirError(f"{d}: no generator.weights.npz")
    model = SoundStream(cfg).build_all()
    try:
        with np.load(wpath) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as e:  # zipfile/pickle errors of a corrupt file
        raise ModelDirError(f"{wpath}: unreadable weights file: {e}") from e
    training_only = [v for v in model.variables if any(t in variable_key(v).rsplit("/", 1)[-1] for t in TRAINING_ONLY)]
    skip = {id(v) for v in training_only}
    inference = [v for v in model.variables if id(v) not in skip]
    assign_from_arrays(inference, arrays)
    assign_from_arrays(training_only, arrays, strict=False)
    return model


def load_run_info(model_dir) -> dict:
    p = Path(model_dir) / "training_run.json"
    return json.loads(p.read_text()) if p.is_file() else {}
