"""``.ssc`` file container: a header plus one length-prefixed, CRC-checked
record per codec frame, and an end-of-stream trailer.

Layout of container version 2 (all integers little-endian; full table in
``docs/bitstream.md``)::

    header   magic "\\x89SSC\\r\\n\\x1a\\n" (8) | version u16 | header_len u16
             | sample_rate u32 | original_length u64 | frame_size u16
             | bits_per_code u8 | max_quantizers u8 | codebook_size u32
             | packet_version u8 | reserved u8 (=0) | flags u16
             | source_sample_rate u32 | source_length u64          (version 2 only)
             | model_id_len u8 | model_id (UTF-8) | model_hash_len u8 | model_hash
             | header_crc32 u32 (over every header byte before it)
    record   length u16 (0..max packet size; 0 = no packet for this frame)
             | packet (length bytes) | crc32 u32 over (index u32 | length u16 | packet)
    trailer  0xFFFF u16 | record_count u32 | crc32 u32 over (0xFFFF u16 | record_count u32)
    EOF      nothing may follow the trailer

``sample_rate``/``original_length`` are the model's rate (Hz) and the signal
length in samples at that rate; ``source_sample_rate`` (Hz, 0 = unknown /
same as the model rate) and ``source_length`` (samples at the source rate)
describe the input before resampling, so a decoder can restore its rate and
exact length. Version 1 files (no source fields) are still read: their source
is the model rate and ``original_length``. Writers write version 2.

Record ``i`` holds the packet of frame ``i`` (see :mod:`sscodec.bitstream`);
a zero-length record means no packet reached the writer for that frame (lost
or not sent), and the decoder conceals it. The index in each record CRC
catches dropped, duplicated and reordered records; the trailer catches a file
cut at a record boundary.

Reading is strict: anything malformed raises a
:class:`~sscodec.errors.SscodecError` subclass with a message that says what
and where. Writing goes to a temporary file next to the target that is
renamed over it only by :meth:`SscWriter.close`; on any error (or if the
writer is dropped unclosed) the temporary file is removed and no output file
appears.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import io
import os
import struct
import tempfile
import weakref
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Optional, Union

from .bitstream import PACKET_VERSION, CodecFormat, Packet, decode_packet, encode_packet
from .errors import (
    ChecksumError,
    CorruptFileError,
    CorruptPacketError,
    ModelMismatchError,
    TruncatedFileError,
    UnsupportedVersionError,
)

__all__ = [
    "MAGIC",
    "CONTAINER_VERSION",
    "SUPPORTED_VERSIONS",
    "END_MARKER",
    "MAX_MODEL_ID_BYTES",
    "MAX_MODEL_HASH_BYTES",
    "MAX_SOURCE_SAMPLE_RATE",
    "ContainerFlags",
    "SscHeader",
    "SscFile",
    "SscWriter",
    "SscReader",
    "AtomicFile",
    "atomic_output",
    "write_ssc",
    "read_ssc",
    "parse_ssc",
    "serialize_ssc",
    "encode_header",
    "encode_record",
    "encode_trailer",
]

MAGIC = b"\x89SSC\r\n\x1a\n"
CONTAINER_VERSION = 2  # written
SUPPORTED_VERSIONS = (1, 2)  # read
END_MARKER = 0xFFFF
MAX_MODEL_ID_BYTES = 255
MAX_MODEL_HASH_BYTES = 64
# Highest source sample rate a file may declare (Hz): decode resamples to it,
# so a crafted header must not ask for an absurd output size.
MAX_SOURCE_SAMPLE_RATE = 768_000

_PREFIX = struct.Struct("<8sHH")  # magic, version, header_len
_FIXED_V1 = struct.Struct("<IQHBBIBBH")  # sample_rate .. flags (24 bytes)
_FIXED = {1: _FIXED_V1, 2: struct.Struct(_FIXED_V1.format + "IQ")}  # version -> fixed fields
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_REC_CRC_PREFIX = struct.Struct("<IH")  # record index, length
_TRAILER = struct.Struct("<HI")
_CRC = struct.Struct("<I")

PathLike = Union[str, os.PathLike]


class ContainerFlags(enum.IntFlag):
    """File-level flags (header ``flags``; bits 2..15 reserved, must be 0)."""

    NONE = 0
    DENOISE = 0x0001  # the encoder's denoiser was on
    DTX = 0x0002  # the encoder was allowed to send DTX packets


_KNOWN_FLAGS = int(ContainerFlags.DENOISE | ContainerFlags.DTX)


@dataclass(frozen=True)
class SscHeader:
    """Decoded ``.ssc`` header.

    ``original_length``: samples at the model rate (``format.sample_rate``).
    ``source_sample_rate``: Hz of the input before resampling, 0 = unknown /
    same as the model rate (always 0 in version 1). ``source_length``:
    samples at the source rate; ``None`` (the default) means
    ``original_length``, which it must equal when ``source_sample_rate`` is 0.
    """

    format: CodecFormat
    model_id: str
    model_hash: bytes = b""
    original_length: int = 0
    flags: ContainerFlags = ContainerFlags.NONE
    packet_version: int = PACKET_VERSION
    version: int = CONTAINER_VERSION
    source_sample_rate: int = 0
    source_length: Optional[int] = None

    def __post_init__(self):
        mid = self.model_id.encode("utf-8") if isinstance(self.model_id, str) else None
        if mid is None or not 1 <= len(mid) <= MAX_MODEL_ID_BYTES:
            raise ValueError(f"model_id must be a 1..{MAX_MODEL_ID_BYTES}-byte UTF-8 string")
        if not isinstance(self.model_hash, (bytes, bytearray)) or len(self.model_hash) > MAX_MODEL_HASH_BYTES:
            raise ValueError(f"model_hash must be at most {MAX_MODEL_HASH_BYTES} bytes")
        object.__setattr__(self, "model_hash", bytes(self.model_hash))
        if not 0 <= int(self.original_length) < 2**64:
            raise ValueError("original_length must fit in a u64")
        if int(self.flags) & ~_KNOWN_FLAGS:
            raise ValueError(f"unknown container flags 0x{int(self.flags):x}")
        object.__setattr__(self, "flags", ContainerFlags(int(self.flags)))
        if self.version not in SUPPORTED_VERSIONS:
            raise ValueError(f"container version must be one of {SUPPORTED_VERSIONS}")
        if not 0 <= int(self.source_sample_rate) <= MAX_SOURCE_SAMPLE_RATE:
            raise ValueError(f"source_sample_rate must be 0..{MAX_SOURCE_SAMPLE_RATE} Hz "
                             f"({self.source_sample_rate} Hz exceeds {MAX_SOURCE_SAMPLE_RATE} Hz)")
        if self.source_length is None:
            if self.source_sample_rate:
                raise ValueError("source_length is required with a source_sample_rate")
            object.__setattr__(self, "source_length", int(self.original_length))
        if not 0 <= int(self.source_length) < 2**64:
            raise ValueError("source_length must fit in a u64")
        if not self.source_sample_rate and self.source_length != self.original_length:
            raise ValueError(f"source_length {self.source_length} differs from original_length {self.original_length}: "
                             "source_length must equal original_length when source_sample_rate is 0")
        if self.version == 1 and self.source_sample_rate:
            raise ValueError("container version 1 cannot store a source sample rate")

    @property
    def sample_rate(self) -> int:
        """The model's rate (Hz)."""
        return self.format.sample_rate

    @property
    def effective_source_rate(self) -> int:
        """Source rate in Hz: ``source_sample_rate``, or the model rate if that is 0."""
        return self.source_sample_rate or self.format.sample_rate

    def source_fits(self, record_count: int) -> bool:
        """Whether the source lasts at most one model-rate sample longer than
        ``record_count`` frames hold (tolerates resampler rounding):
        ``source_length * sample_rate <= (record_count * frame_size + 1) * source_rate``.
        Always true when ``source_sample_rate`` is 0."""
        if not self.source_sample_rate:
            return True
        capacity = record_count * self.format.frame_size
        return self.source_length * self.format.sample_rate <= (capacity + 1) * self.source_sample_rate

    @property
    def frame_size(self) -> int:
        return self.format.frame_size

    @property
    def duration(self) -> float:
        """Seconds of original audio (at the model rate)."""
        return self.original_length / self.format.sample_rate

    def source_length_at(self, rate: int) -> int:
        """``source_length`` scaled to ``rate`` Hz (rounded half up): the
        exact sample count a decoder writing at ``rate`` should produce."""
        src = self.effective_source_rate
        return (2 * int(self.source_length) * int(rate) + src) // (2 * src)

    @property
    def source_duration(self) -> float:
        """Seconds of the source signal (``source_length`` at its rate)."""
        return self.source_length / self.effective_source_rate


