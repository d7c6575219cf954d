"""Average the weights of several checkpoints of one run into one model directory.

``python -m sscodec.models.average_checkpoints OUT_DIR SPEC SPEC [...] [--run-id ID]``

Each SPEC is ``RUN_DIR:STEP`` (a trainer checkpoint; a folder of kept checkpoints
works too) or an exported model directory, as for ``compare_checkpoints``. The
encoder, decoder and FiLM weights (every trainable variable) of OUT_DIR are the
element-wise mean over the SPECs; the RVQ codebooks are the LAST SPEC's unchanged:
they are EMA statistics of that checkpoint's embeddings, and dead-code restarts
replace most rows of the later codebooks within 1,000 steps, so a mean over
checkpoints would blend unrelated codes. (Averaging the weights of the same run
along its trajectory — Polyak / "checkpoint" averaging — removes some of the noise
that a GAN's last steps leave in the weights; the codebooks still fit because the
averaged encoder's embeddings stay within the codebooks' quantization error.)

OUT_DIR is an inference model directory (``config.json``, ``generator.weights.npz``,
``training_run.json`` with ``averaged_from``) that ``sscodec convert``,
``compare_checkpoints`` and ``ship --from-model-dir`` read. Every SPEC must have
the same model config.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np


def average_checkpoints(specs, out_dir, run_id=None) -> Path:
    """Write the averaged model of ``specs`` (>= 2) to ``out_dir``; returns its path.

    Raises ValueError for fewer than two specs or differing model configs,
    FileNotFoundError for a missing checkpoint or folder.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from .compare_checkpoints import load_generator
    from .model_io import save_model_dir

    if len(specs) < 2:
        raise ValueError("give at least two checkpoints to average")
    loaded = [load_generator(s) for s in specs]
    labels = [label for label, _, _ in loaded]
    gens = [g for _, g, _ in loaded]
    base = gens[-1]
    for label, g in zip(labels, gens):
        if g.cfg != base.cfg:
            raise ValueError(f"{label}: model config differs from {labels[-1]}'s")
    for i, v in enumerate(base.trainable_variables):
        v.assign(np.mean([np.asarray(g.trainable_variables[i].numpy()) for g in gens], axis=0))
    info = dict(loaded[-1][2])
    if run_id:
        info["run_id"] = run_id
    info["averaged_from"] = labels
    info["averaged"] = "trainable weights: mean over averaged_from; RVQ codebooks: the last one's"
    save_model_dir(base, out_dir, info, inference_only=True)
    return Path(out_dir)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sscodec.models.average_checkpoints", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out_dir", help="model directory to write")
    p.add_argument("specs", nargs="+", help="RUN_DIR:STEP checkpoints or model directories (codebooks from the last)")
    p.add_argument("--run-id", help="run id recorded in training_run.json (default: the last checkpoint's)")
    a = p.parse_args(argv)
    from .model_io import ModelDirError

    try:
        out = average_checkpoints(a.specs, a.out_dir, a.run_id)
    except (FileNotFoundError, ValueError, ModelDirError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"averaged {len(a.specs)} checkpoints into {out}")
    print(json.dumps(json.loads((out / "training_run.json").read_text())["averaged_from"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
