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

``--noisy N`` adds the denoise check: N held-out speech clips mixed with held-out noise
(``--noise``, 0–10 dB SNR, :func:`sscodec.models.data.noisy_eval_pairs`), decoded at the
~6 kbps quantizer count with the denoise flag off, on the encoder side and on the
decoder side, each scored against the clean speech (rows ``dn off`` / ``dn enc`` /
``dn dec``; the JSON also holds the noisy input's own scores).

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

        from .checkpoint import checkpoint_file

        ckpt = checkpoint_file(path, int(step))
        if not ckpt.is_file():
            raise FileNotFoundError(f"{spec}: no checkpoint {ckpt.name} in {path}")
        with tempfile.TemporaryDirectory() as tmp:
            export_checkpoint(path, Path(tmp) / "m", int(step))
            return f"{Path(path).name}@{int(step)}", load_model_dir(Path(tmp) / "m"), load_run_info(Path(tmp) / "m")
    if not Path(spec).is_dir():
        raise FileNotFoundError(f"{spec}: neither a model directory nor RUN_DIR:STEP")
    return spec, load_model_dir(spec), load_run_info(spec)


def load_at_bitrate(spec: str, kbps: float):
    """(label, generator, n_q) for :func:`load_generator`'s ``spec`` decoding at ``kbps``, or
    None after printing a one-line error (missing model, bitrate outside its range) — the
    probes then exit 1."""
    try:
        label, gen, _ = load_generator(spec)
        return label, gen, gen.cfg.quantizers_for_bitrate(kbps * 1000)
    except Exception as e:  # noqa: BLE001 - one clear line, non-zero exit
        print(f"error: {spec}: {e}", file=sys.stderr)
        return None


DENOISE_SIDES = {"off": (0.0, 0.0), "enc": (1.0, 0.0), "dec": (0.0, 1.0)}


def decode(gen, x, n_q, denoise="off"):
    """audio [T] → decoded audio [T] with the first ``n_q`` quantizers, or without the
    RVQ (the embeddings decoded as they are) for ``n_q = None``. ``denoise``: ``"off"``,
    ``"enc"`` or ``"dec"`` — which side's FiLM gets the denoise flag (see DENOISE_SIDES)."""
    enc_flag, dec_flag = (np.array([f], np.float32) for f in DENOISE_SIDES[denoise])
    if n_q is None:
        y = gen.decode_offline(gen.encode_offline(x[None], enc_flag), dec_flag)
    else:
        y = gen(x[None], n_q=np.array([n_q], np.int32), enc_flag=enc_flag, dec_flag=dec_flag, training=False)["audio"]
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


def score_denoise(gen, pairs, n_q, with_visqol=True) -> dict:
    """{"off" | "enc" | "dec": {metric: mean}} on (noisy, clean) pairs, each decoded with
    ``n_q`` quantizers and scored against the clean speech."""
    from ..benchmarks.quality import mean_metrics, score

    sr = gen.cfg.sample_rate
    return {side: mean_metrics([score(clean, decode(gen, noisy, n_q, side), sr, with_visqol=with_visqol)
                                for noisy, clean in pairs])
            for side in DENOISE_SIDES}


def six_kbps_quantizers(cfg) -> int:
    """The eval quantizer count nearest 6 kbps (the denoise bar's bitrate)."""
    return min(cfg.eval_quantizer_counts(), key=lambda q: abs(cfg.bitrate(q) - 6000))


def add_heldout_arguments(p, clips: int) -> None:
    """The held-out clip options shared by the offline model probes: --data, --clips,
    --seconds, --seed (see :func:`sscodec.benchmarks.quality.clip_set`)."""
    p.add_argument("--data", default="/work/data/speech_heldout", help="held-out speech folder (one sub-folder per source)")
    p.add_argument("--clips", type=int, default=clips)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=0)


def add_probe_arguments(p, clips: int) -> None:
    """The options of the decoded-clip probes (benchmarks/visqol_probe, harmonic_probe): the
    held-out clip options, --kbps (the bitrate to decode at) and --out (JSON)."""
    add_heldout_arguments(p, clips)
    p.add_argument("--kbps", type=float, default=12.0, help="bitrate to decode at (default 12)")
    p.add_argument("--out", help="write the results as JSON here")


def heldout_clips(a):
    """[(source, name, audio)] for the options of :func:`add_heldout_arguments`, or None
    after printing a one-line error for a missing folder or no clips long enough (the
    command then exits 1)."""
    from ..benchmarks.quality import clip_set

    if not Path(a.data).is_dir():
        print(f"error: {a.data}: no such folder (build it with python -m sscodec.models.prepare_data)", file=sys.stderr)
        return None
    clips = clip_set(a.data, a.clips, a.seconds, a.seed, quick=False)
    if not clips:
        print(f"error: no clips of {a.seconds:g} s in {a.data}", file=sys.stderr)
        return None
    return clips


def _row(label, tag, m):
    vals = [m.get(k) for k in ("visqol", "pesq", "stoi", "mel_distance")]
    print(label[:40].ljust(40), tag.rjust(6), "  ".join("  —  " if v is None else f"{v:.3f}" for v in vals), flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sscodec.models.compare_checkpoints", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", help="model directories or RUN_DIR:STEP checkpoints")
    add_heldout_arguments(p, clips=8)
    p.add_argument("--no-visqol", action="store_true", help="skip ViSQOL (faster)")
    p.add_argument("--unquantized", action="store_true", help="also score the embeddings decoded without the RVQ (n_q -)")
    p.add_argument("--noisy", type=int, default=0, metavar="N",
                   help="also score denoise off / encoder side / decoder side on N noisy held-out clips")
    p.add_argument("--noise", default="/work/data/noise_heldout", help="held-out noise folder for --noisy")
    p.add_argument("--out", help="write the results as JSON here")
    a = p.parse_args(argv)

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    clips = heldout_clips(a)
    if clips is None:
        return 1
    results = {"clips": [f"{s}/{n}" for s, n, _ in clips], "seconds": a.seconds, "models": {}}
    pairs = []
    if a.noisy > 0:
        from .data import noisy_eval_pairs

        if not Path(a.noise).is_dir():
            print(f"error: {a.noise}: no such folder (held-out noise for --noisy)", file=sys.stderr)
            return 1
        pairs = noisy_eval_pairs(a.data, a.noise, a.noisy, a.seconds, snr_db_range=(0, 10), seed=a.seed)
        from ..benchmarks.quality import mean_metrics, score

        results["noisy"] = {"clips": len(pairs), "snr_db": [0, 10], "noise": str(a.noise),
                            "input": mean_metrics([score(c, n, with_visqol=not a.no_visqol) for n, c in pairs])}
    print("model".ljust(40), "n_q".rjust(6), "ViSQOL  PESQ   STOI   mel", flush=True)
    if pairs:
        _row("noisy input (no codec)", "-", results["noisy"]["input"])
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
            _row(label, "-" if n_q is None else str(n_q), m)
        if pairs:
            q6 = six_kbps_quantizers(gen.cfg)
            dn = score_denoise(gen, pairs, q6, with_visqol=not a.no_visqol)
            results["models"][label]["denoise"] = {"n_q": q6, **dn}
            for side, m in dn.items():
                _row(label, f"dn {side}", m)
    if a.out:
        Path(a.out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
