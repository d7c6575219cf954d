"""Packet format: one packet carries the RVQ codes of one codec frame.

Byte layout (packet format version 1; full spec with examples in
``docs/bitstream.md``)::

    byte 0   bits 7..5  version   packet format version, 1 (0 and 2..7 are rejected)
             bit  4..2  reserved  must be 0
             bit  1     DENOISE   the encoder ran its denoiser on this frame
             bit  0     DTX       discontinuous transmission: silence, no codes
    byte 1              n_q       number of quantizers in this packet (0..max_quantizers)
    byte 2.. payload              n_q codes of bits_per_code bits each, packed
                                  MSB-first, zero-padded to a whole byte

The payload is one big-endian bit string: code ``i`` occupies bits
``[i*b, (i+1)*b)`` (``b`` = bits per code), most significant bit first, and bit
``k`` of the string is bit ``7 - k % 8`` of payload byte ``k // 8``. The
padding bits at the end of the last byte must be zero. A packet's length is
therefore fixed by its header: ``2 + ceil(n_q * b / 8)`` bytes, and any other
length is an error. A DTX packet is header-only (``n_q == 0``, 2 bytes).

The number of quantizers (and so the bitrate) can change from one packet to
the next. ``bits_per_code``, ``max_quantizers`` and the codebook size are not
in the packet: they come from the :class:`CodecFormat` both sides agree on
(the ``.ssc`` container stores it in its header). 16 kHz sscodec uses 10-bit
codes and up to 24 quantizers; Lyra v2 codes are 4 bits x 46 quantizers.

Decoding is strict: every malformed packet raises
:class:`~sscodec.errors.CorruptPacketError`, an unknown version raises
:class:`~sscodec.errors.UnsupportedVersionError`; so a valid packet has
exactly one byte representation (``encode(decode(p)) == p``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import numpy as np

from .errors import CorruptPacketError, UnsupportedVersionError

__all__ = [
    "PACKET_VERSION",
    "PACKET_HEADER_SIZE",
    "PacketFlags",
    "CodecFormat",
    "SSCODEC_16K",
    "LYRA_V2",
    "DEFAULT_FORMAT",
    "Packet",
    "pack_codes",
    "unpack_codes",
    "encode_packet",
    "encode_dtx_packet",
    "encode_packets",
    "decode_packet",
    "decode_packets",
    "peek_header",
]

PACKET_VERSION = 1
PACKET_HEADER_SIZE = 2

_VERSION_SHIFT = 5
_FLAGS_MASK = 0x1F
_RESERVED_FLAGS = 0x1C


class PacketFlags(enum.IntFlag):
    """Per-packet flags (low 5 bits of byte 0; bits 2..4 are reserved)."""

    NONE = 0
    DTX = 0x01
    DENOISE = 0x02


@dataclass(frozen=True)
class CodecFormat:
    """What sender and receiver must agree on to read packets.

    sample_rate: Hz. frame_size: samples per packet (one codec frame).
    bits_per_code: width of one code in the packet, 1..16. max_quantizers:
    largest n_q a packet may carry, 1..255. codebook_size: number of codebook
    entries, ``<= 2**bits_per_code`` (default ``2**bits_per_code``); decoded
    codes must be below it.
    """

    sample_rate: int = 16000
    frame_size: int = 320
    bits_per_code: int = 10
    max_quantizers: int = 24
    codebook_size: int = field(default=0)

    def __post_init__(self):
        for name in ("sample_rate", "frame_size", "bits_per_code", "max_quantizers", "codebook_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"CodecFormat.{name} must be an int, got {type(v).__name__}")
            object.__setattr__(self, name, int(v))
        if not 1 <= self.sample_rate <= 0xFFFFFFFF:
            raise ValueError(f"sample_rate {self.sample_rate} outside 1..2**32-1")
        if not 1 <= self.frame_size <= 0xFFFF:
            raise ValueError(f"frame_size {self.frame_size} outside 1..65535")
        if not 1 <= self.bits_per_code <= 16:
            raise ValueError(f"bits_per_code {self.bits_per_code} outside 1..16")
        if not 1 <= self.max_quantizers <= 255:
            raise ValueError(f"max_quantizers {self.max_quantizers} outside 1..255")
        if self.codebook_size == 0:
            object.__setattr__(self, "codebook_size", 1 << self.bits_per_code)
        if not 1 <= self.codebook_size <= (1 << self.bits_per_code):
            raise ValueError(
                f"codebook_size {self.codebook_size} outside 1..2**bits_per_code "
                f"({1 << self.bits_per_code})"
            )

    @classmethod
    def from_model_config(cls, cfg) -> "CodecFormat":
        """Build from any object with ``sample_rate``, ``frame_size``,
        ``num_quantizers`` and ``codebook_size`` (e.g. ``models.config.ModelConfig``)."""
        cb = int(cfg.codebook_size)
        return cls(
            sample_rate=int(cfg.sample_rate),
            frame_size=int(cfg.frame_size),
            bits_per_code=max(1, (cb - 1).bit_length()),
            max_quantizers=int(cfg.num_quantizers),
            codebook_size=cb,
        )

    @property
    def frame_rate(self) -> float:
        """Packets per second."""
        return self.sample_rate / self.frame_size

    @property
    def frame_duration(self) -> float:
        """Seconds of audio per packet."""
        return self.frame_size / self.sample_rate

    def payload_size(self, n_q: int) -> int:
        """Bytes of packed codes for ``n_q`` quantizers."""
        return (n_q * self.bits_per_code + 7) // 8

    def packet_size(self, n_q: int) -> int:
        """Total bytes of a packet with ``n_q`` quantizers (header included)."""
        return PACKET_HEADER_SIZE + self.payload_size(n_q)

    @property
    def max_packet_size(self) -> int:
        return self.packet_size(self.max_quantizers)

    def bitrate(self, n_q: int) -> float:
        """Nominal bitrate in bit/s: code bits only (6 x 10 bits x 50/s = 3 kbps)."""
        return n_q * self.bits_per_code * self.frame_rate

    def packet_bitrate(self, n_q: int) -> float:
        """Bit/s of whole packets (header and padding included, no transport)."""
        return 8 * self.packet_size(n_q) * self.frame_rate


#: sscodec 16 kHz: 20 ms frames, 10-bit codes, up to 24 quantizers (3..12 kbps).
SSCODEC_16K = CodecFormat(sample_rate=16000, frame_size=320, bits_per_code=10, max_quantizers=24)
#: Lyra v2 codes: 20 ms frames, 4-bit codes, up to 46 quantizers (3.2/6/9.2 kbps).
LYRA_V2 = CodecFormat(sample_rate=16000, frame_size=320, bits_per_code=4, max_quantizers=46)
DEFAULT_FORMAT = SSCODEC_16K


@dataclass(frozen=True, eq=False)
class Packet:
    """A decoded packet. ``codes``: read-only uint16 array of shape ``(n_q,)``."""

    codes: np.ndarray
    flags: PacketFlags = PacketFlags.NONE
    version: int = PACKET_VERSION

    @property
    def n_q(self) -> int:
        return int(self.codes.shape[0])

    @property
    def is_dtx(self) -> bool:
        return bool(self.flags & PacketFlags.DTX)

    @property
    def denoise(self) -> bool:
        return bool(self.flags & PacketFlags.DENOISE)

    def __eq__(self, other):
        if not isinstance(other, Packet):
            return NotImplemented
        return (
            self.flags == other.flags
            and self.version == other.version
            and np.array_equal(self.codes, other.codes)
        )

    def __repr__(self):
        return f"Packet(n_q={self.n_q}, flags={self.flags!r}, codes={self.codes.tolist()})"


# ---------------------------------------------------------------------------
# Bit packing (numpy-vectorised; no Python loop over codes)
# ---------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _shifts(bits_per_code: int) -> np.ndarray:
    s = np.arange(bits_per_code - 1, -1, -1, dtype=np.uint32)
    s.setflags(write=False)
    return s


@lru_cache(maxsize=None)
def _weights(bits_per_code: int) -> np.ndarray:
    w = (np.uint32(1) << _shifts(bits_per_code)).astype(np.uint32)
    w.setflags(write=False)
    return w


def _check_codes(codes, fmt: CodecFormat, *, batch: bool) -> np.ndarray:
    arr = np.asarray(codes)
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"codes must be integers, got dtype {arr.dtype}")
    want = 2 if batch else 1
    if arr.ndim != want:
        raise ValueError(f"codes must be {want}-D, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= fmt.codebook_size):
        raise ValueError(
            f"codes must be in 0..{fmt.codebook_size - 1}, "
            f"got range {arr.min()}..{arr.max()}"
        )
    n_q = arr.shape[-1]
    if n_q > fmt.max_quantizers:
        raise ValueError(f"{n_q} quantizers > max_quantizers {fmt.max_quantizers}")
    return arr.astype(np.uint32, copy=False)


def pack_codes(codes, bits_per_code: int) -> bytes:
    """Pack a 1-D array of codes MSB-first into ``ceil(n*b/8)`` bytes.

    The caller guarantees ``0 <= code < 2**bits_per_code``.
    """
    c = np.asarray(codes, dtype=np.uint32).reshape(-1)
    bits = ((c[:, None] >> _shifts(bits_per_code)) & 1).astype(np.uint8)
    return np.packbits(bits.reshape(-1)).tobytes()


def unpack_codes(payload, n: int, bits_per_code: int) -> np.ndarray:
    """Inverse of :func:`pack_codes`; strict.

    Raises CorruptPacketError if ``payload`` is not exactly ``ceil(n*b/8)``
    bytes or its padding bits are not zero. Returns a uint16 array ``(n,)``.
    """
    buf = np.frombuffer(payload, dtype=np.uint8)
    nbits = n * bits_per_code
    if buf.shape[0] != (nbits + 7) // 8:
        raise CorruptPacketError(
            f"payload of {buf.shape[0]} bytes, expected {(nbits + 7) // 8} "
            f"for {n} codes of {bits_per_code} bits"
        )
    if n == 0:
        return np.zeros(0, dtype=np.uint16)
    pad = (-nbits) % 8
    if pad and (int(buf[-1]) & ((1 << pad) - 1)):
        raise CorruptPacketError("non-zero padding bits at the end of the packet")
    bits = np.unpackbits(buf, count=nbits).reshape(n, bits_per_code)
    return (bits @ _weights(bits_per_code)).astype(np.uint16)


# ---------------------------------------------------------------------------
# Packets
# ---------------------------------------------------------------------------


def _flags_byte(flags: int) -> int:
    flags = int(flags)
    if flags & ~_FLAGS_MASK or flags & _RESERVED_FLAGS:
        raise ValueError(f"invalid packet flags 0x{flags:02x} (known: DTX=1, DENOISE=2)")
    return (PACKET_VERSION << _VERSION_SHIFT) | flags


def encode_packet(
    codes,
    fmt: CodecFormat = DEFAULT_FORMAT,
    *,
    denoise: bool = False,
    dtx: bool = False,
) -> bytes:
    """Encode one frame's codes (1-D ints, ``len <= fmt.max_quantizers``).

    ``dtx=True`` makes a header-only DTX packet; ``codes`` must then be
    empty or None.
    """
    flags = (PacketFlags.DENOISE if denoise else 0) | (PacketFlags.DTX if dtx else 0)
    if dtx:
        if codes is not None and np.asarray(codes).size != 0:
            raise ValueError("a DTX packet carries no codes")
        return bytes((_flags_byte(flags), 0))
    c = _check_codes(codes, fmt, batch=False)
    return bytes((_flags_byte(flags), c.shape[0])) + pack_codes(c, fmt.bits_per_code)


def encode_dtx_packet(fmt: CodecFormat = DEFAULT_FORMAT, *, denoise: bool = False) -> bytes:
    """The 2-byte DTX (silence) packet."""
    return encode_packet(None, fmt, denoise=denoise, dtx=True)


def encode_packets(codes, fmt: CodecFormat = DEFAULT_FORMAT, *, denoise: bool = False) -> list[bytes]:
    """Encode ``T`` frames at once: ``codes`` is ``(T, n_q)``; one packet per row.

    Same bytes as calling :func:`encode_packet` per row, vectorised over frames.
    """
    c = _check_codes(codes, fmt, batch=True)
    t, n_q = c.shape
    b = fmt.bits_per_code
    nbits = n_q * b
    padded = (nbits + 7) // 8 * 8
    bits = np.zeros((t, padded), dtype=np.uint8)
    if nbits:
        bits[:, :nbits] = ((c[:, :, None] >> _shifts(b)) & 1).reshape(t, nbits)
    body = np.packbits(bits, axis=1) if padded else np.zeros((t, 0), np.uint8)
    header = np.array(
        [_flags_byte(PacketFlags.DENOISE if denoise else 0), n_q], dtype=np.uint8
    )
    out = np.concatenate([np.broadcast_to(header, (t, 2)), body], axis=1)
    return [row.tobytes() for row in out]


def peek_header(data) -> tuple[int, PacketFlags, int]:
    """Validate and return ``(version, flags, n_q)`` of a packet's header only."""
    try:
        mv = memoryview(data)
    except TypeError:
        raise TypeError(f"packet must be bytes-like, got {type(data).__name__}") from None
    if mv.nbytes < PACKET_HEADER_SIZE:
        raise CorruptPacketError(
            f"packet truncated: {mv.nbytes} bytes, the header alone is {PACKET_HEADER_SIZE}"
        )
    mv = mv.cast("B") if mv.format != "B" or mv.ndim != 1 else mv
    b0, n_q = mv[0], mv[1]
    version = b0 >> _VERSION_SHIFT
    if version != PACKET_VERSION:
        raise UnsupportedVersionError(
            f"packet format version {version} (this build reads version {PACKET_VERSION})"
        )
    flags = b0 & _FLAGS_MASK
    if flags & _RESERVED_FLAGS:
        raise CorruptPacketError(f"reserved packet flag bits set (flags 0x{flags:02x})")
    return version, PacketFlags(flags), n_q


