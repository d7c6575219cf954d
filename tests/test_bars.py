"""benchmarks/bars.py: paired per-clip differences and the three bar verdicts,
on hand-made ``sscodec-eval/1`` rows whose answers are known."""

import json

import numpy as np
import pytest

from sscodec.benchmarks import bars, report


def _row(codec, bps, per_clip, precision="float32", **extra):
    """An eval result row with per-clip scores; per_clip: {metric: [scores]}."""
    n = len(next(iter(per_clip.values())))
    clips = [{m: v[i] for m, v in per_clip.items()} for i in range(n)]
    metrics = {m: float(np.mean([x for x in v if x is not None])) for m, v in per_clip.items()}
    label = f"{codec} {precision or ''} {bps / 1000:g}k".replace("  ", " ")
    return {"label": label, "codec": codec, "precision": precision, "bitrate_bps": bps,
            "metrics": metrics, "clips": clips, **extra}


def _scores(base, step, n=6):
    """ViSQOL/PESQ/STOI per clip: a clip-dependent base plus ``step``."""
    clip = np.linspace(0, 0.5, n)
    return {"visqol": list(base + step + clip), "pesq": list(base + step + clip),
            "stoi": list(0.8 + step / 10 + clip / 10)}


def test_paired_difference_mean_interval_and_significance():
    a = [2.0, 2.5, 3.0, 3.5]
    b = [1.0, 1.4, 2.1, 2.5]  # every pair +0.9..+1.1
    d = bars.paired_difference(a, b)
    assert d["mean"] == pytest.approx(1.0)
    assert d["clips"] == 4 and d["significant"]
    assert 0.9 <= d["ci95"][0] <= d["mean"] <= d["ci95"][1] <= 1.1
    noisy = bars.paired_difference([1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0])
    assert noisy["mean"] == 0 and not noisy["significant"]
    # a clip without a score is left out of the pairs, not counted as 0
    assert bars.paired_difference([1.0, None, 3.0], [0.0, 5.0, 2.0])["clips"] == 2
    assert bars.paired_difference([None], [1.0]) is None


def test_rising_ladder_meets_the_bar_and_one_dip_breaks_it():
    rows = [_row("sscodec", bps, _scores(1.0, k * 0.2)) for k, bps in enumerate((3000, 6000, 9000, 12000))]
    m = bars.judge_monotonic(rows)
    assert m["met"] is True
    assert [s["to"] for s in m["precisions"]["float32"]["steps"]] == ["sscodec float32 6k", "sscodec float32 9k",
                                                                     "sscodec float32 12k"]
    dip = _scores(1.0, 0.2)
    dip["visqol"] = [v - 0.5 for v in dip["visqol"]]  # 9k's ViSQOL below 6k's
    rows[2] = _row("sscodec", 9000, dip)
    m = bars.judge_monotonic(rows)
    assert m["met"] is False
    assert [s["rises"] for s in m["precisions"]["float32"]["steps"]] == [True, False, True]


def test_opus_bar_needs_every_metric_and_the_visqol_floor():
    opus = _row("opus", 6000, _scores(1.5, 0.0), precision=None)
    better_but_low = _row("sscodec", 6000, _scores(1.5, 0.3))
    o = bars.judge_opus_6k([better_but_low, opus])
    assert all(d["mean"] > 0 for d in o["differences"].values())
    assert o["visqol_floor_met"] is False and o["met"] is False
    good = _row("sscodec", 6000, _scores(3.0, 0.3))
    opus_hi = _row("opus", 6000, _scores(3.0, 0.0), precision=None)
    assert bars.judge_opus_6k([good, opus_hi])["met"] is True
    assert bars.judge_opus_6k([good]) is None  # no Opus row (opuslib missing): no verdict


def test_denoise_bar_per_side_and_rows_without_clips_are_undetermined():
    off = _row("sscodec", 6000, _scores(1.4, 0.0), denoise=False, denoise_side=None)
    enc = _row("sscodec", 6000, _scores(1.4, 0.1), denoise=True, denoise_side="encoder")
    dec = _row("sscodec", 6000, _scores(1.4, -0.1), denoise=True, denoise_side="decoder")
    d = bars.judge_denoise([off, enc, dec])
    assert list(d["sides"]) == ["encoder", "decoder"]
    assert d["sides"]["encoder"]["met"] is True and d["sides"]["decoder"]["met"] is False
    assert d["met"] is False
    old = [dict(r, clips=None) for r in (off, enc)]  # an eval.json from before per-clip noisy scores
    assert bars.judge_denoise(old)["met"] is None


def test_judge_is_json_and_the_markdown_names_every_bar():
    speech = [_row("sscodec", bps, _scores(1.0, k * 0.1)) for k, bps in enumerate((3000, 6000, 9000, 12000))]
    speech.append(_row("opus", 6000, _scores(1.6, 0.0), precision=None))
    noisy = [_row("sscodec", 6000, _scores(1.4, 0.0), denoise=False, denoise_side=None),
             _row("sscodec", 6000, _scores(1.4, 0.05), denoise=True, denoise_side="encoder")]
    doc = {"sets": {"speech_heldout": {"results": speech}, "noisy_speech": {"results": noisy}}}
    b = json.loads(json.dumps(bars.judge(doc)))
    assert b["opus_6k"]["met"] is False and b["monotonic"]["met"] is True and b["denoise"]["met"] is True
    text = "\n".join(report.bars_markdown(b))
    assert "6 kbps beats Opus" in text and "rises with bitrate (float32)" in text and "denoise helps" in text
    assert text.count("**met**") == 2 and text.count("**not met**") == 1
    assert bars.judge({"sets": {}}) == {"method": b["method"], "opus_6k": None, "monotonic": None, "denoise": None}
