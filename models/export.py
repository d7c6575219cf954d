"""Export a training checkpoint's generator as a model directory.

``python -m sscodec.models.export RUN_DIR OUT_DIR [--step N]`` writes
``config.json``, ``generator.weights.npz`` (inference weights only: the RVQ's
EMA statistics are dropped; a run with ``weight_ema_decay`` exports its averaged
weights, see ``weight_ema``) and ``training_run.json`` (run id, step, wall time,
data, eval history) — what ``sscodec convert`` reads — plus
``discriminator.weights.npz``: the run's discriminators at that step (float32, deflated;
≈ 6 MB for speech16k with the multi-period discriminator), which a warm-started run
(``train --init-from``) loads instead of starting its discriminators from scratch.
Inference and conversion never read it. Works while the run is
still training (reads the newest complete checkpoint).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from .csv_table import filled, read_rows


def export_checkpoint(run_dir, out_dir, step=None, run_id=None):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from .checkpoint import checkpoint_file, latest_step
    from .config import TrainConfig
    from .generator import SoundStream
    from .model_io import assign_from_arrays, save_discriminator_arrays, save_model_dir
    from .weight_ema import PREFIX, averaged_generator_arrays

    run = Path(run_dir)
    step = step if step is not None else latest_step(run)
    if step is None:
        raise FileNotFoundError(f"{run}: no checkpoint")
    meta = json.loads(checkpoint_file(run, step, ".json").read_text())
    tc = TrainConfig(**meta["config"])
    model = SoundStream(tc.model_config()).build_all()
    with np.load(checkpoint_file(run, step)) as z:  # the generator's arrays (and its EMA), the discriminators'
        stored = {k: z[k] for k in z.files if k.startswith(("gen/", PREFIX))}
        disc = {k[len("disc/"):]: z[k] for k in z.files if k.startswith("disc/")}
    arrays = {k[len("gen/"):]: v for k, v in averaged_generator_arrays(stored).items()}
    assign_from_arrays(model.variables, arrays)
    evals = [filled(r) for r in read_rows(run / "eval.csv")[1]] if (run / "eval.csv").is_file() else []
    info = {
        "run_id": run_id or run.name,
        "step": step,
        "wall_seconds": meta.get("wall_seconds"),
        "backend": meta.get("backend"),
        "weight_ema": any(k.startswith(PREFIX) for k in stored),
        "train_config": meta["config"],
        "eval_history": evals,
    }
    save_model_dir(model, out_dir, info, inference_only=True)
    if disc:
        save_discriminator_arrays(out_dir, disc)
    return Path(out_dir)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sscodec.models.export", description=__doc__)
    p.add_argument("run_dir")
    p.add_argument("out_dir")
    p.add_argument("--step", type=int)
    p.add_argument("--run-id")
    a = p.parse_args(argv)
    try:
        out = export_checkpoint(a.run_dir, a.out_dir, a.step, a.run_id)
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")
    print(f"exported {out}")


if __name__ == "__main__":
    main()
