// Shared by the libFuzzer harnesses. Mirrors fuzz_format() in
// tests/fuzz/fuzz_python_parsers.py and native/fuzz/make_corpus.py: keep the
// three in sync.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "packet.h"

namespace sscodec_fuzz {

// Packet-fuzzer inputs start with two selector bytes:
//   s0: bits 0..3 -> bits_per_code - 1; bits 4..7 -> index into kMaxQ.
//   s1: subtracted from 2^bits_per_code to give the codebook size (min 1).
// 0x99 0x00 is sscodec 16 kHz (10 bits, 24 quantizers); 0xB3 0x00 is Lyra v2.
constexpr uint8_t kMaxQ[16] = {1, 2, 3, 4, 6, 8, 12, 16, 18, 24, 32, 46, 64, 128, 200, 255};

inline sscodec::CodecFormat FuzzFormat(uint8_t s0, uint8_t s1) {
  sscodec::CodecFormat f;
  f.bits_per_code = static_cast<uint8_t>((s0 & 0x0F) + 1);
  f.max_quantizers = kMaxQ[s0 >> 4];
  const uint32_t full = 1u << f.bits_per_code;
  f.codebook_size = s1 >= full ? 1u : full - s1;
  return f;
}

[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s\n", what);
  std::abort();
}

}  // namespace sscodec_fuzz
