"""Package a training run as the shipped default model (developer tool).

``python -m sscodec.models.ship RUN_DIR [--out models/speech16k] [--calibration DIR]``

1. exports the newest checkpoint (inference weights) to ``OUT/keras`` — or, with
   ``--from-model-dir DIR``, takes an already exported model directory (e.g. what a
   GPU burst brought back, whose checkpoints stayed on that machine; RUN_DIR then
   only supplies ``log.csv``/``eval.csv`` if it has them);
2. converts it to ``OUT/float32``, ``OUT/dynamic-int8`` and ``OUT/int8``
   (int8 calibrated on real training speech; its decoder as ``--int8-decoder``,
   default dynamic-int8, see ``sscodec convert``). The RVQ graphs are float32 in every
   precision and byte-identical, so the dynamic-int8 and int8 folders hold relative
   symlinks to ``../float32/rvq_*.tflite`` (one copy in git; a wheel or bundle
   carries real files);
3. verifies each precision, right after converting it, against the Keras model on held-out speech
   (``--verify-audio``, ``--verify-clips``, ``--verify-seconds``; ``OUT/verify_<precision>.json``;
   a failed verification stops the ship) and copies the run's logs up to the shipped step
   (``OUT/training_log.csv``, ``OUT/training_eval.csv``; a run that trained on past that
   step keeps its later rows to itself) with their loss curve (``OUT/loss_curve.png``).

With ``--lineage-offset N`` the run continues the shipped model, which was trained N
steps before it (``train --init-from``, or a resumed run that an earlier ship already
stitched): ``--step`` counts in the run's own steps, and the model is shipped as lineage step
N + step, its training logs stitched onto ``OUT``'s (see ``lineage``).

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


PRECISIONS = ("float32", "dynamic-int8", "int8")


def link_identical_graphs(model_root, base="float32"):
    """Replace every graph of a non-``base`` precision folder that is byte-identical to
    the same file in ``base`` by a relative symlink to it; returns the linked paths."""
    root = Path(model_root)
    linked = []
    for precision in PRECISIONS:
        if precision == base or not (root / precision).is_dir():
            continue
        for f in sorted((root / precision).glob("*.tflite")):
            src = root / base / f.name
            if not f.is_symlink() and src.is_file() and f.read_bytes() == src.read_bytes():
                f.unlink()
                f.symlink_to(Path("..") / base / f.name)
                linked.append(f)
    return linked


def _stage_model_dir(src, dst, run_id=None):
    """Copy an exported model directory (config.json, generator.weights.npz, ...)."""
    from .model_io import load_model_config

    src = Path(src)
    load_model_config(src)  # a clear error for a folder that is no model directory
    shutil.copytree(src, dst)
    if run_id and (dst / "training_run.json").is_file():
        info = json.loads((dst / "training_run.json").read_text())
        info["run_id"] = run_id
        (dst / "training_run.json").write_text(json.dumps(info, indent=2))


def ship(run_dir, out, calibration, verify_audio, *, step=None, run_id=None, from_model_dir=None,
         verify_clips=3, verify_seconds=6.0, int8_decoder="dynamic-int8", lineage_offset=None):
    """Build the model folder in ``OUT.staging`` and swap it in; on any error nothing
    of the staging folder is left and ``out`` is untouched."""
    out = Path(out)
    if lineage_offset is not None:
        if from_model_dir is not None:
            raise ValueError("--lineage-offset stitches a run's checkpoint; it does not combine with --from-model-dir")
        return _ship_on_lineage(run_dir, out, calibration, verify_audio, step=step, run_id=run_id,
                                lineage_offset=lineage_offset, verify_clips=verify_clips,
                                verify_seconds=verify_seconds, int8_decoder=int8_decoder)
    staging = out.with_name(out.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _build(run_dir, out, staging, calibration, verify_audio, step=step, run_id=run_id, from_model_dir=from_model_dir,
               verify_clips=verify_clips, verify_seconds=verify_seconds, int8_decoder=int8_decoder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return out


def _ship_on_lineage(run_dir, out, calibration, verify_audio, *, step, lineage_offset, **kw):
    """``ship`` of the run seen as lineage steps (``lineage.stitch_run``), built in a
    temporary folder that is removed afterwards."""
    import tempfile

    from .checkpoint import latest_step
    from .lineage import stitch_run

    step = step if step is not None else latest_step(run_dir)
    if step is None:
        raise FileNotFoundError(f"{run_dir}: no checkpoint")
    with tempfile.TemporaryDirectory(prefix="sscodec-lineage-") as tmp:
        view = Path(tmp) / Path(run_dir).name
        lineage_step = stitch_run(run_dir, out, lineage_offset, view, step)
        print(f"run step {step} ships as lineage step {lineage_step}", flush=True)
        return ship(view, out, calibration, verify_audio, step=lineage_step, **kw)


def copy_training_logs(run_dir, staging, last_step, title=None):
    """Copy the run's ``log.csv`` / ``eval.csv`` to ``staging`` as ``training_log.csv`` /
    ``training_eval.csv`` and plot ``loss_curve.png`` from them, keeping only rows up to
    ``last_step`` (the shipped checkpoint's step; None keeps all): a run that trained on
    past the shipped step must not show those later steps as the shipped model's."""
    from .csv_table import read_rows, write_rows
    from .plot_training import plot_run

    for run_name, model_name in (("log.csv", "training_log.csv"), ("eval.csv", "training_eval.csv")):
        src = Path(run_dir) / run_name
        if src.is_file():
            header, rows = read_rows(src)
            write_rows(staging / model_name, header,
                       [r for r in rows if last_step is None or int(r["step"]) <= last_step])
    if (staging / "training_log.csv").is_file():
        plot_run(staging, staging / "loss_curve.png", log_name="training_log.csv", eval_name="training_eval.csv",
                 title=title or Path(run_dir).name)


def _build(run_dir, out, staging, calibration, verify_audio, *, step, run_id, from_model_dir, verify_clips, verify_seconds,
           int8_decoder):
    from ..converter.convert import convert
    from ..converter.verify import dump, format_report, load_clips, verify
    from .export import export_checkpoint
    from .model_io import load_run_info

    if from_model_dir is not None:
        _stage_model_dir(from_model_dir, staging / "keras", run_id)
    else:
        export_checkpoint(run_dir, staging / "keras", step, run_id)
    clips = load_clips(verify_audio, 16000, seconds=verify_seconds)[:verify_clips]
    # Each precision is verified as soon as it is converted: a float32 graph that does not
    # match Keras stops the ship before the int8 calibration (the slowest step) runs.
    for precision in PRECISIONS:
        convert(staging / "keras", staging / precision, precision, calibration if precision == "int8" else None,
                int8_decoder=int8_decoder)
        print(f"converted {precision}", flush=True)
        r = verify(staging / precision, staging / "keras", clips, denoise_values=(0.0,), with_quality=True)
        r["graph_dir"] = f"{out.name}/{precision}"
        dump(r, staging / f"verify_{precision}.json")
        print(format_report(r), flush=True)
        if not r["passed"]:
            raise RuntimeError(f"verification failed for {precision} (report above); nothing shipped")
    for f in link_identical_graphs(staging):
        print(f"{f.relative_to(staging)} -> {f.readlink()}", flush=True)
    shipped = load_run_info(staging / "keras")
    copy_training_logs(run_dir, staging, shipped.get("step"), shipped.get("run_id"))
    if out.exists():
        # Carry over what this step does not produce (model card, data manifest,
        # earlier runs' logs and curves), so a re-ship never loses them.
        for item in out.iterdir():
            if not (staging / item.name).exists():
                (shutil.copytree if item.is_dir() else shutil.copy2)(item, staging / item.name)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sscodec.models.ship", description=__doc__)
    p.add_argument("run_dir")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "speech16k"))
    p.add_argument("--calibration", default="/work/data/speech_train/ru_nsh")
    p.add_argument("--verify-audio", nargs="+", default=None, help="held-out audio files/folders for the verify step")
    p.add_argument("--verify-clips", type=int, default=3, help="use at most this many of them (default 3)")
    p.add_argument("--verify-seconds", type=float, default=6.0, help="and this many seconds of each (default 6)")
    p.add_argument("--step", type=int)
    p.add_argument("--run-id")
    p.add_argument("--from-model-dir", metavar="DIR", help="ship this exported model directory instead of RUN_DIR's checkpoint")
    p.add_argument("--lineage-offset", type=int, metavar="N",
                   help="the run started from the model at lineage step N (train --init-from of a model whose "
                        "training_run.json said step N): ship run step S as N + S, its logs stitched onto OUT's")
    from ..manifest import INT8_DECODER_CHOICES

    p.add_argument("--int8-decoder", default="dynamic-int8", choices=INT8_DECODER_CHOICES,
                   help="the int8 folder's decoder precision (default dynamic-int8; see sscodec convert)")
    a = p.parse_args(argv)
    from .. import paths

    audio = a.verify_audio or [str(paths.SAMPLE_SPEECH)]
    try:
        out = ship(a.run_dir, a.out, a.calibration, audio, step=a.step, run_id=a.run_id, from_model_dir=a.from_model_dir,
                   verify_clips=a.verify_clips, verify_seconds=a.verify_seconds, int8_decoder=a.int8_decoder,
                   lineage_offset=a.lineage_offset)
    except Exception as e:  # noqa: BLE001 - report and fail
        sys.exit(f"error: {e}")
    print(f"shipped {out}")


if __name__ == "__main__":
    main()
