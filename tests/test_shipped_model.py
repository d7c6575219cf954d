"""The shipped default model (models/speech16k) is complete, consistent and runs.

Checks the committed Keras weights, the three converted precisions and the
model card; the float32 graphs must equal the Keras model frame by frame.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from sscodec.manifest import GRAPH_ROLES, load_manifest

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "speech16k"


def test_shipped_model_is_complete():
    assert (SHIPPED / "MODEL_CARD.md").is_file()
    assert (SHIPPED / "loss_curve.png").is_file()
    cfg = json.loads((SHIPPED / "keras" / "config.json").read_text())
    assert (cfg["sample_rate"], cfg["num_quantizers"], cfg["codebook_size"]) == (16000, 24, 1024)
    ids = set()
    for precision in ("float32", "dynamic-int8", "int8"):
        m = load_manifest(SHIPPED / precision)  # verifies the sha256 of every graph
        assert m.precision == precision
        assert [round(m.bitrate(n)) for n in (6, 12, 18, 24)] == [3000, 6000, 9000, 12000]
        assert m.model["training_steps"] and m.model["training_run"]
        ids.add(m.model_id)
        for role in GRAPH_ROLES:
            assert m.graph_path(role).stat().st_size > 1000
    assert len(ids) == 1, "all precisions come from the same weights"


def test_shipped_float32_graphs_equal_keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    pytest.importorskip("tensorflow")
    from sscodec import paths
    from sscodec.converter.verify import load_clips, verify

    clips = load_clips([paths.SAMPLE_SPEECH], 16000, seconds=1.0)
    r = verify(SHIPPED / "float32", SHIPPED / "keras", clips, denoise_values=(0.0, 1.0), with_quality=False)
    assert r["passed"], r


def test_default_model_round_trip_through_native_runtime():
    import sscodec
    from sscodec import paths

    d = paths.default_model_dir("float32")
    assert load_manifest(d).model_id
    import soundfile as sf

    x, sr = sf.read(str(paths.SAMPLE_SPEECH), dtype="float32")
    x = x[: sr]  # 1 s
    enc = sscodec.Encoder(model=d, bitrate=6000, sample_rate=sr)
    dec = sscodec.Decoder(model=d, sample_rate=sr)
    packets = enc.encode(x)
    y = dec.decode(packets)
    assert len(packets) == sr // 320
    assert all(len(p) == 2 + 12 * 10 // 8 for p in packets)  # 6 kbps = 12 x 10-bit codes
    assert np.isfinite(y).all() and len(y) > 0
