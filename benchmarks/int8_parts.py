"""Which half of the codec can be integer? Encoder × decoder precision combinations.

``python -m sscodec.benchmarks.int8_parts NAME=GRAPH_DIR [NAME=GRAPH_DIR ...] [--clips 8]
[--seconds 4] [--kbps 6] [--out benchmarks/results/int8_parts.json]``

Each GRAPH_DIR is a converted model folder (``sscodec convert``) of the SAME weights,
e.g. ``float32=models/speech16k/float32`` and ``int8-full=/tmp/int8_full`` (made with
``sscodec convert KERAS_DIR /tmp/int8_full --precision int8 --int8-decoder int8``).
Every held-out clip is encoded frame by frame with each folder's encoder + RVQ graphs
and decoded with each folder's decoder (Python LiteRT Interpreter, explicit states,
:class:`sscodec.converter.verify.GraphStream`), so each combination's cost is seen
separately. Scores (delay-aligned, against the input): ViSQOL (speech, lattice),
PESQ-WB, STOI, log-mel distance; the first NAME is the reference for the deltas.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

METRICS = ("visqol", "pesq", "stoi", "mel_distance")


def run_combinations(folders: dict, clips, n_q: int) -> dict:
    """{(encoder_name, decoder_name): mean metrics} over ``clips`` [(source, name, x)]."""
    from ..converter.verify import GraphStream
    from ..manifest import load_manifest
    from .quality import mean_metrics, score

    streams = {k: GraphStream(load_manifest(d)) for k, d in folders.items()}
    fs = next(iter(streams.values())).m.frame_size
    rows = {}
    for _, _, x in clips:
        x = np.asarray(x[: len(x) // fs * fs], np.float32)
        n = len(x) // fs
        codes = {}
        for e, st in streams.items():
            st.reset()
            codes[e] = [st.encode_frame(x[i * fs : (i + 1) * fs])[1] for i in range(n)]
        for e in streams:
            for d, st in streams.items():
                st.reset()
                y = np.concatenate([st.decode_frame(codes[e][i], n_q) for i in range(n)])
                rows.setdefault((e, d), []).append(score(x, y))
    return {k: mean_metrics(v) for k, v in rows.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sscodec.benchmarks.int8_parts", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", metavar="NAME=GRAPH_DIR")
    p.add_argument("--data", default="/work/data/speech_heldout")
    p.add_argument("--clips", type=int, default=8)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--kbps", type=float, default=6.0, help="code bitrate (default 6)")
    p.add_argument("--out", help="write the results as JSON")
    a = p.parse_args(argv)

    from ..manifest import ManifestError, load_manifest
    from .common import git_commit, machine_info
    from .quality import clip_set

    folders = {}
    for spec in a.folders:
        name, sep, path = spec.partition("=")
        if not sep or not name or not Path(path).is_dir():
            print(f"error: {spec!r}: expected NAME=GRAPH_DIR (an existing folder)", file=sys.stderr)
            return 2
        folders[name] = path
    try:
        ms = {k: load_manifest(d) for k, d in folders.items()}
    except ManifestError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if len({m.model_id for m in ms.values()}) != 1:
        print("error: the folders were converted from different weights (model ids differ)", file=sys.stderr)
        return 1
    m0 = next(iter(ms.values()))
    from ..models.config import ModelConfig  # stdlib only: no TensorFlow

    try:
        n_q = ModelConfig.from_dict(m0.model["config"]).quantizers_for_bitrate(a.kbps * 1000)
    except ValueError as e:
        print(f"error: --kbps {a.kbps:g}: {e}", file=sys.stderr)
        return 2
    if not Path(a.data).is_dir():
        print(f"error: {a.data}: no such folder", file=sys.stderr)
        return 1
    clips = clip_set(a.data, a.clips, a.seconds, 0, quick=False)
    res = run_combinations(folders, clips, n_q)
    ref = res[(next(iter(folders)), next(iter(folders)))]
    print(f"{'encoder':14s} {'decoder':14s}  ViSQOL   PESQ   STOI    mel   (delta vs {next(iter(folders))})")
    table = []
    for (e, d), m in res.items():
        delta = {k: None if m[k] is None or ref[k] is None else round(m[k] - ref[k], 4) for k in METRICS}
        table.append({"encoder": e, "decoder": d, **m, "delta": delta})
        print(f"{e:14s} {d:14s}  " + "  ".join(f"{m[k]:.3f}" for k in METRICS)
              + "   (" + ", ".join(f"{delta[k]:+.3f}" for k in METRICS) + ")")
    if a.out:
        doc = {"schema": "sscodec-int8-parts/1", "commit": git_commit(), "machine": machine_info(),
               "model_id": m0.model_id, "folders": folders, "bitrate_bps": m0.bitrate(n_q), "quantizers": n_q,
               "clips": [f"{s}/{n}" for s, n, _ in clips], "seconds": a.seconds, "results": table}
        Path(a.out).write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