def decode_packet(data, fmt: CodecFormat = DEFAULT_FORMAT) -> Packet:
    """Parse and validate one packet. See the module docstring for the rules."""
    version, flags, n_q = peek_header(data)
    mv = memoryview(data).cast("B")
    if n_q > fmt.max_quantizers:
        raise CorruptPacketError(
            f"packet has {n_q} quantizers, format allows at most {fmt.max_quantizers}"
        )
    if flags & PacketFlags.DTX and n_q != 0:
        raise CorruptPacketError(f"DTX packet with {n_q} quantizers (must be 0)")
    expected = fmt.packet_size(n_q)
    if mv.nbytes != expected:
        what = "truncated" if mv.nbytes < expected else "has trailing bytes"
        raise CorruptPacketError(
            f"packet {what}: {mv.nbytes} bytes, {n_q} codes of {fmt.bits_per_code} bits "
            f"need exactly {expected}"
        )
    codes = unpack_codes(mv[PACKET_HEADER_SIZE:], n_q, fmt.bits_per_code)
    if n_q and fmt.codebook_size < (1 << fmt.bits_per_code):
        bad = codes >= fmt.codebook_size
        if bad.any():
            i = int(np.argmax(bad))
            raise CorruptPacketError(
                f"code {int(codes[i])} of quantizer {i} >= codebook size {fmt.codebook_size}"
            )
    codes.setflags(write=False)
    return Packet(codes=codes, flags=flags, version=version)


def decode_packets(packets: Iterable, fmt: CodecFormat = DEFAULT_FORMAT) -> list:
    """Decode a sequence; ``None`` entries (lost packets) stay ``None``."""
    return [None if p is None else decode_packet(p, fmt) for p in packets]

