"""The default model's quality bars, judged from one ``sscodec eval`` result.

The bars (models/speech16k/MODEL_CARD.md, "Bars"), all on held-out speech in
the same run:

- ``opus_6k``: sscodec at 6 kbps beats Opus at 6 kbps on ViSQOL, PESQ-WB and
  STOI, and its ViSQOL is at least 3.0;
- ``monotonic``: ViSQOL, PESQ-WB and STOI rise 3 → 6 → 9 → 12 kbps (one model,
  each precision judged on its own);
- ``denoise``: on noisy input (held-out noise, 0–10 dB SNR) the denoise flag
  raises ViSQOL and PESQ-WB against the clean speech, with the flag at the
  encoder and at the decoder.

Each comparison is a paired per-clip difference (the same clips through both
configurations), reported as its mean and a 95 % percentile-bootstrap interval
over clips. A bar is "met" (True) when every mean difference it needs points the
right way, False when one does not, and None when a difference could not be
computed (rows without per-clip scores). Each difference also says whether its
interval excludes zero ("significant"), so a verdict that rests on differences
inside the clip-to-clip noise is visible as such.
"""

from __future__ import annotations

import numpy as np

BAR_METRICS = ("visqol", "pesq", "stoi")
DENOISE_METRICS = ("visqol", "pesq")
VISQOL_FLOOR = 3.0
BOOTSTRAP_SAMPLES = 2000


def paired_difference(a, b, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> dict | None:
    """Mean of ``a[i] - b[i]`` over the clips where both are scored, with a 95 %
    percentile-bootstrap interval over clips.

    a, b: per-clip scores [n_clips] (None where a metric was not computed).
    Returns {"mean", "ci95": [low, high], "clips", "significant"}, or None when no
    clip has both scores."""
    pairs = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    if not pairs:
        return None
    d = np.array([x - y for x, y in pairs], np.float64)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(samples, len(d)))].mean(axis=1)
    lo, hi = (float(v) for v in np.percentile(means, [2.5, 97.5]))
    return {"mean": round(float(d.mean()), 4), "ci95": [round(lo, 4), round(hi, 4)], "clips": len(d),
            "significant": bool(lo > 0 or hi < 0)}


def _per_clip(row, metric):
    return [c.get(metric) for c in row.get("clips") or []]


def _compare(row_a, row_b, metrics) -> dict:
    """{metric: paired difference of row_a − row_b} from two eval result rows."""
    return {m: paired_difference(_per_clip(row_a, m), _per_clip(row_b, m)) for m in metrics}


def _rises(diffs: dict) -> bool | None:
    """True when every mean difference is positive; None when one could not be computed
    (a row without per-clip scores), so a missing number is never read as a verdict."""
    if any(d is None for d in diffs.values()):
        return None
    return all(d["mean"] > 0 for d in diffs.values())


def _all(verdicts) -> bool | None:
    """False if any verdict is False, else None if any is None, else True."""
    verdicts = list(verdicts)
    if any(v is False for v in verdicts):
        return False
    return None if any(v is None for v in verdicts) else True


def judge_opus_6k(rows) -> dict | None:
    """The 6 kbps bar from the speech_heldout rows, or None without both rows."""
    ours = next((r for r in rows if r["codec"] == "sscodec" and r["precision"] == "float32"
                 and r["bitrate_bps"] == 6000), None)
    opus = next((r for r in rows if r["codec"] == "opus" and r["bitrate_bps"] == 6000), None)
    if ours is None or opus is None:
        return None
    diffs = _compare(ours, opus, BAR_METRICS)
    visqol = ours["metrics"].get("visqol")
    floor = visqol is not None and visqol >= VISQOL_FLOOR
    return {"sscodec": ours["label"], "opus": opus["label"], "differences": diffs,
            "visqol": visqol, "visqol_floor": VISQOL_FLOOR, "visqol_floor_met": floor,
            "met": _all([_rises(diffs), floor])}


def judge_monotonic(rows) -> dict | None:
    """The bitrate-ladder bar per sscodec precision, or None with fewer than two rates."""
    out = {}
    for prec in sorted({r["precision"] for r in rows if r["codec"] == "sscodec"}):
        ladder = sorted((r for r in rows if r["codec"] == "sscodec" and r["precision"] == prec),
                        key=lambda r: r["bitrate_bps"])
        if len(ladder) < 2:
            continue
        steps = [{"from": lo["label"], "to": hi["label"], "differences": _compare(hi, lo, BAR_METRICS)}
                 for lo, hi in zip(ladder, ladder[1:])]
        for s in steps:
            s["rises"] = _rises(s["differences"])
        out[prec] = {"steps": steps, "met": _all(s["rises"] for s in steps)}
    if not out:
        return None
    return {"precisions": out, "met": _all(p["met"] for p in out.values())}


def judge_denoise(rows) -> dict | None:
    """The denoise bar from the noisy_speech rows (flag off against each side), or None."""
    ours = [r for r in rows if r.get("codec") == "sscodec"]
    off = next((r for r in ours if not r.get("denoise")), None)
    sides = {r["denoise_side"]: r for r in ours if r.get("denoise")}  # in the eval's order
    if off is None or not sides:
        return None
    out = {}
    for side, row in sides.items():
        diffs = _compare(row, off, DENOISE_METRICS)
        out[side] = {"label": row["label"], "differences": diffs, "met": _rises(diffs)}
    return {"off": off["label"], "sides": out, "met": _all(s["met"] for s in out.values())}


def judge(result: dict) -> dict:
    """{"opus_6k", "monotonic", "denoise"} verdicts from an ``sscodec-eval/1`` dict; a bar
    whose rows the run lacks (Opus unavailable, no noisy set, quick mode) is None."""
    sets = result.get("sets") or {}
    speech = (sets.get("speech_heldout") or {}).get("results") or []
    noisy = (sets.get("noisy_speech") or {}).get("results") or []
    return {"method": "paired per-clip differences, mean and 95 % percentile bootstrap over clips "
                      f"({BOOTSTRAP_SAMPLES} resamples); a bar is met when every mean points the right way",
            "opus_6k": judge_opus_6k(speech), "monotonic": judge_monotonic(speech), "denoise": judge_denoise(noisy)}
