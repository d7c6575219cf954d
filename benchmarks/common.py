"""Shared pieces of ``sscodec bench`` / ``sscodec eval``: model folders,
machine/version/commit info, progress bar."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

PRECISIONS = ("float32", "dynamic-int8", "int8")


def model_variants(model) -> dict:
    """{precision: folder} for a converted model. ``model``: a precision folder
    (its siblings are used too), a folder holding precision sub-folders, or
    None (the shipped ``models/speech16k``)."""
    if model is None:
        from sscodec import paths

        base = paths.models_dir() / paths.DEFAULT_MODEL
        if not any((base / p / "manifest.json").is_file() for p in PRECISIONS):
            raise SystemExit(f"error: the shipped model is not installed ({base}); pass --model DIR "
                             f"(e.g. tests/data/tiny_codec/float32)")
    else:
        d = Path(model).expanduser().resolve()
        if (d / "manifest.json").is_file():
            base = d.parent
            if not any((base / p / "manifest.json").is_file() for p in PRECISIONS if (base / p) != d):
                from sscodec.manifest import load_manifest

                return {load_manifest(d, verify_hashes=False).precision: d}
        elif d.is_dir():
            base = d
        else:
            raise SystemExit(f"error: model folder not found: {d}")
    out = {p: base / p for p in PRECISIONS if (base / p / "manifest.json").is_file()}
    if not out:
        raise SystemExit(f"error: no converted model (manifest.json) in {base}/{{{','.join(PRECISIONS)}}}")
    return out


def git_commit() -> str | None:
    from sscodec import paths

    root = paths.repo_root()
    if root is None:
        return None
    try:
        r = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return r.stdout.strip() + ("+dirty" if dirty else "") if r.returncode == 0 else None
    except Exception:  # noqa: BLE001
        return None


def machine_info() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu": cpu,
            "cpus": os.cpu_count(), "loadavg_1m_start": round(os.getloadavg()[0], 2)}


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("sscodec", "numpy", "ai-edge-litert", "opuslib", "visqol-python", "pesq", "pystoi"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    try:
        from .opus_ref import version as opus_version

        out["libopus"] = opus_version()
    except Exception:  # noqa: BLE001
        pass
    return out


class Bar:
    """tqdm progress bar on stderr (plain text fallback without tqdm)."""

    def __init__(self, total, desc, enabled=True):
        self.bar = None
        self.n, self.total, self.desc = 0, total, desc
        if not enabled:
            return
        try:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True,
                            mininterval=0.5)
        except ImportError:
            pass

    def __call__(self, k=1):
        self.n += k
        if self.bar is not None:
            self.bar.update(k)

    def set(self, text):
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)

    def close(self):
        if self.bar is not None:
            self.bar.close()
