// SHA-256 (FIPS 180-4), used to check graph files against manifest.json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sscodec {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  // Writes 32 bytes; the object must not be updated afterwards.
  void Final(uint8_t digest[32]);

 private:
  void Block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// Lower-case hex digest of a buffer.
std::string Sha256Hex(const void* data, size_t size);

}  // namespace sscodec
