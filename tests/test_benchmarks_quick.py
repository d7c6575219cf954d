"""`sscodec bench --quick` / `sscodec eval --quick` on the tiny test model:
the pipeline runs end to end and writes schema-valid JSON, PNG plots and
summary.md (the numbers are not checked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny_codec"


def _precision_dirs():
    return [p for p in ("float32", "int8") if (TINY / p / "manifest.json").is_file()]


def _run(args, cwd):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    r = subprocess.run([sys.executable, "-m", "sscodec", *args], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


@pytest.fixture(params=_precision_dirs() or [pytest.param(None, marks=pytest.mark.skip("no tiny test model"))])
def model_dir(request):
    return TINY / request.param


def test_bench_quick(model_dir, tmp_path):
    from sscodec.benchmarks import report

    out = tmp_path / "out"
    _run(["bench", "--quick", "--no-progress", "--model", str(model_dir), "--out", str(out), "--bitrate", "300"],
         tmp_path)
    doc = json.loads((out / "bench.json").read_text())
    assert report.validate_bench(doc) == []
    # 300 bps = one quantizer of the tiny model: the RVQ encode's 1-stage signature (one 64 x 16 codebook)
    assert doc["model"]["num_quantizers"] == 1 and doc["model"]["bitrate_bps"] == 300
    assert doc["macs"][f"sscodec_{next(iter(doc['sscodec']))}"]["rvq_encode"]["macs"] == 64 * 16
    assert doc["quick"] is True
    assert (out / "stage_times.png").stat().st_size > 1000
    md = (out / "summary.md").read_text()
    assert "Speed" in md and "stage_times.png" in md
    # every precision folder found next to the model was timed through all three paths
    assert set(doc["sscodec"]) >= {"float32", "int8"} & set(_precision_dirs())
    assert doc["macs"][f"sscodec_{next(iter(doc['sscodec']))}"]["total_macs"] > 0


def test_bench_refuses_a_bitrate_below_one_quantizer(tmp_path):
    r = subprocess.run([sys.executable, "-m", "sscodec", "bench", "--quick", "--model", str(TINY / "float32"),
                        "--bitrate", "100", "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "below the model's lowest, 300 bps" in r.stderr
    assert not (tmp_path / "out").exists()


def test_eval_quick(model_dir, tmp_path):
    from sscodec.benchmarks import report

    out = tmp_path / "out"
    _run(["eval", "--quick", "--no-progress", "--model", str(model_dir), "--out", str(out)], tmp_path)
    doc = json.loads((out / "eval.json").read_text())
    assert report.validate_eval(doc) == []
    assert (out / "rate_quality.png").stat().st_size > 1000
    assert "Quality" in (out / "summary.md").read_text()
    rows = doc["sets"]["speech_heldout"]["results"]
    assert any(r["codec"] == "sscodec" for r in rows)
    assert any(r["metrics"]["visqol"] is not None for r in rows)  # ViSQOL ran once
    assert [e["loss_rate"] for e in doc["packet_loss"]["rates"]][:2] == [0.0, 0.1]
    dn = [r for r in doc["sets"]["noisy_speech"]["results"] if r["codec"] == "sscodec"]
    assert [r.get("denoise_side") for r in dn] == [None, "encoder", "decoder"]
    assert all(r["metrics"]["pesq"] is not None for r in dn)
    # the bars are judged in the same run; quick mode's ladder is 2 rates, its PESQ per clip is there
    assert doc["bars"]["monotonic"]["precisions"]
    assert doc["bars"]["denoise"]["sides"]["encoder"]["differences"]["pesq"]["clips"] == 1
    assert "### Bars" in (out / "summary.md").read_text()


def test_schema_rejects_incomplete():
    from sscodec.benchmarks import report

    assert report.validate_bench({"schema": "sscodec-bench/1"})
    assert report.validate_eval({"schema": "x"})
