"""models/lineage.py: a continuing run's logs and checkpoint seen on the shipped model's steps."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sscodec.models.lineage import stitch_run


def _write_csv(path, fields, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields)
        w.writerows(rows)


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _model_and_run(tmp_path):
    """Shipped model trained to lineage step 300 (wall 900 s); a run warm-started from it
    with checkpoints at its steps 100 and 200."""
    model = tmp_path / "speech16k"
    model.mkdir()
    _write_csv(model / "training_log.csv", ["step", "wall", "mel"],
               [[100, "300.0", 5], [200, "600.0", 4], [300, "900.0", 3]])
    _write_csv(model / "training_eval.csv", ["step", "wall", "mel_q6"], [[200, "610.0", 0.6], [300, "910.0", 0.5]])
    run = tmp_path / "r17"
    run.mkdir()
    _write_csv(run / "log.csv", ["step", "wall", "mel", "stft"], [[100, "250.0", 2.5, 1], [200, "500.0", 2, 1]])
    _write_csv(run / "eval.csv", ["step", "wall", "mel_q6"], [[200, "505.0", 0.45]])
    for s in (100, 200):
        (run / f"ckpt_{s:08d}.json").write_text(json.dumps({"step": s, "wall_seconds": 2.5 * s, "config": {}}))
        (run / f"ckpt_{s:08d}.npz").write_bytes(b"arrays %d" % s)
    (run / "latest.json").write_text(json.dumps({"step": 200}))
    (run / "train_config.json").write_text("{}")
    return model, run


def test_a_warm_started_run_continues_the_lineage(tmp_path):
    model, run = _model_and_run(tmp_path)
    view = tmp_path / "view"
    assert stitch_run(run, model, 300, view, 200) == 500
    log = _rows(view / "log.csv")
    assert [int(r["step"]) for r in log] == [100, 200, 300, 400, 500]
    assert [float(r["wall"]) for r in log] == [300, 600, 900, 1150, 1400]
    assert log[0]["stft"] == "" and log[-1]["stft"] == "1"  # union of the headers
    ev = _rows(view / "eval.csv")
    assert [(int(r["step"]), float(r["wall"])) for r in ev] == [(200, 610), (300, 910), (500, 1405)]
    meta = json.loads((view / "ckpt_00000500.json").read_text())
    assert meta["step"] == 500 and meta["wall_seconds"] == 1400
    assert (view / "ckpt_00000500.npz").read_bytes() == b"arrays 200"
    assert json.loads((view / "latest.json").read_text()) == {"step": 500}
    assert (view / "train_config.json").is_symlink()
    assert not (view / "ckpt_00000200.json").exists()


def test_re_shipping_the_same_run_replaces_its_earlier_rows(tmp_path):
    """The model was shipped at run step 100 (lineage 400) and the run went on: the rows
    that ship added are replaced by the run's own, not repeated."""
    model, run = _model_and_run(tmp_path)
    full_log = (run / "log.csv").read_text()
    (run / "log.csv").write_text("\n".join(full_log.splitlines()[:2]) + "\n")  # the run at step 100
    first = tmp_path / "first"
    stitch_run(run, model, 300, first, 100)
    assert [int(r["step"]) for r in _rows(first / "log.csv")] == [100, 200, 300, 400]
    (model / "training_log.csv").write_text((first / "log.csv").read_text())
    (run / "log.csv").write_text(full_log)  # the run went on to step 200
    again = tmp_path / "again"
    stitch_run(run, model, 300, again, 200)
    assert [int(r["step"]) for r in _rows(again / "log.csv")] == [100, 200, 300, 400, 500]


def test_clear_errors(tmp_path):
    model, run = _model_and_run(tmp_path)
    with pytest.raises(FileNotFoundError, match="ckpt_00000150"):
        stitch_run(run, model, 300, tmp_path / "v1", 150)
    with pytest.raises(ValueError, match="before the lineage offset 400"):
        stitch_run(run, model, 400, tmp_path / "v2", 100)
    (model / "training_log.csv").unlink()
    with pytest.raises(FileNotFoundError, match="no training log"):
        stitch_run(run, model, 300, tmp_path / "v3", 100)


def test_ship_refuses_lineage_offset_with_an_exported_model(tmp_path):
    from sscodec.models.ship import ship

    with pytest.raises(ValueError, match="from-model-dir"):
        ship(tmp_path / "run", tmp_path / "out", None, [], from_model_dir=tmp_path, lineage_offset=10)


def test_ship_builds_from_the_stitched_view(tmp_path, monkeypatch):
    """``ship --lineage-offset``: the build sees the lineage step and the stitched logs;
    the temporary view is gone afterwards."""
    from sscodec.models import ship as ship_mod

    model, run = _model_and_run(tmp_path)
    seen = {}

    def fake_build(run_dir, out, staging, *a, step, **k):
        seen.update(run_dir=Path(run_dir), step=step, log=_rows(Path(run_dir) / "log.csv"))
        (staging / "marker").write_text("built")

    monkeypatch.setattr(ship_mod, "_build", fake_build)
    out = ship_mod.ship(run, model, None, [], lineage_offset=300)  # newest checkpoint: run step 200
    assert seen["step"] == 500 and seen["run_dir"].name == "r17"
    assert [int(r["step"]) for r in seen["log"]] == [100, 200, 300, 400, 500]
    assert not seen["run_dir"].exists()
    assert (out / "marker").read_text() == "built"
