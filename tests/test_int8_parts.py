"""benchmarks/int8_parts.py: every encoder x decoder combination of converted folders is scored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

sf = pytest.importorskip("soundfile")
pytest.importorskip("pesq")

TINY = Path(__file__).parent / "data" / "tiny_codec"


def test_combinations_and_json(tmp_path):
    from sscodec import paths
    from sscodec.benchmarks.int8_parts import main

    data = tmp_path / "heldout" / "src"
    data.mkdir(parents=True)
    x, sr = sf.read(paths.SAMPLE_SPEECH, dtype="float32")
    sf.write(data / "a.wav", x[: 3 * sr], sr)
    out = tmp_path / "parts.json"
    rc = main([f"float32={TINY / 'float32'}", f"int8={TINY / 'int8'}", "--data", str(tmp_path / "heldout"),
               "--clips", "1", "--seconds", "2.5", "--kbps", "0.6", "--out", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text())
    pairs = {(r["encoder"], r["decoder"]) for r in doc["results"]}
    assert pairs == {("float32", "float32"), ("float32", "int8"), ("int8", "float32"), ("int8", "int8")}
    ref = next(r for r in doc["results"] if r["encoder"] == r["decoder"] == "float32")
    assert all(v == 0 for v in ref["delta"].values() if v is not None)
    assert all(r["pesq"] is not None and r["stoi"] is not None for r in doc["results"])
    assert doc["quantizers"] == 2


def test_bad_folders_exit_non_zero(tmp_path, capsys):
    from sscodec.benchmarks.int8_parts import main

    assert main([f"x={tmp_path / 'missing'}"]) == 2
    assert main(["no-equals-sign"]) == 2
    assert "NAME=GRAPH_DIR" in capsys.readouterr().err
