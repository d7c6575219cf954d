"""Shared pieces of the encode / decode / roundtrip commands (not a command)."""

from __future__ import annotations

import sys

MODEL_HELP = ("converted model folder (manifest.json + 4 graphs) or Lyra v2's folder "
              "(default: the shipped model sscodec/models/speech16k/<precision>)")
PRECISIONS = ("float32", "dynamic-int8", "int8")


def add_model_arguments(p) -> None:
    p.add_argument("--model", metavar="DIR", help=MODEL_HELP)
    p.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help="which conversion of the default model to use (default float32; ignored with --model)")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="XNNPACK threads per graph (default 1)")
    p.add_argument("--no-progress", action="store_true",
                   help="never show a progress bar (by default one is shown on a terminal for inputs over 30 s)")


def bitrate_arg(value: str) -> int:
    import argparse

    from sscodec.codec import parse_bitrate

    try:
        return parse_bitrate(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


class Progress:
    """tqdm bar on stderr for long inputs, shown only on a terminal; used as
    a ``progress(done, total)`` callback."""

    def __init__(self, enabled: bool, desc: str, unit: str = "s", scale: float = 1.0):
        self.enabled = enabled and sys.stderr.isatty()
        self.desc, self.unit, self.scale = desc, unit, scale
        self.bar = None
        self.last = 0

    def __call__(self, done, total):
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=round(total * self.scale, 1), unit=self.unit, desc=self.desc,
                            leave=False, file=sys.stderr)
        self.bar.update(round((done - self.last) * self.scale, 1))
        self.last = done

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def fail(msg: str, code: int = 1) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


def reports_errors(run):
    """Decorator for a command's ``run(args) -> int``: bad data or model
    (:func:`user_errors`) prints ``error: ...`` and exits 1; other
    ``ValueError``s are bad arguments (e.g. a bitrate the model lacks), exit 2."""
    import functools

    @functools.wraps(run)
    def guarded(args) -> int:
        try:
            return run(args)
        except user_errors() as e:  # SscodecError is also a ValueError: keep this first
            return fail(str(e))
        except ValueError as e:
            return fail(str(e), 2)

    return guarded


def user_errors():
    """Exception types that mean bad input / model (exit 1 with a message)."""
    from sscodec.audio import AudioFileError
    from sscodec.errors import SscodecError
    from sscodec.paths import ModelNotFoundError

    return (SscodecError, ModelNotFoundError, AudioFileError, OSError)
