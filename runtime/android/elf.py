"""Just enough ELF header reading to check a file's target machine."""

from __future__ import annotations

from pathlib import Path

EM_X86_64 = 62
EM_AARCH64 = 183
MACHINES = {EM_X86_64: "x86_64", EM_AARCH64: "aarch64"}


def elf_machine(path) -> str | None:
    """"x86_64" / "aarch64" / "em<N>" for a 64-bit little-endian ELF file, None if not one."""
    try:
        with open(path, "rb") as f:
            h = f.read(20)
    except OSError:
        return None
    if len(h) < 20 or h[:4] != b"\x7fELF" or h[4] != 2 or h[5] != 1:
        return None
    em = int.from_bytes(h[18:20], "little")
    return MACHINES.get(em, f"em{em}")


def require_machine(path, arch: str) -> None:
    from . import AndroidToolError

    m = elf_machine(path)
    if m != arch:
        raise AndroidToolError(f"{Path(path)} is {'not an ELF file' if m is None else 'built for ' + m}, "
                               f"expected {arch}")