@dataclass
class SscFile:
    """A fully read and validated ``.ssc`` file.

    records: raw packet bytes per frame, ``None`` for a zero-length record.
    packets: the decoded :class:`~sscodec.bitstream.Packet` per frame (``None``
    likewise); empty if read with ``validate_packets=False``.
    """

    header: SscHeader
    records: list = field(default_factory=list)
    packets: list = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return len(self.records)


# ---------------------------------------------------------------------------
# Serialisation
# ---------------------------------------------------------------------------


def encode_header(h: SscHeader) -> bytes:
    """Header bytes including the header CRC, in the layout of ``h.version``
    (1 or 2; version 1 has no source fields)."""
    f = h.format
    mid = h.model_id.encode("utf-8")
    source = (h.source_sample_rate, int(h.source_length)) if h.version >= 2 else ()
    body = (
        _FIXED[h.version].pack(
            f.sample_rate,
            int(h.original_length),
            f.frame_size,
            f.bits_per_code,
            f.max_quantizers,
            f.codebook_size,
            h.packet_version,
            0,
            int(h.flags),
            *source,
        )
        + bytes((len(mid),))
        + mid
        + bytes((len(h.model_hash),))
        + h.model_hash
    )
    head = _PREFIX.pack(MAGIC, h.version, len(body)) + body
    return head + _CRC.pack(zlib.crc32(head))


