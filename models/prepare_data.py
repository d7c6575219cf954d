"""Gather the real audio available from Debian packages into codec train/eval folders.

Usage::

    python -m sscodec.models.prepare_data --out /work/data      # installed package
    python models/prepare_data.py --out /work/data               # from a checkout

Every output file is a 16 kHz mono PCM16 wav. Layout of ``OUT/``::

    speech_train/<source>/...      training speech (see HELD-OUT RULES below)
    speech_heldout/<source>/...    held-out files and held-out speakers (never trained on)
    noise_train/<source>/...       recorded noise / effects used for training mixtures
    noise_heldout/<source>/...     different recordings *and* types, for eval only
    music_train/wesnoth/...        music excerpts used as training interference
    music_eval/wesnoth/...         music excerpts of tracks never used in training
    manifest.json                  sources, licences, counts, minutes, held-out rules

The script is idempotent: an output that already exists and is newer than its source is not
rewritten (use ``--force`` to redo everything); outputs no longer produced by the rules are
removed from the managed folders. Sources whose Debian package is missing are skipped with a
warning (install them with ``apt-get install <package>``; G.722 sources need ``pip install
g722``).

HELD-OUT RULES (fixed; do not change without retraining):
  * festvox-ru (speaker "nsh", male, Russian): ``ru_0800.wav`` and above are held out
    (``ru_0844.wav`` is the product's bundled sample); everything below ru_0800 is training.
  * fillets-ng-data-cs (Czech game dialogue): the whole levels ``cabin1``, ``cabin2``,
    ``corridor`` and ``keys`` are held out. This also holds out the parrot role (``*-pap-*``),
    a minor speaker that appears only in cabin1/cabin2 -> a held-out speaker.
  * asterisk en_US "Allison" (female, English, G.722 = content band-limited to 8 kHz):
    files with ``crc32(relative path) % 10 == 0`` are held out, the rest are training.
  * asterisk fr_CA "June" (female, French, G.722): held-out SPEAKER, never trained on.
  * noise: sonic-pi ``vinyl_*``, ``misc_*``, ``loop_industrial``, ``loop_3d_printer``,
    ``ambi_sauna``, ``ambi_soft_buzz`` and freedesktop ``phone-*``, ``alarm-clock-elapsed``,
    ``camera-shutter``, ``screen-capture`` are held out; the rest of sonic-pi and
    freedesktop (minus spoken ``audio-channel-*`` prompts) is training noise.
  * wesnoth music: the tracks in ``MUSIC_EVAL_TRACKS`` go (as excerpts) to music_eval; all other
    tracks (excerpts, ``silence.ogg`` skipped) to music_train.

Only numpy, scipy, soundfile and soxr are needed (plus the optional ``g722`` wheel).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime
import fnmatch
import json
import os
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import soundfile as sf
import soxr

from .. import atomic_write
from ..atomic_write import replacing

SAMPLE_RATE = 16000
MIN_SECONDS = 0.3  # shorter source files are skipped
SILENCE_PEAK = 1e-3  # files whose peak is below this are skipped

FESTVOX_RU = "/usr/share/festival/voices/russian/msu_ru_nsh_clunits/wav"
FILLETS = "/usr/share/games/fillets-ng/sound"
ASTERISK = "/usr/share/asterisk/sounds"
SONIC_PI = "/usr/share/sonic-pi/samples"
FREEDESKTOP = "/usr/share/sounds/freedesktop/stereo"
WESNOTH = "/usr/share/games/wesnoth/1.16/data/core/music"

FILLETS_HELDOUT_LEVELS = ("cabin1", "cabin2", "corridor", "keys")
SONIC_HELDOUT = ("vinyl_*", "misc_*", "loop_industrial*", "loop_3d_printer*",
                 "ambi_sauna*", "ambi_soft_buzz*")
FREEDESKTOP_HELDOUT = ("phone-*", "alarm-clock-elapsed*", "camera-shutter*", "screen-capture*")
FREEDESKTOP_SKIP = ("audio-channel-*",)  # spoken prompts, not noise
MUSIC_EVAL_TRACKS = ("elvish-theme", "knolls", "the_deep_path", "traveling_minstrels")
MUSIC_SKIP = ("silence",)
MUSIC_EXCERPT_START_S = 15.0
MUSIC_TRAIN_EXCERPT_S = 90.0
MUSIC_EVAL_EXCERPT_S = 60.0

FOLDERS = ("speech_train", "speech_heldout", "noise_train", "noise_heldout",
           "music_train", "music_eval")


@dataclass
class Source:
    """One Debian package that provides audio, and how its files are assigned to folders."""

    name: str  # short id, also the sub-folder name inside the output folders
    package: str
    licence: str
    root: str
    patterns: tuple  # fnmatch patterns relative to root
    kind: str  # speech / noise / music
    description: str
    # relpath -> output folder name (one of FOLDERS) or None to skip
    assign: Callable[[str], Optional[str]] = field(repr=False, default=None)
    decoder: str = "soundfile"  # or "g722"
    excerpt: Optional[Callable[[str], Optional[tuple]]] = field(repr=False, default=None)


def _stem(rel: str) -> str:
    return os.path.splitext(os.path.basename(rel))[0]


def _match(rel: str, pats) -> bool:
    base = os.path.basename(rel)
    return any(fnmatch.fnmatch(base, p) for p in pats)


def _assign_ru(rel: str) -> Optional[str]:
    try:
        num = int(_stem(rel).split("_")[1])
    except (IndexError, ValueError):
        return None
    return "speech_heldout" if num >= 800 else "speech_train"


def _assign_fillets(rel: str) -> Optional[str]:
    level = rel.split("/cs/")[0]
    return "speech_heldout" if level in FILLETS_HELDOUT_LEVELS else "speech_train"


def _assign_allison(rel: str) -> Optional[str]:
    if rel.startswith("silence/"):
        return None
    return "speech_heldout" if zlib.crc32(rel.encode()) % 10 == 0 else "speech_train"


def _assign_june(rel: str) -> Optional[str]:
    return None if rel.startswith("silence/") else "speech_heldout"


def _assign_sonic(rel: str) -> Optional[str]:
    return "noise_heldout" if _match(rel, SONIC_HELDOUT) else "noise_train"


def _assign_freedesktop(rel: str) -> Optional[str]:
    if _match(rel, FREEDESKTOP_SKIP):
        return None
    return "noise_heldout" if _match(rel, FREEDESKTOP_HELDOUT) else "noise_train"


def _assign_wesnoth(rel: str) -> Optional[str]:
    s = _stem(rel)
    if s in MUSIC_SKIP:
        return None
    return "music_eval" if s in MUSIC_EVAL_TRACKS else "music_train"


def _excerpt_wesnoth(rel: str) -> tuple:
    dur = MUSIC_EVAL_EXCERPT_S if _stem(rel) in MUSIC_EVAL_TRACKS else MUSIC_TRAIN_EXCERPT_S
    return (MUSIC_EXCERPT_START_S, dur)


SOURCES = [
    Source("ru_nsh", "festvox-ru", "BSD-like (festvox; see /usr/share/doc/festvox-ru/copyright)",
           FESTVOX_RU, ("ru_*.wav",), "speech",
           "Russian male speaker 'nsh' (msu_ru_nsh_clunits), 16 kHz studio recordings",
           _assign_ru),
    Source("fillets_cs", "fillets-ng-data-cs", "GPL-2", FILLETS, ("*/cs/*.ogg", "share/*/cs/*.ogg"),
           "speech", "Czech game dialogue (2 main voices + minor roles), 22.05/44.1 kHz Vorbis",
           _assign_fillets),
    Source("en_allison", "asterisk-core-sounds-en-g722", "CC-BY-SA-3.0",
           f"{ASTERISK}/en_US_f_Allison", ("*.g722", "*/*.g722"), "speech",
           "English female IVR prompts (Allison Smith), G.722 at 16 kHz, content to ~7 kHz",
           _assign_allison, decoder="g722"),
    Source("fr_june", "asterisk-core-sounds-fr-g722", "CC-BY-SA-3.0",
           f"{ASTERISK}/fr_CA_f_June", ("*.g722", "*/*.g722"), "speech",
           "French (CA) female IVR prompts (June Wallack), G.722; HELD-OUT SPEAKER",
           _assign_june, decoder="g722"),
    Source("sonic_pi", "sonic-pi-samples", "mostly CC0 (per-file; see /usr/share/doc/sonic-pi-samples/copyright)",
           SONIC_PI, ("*.flac",), "noise",
           "Sonic Pi samples: ambience, loops, drums, tabla, guitar, vinyl, misc",
           _assign_sonic),
    Source("freedesktop", "sound-theme-freedesktop", "GPL-2+ / CC-BY-SA-3.0 / CC-BY-3.0 (per-file)",
           FREEDESKTOP, ("*.oga",), "noise", "freedesktop desktop event sounds",
           _assign_freedesktop),
    Source("wesnoth", "wesnoth-1.16-music", "GPL-2+", WESNOTH, ("*.ogg",), "music",
           "Battle for Wesnoth orchestral game music, 44.1 kHz stereo Vorbis (excerpts)",
           _assign_wesnoth, excerpt=_excerpt_wesnoth),
]


# ----------------------------------------------------------------------------------------
def _pkg_version(pkg: str) -> Optional[str]:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                             text=True, timeout=20)
        return (out.stdout.strip() or None) if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _list_files(src: Source) -> list:
    root = Path(src.root)
    found = set()
    for pat in src.patterns:
        for p in root.glob(pat):
            if p.is_file():
                found.add(p.relative_to(root).as_posix())
    return sorted(found)


def _decode(path: str, decoder: str, excerpt: Optional[tuple]) -> tuple:
    """Return (mono float32 at SAMPLE_RATE, source_rate)."""
    if decoder == "g722":
        import G722  # pip install g722

        data = Path(path).read_bytes()
        x = np.asarray(G722.G722(16000, 64000).decode(data), dtype=np.float32) / 32768.0
        sr = 16000
    else:
        if excerpt is not None:
            info = sf.info(path)
            sr = info.samplerate
            start = int(excerpt[0] * sr)
            if info.frames < start + sr * 5:  # short track: take from the start
                start = 0
            x, sr = sf.read(path, dtype="float32", always_2d=True, start=start,
                            frames=int(excerpt[1] * sr))
        else:
            x, sr = sf.read(path, dtype="float32", always_2d=True)
        x = x.mean(axis=1)
    if sr != SAMPLE_RATE:
        x = soxr.resample(x, sr, SAMPLE_RATE, quality="HQ")
    return np.ascontiguousarray(x, dtype=np.float32), sr


def _convert(job: tuple) -> dict:
    src_path, dst_path, decoder, excerpt, force = job
    if (not force and os.path.exists(dst_path)
            and os.path.getmtime(dst_path) >= os.path.getmtime(src_path)):
        info = sf.info(dst_path)
        return {"dst": dst_path, "status": "kept", "seconds": info.frames / info.samplerate}
    try:
        x, _ = _decode(src_path, decoder, excerpt)
    except Exception as exc:  # corrupt source: report, don't abort the whole run
        return {"dst": dst_path, "status": f"error: {exc}", "seconds": 0.0}
    if len(x) < MIN_SECONDS * SAMPLE_RATE:
        return {"dst": dst_path, "status": "skipped: too short", "seconds": 0.0}
    peak = float(np.max(np.abs(x)))
    if peak < SILENCE_PEAK:
        return {"dst": dst_path, "status": "skipped: silent", "seconds": 0.0}
    if peak > 0.999:
        x = x * (0.999 / peak)
    os.makedirs(os.path.dirname(dst_path), exist_ok=True)
    with replacing(dst_path) as tmp:
        sf.write(tmp, x, SAMPLE_RATE, subtype="PCM_16")
    return {"dst": dst_path, "status": "written", "seconds": len(x) / SAMPLE_RATE}


def _folder_stats(out: Path) -> dict:
    stats = {}
    for folder in FOLDERS:
        d = out / folder
        per_src = {}
        for p in sorted(d.rglob("*.wav")) if d.exists() else []:
            info = sf.info(str(p))
            src = p.relative_to(d).parts[0]
            e = per_src.setdefault(src, {"files": 0, "minutes": 0.0})
            e["files"] += 1
            e["minutes"] += info.frames / info.samplerate / 60.0
        for e in per_src.values():
            e["minutes"] = round(e["minutes"], 2)
        stats[folder] = {
            "files": sum(e["files"] for e in per_src.values()),
            "minutes": round(sum(e["minutes"] for e in per_src.values()), 2),
            "by_source": per_src,
        }
    return stats


def prepare(out: str, jobs: int = 2, force: bool = False, verbose: bool = True) -> dict:
    """Build the data folders under ``out`` and write ``out/manifest.json``; return the manifest."""
    t0 = time.time()
    outp = Path(out).resolve()
    outp.mkdir(parents=True, exist_ok=True)
    work = []
    sources_info = []
    for src in SOURCES:
        version = _pkg_version(src.package)
        files = _list_files(src) if os.path.isdir(src.root) else []
        info = {"name": src.name, "package": src.package, "version": version,
                "licence": src.licence, "kind": src.kind, "root": src.root,
                "description": src.description, "source_files": len(files)}
        if not files:
            info["status"] = "missing (apt-get install %s)" % src.package
            print(f"WARNING: source {src.name}: no files under {src.root} "
                  f"(apt-get install {src.package})", file=sys.stderr)
        elif src.decoder == "g722":
            try:
                import G722  # noqa: F401
            except ImportError:
                info["status"] = "skipped: pip install g722"
                print(f"WARNING: source {src.name} needs `pip install g722`", file=sys.stderr)
                files = []
        sources_info.append(info)
        for rel in files:
            folder = src.assign(rel)
            if folder is None:
                continue
            dst_rel = rel.replace("/cs/", "/")
            dst = outp / folder / src.name / (os.path.splitext(dst_rel)[0] + ".wav")
            excerpt = src.excerpt(rel) if src.excerpt else None
            work.append((os.path.join(src.root, rel), str(dst), src.decoder, excerpt, force))

    results = []
    if jobs > 1:
        with cf.ProcessPoolExecutor(max_workers=jobs) as ex:
            results = list(ex.map(_convert, work, chunksize=16))
    else:
        results = [_convert(j) for j in work]

    # remove stale outputs (files in managed folders that the rules no longer produce)
    wanted = {r["dst"] for r in results if r["status"] in ("kept", "written")}
    removed = 0
    for folder in FOLDERS:
        d = outp / folder
        if d.exists():
            for p in d.rglob("*"):
                if p.is_file() and str(p) not in wanted and not any(
                        part.startswith(".") for part in p.relative_to(d).parts):
                    p.unlink()
                    removed += 1

    counts = {}
    for r in results:
        key = r["status"].split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    errors = [r for r in results if r["status"].startswith("error")]
    for r in errors[:20]:
        print(f"WARNING: {r['dst']}: {r['status']}", file=sys.stderr)

    manifest = {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sample_rate": SAMPLE_RATE,
        "format": "mono PCM16 wav",
        "generator": "sscodec.models.prepare_data",
        "sources": sources_info,
        "folders": _folder_stats(outp),
        "heldout_rules": {
            "ru_nsh": "festvox-ru ru_0800.wav and above held out (ru_0844.wav is the product "
                      "sample); below ru_0800 training",
            "fillets_cs": "whole levels %s held out; the parrot role (*-pap-*, cabin1/cabin2 only) "
                          "is thereby a held-out minor speaker" % (list(FILLETS_HELDOUT_LEVELS),),
            "en_allison": "files with crc32(relative path) %% 10 == 0 held out (same speaker as "
                          "training); silence/ skipped",
            "fr_june": "entire speaker held out (never trained on); band-limited G.722 content",
            "noise": "sonic-pi %s and freedesktop %s held out (different recordings and types); "
                     "freedesktop %s skipped (speech)" % (list(SONIC_HELDOUT),
                                                          list(FREEDESKTOP_HELDOUT),
                                                          list(FREEDESKTOP_SKIP)),
            "music": "wesnoth tracks %s -> music_eval (%.0f s excerpts from %.0f s); other tracks "
                     "-> music_train (%.0f s excerpts); %s skipped"
                     % (list(MUSIC_EVAL_TRACKS), MUSIC_EVAL_EXCERPT_S, MUSIC_EXCERPT_START_S,
                        MUSIC_TRAIN_EXCERPT_S, list(MUSIC_SKIP)),
        },
        "heldout_speakers": {
            "fr_june": "speech_heldout/fr_june (French female, G.722 band-limited) - fully unseen",
            "fillets_cs parrot": "speech_heldout/fillets_cs/cabin1|cabin2/*-pap-* - unseen minor role",
        },
        "min_seconds": MIN_SECONDS,
        "run": {"results": counts, "stale_removed": removed, "seconds": round(time.time() - t0, 1)},
    }
    atomic_write.write_text(outp / "manifest.json", json.dumps(manifest, indent=2))
    if verbose:
        print(json.dumps({k: {"files": v["files"], "minutes": v["minutes"]}
                          for k, v in manifest["folders"].items()}, indent=1))
        print("run:", manifest["run"])
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory (not inside the repo)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--force", action="store_true", help="re-decode everything")
    args = ap.parse_args(argv)
    prepare(args.out, jobs=args.jobs, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
