"""PNG plots: rate-quality curves per metric, per-stage time bars."""

from __future__ import annotations

from pathlib import Path


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def rate_quality(eval_doc: dict, path) -> Path:
    plt = _plt()
    rows = eval_doc["sets"]["speech_heldout"]["results"]
    metrics = [("visqol", "ViSQOL MOS-LQO"), ("pesq", "PESQ-WB"), ("stoi", "STOI"), ("mel_distance", "log-mel distance (lower better)")]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    series = {}
    for r in rows:
        key = r["codec"] + (f" {r['precision']}" if r.get("precision") else "")
        series.setdefault(key, []).append(r)
    for ax, (m, title) in zip(axes.flat, metrics):
        for key, rs in series.items():
            pts = sorted((r["bitrate_bps"] / 1000, r["metrics"].get(m)) for r in rs if r["metrics"].get(m) is not None)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=key)
        ax.set_title(title)
        ax.set_xlabel("kbps")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Rate-quality, held-out speech" + (" (quick run: numbers not meaningful)" if eval_doc.get("quick") else ""))
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def packet_loss(eval_doc: dict, path) -> Path | None:
    pl = eval_doc.get("packet_loss")
    if not pl:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, m in zip(axes, ("pesq", "stoi")):
        for codec in ("sscodec", "opus"):
            pts = [(e["loss_rate"] * 100, e[codec]["metrics"].get(m)) for e in pl["rates"] if codec in e]
            pts = [p for p in pts if p[1] is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=codec)
        ax.set_xlabel("packet loss %")
        ax.set_title(m.upper())
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def stage_times(bench_doc: dict, path) -> Path:
    plt = _plt()
    import numpy as np

    stages = ("encoder", "rvq_encode", "rvq_decode", "decoder")
    bars = []
    for p, d in bench_doc["sscodec"].items():
        for path_name in ("native_scheduler", "native_runners", "python_interpreter"):
            if path_name in d:
                bars.append((f"sscodec {p}\n{path_name}", [d[path_name].get(s, {}).get("median_ms", 0) for s in stages]))
    ly = bench_doc.get("lyra_v2") or {}
    for path_name in ("native_scheduler", "native_runners", "python_interpreter"):
        if path_name in ly:
            bars.append((f"lyra v2\n{path_name}", [ly[path_name].get(s, {}).get("median_ms", 0) for s in stages]))
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(bars) + 1.5))
    left = np.zeros(len(bars))
    for i, s in enumerate(stages):
        vals = np.array([b[1][i] for b in bars])
        ax.barh(range(len(bars)), vals, left=left, label=s)
        left += vals
    op = bench_doc.get("opus")
    if op:
        ax.axvline(op["opuslib"]["total"]["median_ms"], color="k", ls="--", lw=1, label="Opus enc+dec")
    ax.set_yticks(range(len(bars)))
    ax.set_yticklabels([b[0] for b in bars], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("median ms per 20 ms frame (1 thread)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Per-stage time per frame")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
