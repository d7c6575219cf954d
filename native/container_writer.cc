#include "container_writer.h"

#include <cstring>

#include "crc32.h"

namespace sscodec {
namespace {

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

BitstreamStatus WriteContainerHeader(const ContainerHeader& h, uint8_t* out, size_t capacity,
                                     size_t* written) {
  if (written) *written = 0;
  if (!out || !written) return BitstreamStatus::kInvalidArgument;
  if (ValidateFormat(h.format) != BitstreamStatus::kOk) return BitstreamStatus::kInvalidArgument;
  if (h.model_id_size < 1 || h.model_id_size > kMaxModelIdBytes || !h.model_id ||
      !IsValidUtf8(h.model_id, h.model_id_size))
    return BitstreamStatus::kInvalidArgument;
  if (h.model_hash_size > kMaxModelHashBytes || (h.model_hash_size && !h.model_hash))
    return BitstreamStatus::kInvalidArgument;
  if (h.flags & ~kContainerKnownFlags) return BitstreamStatus::kInvalidArgument;
  if (h.source_sample_rate > kMaxSourceSampleRate) return BitstreamStatus::kInvalidArgument;
  const bool v1 = h.version == kContainerVersionV1;
  if (!v1 && h.version != kContainerVersion) return BitstreamStatus::kInvalidArgument;
  if (h.source_sample_rate == 0 ? h.source_length != h.original_length : v1)
    return BitstreamStatus::kInvalidArgument;
  const size_t total = ContainerHeaderSize(h.model_id_size, h.model_hash_size, h.version);
  if (capacity < total) return BitstreamStatus::kBufferTooSmall;
  const size_t header_len = total - kContainerPrefixSize - 4;
  std::memcpy(out, kSscMagic, sizeof(kSscMagic));
  Put16(out + 8, h.version);
  Put16(out + 10, static_cast<uint16_t>(header_len));
  uint8_t* b = out + kContainerPrefixSize;
  Put32(b + 0, h.format.sample_rate);
  Put64(b + 4, h.original_length);
  Put16(b + 12, h.format.frame_size);
  b[14] = h.format.bits_per_code;
  b[15] = h.format.max_quantizers;
  Put32(b + 16, h.format.EffectiveCodebookSize());
  b[20] = h.packet_version;
  b[21] = 0;
  Put16(b + 22, h.flags);
  size_t pos = kContainerFixedFieldsSizeV1;
  if (!v1) {
    Put32(b + 24, h.source_sample_rate);
    Put64(b + 28, h.source_length);
    pos = kContainerFixedFieldsSize;
  }
  b[pos++] = static_cast<uint8_t>(h.model_id_size);
  std::memcpy(b + pos, h.model_id, h.model_id_size);
  pos += h.model_id_size;
  b[pos++] = static_cast<uint8_t>(h.model_hash_size);
  if (h.model_hash_size) std::memcpy(b + pos, h.model_hash, h.model_hash_size);
  const size_t crc_pos = kContainerPrefixSize + header_len;
  Put32(out + crc_pos, Crc32(out, crc_pos));
  *written = total;
  return BitstreamStatus::kOk;
}

BitstreamStatus WriteRecord(const CodecFormat& fmt, uint32_t index, const uint8_t* packet,
                            size_t size, uint8_t* out, size_t capacity, size_t* written) {
  if (written) *written = 0;
  if (!out || !written || (size && !packet)) return BitstreamStatus::kInvalidArgument;
  if (ValidateFormat(fmt) != BitstreamStatus::kOk) return BitstreamStatus::kInvalidArgument;
  if (size > MaxPacketSize(fmt)) return BitstreamStatus::kBadLength;
  if (capacity < RecordSize(size)) return BitstreamStatus::kBufferTooSmall;
  uint8_t prefix[6];
  Put32(prefix, index);
  Put16(prefix + 4, static_cast<uint16_t>(size));
  std::memcpy(out, prefix + 4, 2);
  if (size) std::memmove(out + 2, packet, size);
  Put32(out + 2 + size, Crc32(packet, size, Crc32(prefix, sizeof(prefix))));
  *written = RecordSize(size);
  return BitstreamStatus::kOk;
}

BitstreamStatus WriteTrailer(uint32_t record_count, uint8_t* out, size_t capacity, size_t* written) {
  if (written) *written = 0;
  if (!out || !written) return BitstreamStatus::kInvalidArgument;
  if (capacity < kTrailerSize) return BitstreamStatus::kBufferTooSmall;
  Put16(out, kRecordEndMarker);
  Put32(out + 2, record_count);
  Put32(out + 6, Crc32(out, 6));
  *written = kTrailerSize;
  return BitstreamStatus::kOk;
}

}  // namespace sscodec