def encode_record(index: int, packet: Optional[bytes]) -> bytes:
    """One record: length, packet, CRC (``packet=None`` -> zero-length record)."""
    p = b"" if packet is None else bytes(packet)
    if len(p) >= END_MARKER:
        raise ValueError(f"packet of {len(p)} bytes is too long for a record")
    prefix = _REC_CRC_PREFIX.pack(index & 0xFFFFFFFF, len(p))
    return prefix[4:] + p + _CRC.pack(zlib.crc32(p, zlib.crc32(prefix)))


def encode_trailer(record_count: int) -> bytes:
    t = _TRAILER.pack(END_MARKER, record_count)
    return t + _CRC.pack(zlib.crc32(t))


def serialize_ssc(header: SscHeader, records: Iterable[Optional[bytes]]) -> bytes:
    """Whole file as bytes (no validation of the packets themselves)."""
    out = [encode_header(header)]
    n = 0
    for n, r in enumerate(records, 1):
        out.append(encode_record(n - 1, r))
    out.append(encode_trailer(n))
    return b"".join(out)


# ---------------------------------------------------------------------------
# Atomic output
# ---------------------------------------------------------------------------


def _cleanup_temp(path: str, fobj) -> None:
    with contextlib.suppress(Exception):
        fobj.close()
    with contextlib.suppress(FileNotFoundError, OSError):
        os.unlink(path)


