"""Stitch a continuing run onto the shipped model's lineage (used by ``ship --lineage-offset``).

A run started with ``train --init-from models/speech16k/keras`` counts its steps from 0,
but the model it continues was already trained for N generator steps (its lineage step,
``keras/training_run.json``'s ``step``). Shipped as it is, the model card's loss curve,
step count and wall time would restart at 0. :func:`stitch_run` builds a *view* of the
run in which the run's step ``s`` is lineage step ``N + s``:

* ``log.csv`` / ``eval.csv``: the shipped model's ``training_log.csv`` /
  ``training_eval.csv`` rows that come before the run's first row (lineage steps), then the
  run's rows with ``step + N`` and ``wall + W``, where W is the shipped log's wall time
  (seconds) at step N. Re-shipping a later step of the same run gives the same curve: the
  rows an earlier ship of this run added are replaced, not repeated.
* ``ckpt_<N+s>.json``: the run's checkpoint metadata with ``step`` and ``wall_seconds``
  shifted the same way; ``ckpt_<N+s>.npz`` is a symlink to the run's arrays.
* every other file of the run (``train_config.json``, ...) is symlinked unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

from .checkpoint import checkpoint_file, write_latest
from .csv_table import read_rows, write_rows

LOGS = (("log.csv", "training_log.csv"), ("eval.csv", "training_eval.csv"))


def wall_at(log, rows, lineage_step):
    """The wall time (s) at ``lineage_step`` in ``rows``, the shipped ``log``'s rows
    (``read_rows``): its last row with step ≤ it."""
    before = [r for r in rows if int(r["step"]) <= lineage_step]
    if not before:
        raise ValueError(f"{log}: no row at or before step {lineage_step}")
    if int(rows[-1]["step"]) < lineage_step:
        raise ValueError(f"{log} ends at step {rows[-1]['step']}, before the lineage offset {lineage_step}")
    return float(before[-1]["wall"])


def stitch_log(shipped, run_csv, offset, wall_offset, out_csv):
    """Write ``out_csv``: the ``shipped`` table's rows (``(header, rows)`` from ``read_rows``,
    or None when the model has no such table) before the run's first (shifted) step, then
    ``run_csv``'s rows with step + ``offset`` and wall + ``wall_offset``; columns are the
    union of both headers. Returns the number of rows written."""
    run_fields, run_rows = read_rows(run_csv)
    fields, kept = (list(shipped[0]), shipped[1]) if shipped is not None else (list(run_fields), [])
    if run_rows:
        first = int(run_rows[0]["step"]) + offset
        kept = [r for r in kept if int(r["step"]) < first]
    fields += [f for f in run_fields if f not in fields]
    shifted = [{**r, "step": int(r["step"]) + offset, "wall": f"{float(r['wall']) + wall_offset:.1f}"} for r in run_rows]
    write_rows(out_csv, fields, kept + shifted)
    return len(kept) + len(shifted)


def stitch_run(run_dir, model_dir, offset, view_dir, step):
    """Build ``view_dir``, the run seen on the lineage of ``model_dir`` (see module doc),
    holding the run's checkpoint ``step`` (run numbering) as step ``offset + step``.
    Returns the lineage step."""
    run, model, view = Path(run_dir), Path(model_dir), Path(view_dir)
    meta_path = checkpoint_file(run, step, ".json")
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path}: no such checkpoint in the run")
    shipped = {name: read_rows(model / name) for _, name in LOGS if (model / name).is_file()}
    log = model / "training_log.csv"
    if log.name not in shipped:
        raise FileNotFoundError(f"{log}: no training log to continue (needed for --lineage-offset)")
    wall_offset = wall_at(log, shipped[log.name][1], offset)
    view.mkdir(parents=True, exist_ok=True)
    lineage_step = offset + step
    meta = json.loads(meta_path.read_text())
    meta["step"] = lineage_step
    if meta.get("wall_seconds") is not None:
        meta["wall_seconds"] = meta["wall_seconds"] + wall_offset
    checkpoint_file(view, lineage_step, ".json").write_text(json.dumps(meta, indent=1))
    checkpoint_file(view, lineage_step).symlink_to(checkpoint_file(run, step).resolve())
    write_latest(view, lineage_step)
    for run_name, shipped_name in LOGS:
        if (run / run_name).is_file():
            stitch_log(shipped.get(shipped_name), run / run_name, offset, wall_offset, view / run_name)
    produced = {name for name, _ in LOGS} | {"latest.json"}
    for item in run.iterdir():
        if item.name not in produced and not item.name.startswith("ckpt_") and not (view / item.name).exists():
            (view / item.name).symlink_to(item.resolve())
    return lineage_step
