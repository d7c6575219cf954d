// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init/xorout 0xFFFFFFFF):
// the same function as zlib.crc32 / binascii.crc32. Table-driven, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sscodec {

// Continues a running CRC: Crc32(b, nb, Crc32(a, na)) == Crc32 of a followed by b.
uint32_t Crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace sscodec
