"""models/ship.py: one copy of identical graphs across precisions, shipping an exported model dir."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sscodec.manifest import GRAPH_ROLES, load_manifest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny_codec"


def test_link_identical_graphs_keeps_one_copy(tmp_path):
    from sscodec.models.ship import link_identical_graphs

    d = tmp_path / "m"
    shutil.copytree(TINY, d)
    (d / "int8" / "rvq_decode.tflite").write_bytes(b"different bytes")  # must stay a file
    linked = {str(p.relative_to(d)) for p in link_identical_graphs(d)}
    assert linked == {"dynamic-int8/rvq_encode.tflite", "dynamic-int8/rvq_decode.tflite", "int8/rvq_encode.tflite"}
    for rel in linked:
        p = d / rel
        assert p.is_symlink() and os.readlink(p) == f"../float32/{p.name}"
        assert p.read_bytes() == (d / "float32" / p.name).read_bytes()
    assert not (d / "int8" / "rvq_decode.tflite").is_symlink()
    assert not any((d / p / "encoder.tflite").is_symlink() for p in ("float32", "dynamic-int8", "int8"))
    assert link_identical_graphs(d) == []  # idempotent
    m = load_manifest(d / "dynamic-int8")  # sha256 of every graph checked through the links
    assert all(m.graph_path(r).is_file() for r in GRAPH_ROLES)


def test_shipped_model_stores_shared_graphs_once():
    """The committed default model keeps one copy of the float32 RVQ graphs (repo size)."""
    shipped = ROOT / "models" / "speech16k"
    for precision in ("dynamic-int8", "int8"):
        for g in ("rvq_encode.tflite", "rvq_decode.tflite"):
            assert (shipped / precision / g).is_symlink(), f"{precision}/{g} should link to ../float32/{g}"


def _calibration_and_empty_run(tmp_path):
    """(calibration folder with 2 s of the bundled sample, empty run folder); skips without TF."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    pytest.importorskip("tensorflow")
    sf = pytest.importorskip("soundfile")
    from sscodec import paths

    calib = tmp_path / "calib"
    calib.mkdir()
    x, sr = sf.read(paths.SAMPLE_SPEECH, dtype="float32")
    sf.write(calib / "a.wav", x[: 2 * sr], sr)
    run = tmp_path / "run"
    run.mkdir()
    return calib, run


def test_ship_from_model_dir(tmp_path):
    """An exported model directory (e.g. a GPU burst's) ships without the run's checkpoints."""
    from sscodec import paths
    from sscodec.models.ship import ship

    calib, run = _calibration_and_empty_run(tmp_path)  # the run has no checkpoints, no logs
    out = ship(run, tmp_path / "out", calib, [paths.SAMPLE_SPEECH], run_id="burst_test", from_model_dir=TINY / "keras")
    assert json.loads((out / "keras" / "training_run.json").read_text())["run_id"] == "burst_test"
    for precision in ("float32", "dynamic-int8", "int8"):
        m = load_manifest(out / precision)
        assert m.precision == precision
        assert json.loads((out / f"verify_{precision}.json").read_text())
    assert (out / "int8" / "rvq_encode.tflite").is_symlink()
    assert not (tmp_path / "out.staging").exists()
    with pytest.raises(Exception):
        ship(run, tmp_path / "out2", calib, [paths.SAMPLE_SPEECH], from_model_dir=tmp_path / "calib")
    assert not (tmp_path / "out2").exists() and not (tmp_path / "out2.staging").exists()


def test_a_failed_verification_ships_nothing(tmp_path, monkeypatch):
    """A graph that fails `verify` (e.g. float32 not matching Keras) leaves OUT untouched."""
    from sscodec import paths
    from sscodec.converter import verify as verify_mod
    from sscodec.models.ship import ship

    calib, run = _calibration_and_empty_run(tmp_path)
    real = verify_mod.verify

    def failing_float32(graph_dir, *a, **k):
        r = real(graph_dir, *a, **k)
        if r["precision"] == "float32":
            r["passed"] = False
        return r

    from sscodec.converter import convert as convert_mod

    real_convert, converted = convert_mod.convert, []

    def recording_convert(keras_dir, out_dir, precision, *a, **k):
        converted.append(precision)
        return real_convert(keras_dir, out_dir, precision, *a, **k)

    monkeypatch.setattr(verify_mod, "verify", failing_float32)
    monkeypatch.setattr(convert_mod, "convert", recording_convert)
    with pytest.raises(RuntimeError, match="verification failed for float32"):
        ship(run, tmp_path / "out", calib, [paths.SAMPLE_SPEECH], from_model_dir=TINY / "keras")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.staging").exists()
    assert converted == ["float32"]  # stopped before converting (and calibrating) the rest


def test_shipped_logs_end_at_the_shipped_step(tmp_path):
    """A run that trained on past the shipped checkpoint: the model folder's logs and loss
    curve stop at the shipped step, with every column kept."""
    from sscodec.models.csv_table import read_rows
    from sscodec.models.ship import copy_training_logs

    run, staging = tmp_path / "run", tmp_path / "staging"
    run.mkdir()
    staging.mkdir()
    (run / "log.csv").write_text("step,wall,mel,d_loss\n100,10.0,5.0,\n200,20.0,4.0,1.5\n300,30.0,3.5,1.4\n")
    (run / "eval.csv").write_text("step,wall,mel_q6\n200,21.0,0.6\n300,31.0,0.55\n")
    copy_training_logs(run, staging, 200, "r_test")
    header, rows = read_rows(staging / "training_log.csv")
    assert header == ["step", "wall", "mel", "d_loss"]
    assert [(r["step"], r["d_loss"]) for r in rows] == [("100", ""), ("200", "1.5")]
    assert [r["step"] for r in read_rows(staging / "training_eval.csv")[1]] == ["200"]
    assert (staging / "loss_curve.png").stat().st_size > 0
    copy_training_logs(run, staging, None)  # no step recorded: the whole log
    assert [r["step"] for r in read_rows(staging / "training_log.csv")[1]] == ["100", "200", "300"]
