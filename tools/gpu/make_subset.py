"""Build a compact training subset (16 kHz mono FLAC) for a GPU training burst.

    python tools/gpu/make_subset.py /work/data .gpu/data [--megabytes 30] [--seed 0]

Reads only the training folders of a data tree laid out as
``sscodec.models.prepare_data`` makes it (``speech_train/<source>/``,
``noise_train/<source>/``, ``music_train/<source>/``; files may sit in sub-folders
of a source) and never the held-out ones (``speech_heldout``, ``noise_heldout``,
``music_eval``). The byte budget (MiB of FLAC output) is split between the kinds
(default 70/15/15 % speech/noise/music) and, within a kind, equally between its
sources: sources are filled smallest first and each gets an equal share of what
its kind has left, so a source too small for its share passes the rest on.
Files are drawn whole, in an order fixed by ``--seed``, decoded to 16 kHz mono
and encoded as FLAC (PCM_16); a source stops at the first file that no longer
fits (a source with no file yet tries the next one instead).

The output keeps the layout (``OUT/speech_train/<source>/...flac``) and holds
``subset.json`` (every file with its origin, seconds and bytes; minutes and bytes
per folder and per kind). Runs on the development machine (needs soundfile and
soxr), never on the GPU machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sys
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
KINDS = ("speech_train", "noise_train", "music_train")
HELD_OUT = ("speech_heldout", "noise_heldout", "music_eval")
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga")
MIN_SECONDS = 0.25  # what sscodec.models.data.load_audio_folder would skip anyway
SILENCE_PEAK = 1e-3
MIB = 1 << 20


class SubsetError(Exception):
    """Bad arguments or an unusable data folder."""


def list_audio(folder: Path) -> list[Path]:
    """Audio files under ``folder`` (recursive, sorted, hidden files skipped)."""
    out = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for n in sorted(names):
            if n.lower().endswith(AUDIO_EXTENSIONS) and not n.startswith("."):
                out.append(Path(root, n))
    return out


def decode(path: Path) -> np.ndarray:
    """Mono float32 at 16 kHz, clipped to [-1, 1]."""
    import soundfile as sf

    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    x = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
    if sr != SAMPLE_RATE:
        import soxr

        x = soxr.resample(x, sr, SAMPLE_RATE, quality="HQ")
    return np.clip(np.ascontiguousarray(x, dtype=np.float32), -1.0, 1.0)


def flac_bytes(x: np.ndarray) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, x, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return buf.getvalue()


def _check_not_held_out(path: Path, data: Path) -> None:
    rel = set(path.relative_to(data).parts) | set(path.resolve().parts)
    if rel & set(HELD_OUT):
        raise SubsetError(f"refusing held-out audio: {path}")


def fill_source(src_dir: Path, data: Path, out: Path, budget: int, seed: int, log) -> dict:
    """Copy whole files of one source, seeded order, until ``budget`` bytes are spent."""
    rel_src = src_dir.relative_to(data).as_posix()
    files = list_audio(src_dir)
    random.Random(f"{seed}:{rel_src}").shuffle(files)
    used, seconds, taken, skipped, names = 0, 0.0, [], 0, set()
    for f in files:
        _check_not_held_out(f, data)
        try:
            x = decode(f)
        except Exception as exc:  # unreadable file: note it, keep going
            log(f"  skip unreadable {f}: {type(exc).__name__}: {exc}")
            skipped += 1
            continue
        if len(x) < MIN_SECONDS * SAMPLE_RATE or not np.all(np.isfinite(x)) or float(np.max(np.abs(x))) < SILENCE_PEAK:
            skipped += 1
            continue
        blob = flac_bytes(x)
        if used + len(blob) > budget:
            if taken:
                break  # budget spent: stop encoding files of this source
            continue  # first pick larger than the whole share: try the next file
        rel = f.relative_to(src_dir).with_suffix(".flac")
        if rel.as_posix() in names:  # a.wav and a.ogg in one folder
            rel = f.relative_to(src_dir).with_name(f.name + ".flac")
        names.add(rel.as_posix())
        dst = out / rel_src / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(blob)
        used += len(blob)
        seconds += len(x) / SAMPLE_RATE
        taken.append({"path": (Path(rel_src) / rel).as_posix(), "from": f.relative_to(data).as_posix(),
                      "seconds": round(len(x) / SAMPLE_RATE, 3), "bytes": len(blob)})
    return {"files": taken, "bytes": used, "seconds": seconds, "budget_bytes": int(budget),
            "candidates": len(files), "skipped": skipped}


def make_subset(data, out, megabytes=30.0, seed=0, shares=(70.0, 15.0, 15.0), force=False, log=print) -> dict:
    """Build the subset; returns the ``subset.json`` dict. Raises SubsetError."""
    data, out = Path(data).resolve(), Path(out).resolve()
    if megabytes <= 0 or len(shares) != len(KINDS) or min(shares) < 0 or sum(shares) <= 0:
        raise SubsetError("--megabytes must be > 0 and --shares three non-negative numbers")
    if not (data / "speech_train").is_dir():
        raise SubsetError(f"{data}: no speech_train/ folder (expected a data tree like /work/data)")
    if out == data or data in out.parents or out in data.parents:
        raise SubsetError(f"output {out} must lie outside the data folder {data}")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SubsetError(f"{out} exists and is not empty (pass --force to replace a previous subset)")
        if not (out / "subset.json").is_file():
            raise SubsetError(f"{out} has no subset.json: not a subset folder, not replacing it")
        for name in (*KINDS, ".sscodec_cache", "subset.json"):
            p = out / name
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)

    total = int(megabytes * MIB)
    weights = np.asarray(shares, float) / float(sum(shares))
    summary = {"data": str(data), "seed": seed, "megabytes": megabytes, "shares": list(shares),
               "sample_rate": SAMPLE_RATE, "format": "FLAC PCM_16 mono", "folders": {}, "kinds": {}, "files": []}
    for kind, w in zip(KINDS, weights):
        kdir = data / kind
        entries = sorted(kdir.iterdir()) if kdir.is_dir() else []
        sources = [p for p in entries if p.is_dir() and not p.name.startswith(".")]
        loose = [p for p in entries if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS]
        if loose:
            log(f"note: {len(loose)} file(s) directly in {kdir} (not in a source folder) are ignored")
        if not sources:
            if kind == "speech_train":
                raise SubsetError(f"{kdir}: no source folders")
            log(f"{kind}: absent or empty, skipped")
            continue
        sizes = {s: sum(f.stat().st_size for f in list_audio(s)) for s in sources}
        left = int(total * w)
        order = sorted(sources, key=lambda s: (sizes[s], s.name))  # smallest first: leftovers flow on
        kb, ks, kf = 0, 0.0, 0
        for i, src in enumerate(order):
            res = fill_source(src, data, out, left // (len(order) - i), seed, log)
            left -= res["bytes"]
            rel = src.relative_to(data).as_posix()
            summary["folders"][rel] = {"files": len(res["files"]), "minutes": round(res["seconds"] / 60, 2),
                                       "bytes": res["bytes"], "budget_bytes": res["budget_bytes"]}
            summary["files"] += res["files"]
            kb, ks, kf = kb + res["bytes"], ks + res["seconds"], kf + len(res["files"])
            log(f"{rel:40s} {len(res['files']):5d} files {res['seconds'] / 60:7.2f} min "
                f"{res['bytes'] / MIB:7.2f} MiB (share {res['budget_bytes'] / MIB:.2f} MiB)")
            if not res["files"]:
                log(f"  warning: nothing from {rel} fits its share")
        summary["kinds"][kind] = {"files": kf, "minutes": round(ks / 60, 2), "bytes": kb}
        log(f"{kind + ' total':40s} {kf:5d} files {ks / 60:7.2f} min {kb / MIB:7.2f} MiB")
    summary["bytes"] = sum(k["bytes"] for k in summary["kinds"].values())
    (out / "subset.json").write_text(json.dumps(summary, indent=1) + "\n")
    log(f"subset: {summary['bytes'] / MIB:.2f} MiB of FLAC in {out} (budget {megabytes:g} MiB)")
    return summary


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="data tree with speech_train/ (noise_train/, music_train/ optional)")
    p.add_argument("out", help="output folder (e.g. .gpu/data)")
    p.add_argument("--megabytes", type=float, default=30.0, help="FLAC bytes in all, MiB (default 30)")
    p.add_argument("--seed", type=int, default=0, help="file choice seed (default 0)")
    p.add_argument("--shares", type=float, nargs=3, default=(70.0, 15.0, 15.0), metavar=("SPEECH", "NOISE", "MUSIC"),
                   help="relative byte shares of the kinds (default 70 15 15)")
    p.add_argument("--force", action="store_true", help="replace an earlier subset in OUT")
    args = p.parse_args(argv)
    try:
        make_subset(args.data, args.out, args.megabytes, args.seed, tuple(args.shares), args.force)
    except (SubsetError, OSError) as exc:
        print(f"make_subset: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
