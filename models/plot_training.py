"""Plot a training run's loss curve (and eval history) to a PNG.

``python -m sscodec.models.plot_training RUN_DIR OUT.png``
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .csv_table import read_rows


def plot_run(run_dir, out_png, log_name="log.csv", eval_name="eval.csv", title=None):
    """Plot ``run_dir/log_name`` (training losses) and ``run_dir/eval_name`` (held-out
    mel distance, if present) side by side to ``out_png``; ``title`` names the run
    (default: the folder's name)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Path(run_dir)
    _, rows = read_rows(run / log_name)
    steps = [int(r["step"]) for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    for key in ("mel", "g_adv", "feat", "d_loss"):
        vals = [(s, float(r[key])) for s, r in zip(steps, rows) if r.get(key)]
        if vals:
            xs, ys = zip(*vals)
            ax.plot(xs, ys, label=key, lw=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(f"training losses ({title or run.name})")
    ax.legend()
    ax.grid(alpha=0.3)
    ax = axes[1]
    ev = run / eval_name
    if ev.is_file():
        _, erows = read_rows(ev)
        for key in sorted({k for r in erows for k, v in r.items() if v and k.startswith("mel_q")}):
            vals = [(int(r["step"]), float(r[key])) for r in erows if r.get(key)]
            if vals:
                xs, ys = zip(*vals)
                ax.plot(xs, ys, "o-", label=key)
    ax.set_xlabel("step")
    ax.set_ylabel("held-out log-mel distance (lower is better)")
    ax.set_title("held-out eval")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return out_png


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sscodec.models.plot_training", description=__doc__)
    p.add_argument("run_dir")
    p.add_argument("out_png")
    a = p.parse_args(argv)
    print(plot_run(a.run_dir, a.out_png))


if __name__ == "__main__":
    main()
