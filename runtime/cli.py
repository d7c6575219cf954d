"""``sscodec`` command line.

Subcommands live in ``sscodec/commands/<name>.py`` (source: ``runtime/commands/``),
one small module each, so several people can add commands without touching the
same lines. A command module defines::

    NAME = "my-command"            # optional; default: module name with '_' -> '-'
    HELP = "one line shown in --help"

    def add_arguments(parser):     # optional: add argparse options
        ...

    def run(args) -> int:          # do the work; return the exit code
        ...

Modules are discovered automatically; keep heavy imports (numpy is fine,
TensorFlow is not) inside ``run`` so ``sscodec --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Sequence

from . import __version__


def _command_modules():
    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        yield importlib.import_module(f"{commands.__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sscodec",
        description="sscodec: on-device streaming neural audio codec.",
    )
    parser.add_argument("--version", action="version", version=f"sscodec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        name = getattr(mod, "NAME", mod.__name__.rsplit(".", 1)[-1].replace("_", "-"))
        help_ = getattr(mod, "HELP", (mod.__doc__ or "").strip().splitlines()[0:1])
        if isinstance(help_, list):
            help_ = help_[0] if help_ else ""
        p = sub.add_parser(name, help=help_, description=mod.__doc__)
        if hasattr(mod, "add_arguments"):
            mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":  # python -m sscodec.cli
    sys.exit(main())
