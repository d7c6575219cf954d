// sscodec packet format (one packet = the RVQ codes of one codec frame).
//
// Byte layout, packet format version 1 (see docs/bitstream.md):
//   byte 0   bits 7..5  version (1)      bits 4..2 reserved (0)
//            bit  1     DENOISE flag     bit  0    DTX flag
//   byte 1   n_q, number of quantizers (0..max_quantizers; 0 for DTX)
//   byte 2.. n_q codes of bits_per_code bits each, packed MSB-first into one
//            bit string, zero-padded to a whole byte.
// A packet is exactly 2 + ceil(n_q * bits_per_code / 8) bytes.
//
// Same format as sscodec.bitstream (Python). The functions here never throw,
// never allocate and never read or write outside the buffers they are given;
// every failure is a BitstreamStatus. Valid packets have one byte
// representation: UnpackPacket then PackPacket gives back the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sscodec {

// Result of the bitstream / container functions (lightweight: no strings, no
// allocation). BitstreamStatusName() gives a stable upper-case name.
enum class BitstreamStatus : int {
  kOk = 0,
  kInvalidArgument = 1,      // bad argument (null pointer, bad format, code too big)
  kBufferTooSmall = 2,       // output buffer too small
  kTruncated = 3,            // input ends early
  kBadLength = 4,            // packet/record length inconsistent with its header
  kUnsupportedVersion = 5,   // packet or container version not understood
  kReservedBitsSet = 6,      // reserved flag/field bits are not zero
  kTooManyQuantizers = 7,    // n_q > max_quantizers, or DTX packet with codes
  kCodeOutOfRange = 8,       // decoded code >= codebook size
  kNonZeroPadding = 9,       // padding bits after the last code are not zero
  kBadMagic = 10,            // not an .ssc file
  kBadChecksum = 11,         // header/record/trailer CRC32 mismatch
  kBadHeader = 12,           // header field values invalid
  kModelMismatch = 13,       // file made by another model id/hash/format
  kTrailingData = 14,        // bytes after the end-of-stream trailer
  kEndOfStream = 15,         // ContainerReader::Next: trailer reached (not an error)
};

const char* BitstreamStatusName(BitstreamStatus s);

constexpr int kPacketVersion = 1;
constexpr size_t kPacketHeaderSize = 2;
constexpr uint8_t kPacketFlagDtx = 0x01;
constexpr uint8_t kPacketFlagDenoise = 0x02;
constexpr uint8_t kPacketKnownFlags = kPacketFlagDtx | kPacketFlagDenoise;
constexpr int kMaxBitsPerCode = 16;
constexpr int kMaxQuantizersLimit = 255;
// Largest possible packet of any valid format: 2 + ceil(255 * 16 / 8).
constexpr size_t kMaxPacketBytes = kPacketHeaderSize + (kMaxQuantizersLimit * kMaxBitsPerCode + 7) / 8;

// What both ends agree on (stored in the .ssc header). codebook_size 0 means
// 2^bits_per_code.
struct CodecFormat {
  uint32_t sample_rate = 16000;
  uint16_t frame_size = 320;
  uint8_t bits_per_code = 10;
  uint8_t max_quantizers = 24;
  uint32_t codebook_size = 0;

  uint32_t EffectiveCodebookSize() const {
    return codebook_size ? codebook_size : (1u << bits_per_code);
  }
};

// sscodec 16 kHz (10-bit codes, up to 24 quantizers) and Lyra v2 (4 x 46).
constexpr CodecFormat kSscodec16k{16000, 320, 10, 24, 1024};
constexpr CodecFormat kLyraV2{16000, 320, 4, 46, 16};

// kOk if 1 <= bits_per_code <= 16, 1 <= max_quantizers, frame_size >= 1,
// sample_rate >= 1 and 1 <= codebook size <= 2^bits_per_code.
BitstreamStatus ValidateFormat(const CodecFormat& fmt);

// Bytes of a packet with n_q quantizers (header included).
constexpr size_t PacketSize(const CodecFormat& fmt, size_t n_q) {
  return kPacketHeaderSize + (n_q * fmt.bits_per_code + 7) / 8;
}
inline size_t MaxPacketSize(const CodecFormat& fmt) { return PacketSize(fmt, fmt.max_quantizers); }

struct PacketHeader {
  uint8_t version = 0;
  uint8_t flags = 0;           // kPacketFlag* bits
  uint8_t num_quantizers = 0;  // n_q
  bool dtx() const { return flags & kPacketFlagDtx; }
  bool denoise() const { return flags & kPacketFlagDenoise; }
};

// Writes the packet for `codes[0..n_q)` with `flags` into out[0..capacity).
// DTX packets (flags has kPacketFlagDtx) must have n_q == 0. On success
// *out_size = PacketSize(fmt, n_q).
BitstreamStatus PackPacket(const CodecFormat& fmt, uint8_t flags, const uint16_t* codes,
                           size_t n_q, uint8_t* out, size_t capacity, size_t* out_size);

// Checks and reads only the 2-byte header.
BitstreamStatus ParsePacketHeader(const uint8_t* data, size_t size, PacketHeader* header);

// Strictly parses a whole packet: header, exact length, zero padding, codes
// below the codebook size. Codes go to codes[0..header->num_quantizers);
// `codes_capacity` >= fmt.max_quantizers always suffices. On failure
// *header may be partly filled and codes are unspecified.
BitstreamStatus UnpackPacket(const CodecFormat& fmt, const uint8_t* data, size_t size,
                             PacketHeader* header, uint16_t* codes, size_t codes_capacity);

}  // namespace sscodec
