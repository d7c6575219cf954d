"""Write a float16 copy of a model directory for a GPU burst to warm-start from (run HERE).

    python tools/gpu/half_init.py [SRC_MODEL_DIR] [OUT_DIR]     # defaults: models/speech16k/keras .gpu/init

Why: the working tree that travels to the GPU machine must stay under 64 MiB (tools/gpu/README.md).
Since run r19 the shipped model is C = 32 on both sides and its ``keras/`` folder alone is 48 MiB
(generator 42 MiB float32, discriminators 6 MiB), which left ~5 MiB for training data. ``tree.sh
hide`` takes ``models/speech16k/keras`` out of the tree for the call, and this copy travels in its
place in ``.gpu/init`` at half the size. The trainer's ``--init-from`` casts every array to its
variable's dtype (``models/model_io.assign_from_arrays``), so the burst starts from the shipped
weights rounded to float16 (relative error <= 2**-11, i.e. ~5e-4: far below what the first
training steps move them); it trains and exports in float32.

What is copied: ``config.json`` and ``training_run.json`` as they are (the burst's export records
its lineage from the latter); ``generator.weights.npz`` and ``discriminator.weights.npz`` with
their float32 arrays as float16 (integer arrays, e.g. seed-generator states, unchanged). Prints
the sizes. Refuses a SRC that is not a model directory, and an array whose values do not fit
float16 (|x| > 65504).
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

from sscodec.atomic_write import replacing  # runs here, in the .venv, never on the device

COPIED = ("config.json", "training_run.json")
HALVED = ("generator.weights.npz", "discriminator.weights.npz")
FLOAT16_MAX = float(np.finfo(np.float16).max)


def halve_npz(src: Path, dst: Path) -> None:
    """``src`` (.npz of arrays) -> ``dst`` with float32/float64 arrays as float16, others as they are."""
    out = {}
    with np.load(src) as z:
        for k in z.files:
            a = z[k]
            if a.dtype.kind == "f":
                if a.size and float(np.max(np.abs(a))) > FLOAT16_MAX:
                    raise ValueError(f"{src}: {k} has values beyond float16's range (max |x| {np.max(np.abs(a)):.3g})")
                a = a.astype(np.float16)
            out[k] = a
    with replacing(dst) as tmp:  # whole or not at all
        np.savez(tmp, **out)


def main(argv: list[str]) -> int:
    if len(argv) > 2 or any(a.startswith("-") for a in argv):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    src = Path(argv[0] if argv else "models/speech16k/keras")
    dst = Path(argv[1] if len(argv) > 1 else ".gpu/init")
    if not (src / "config.json").is_file() or not (src / "generator.weights.npz").is_file():
        print(f"half_init: error: {src} is not a model directory (config.json + generator.weights.npz)", file=sys.stderr)
        return 2
    dst.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        if (src / name).is_file():
            shutil.copyfile(src / name, dst / name)
    for name in HALVED:
        if (src / name).is_file():
            halve_npz(src / name, dst / name)
            print(f"half_init: {name}: {(src / name).stat().st_size / 2**20:.1f} -> {(dst / name).stat().st_size / 2**20:.1f} MiB")
    total = sum(f.stat().st_size for f in dst.iterdir() if f.is_file())
    print(f"half_init: {dst}: {total / 2**20:.1f} MiB (warm start: bash tools/gpu/burst.sh MINUTES {dst})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
