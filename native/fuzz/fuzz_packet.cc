// libFuzzer harness for the packet parser/packer (native/packet.h).
// Input: 2 format-selector bytes (see fuzz_common.h), then a packet.
// Checks, besides memory safety (build with ASan/UBSan):
//  * UnpackPacket agrees with a slow bit-by-bit reference parser (status and codes);
//  * a packet that parses re-packs to the identical bytes (canonical form);
//  * the remaining bytes read as codes pack -> unpack to the same codes, and
//    PackPacket agrees bit for bit with a reference packer.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_common.h"
#include "packet.h"

using namespace sscodec;
using sscodec_fuzz::Fail;

namespace {

int RefBit(const uint8_t* p, size_t i) { return (p[i / 8] >> (7 - i % 8)) & 1; }

// Reference parser written from the spec, one bit at a time.
BitstreamStatus RefUnpack(const CodecFormat& f, const uint8_t* d, size_t n, uint8_t* nq,
                          uint16_t* codes) {
  if (n < 2) return BitstreamStatus::kTruncated;
  if ((d[0] >> 5) != 1) return BitstreamStatus::kUnsupportedVersion;
  if (d[0] & 0x1C) return BitstreamStatus::kReservedBitsSet;
  *nq = d[1];
  if (d[1] > f.max_quantizers) return BitstreamStatus::kTooManyQuantizers;
  if ((d[0] & 1) && d[1]) return BitstreamStatus::kTooManyQuantizers;
  const size_t bits = static_cast<size_t>(d[1]) * f.bits_per_code;
  const size_t want = 2 + (bits + 7) / 8;
  if (n < want) return BitstreamStatus::kTruncated;
  if (n > want) return BitstreamStatus::kBadLength;
  const uint8_t* p = d + 2;
  for (size_t q = 0; q < d[1]; ++q) {
    uint32_t c = 0;
    for (size_t k = 0; k < f.bits_per_code; ++k) c = (c << 1) | RefBit(p, q * f.bits_per_code + k);
    if (c >= f.EffectiveCodebookSize()) return BitstreamStatus::kCodeOutOfRange;
    codes[q] = static_cast<uint16_t>(c);
  }
  for (size_t i = bits; i < (want - 2) * 8; ++i)
    if (RefBit(p, i)) return BitstreamStatus::kNonZeroPadding;
  return BitstreamStatus::kOk;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const CodecFormat f = sscodec_fuzz::FuzzFormat(data[0], data[1]);
  if (ValidateFormat(f) != BitstreamStatus::kOk) Fail("fuzz format invalid");
  const uint8_t* pkt = data + 2;
  const size_t n = size - 2;

  // 1. Parse, compare with the reference.
  PacketHeader h;
  uint16_t codes[kMaxQuantizersLimit];
  uint16_t ref_codes[kMaxQuantizersLimit];
  uint8_t ref_nq = 0;
  const BitstreamStatus st = UnpackPacket(f, pkt, n, &h, codes, kMaxQuantizersLimit);
  const BitstreamStatus ref = RefUnpack(f, pkt, n, &ref_nq, ref_codes);
  if (st != ref) Fail("UnpackPacket status differs from the reference parser");
  if (st == BitstreamStatus::kOk) {
    if (h.num_quantizers != ref_nq) Fail("n_q differs from reference");
    if (std::memcmp(codes, ref_codes, h.num_quantizers * sizeof(uint16_t)) != 0)
      Fail("codes differ from reference");
    uint8_t out[kMaxPacketBytes];
    size_t out_n = 0;
    if (PackPacket(f, h.flags, codes, h.num_quantizers, out, sizeof(out), &out_n) != BitstreamStatus::kOk)
      Fail("re-pack of a valid packet failed");
    if (out_n != n || std::memcmp(out, pkt, n) != 0) Fail("re-pack differs from the input packet");
  }

  // 2. Use the payload as codes: pack, compare with reference packer, unpack.
  size_t nq = n / 2;
  if (nq > f.max_quantizers) nq = f.max_quantizers;
  uint16_t in[kMaxQuantizersLimit];
  for (size_t i = 0; i < nq; ++i)
    in[i] = static_cast<uint16_t>((pkt[2 * i] << 8 | pkt[2 * i + 1]) % f.EffectiveCodebookSize());
  const uint8_t flags = (n & 1) ? kPacketFlagDenoise : 0;
  uint8_t packed[kMaxPacketBytes];
  size_t packed_n = 0;
  if (PackPacket(f, flags, in, nq, packed, sizeof(packed), &packed_n) != BitstreamStatus::kOk)
    Fail("PackPacket failed on valid codes");
  if (packed_n != PacketSize(f, nq)) Fail("packed size");
  uint8_t ref_packed[kMaxPacketBytes] = {};
  ref_packed[0] = static_cast<uint8_t>(0x20 | flags);
  ref_packed[1] = static_cast<uint8_t>(nq);
  for (size_t q = 0; q < nq; ++q)
    for (size_t k = 0; k < f.bits_per_code; ++k)
      if ((in[q] >> (f.bits_per_code - 1 - k)) & 1) {
        const size_t bit = q * f.bits_per_code + k;
        ref_packed[2 + bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
      }
  if (std::memcmp(packed, ref_packed, packed_n) != 0) Fail("PackPacket differs from the reference packer");
  PacketHeader h2;
  uint16_t back[kMaxQuantizersLimit];
  if (UnpackPacket(f, packed, packed_n, &h2, back, kMaxQuantizersLimit) != BitstreamStatus::kOk)
    Fail("unpack of a packed packet failed");
  if (h2.num_quantizers != nq || h2.flags != flags || std::memcmp(back, in, nq * sizeof(uint16_t)) != 0)
    Fail("pack/unpack round trip changed the codes");
  // A too-small buffer is refused, never overrun.
  if (packed_n > 0 &&
      PackPacket(f, flags, in, nq, packed, packed_n - 1, &packed_n) != BitstreamStatus::kBufferTooSmall)
    Fail("PackPacket accepted a too-small buffer");
  return 0;
}
