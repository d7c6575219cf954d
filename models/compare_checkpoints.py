"""Compare trained models offline on held-out speech, to pick the checkpoint to ship.

``python -m sscodec.models.compare_checkpoints MODEL_DIR_OR_RUN:STEP [...] [--clips 8]
[--seconds 4] [--data /work/data/speech_heldout] [--out compare.json]``

Each argument is an exported model directory (``config.json`` +
``generator.weights.npz``, e.g. ``models/speech16k/keras``) or ``RUN_DIR:STEP``, a
trainer checkpoint (``RUN_DIR/ckpt_<STEP>.npz``; a folder of kept checkpoints works
too). Every model runs the same clips through the offline Keras generator at the
eval quantizer counts (3 / 6 / 12 kbps for speech16k); each decoded clip is
delay-aligned and scored with ViSQOL (speech, lattice), PESQ-WB, STOI and log-mel
distance (:func:`sscodec.benchmarks.quality.score`). Clips: ``--clips`` spread evenly
over the sub-folders of ``--data`` (one per source), the first ``--seconds`` of
files long enough, chosen with ``--seed`` — the same clips for every model.

``--unquantized`` adds a row ``n_q = -`` per model that decodes the encoder's embeddings
without the RVQ: the ceiling the autoencoder alone reaches, to tell whether the quantizer
or the encoder/decoder limits quality.

Prints one table row per model and quantizer count; ``--out`` saves all numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np


def load_generator(spec: str):
    """``MODEL_DIR`` or ``RUN_DIR:STEP`` -> (label, SoundStream generator, run info dict).

    Raises FileNotFoundError for a missing folder or checkpoint."""
    from .model_io import load_model_dir, load_run_info

    path, sep, step = spec.rpartition(":")
    if sep and step.isdigit() and Path(path).is_dir():
        from .export import export_checkpoint

        if not (Path(path) / f"ckpt_{int(step):08d}.npz").is_file():
            raise FileNotFoundError(f"{spec}: no checkpoint ckpt_{int(step):08d}.npz in {path}")
        with tempfile.TemporaryDirectory() as tmp:
            export_checkpoint(path, Path(tmp) / "m", int(step))
            return f"{Path(path).name}@{int(step)}", load_model_dir(Path(tmp) / "m"), load_run_info(Path(tmp) / "m")
    if not Path(spec).is_dir():
        raise FileNotFoundError(f"{spec}: neither a model directory nor RUN_DIR:STEP")
    return spec, load_model_dir(spec), load_run_info(spec)


def decode(gen, x, n_q):
    """audio [T] → decoded audio [T] with the first ``n_q`` quantizers, or without the
    RVQ (the embeddings decoded as they are) for ``n_q = None``."""
    if n_q is None:
        y = gen.decode_offline(gen.encode_offline(x[None]))
    else:
        y = gen(x[None], n_q=np.array([n_q], np.int32), training=False)["audio"]
    return np.asarray(y, np.float32)[0]


def score_model(gen, clips, quantizer_counts, with_visqol=True) -> dict:
    """{n_q: {metric: mean over clips}} for one generator; clips are [(source, name, x)];
    an ``n_q`` of None scores the unquantized embeddings (see :func:`decode`)."""
    from ..benchmarks.quality import mean_metrics, score

    out = {}
    for n_q in quantizer_counts:
        rows = [score(x, decode(gen, x, n_q), gen.cfg.sample_rate, with_visqol=with_visqol) for _, _, x in clips]
        out[n_q] = mean_metrics(rows)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sscodec.models.compare_checkpoints", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", help="model directories or RUN_DIR:STEP checkpoints")
    p.add_argument("--data", default="/work/data/speech_heldout", help="held-out speech folder (one sub-folder per source)")
    p.add_argument("--clips", type=int, default=8)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-visqol", action="store_true", help="skip ViSQOL (faster)")
    p.add_argument("--unquantized", action="store_true", help="also score the embeddings decoded without the RVQ (n_q -)")
    p.add_argument("--out", help="write the results as JSON here")
    a = p.parse_args(argv)

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from ..benchmarks.quality import clip_set

    if not Path(a.data).is_dir():
        print(f"error: {a.data}: no such folder (build it with python -m sscodec.models.prepare_data)", file=sys.stderr)
        return 1
    clips = clip_set(a.data, a.clips, a.seconds, a.seed, quick=False)
    if not clips:
        print(f"error: no clips of {a.seconds:g} s in {a.data}", file=sys.stderr)
        return 1
    results = {"clips": [f"{s}/{n}" for s, n, _ in clips], "seconds": a.seconds, "models": {}}
    print("model".ljust(40), "n_q", "  ViSQOL  PESQ   STOI   mel", flush=True)
    for spec in a.models:
        try:
            label, gen, _ = load_generator(spec)
        except Exception as e:  # noqa: BLE001 - one clear line, non-zero exit
            print(f"error: {spec}: {e}", file=sys.stderr)
            return 1
        counts = gen.cfg.eval_quantizer_counts() + ([None] if a.unquantized else [])
        res = score_model(gen, clips, counts, with_visqol=not a.no_visqol)
        results["models"][label] = {("none" if k is None else str(k)): v for k, v in res.items()}
        for n_q, m in res.items():
            vals = [m.get(k) for k in ("visqol", "pesq", "stoi", "mel_distance")]
            print(label[:40].ljust(40), "  -" if n_q is None else f"{n_q:3d}", "  ".join("  —  " if v is None else f"{v:.3f}" for v in vals), flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
