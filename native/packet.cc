#include "packet.h"

namespace sscodec {

const char* BitstreamStatusName(BitstreamStatus s) {
  switch (s) {
    case BitstreamStatus::kOk: return "OK";
    case BitstreamStatus::kInvalidArgument: return "INVALID_ARGUMENT";
    case BitstreamStatus::kBufferTooSmall: return "BUFFER_TOO_SMALL";
    case BitstreamStatus::kTruncated: return "TRUNCATED";
    case BitstreamStatus::kBadLength: return "BAD_LENGTH";
    case BitstreamStatus::kUnsupportedVersion: return "UNSUPPORTED_VERSION";
    case BitstreamStatus::kReservedBitsSet: return "RESERVED_BITS_SET";
    case BitstreamStatus::kTooManyQuantizers: return "TOO_MANY_QUANTIZERS";
    case BitstreamStatus::kCodeOutOfRange: return "CODE_OUT_OF_RANGE";
    case BitstreamStatus::kNonZeroPadding: return "NON_ZERO_PADDING";
    case BitstreamStatus::kBadMagic: return "BAD_MAGIC";
    case BitstreamStatus::kBadChecksum: return "BAD_CHECKSUM";
    case BitstreamStatus::kBadHeader: return "BAD_HEADER";
    case BitstreamStatus::kModelMismatch: return "MODEL_MISMATCH";
    case BitstreamStatus::kTrailingData: return "TRAILING_DATA";
    case BitstreamStatus::kEndOfStream: return "END_OF_STREAM";
  }
  return "UNKNOWN";
}

BitstreamStatus ValidateFormat(const CodecFormat& fmt) {
  if (fmt.bits_per_code < 1 || fmt.bits_per_code > kMaxBitsPerCode) return BitstreamStatus::kInvalidArgument;
  if (fmt.max_quantizers < 1) return BitstreamStatus::kInvalidArgument;
  if (fmt.frame_size < 1 || fmt.sample_rate < 1) return BitstreamStatus::kInvalidArgument;
  if (fmt.codebook_size > (1u << fmt.bits_per_code)) return BitstreamStatus::kInvalidArgument;
  return BitstreamStatus::kOk;
}

BitstreamStatus PackPacket(const CodecFormat& fmt, uint8_t flags, const uint16_t* codes,
                           size_t n_q, uint8_t* out, size_t capacity, size_t* out_size) {
  if (out_size) *out_size = 0;
  if (!out || !out_size || (n_q && !codes)) return BitstreamStatus::kInvalidArgument;
  if (ValidateFormat(fmt) != BitstreamStatus::kOk) return BitstreamStatus::kInvalidArgument;
  if (flags & ~kPacketKnownFlags) return BitstreamStatus::kInvalidArgument;
  if (n_q > fmt.max_quantizers) return BitstreamStatus::kTooManyQuantizers;
  if ((flags & kPacketFlagDtx) && n_q != 0) return BitstreamStatus::kTooManyQuantizers;
  const size_t size = PacketSize(fmt, n_q);
  if (capacity < size) return BitstreamStatus::kBufferTooSmall;
  const uint32_t limit = fmt.EffectiveCodebookSize();
  for (size_t i = 0; i < n_q; ++i) {
    if (codes[i] >= limit) return BitstreamStatus::kCodeOutOfRange;
  }
  out[0] = static_cast<uint8_t>((kPacketVersion << 5) | flags);
  out[1] = static_cast<uint8_t>(n_q);
  // MSB-first bit writer: `acc` holds `nacc` (< 8 + 16) pending bits.
  const unsigned b = fmt.bits_per_code;
  uint32_t acc = 0;
  unsigned nacc = 0;
  size_t pos = kPacketHeaderSize;
  for (size_t i = 0; i < n_q; ++i) {
    acc = (acc << b) | codes[i];
    nacc += b;
    while (nacc >= 8) {
      nacc -= 8;
      out[pos++] = static_cast<uint8_t>(acc >> nacc);
    }
    acc &= (1u << nacc) - 1u;
  }
  if (nacc) out[pos++] = static_cast<uint8_t>(acc << (8 - nacc));
  *out_size = pos;  // == size
  return BitstreamStatus::kOk;
}

BitstreamStatus ParsePacketHeader(const uint8_t* data, size_t size, PacketHeader* header) {
  if (!header || (size && !data)) return BitstreamStatus::kInvalidArgument;
  if (size < kPacketHeaderSize) return BitstreamStatus::kTruncated;
  header->version = static_cast<uint8_t>(data[0] >> 5);
  header->flags = static_cast<uint8_t>(data[0] & 0x1F);
  header->num_quantizers = data[1];
  if (header->version != kPacketVersion) return BitstreamStatus::kUnsupportedVersion;
  if (header->flags & ~kPacketKnownFlags) return BitstreamStatus::kReservedBitsSet;
  return BitstreamStatus::kOk;
}

BitstreamStatus UnpackPacket(const CodecFormat& fmt, const uint8_t* data, size_t size,
                             PacketHeader* header, uint16_t* codes, size_t codes_capacity) {
  if (ValidateFormat(fmt) != BitstreamStatus::kOk) return BitstreamStatus::kInvalidArgument;
  BitstreamStatus st = ParsePacketHeader(data, size, header);
  if (st != BitstreamStatus::kOk) return st;
  const size_t n_q = header->num_quantizers;
  if (n_q > fmt.max_quantizers) return BitstreamStatus::kTooManyQuantizers;
  if (header->dtx() && n_q != 0) return BitstreamStatus::kTooManyQuantizers;
  const size_t expected = PacketSize(fmt, n_q);
  if (size < expected) return BitstreamStatus::kTruncated;
  if (size > expected) return BitstreamStatus::kBadLength;
  if (n_q > codes_capacity || (n_q && !codes)) return BitstreamStatus::kBufferTooSmall;
  const unsigned b = fmt.bits_per_code;
  const uint32_t mask = (1u << b) - 1u;
  const uint32_t limit = fmt.EffectiveCodebookSize();
  uint32_t acc = 0;
  unsigned nacc = 0;
  size_t pos = kPacketHeaderSize;
  for (size_t i = 0; i < n_q; ++i) {
    while (nacc < b) {  // pos < size is guaranteed by the exact length check
      acc = (acc << 8) | data[pos++];
      nacc += 8;
    }
    nacc -= b;
    const uint32_t code = (acc >> nacc) & mask;
    acc &= (1u << nacc) - 1u;
    if (code >= limit) return BitstreamStatus::kCodeOutOfRange;
    codes[i] = static_cast<uint16_t>(code);
  }
  // Whatever is left in `acc` (< 8 bits) is padding and must be zero.
  if (acc != 0 || pos != size) return BitstreamStatus::kNonZeroPadding;
  return BitstreamStatus::kOk;
}

}  // namespace sscodec
