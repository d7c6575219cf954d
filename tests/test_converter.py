"""Converter: graphs are builtin-only, named, hashed, verified; bad input fails cleanly.

Uses the tiny test model in tests/data/tiny_codec (keras/ weights and its
converted float32 / dynamic-int8 / int8 graphs, made by `sscodec convert`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
pytest.importorskip("tensorflow")

from sscodec.converter.flatbuffer_ops import float_compute_nodes, flex_ops, op_counts  # noqa: E402
from sscodec.manifest import GRAPH_ROLES, ManifestError, load_manifest  # noqa: E402

TINY = Path(__file__).parent / "data" / "tiny_codec"
PRECISIONS = ("float32", "dynamic-int8", "int8")


@pytest.mark.parametrize("precision", PRECISIONS)
def test_committed_graphs_have_no_flex_ops_and_valid_manifest(precision):
    m = load_manifest(TINY / precision)
    assert m.precision == precision
    for role in GRAPH_ROLES:
        fb = m.graph_path(role).read_bytes()
        assert flex_ops(fb) == [], role
        assert op_counts(fb)
    enc = m.graphs["encoder"]
    names = {t.name for t in enc.inputs}
    assert {"audio", "denoise"} <= names and all(s["input"] in names for s in enc.states)
    assert {t.name for t in enc.outputs} == {"embedding"} | {s["output"] for s in enc.states}
    if precision == "int8":
        assert "QUANTIZE" in op_counts(m.graph_path("encoder").read_bytes())
        # the RVQ stays float: no int8 argmin; the decoder keeps float activations
        assert "QUANTIZE" not in op_counts(m.graph_path("rvq_encode").read_bytes())
        assert "QUANTIZE" not in op_counts(m.graph_path("decoder").read_bytes())
        assert {r: g.precision for r, g in m.graphs.items()} == {
            "encoder": "int8", "rvq_encode": "float32", "rvq_decode": "float32", "decoder": "dynamic-int8"}


def test_int8_decoder_choice(tmp_path):
    """--int8-decoder int8 gives a full-integer decoder (for integer-only accelerators)."""
    from sscodec import paths
    from sscodec.converter.convert import ConversionError, convert

    calib = tmp_path / "calib"
    calib.mkdir()
    shutil.copy(paths.SAMPLE_SPEECH, calib / "a.wav")
    m = load_manifest(convert(TINY / "keras", tmp_path / "full", "int8", calib, int8_decoder="int8").parent)
    assert m.graphs["decoder"].precision == "int8" and m.graphs["encoder"].precision == "int8"
    assert "QUANTIZE" in op_counts(m.graph_path("decoder").read_bytes())
    assert float_compute_nodes(m.graph_path("decoder").read_bytes()) == [] and "float_nodes" not in m.raw["graphs"]["decoder"]
    # int8-float-out: integer except the output conv (and the reshape after it)
    m2 = load_manifest(convert(TINY / "keras", tmp_path / "fout", "int8", calib, int8_decoder="int8-float-out").parent)
    dec = m2.graph_path("decoder").read_bytes()
    nodes = m2.raw["graphs"]["decoder"]["float_nodes"]
    assert m2.graphs["decoder"].precision == "int8" and len(nodes) == 2
    assert sorted(float_compute_nodes(dec)) == sorted(nodes)
    assert op_counts(dec)["CONV_2D"] == op_counts(m.graph_path("decoder").read_bytes())["CONV_2D"]
    # its audio is closer to the float32 graph's than the full-integer decoder's
    from sscodec.converter.verify import GraphStream

    f32 = load_manifest(TINY / "float32")
    x = (0.3 * np.sin(np.arange(f32.frame_size * 20) * 0.03)).astype(np.float32)
    outs = {}
    for name, man in (("f32", f32), ("int8", m), ("fout", m2)):
        st = GraphStream(man)
        codes = [st.encode_frame(x[i * man.frame_size : (i + 1) * man.frame_size])[1] for i in range(20)]
        st.reset()
        outs[name] = np.concatenate([st.decode_frame(c, 4) for c in codes])
    err = {k: float(np.sqrt(np.mean((outs[k] - outs["f32"]) ** 2))) for k in ("int8", "fout")}
    assert err["fout"] < err["int8"], err
    with pytest.raises(ConversionError, match="int8 decoder"):
        convert(TINY / "keras", tmp_path / "bad", "int8", calib, int8_decoder="int4")
    assert not (tmp_path / "bad").exists()


def test_tampered_graph_is_refused(tmp_path):
    d = tmp_path / "g"
    shutil.copytree(TINY / "float32", d)
    p = d / "decoder.tflite"
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0xFF
    p.write_bytes(bytes(b))
    with pytest.raises(ManifestError, match="sha256"):
        load_manifest(d)
    m = json.loads((d / "manifest.json").read_text())
    m["format_version"] = 99
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ManifestError, match="version"):
        load_manifest(d)


def test_float32_graphs_equal_keras_frame_by_frame():
    from sscodec import paths
    from sscodec.converter.verify import load_clips, verify

    clips = load_clips([paths.SAMPLE_SPEECH], 16000, seconds=2.0)
    r = verify(TINY / "float32", TINY / "keras", clips, denoise_values=(0.0, 1.0), with_quality=False)
    assert r["passed"], r
    assert max(r["max_abs_error"].values()) <= 1e-4
    assert min(r["code_agreement_per_quantizer"]) == 1.0
    assert r["code_frames_tied"] == 0 and r["code_frames_differing_without_tie"] == 0
    # the RVQ's fewer-stage signatures were checked against the all-stage one, frame by frame
    assert r["rvq_stage_signatures"] == [1, 2] and r["rvq_stage_signature_mismatched_frames"] == 0


def test_verify_fails_a_stage_signature_that_computes_too_few_codes(tmp_path):
    """A manifest that maps 2 stages to the 1-stage signature gives wrong codes
    at n_q = 2: verify counts those frames and fails."""
    from sscodec import paths
    from sscodec.converter.verify import load_clips, verify

    d = tmp_path / "f32"
    shutil.copytree(TINY / "float32", d)
    m = json.loads((d / "manifest.json").read_text())
    sigs = m["graphs"]["rvq_encode"]["stage_signatures"]
    sigs[0]["signature"], sigs[1]["signature"] = sigs[1]["signature"], sigs[0]["signature"]
    (d / "manifest.json").write_text(json.dumps(m))
    clips = load_clips([paths.SAMPLE_SPEECH], 16000, seconds=1.0)
    r = verify(d, TINY / "keras", clips, denoise_values=(0.0,), with_quality=False)
    assert r["rvq_stage_signature_mismatched_frames"] > 0 and not r["passed"]


def test_float_code_differences_are_excused_only_at_distance_ties():
    """A float32 graph may pick the other of two equidistant codewords; anything else fails."""
    from sscodec.converter.verify import code_mismatch_frames

    rng = np.random.default_rng(0)
    cb0 = rng.normal(size=(8, 4)).astype(np.float32)
    cb0[5] = cb0[3]  # codewords 3 and 5 are identical: any residual ties between them
    cb1 = rng.normal(size=(8, 4)).astype(np.float32)
    emb = rng.normal(size=(3, 4)).astype(np.float32)
    k = np.array([[3, 1], [2, 0], [4, 4]])
    g = k.copy()
    assert code_mismatch_frames([cb0, cb1], emb, k, g) == ([], [])
    g[0] = [5, 6]  # tie at quantizer 0; quantizer 1 then differs too and is excused
    assert code_mismatch_frames([cb0, cb1], emb, k, g) == ([0], [])
    g[2, 1] = 7  # a plain flip at quantizer 1 of frame 2 (no tie)
    assert code_mismatch_frames([cb0, cb1], emb, k, g) == ([0, 2], [2])


def test_int8_report_has_snr_and_code_agreement():
    from sscodec import paths
    from sscodec.converter.verify import load_clips, verify

    clips = load_clips([paths.SAMPLE_SPEECH], 16000, seconds=1.0)
    r = verify(TINY / "int8", TINY / "keras", clips, denoise_values=(0.0,), with_quality=False)
    assert len(r["code_agreement_per_quantizer"]) == 4
    assert all(np.isfinite(v) for v in r["snr_vs_float_db"].values())
    assert min(r["snr_vs_float_db"].values()) > 5.0  # int8 stays close to float
    assert "code_frames_tied" not in r  # the float tie analysis means nothing for int8


def test_convert_float32_end_to_end(tmp_path):
    from sscodec.converter.convert import convert

    out = tmp_path / "out"
    convert(TINY / "keras", out, "float32")
    m = load_manifest(out)
    assert m.model["model_id"].startswith("tiny-")
    assert m.bitrate(4) == 4 * 6 * 50
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{r}.tflite" for r in GRAPH_ROLES] + ["manifest.json"])
    for role in GRAPH_ROLES:  # deterministic: same graphs as the committed ones
        assert m.graphs[role].sha256 == load_manifest(TINY / "float32").graphs[role].sha256


def _no_leftovers(parent: Path):
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name] == []


def test_bad_inputs_fail_cleanly(tmp_path):
    from sscodec.converter.convert import ConversionError, convert

    # output exists
    exists = tmp_path / "exists"
    exists.mkdir()
    with pytest.raises(ConversionError, match="already exists"):
        convert(TINY / "keras", exists, "float32")
    # missing weights
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(TINY / "keras" / "config.json", broken / "config.json")
    with pytest.raises(ConversionError, match="generator.weights.npz"):
        convert(broken, tmp_path / "o1", "float32")
    # weights that do not match the config
    mism = tmp_path / "mism"
    shutil.copytree(TINY / "keras", mism)
    cfg = json.loads((mism / "config.json").read_text())
    cfg["channels"] = 8
    (mism / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ConversionError, match="shape"):
        convert(mism, tmp_path / "o2", "float32")
    # calibration folder without usable audio
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no audio here")
    with pytest.raises(ConversionError, match="calibration"):
        convert(TINY / "keras", tmp_path / "o3", "int8", empty)
    with pytest.raises(ConversionError, match="calibration"):
        convert(TINY / "keras", tmp_path / "o4", "int8", None)
    for name in ("o1", "o2", "o3", "o4"):
        assert not (tmp_path / name).exists()
    assert _no_leftovers(tmp_path)


def test_cli_convert_errors_exit_nonzero(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "sscodec", "convert", str(tmp_path / "nope"), str(tmp_path / "out")],
        capture_output=True, text=True,
    )
    assert r.returncode == 1 and "error:" in r.stderr and not (tmp_path / "out").exists()
    r = subprocess.run([sys.executable, "-m", "sscodec", "verify", str(tmp_path / "nope")], capture_output=True, text=True)
    assert r.returncode == 2 and "error:" in r.stderr
