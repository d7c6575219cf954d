"""Package a training run as the shipped default model (developer tool).

``python -m sscodec.models.ship RUN_DIR [--out models/speech16k] [--calibration DIR]``

1. exports the newest checkpoint (inference weights) to ``OUT/keras``;
2. converts it to ``OUT/float32``, ``OUT/dynamic-int8`` and ``OUT/int8``
   (int8 calibrated on real training speech);
3. verifies every precision against the Keras model on held-out speech
   (``OUT/verify_<precision>.json``) and plots the loss curve (``OUT/loss_curve.png``).

Files of the previous ``OUT`` that these steps do not produce (``MODEL_CARD.md``,
``data_manifest.json``, earlier runs' ``*_r<N>`` logs) are carried over.

Everything is built in ``OUT.staging`` and swapped in only when all steps pass.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path


def ship(run_dir, out, calibration, verify_audio, step=None, run_id=None):
    from ..converter.convert import convert
    from ..converter.verify import dump, format_report, load_clips, verify
    from .export import export_checkpoint
    from .plot_training import plot_run

    out = Path(out)
    staging = out.with_name(out.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    export_checkpoint(run_dir, staging / "keras", step, run_id)
    for precision in ("float32", "dynamic-int8", "int8"):
        convert(staging / "keras", staging / precision, precision, calibration if precision == "int8" else None)
        print(f"converted {precision}", flush=True)
    clips = load_clips(verify_audio, 16000, seconds=6.0)[:3]
    for precision in ("float32", "dynamic-int8", "int8"):
        r = verify(staging / precision, staging / "keras", clips, denoise_values=(0.0,), with_quality=True)
        r["graph_dir"] = f"{out.name}/{precision}"
        dump(r, staging / f"verify_{precision}.json")
        print(format_report(r), flush=True)
    plot_run(run_dir, staging / "loss_curve.png")
    shutil.copy(Path(run_dir) / "log.csv", staging / "training_log.csv")
    if (Path(run_dir) / "eval.csv").is_file():
        shutil.copy(Path(run_dir) / "eval.csv", staging / "training_eval.csv")
    if out.exists():
        # Carry over what this step does not produce (model card, data manifest,
        # earlier runs' logs and curves), so a re-ship never loses them.
        for item in out.iterdir():
            if not (staging / item.name).exists():
                (shutil.copytree if item.is_dir() else shutil.copy2)(item, staging / item.name)
        shutil.rmtree(out)
    staging.rename(out)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sscodec.models.ship", description=__doc__)
    p.add_argument("run_dir")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "speech16k"))
    p.add_argument("--calibration", default="/work/data/speech_train/ru_nsh")
    p.add_argument("--verify-audio", nargs="+", default=None)
    p.add_argument("--step", type=int)
    p.add_argument("--run-id")
    a = p.parse_args(argv)
    from .. import paths

    audio = a.verify_audio or [str(paths.SAMPLE_SPEECH)]
    try:
        out = ship(a.run_dir, a.out, a.calibration, audio, a.step, a.run_id)
    except Exception as e:  # noqa: BLE001 - report and fail
        sys.exit(f"error: {e}")
    print(f"shipped {out}")


if __name__ == "__main__":
    main()
