"""Exceptions raised by sscodec when it reads packets and ``.ssc`` files.

Everything that bad *input data* can cause derives from :class:`SscodecError`,
so a command line tool can do::

    try:
        ...
    except SscodecError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

Hierarchy::

    SscodecError
    ├── CorruptDataError (also a ValueError)
    │   ├── CorruptPacketError        one packet is malformed
    │   └── CorruptFileError          the .ssc container is malformed
    │       ├── TruncatedFileError    the file ends early
    │       └── ChecksumError         a CRC32 does not match
    ├── UnsupportedVersionError       packet or file version this build cannot read
    └── ModelMismatchError            the file was made by another model / format

Bad *arguments* from calling code (e.g. a code value that does not fit in the
format's bits per code when *encoding*) raise plain ``ValueError``/``TypeError``:
those are bugs in the caller, not bad data.
"""

from __future__ import annotations

__all__ = [
    "SscodecError",
    "CorruptDataError",
    "CorruptPacketError",
    "CorruptFileError",
    "TruncatedFileError",
    "ChecksumError",
    "UnsupportedVersionError",
    "ModelMismatchError",
]


class SscodecError(Exception):
    """Base class of every error sscodec raises for bad input data."""


class CorruptDataError(SscodecError, ValueError):
    """Input bytes are not a valid packet/file."""


class CorruptPacketError(CorruptDataError):
    """A packet is malformed (wrong length, reserved bits set, bad code...)."""


class CorruptFileError(CorruptDataError):
    """An ``.ssc`` container is malformed (bad magic, bad header, bad record)."""


class TruncatedFileError(CorruptFileError):
    """An ``.ssc`` container ends before its end-of-stream trailer."""


class ChecksumError(CorruptFileError):
    """A header or record CRC32 does not match its bytes."""


class UnsupportedVersionError(SscodecError):
    """A packet or container version that this build does not know."""


class ModelMismatchError(SscodecError):
    """The file was produced by a different model (id/hash) or codec format."""