class AtomicFile:
    """A binary file that appears at ``path`` only when :meth:`commit` runs.

    Data goes to a hidden temporary file in the same directory; ``commit()``
    flushes, fsyncs and renames it over ``path`` (replacing an existing file
    atomically); ``abort()`` (or garbage collection without commit) deletes it.
    """

    def __init__(self, path: PathLike):
        self.path = Path(path)
        fd, tmp = tempfile.mkstemp(
            dir=str(self.path.parent) or ".", prefix=f".{self.path.name}.", suffix=".tmp"
        )
        self.temp_path = tmp
        self.file: BinaryIO = os.fdopen(fd, "w+b")
        self._finalizer = weakref.finalize(self, _cleanup_temp, tmp, self.file)
        self.done = False

    def commit(self) -> None:
        if self.done:
            raise ValueError("AtomicFile already committed or aborted")
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(self.temp_path, 0o666 & ~mask)
            self.file.close()
            os.replace(self.temp_path, self.path)
        except BaseException:
            self.abort()
            raise
        self.done = True
        self._finalizer.detach()
        with contextlib.suppress(OSError):  # make the rename durable (POSIX)
            dfd = os.open(str(self.path.parent) or ".", os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def abort(self) -> None:
        self.done = True
        self._finalizer()


@contextlib.contextmanager
def atomic_output(path: PathLike) -> Iterator[BinaryIO]:
    """``with atomic_output("out.wav") as f: f.write(...)``: all or nothing.

    On an exception inside the block nothing is written at ``path`` (an
    existing file there is left untouched) and the exception propagates.
    """
    af = AtomicFile(path)
    try:
        yield af.file
    except BaseException:
        af.abort()
        raise
    af.commit()


# ---------------------------------------------------------------------------
# Writer
# ---------------------------------------------------------------------------


class SscWriter:
    """Streaming ``.ssc`` writer with all-or-nothing output.

    ::

        with SscWriter("out.ssc", fmt, model_id="speech16k", model_hash=h) as w:
            for frame_codes in ...:
                w.write_codes(frame_codes)      # or w.write(packet_bytes)
            w.original_length = n_samples       # optional, default frames*frame_size

    ``source_sample_rate`` (Hz, 0 = same as the model's) and ``source_length``
    (samples at that rate; required with a non-zero rate, by ``close()`` at
    the latest) record the input before resampling (container version 2).
    ``write(None)`` stores a zero-length record (frame without packet). The
    file appears at ``path`` only after a successful ``close()`` / clean exit
    of the ``with`` block; an exception inside the block, ``abort()``, or
    dropping the writer unclosed leaves no file behind.
    """

    def __init__(
        self,
        path: PathLike,
        fmt: CodecFormat,
        model_id: str,
        model_hash: bytes = b"",
        *,
        flags: ContainerFlags | int = ContainerFlags.NONE,
        original_length: Optional[int] = None,
        source_sample_rate: int = 0,
        source_length: Optional[int] = None,
        validate_packets: bool = True,
    ):
        # Placeholder lengths; close() rewrites the header (same size).
        self.header = SscHeader(
            format=fmt, model_id=model_id, model_hash=model_hash, flags=ContainerFlags(int(flags)),
            source_sample_rate=int(source_sample_rate), source_length=0 if source_sample_rate else None,
        )
        self.original_length = original_length
        self.source_length = source_length
        self.validate_packets = validate_packets
        self.num_records = 0
        self._out = AtomicFile(path)
        try:
            self._out.file.write(encode_header(self.header))
        except BaseException:
            self._out.abort()
            raise

    @property
    def path(self) -> Path:
        return self._out.path

    @property
    def closed(self) -> bool:
        return self._out.done

    def write(self, packet: Optional[bytes]) -> None:
        """Append the packet of the next frame (``None``: no packet)."""
        if self._out.done:
            raise ValueError("write to a closed SscWriter")
        if packet is not None:
            packet = bytes(packet)
            if len(packet) == 0:
                raise ValueError("empty packet: pass None for a frame without a packet")
            if self.validate_packets:
                try:
                    decode_packet(packet, self.header.format)
                except (CorruptPacketError, UnsupportedVersionError) as e:
                    raise ValueError(f"refusing to write invalid packet for frame {self.num_records}: {e}") from e
        if self.num_records >= 0xFFFFFFFF:
            raise ValueError("too many records for one .ssc file")
        self._out.file.write(encode_record(self.num_records, packet))
        self.num_records += 1

    def write_codes(self, codes, *, denoise: bool = False, dtx: bool = False) -> None:
        self.write(encode_packet(codes, self.header.format, denoise=denoise, dtx=dtx))

    def close(self, original_length: Optional[int] = None, source_length: Optional[int] = None) -> None:
        """Write the trailer, finalise the header and publish the file."""
        if self._out.done:
            return
        try:
            if original_length is not None:
                self.original_length = original_length
            if source_length is not None:
                self.source_length = source_length
            capacity = self.num_records * self.header.format.frame_size
            n = capacity if self.original_length is None else int(self.original_length)
            if not 0 <= n <= capacity:
                raise ValueError(
                    f"original_length {n} not in 0..{capacity} "
                    f"({self.num_records} frames x {self.header.format.frame_size} samples)"
                )
            header = _replace_length(self.header, n, self.source_length)
            if not header.source_fits(self.num_records):
                raise ValueError(
                    f"source_length {header.source_length} at {header.source_sample_rate} Hz lasts "
                    f"longer than {self.num_records} frames of {header.format.frame_size} samples"
                )
            f = self._out.file
            f.write(encode_trailer(self.num_records))
            self.header = header
            f.seek(0)
            f.write(encode_header(self.header))
        except BaseException:
            self._out.abort()
            raise
        self._out.commit()

    def abort(self) -> None:
        """Discard everything; no file is created."""
        self._out.abort()

    def __enter__(self) -> "SscWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()


def _replace_length(h: SscHeader, n: int, source_length: Optional[int]) -> SscHeader:
    """``h`` with original_length ``n`` and ``source_length`` (None: ``n``
    when the source rate is 0, else required)."""
    return dataclasses.replace(h, original_length=n, source_length=source_length)


def write_ssc(
    path: PathLike,
    packets: Iterable[Optional[bytes]],
    fmt: CodecFormat,
    model_id: str,
    model_hash: bytes = b"",
    *,
    original_length: Optional[int] = None,
    flags: ContainerFlags | int = ContainerFlags.NONE,
    source_sample_rate: int = 0,
    source_length: Optional[int] = None,
) -> None:
    """Write a whole ``.ssc`` file atomically (arguments as for :class:`SscWriter`)."""
    with SscWriter(path, fmt, model_id, model_hash, flags=flags, original_length=original_length,
                   source_sample_rate=source_sample_rate, source_length=source_length) as w:
        for p in packets:
            w.write(p)


# ---------------------------------------------------------------------------
# Reader
# ---------------------------------------------------------------------------


def _check_expected(
    h: SscHeader,
    expected_model_id: Optional[str],
    expected_model_hash: Optional[bytes],
    expected_format: Optional[CodecFormat],
) -> None:
    problems = []
    if expected_model_id is not None and h.model_id != expected_model_id:
        problems.append(f"model id {h.model_id!r} (expected {expected_model_id!r})")
    if expected_model_hash is not None and h.model_hash != bytes(expected_model_hash):
        problems.append(
            f"model hash {h.model_hash.hex() or '(none)'} "
            f"(expected {bytes(expected_model_hash).hex() or '(none)'})"
        )
    if expected_format is not None:
        for name in ("sample_rate", "frame_size", "bits_per_code", "max_quantizers", "codebook_size"):
            got, want = getattr(h.format, name), getattr(expected_format, name)
            if got != want:
                problems.append(f"{name} {got} (expected {want})")
    if problems:
        raise ModelMismatchError(
            "the .ssc file was made by a different model: " + "; ".join(problems)
        )


class SscReader:
    """Validating ``.ssc`` reader over a binary file object.

    The header is read and checked on construction (magic, version, CRC,
    fields, expected model). Iterating yields one item per record: the packet
    bytes, or ``None`` for a zero-length record; the trailer and end of file
    are checked when iteration reaches them, so a caller that must not act on
    a bad file should read it fully first (:func:`read_ssc` does).
    With ``validate_packets`` every packet is also decoded with the header's
    format; :meth:`packets` yields the decoded packets instead of bytes.
    """

    def __init__(
        self,
        f: BinaryIO,
        *,
        expected_model_id: Optional[str] = None,
        expected_model_hash: Optional[bytes] = None,
        expected_format: Optional[CodecFormat] = None,
        validate_packets: bool = True,
    ):
        self._f = f
        self.validate_packets = validate_packets
        self.header = self._read_header()
        _check_expected(self.header, expected_model_id, expected_model_hash, expected_format)
        self.num_records = 0
        self.finished = False

    # -- low level ---------------------------------------------------------
    def _read_exact(self, n: int, what: str) -> bytes:
        b = self._f.read(n)
        if b is None:
            b = b""
        if len(b) != n:
            raise TruncatedFileError(f"file truncated in {what}: needed {n} bytes, got {len(b)}")
        return b

    def _read_header(self) -> SscHeader:
        first = self._f.read(len(MAGIC))
        if not first:
            raise TruncatedFileError("empty file (not an .ssc file)")
        if first != MAGIC:
            if MAGIC.startswith(first):
                raise TruncatedFileError("file truncated in the magic number")
            raise CorruptFileError("not an .ssc file (bad magic number)")
        rest = self._read_exact(_PREFIX.size - len(MAGIC), "the header")
        _, version, header_len = _PREFIX.unpack(first + rest)
        if version not in SUPPORTED_VERSIONS:
            raise UnsupportedVersionError(
                f".ssc container version {version} (this build reads versions "
                f"{', '.join(map(str, SUPPORTED_VERSIONS))})"
            )
        body = self._read_exact(header_len, "the header")
        crc = _CRC.unpack(self._read_exact(_CRC.size, "the header checksum"))[0]
        if zlib.crc32(body, zlib.crc32(first + rest)) != crc:
            raise ChecksumError("header checksum mismatch (corrupt header)")
        return self._parse_header_body(version, body)

    @staticmethod
    def _parse_header_body(version: int, body: bytes) -> SscHeader:
        fixed = _FIXED[version]
        if len(body) < fixed.size + 2:  # + model_id_len + model_hash_len bytes
            raise CorruptFileError(f"header too short ({len(body)} bytes for version {version})")
        (sr, orig, frame, bpc, maxq, cb, pver, reserved, flags, *source) = fixed.unpack_from(body)
        src_rate, src_len = source if source else (0, orig)
        pos = fixed.size
        id_len = body[pos]
        pos += 1
        if id_len == 0 or pos + id_len + 1 > len(body):
            raise CorruptFileError(f"bad model id length {id_len}")
        raw_id = body[pos : pos + id_len]
        pos += id_len
        hash_len = body[pos]
        pos += 1
        if hash_len > MAX_MODEL_HASH_BYTES or pos + hash_len != len(body):
            raise CorruptFileError(
                f"bad model hash length {hash_len} (header has {len(body) - pos} bytes left)"
            )
        model_hash = body[pos : pos + hash_len]
        if reserved != 0 or flags & ~_KNOWN_FLAGS:
            raise CorruptFileError(f"reserved header bits set (flags 0x{flags:04x})")
        if pver != PACKET_VERSION:
            raise UnsupportedVersionError(
                f"packet format version {pver} (this build reads version {PACKET_VERSION})"
            )
        try:
            model_id = raw_id.decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptFileError("model id is not valid UTF-8") from None
        try:
            fmt = CodecFormat(
                sample_rate=sr,
                frame_size=frame,
                bits_per_code=bpc,
                max_quantizers=maxq,
                codebook_size=cb if cb else -1,
            )
        except (ValueError, TypeError) as e:
            raise CorruptFileError(f"invalid codec format in header: {e}") from None
        try:  # the value rules live in SscHeader alone
            return SscHeader(
                format=fmt,
                model_id=model_id,
                model_hash=model_hash,
                original_length=orig,
                flags=ContainerFlags(flags),
                packet_version=pver,
                version=version,
                source_sample_rate=src_rate,
                source_length=src_len,
            )
        except ValueError as e:
            raise CorruptFileError(f"invalid header: {e}") from None

    def _next_record(self) -> tuple[bool, Optional[bytes]]:
        """(True, packet|None) for a record, (False, None) at a valid trailer."""
        i = self.num_records
        length = _U16.unpack(self._read_exact(2, f"record {i} length"))[0]
        if length == END_MARKER:
            rest = self._read_exact(_TRAILER.size - 2 + _CRC.size, "the trailer")
            count = _U32.unpack_from(rest)[0]
            crc = _CRC.unpack_from(rest, 4)[0]
            if zlib.crc32(_TRAILER.pack(END_MARKER, count)) != crc:
                raise ChecksumError(f"trailer checksum mismatch after record {i - 1}")
            if count != i:
                raise CorruptFileError(f"trailer says {count} records, file has {i}")
            if self._f.read(1):
                raise CorruptFileError("trailing bytes after the end of the .ssc stream")
            capacity = i * self.header.format.frame_size
            if self.header.original_length > capacity:
                raise CorruptFileError(
                    f"header says {self.header.original_length} samples but {i} frames "
                    f"hold only {capacity}"
                )
            if not self.header.source_fits(i):
                raise CorruptFileError(
                    f"header says the source has {self.header.source_length} samples at "
                    f"{self.header.source_sample_rate} Hz but {i} frames hold only {capacity} "
                    f"samples at {self.header.sample_rate} Hz"
                )
            return False, None
        if length > self.header.format.max_packet_size:
            raise CorruptFileError(
                f"record {i}: length {length} > maximum packet size "
                f"{self.header.format.max_packet_size}"
            )
        packet = self._read_exact(length, f"record {i}")
        crc = _CRC.unpack(self._read_exact(_CRC.size, f"record {i} checksum"))[0]
        if zlib.crc32(packet, zlib.crc32(_REC_CRC_PREFIX.pack(i, length))) != crc:
            raise ChecksumError(f"record {i}: checksum mismatch (corrupt data)")
        if i >= 0xFFFFFFFF:
            raise CorruptFileError("too many records")
        self.num_records += 1
        return True, (packet if length else None)

    def _decode(self, index: int, packet: Optional[bytes]) -> Optional[Packet]:
        if packet is None:
            return None
        try:
            return decode_packet(packet, self.header.format)
        except CorruptPacketError as e:
            raise CorruptFileError(f"record {index}: invalid packet: {e}") from e

    # -- iteration -----------------------------------------------------------
    def records(self) -> Iterator[Optional[bytes]]:
        """Yield packet bytes (or None) per record; validates through the trailer."""
        while not self.finished:
            more, packet = self._next_record()
            if not more:
                self.finished = True
                return
            if self.validate_packets:
                self._decode(self.num_records - 1, packet)
            yield packet

    __iter__ = records

    def packets(self) -> Iterator[Optional[Packet]]:
        """Yield decoded packets (or None) per record."""
        while not self.finished:
            more, packet = self._next_record()
            if not more:
                self.finished = True
                return
            yield self._decode(self.num_records - 1, packet)

    def read_all(self) -> SscFile:
        out = SscFile(self.header)
        while not self.finished:
            more, packet = self._next_record()
            if not more:
                self.finished = True
                break
            out.records.append(packet)
            if self.validate_packets:
                out.packets.append(self._decode(self.num_records - 1, packet))
        return out


def read_ssc(
    source: Union[PathLike, bytes, bytearray, memoryview, BinaryIO],
    *,
    expected_model_id: Optional[str] = None,
    expected_model_hash: Optional[bytes] = None,
    expected_format: Optional[CodecFormat] = None,
    validate_packets: bool = True,
) -> SscFile:
    """Read and fully validate an ``.ssc`` file (path, bytes, or binary file)."""
    kw = dict(
        expected_model_id=expected_model_id,
        expected_model_hash=expected_model_hash,
        expected_format=expected_format,
        validate_packets=validate_packets,
    )
    if isinstance(source, (bytes, bytearray, memoryview)):
        return SscReader(io.BytesIO(bytes(source)), **kw).read_all()
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return SscReader(f, **kw).read_all()
    return SscReader(source, **kw).read_all()


def parse_ssc(data: bytes, **kw) -> SscFile:
    """:func:`read_ssc` for an in-memory file."""
    return read_ssc(bytes(data), **kw)
