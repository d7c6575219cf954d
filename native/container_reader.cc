#include "container_reader.h"

#include <cstring>

#include "crc32.h"

namespace sscodec {
namespace {

uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t Le64(const uint8_t* p) {
  return static_cast<uint64_t>(Le32(p)) | (static_cast<uint64_t>(Le32(p + 4)) << 32);
}

// a * b as a 128-bit (hi, lo) pair.
void Mul64x32(uint64_t a, uint32_t b, uint64_t* hi, uint64_t* lo) {
  const uint64_t low = (a & 0xFFFFFFFFu) * b;  // < 2^64
  const uint64_t high = (a >> 32) * b;         // < 2^64
  *lo = low + (high << 32);
  *hi = (high >> 32) + (*lo < low ? 1 : 0);
}

}  // namespace

bool IsValidUtf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    if (c < 0x80) { ++i; continue; }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return false;
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    i += len;
  }
  return true;
}

bool SourceFits(const ContainerHeader& h, uint32_t record_count) {
  if (h.source_sample_rate == 0) return true;
  const uint64_t capacity = static_cast<uint64_t>(record_count) * h.format.frame_size;  // < 2^48
  uint64_t a_hi, a_lo, b_hi, b_lo;
  Mul64x32(h.source_length, h.format.sample_rate, &a_hi, &a_lo);
  Mul64x32(capacity + 1, h.source_sample_rate, &b_hi, &b_lo);
  return a_hi < b_hi || (a_hi == b_hi && a_lo <= b_lo);
}

BitstreamStatus ParseContainerHeader(const uint8_t* data, size_t size, ContainerHeader* h) {
  if (!h || (size && !data)) return BitstreamStatus::kInvalidArgument;
  // Magic first: a short prefix of the magic is a truncated file, anything else not ours.
  const size_t m = size < sizeof(kSscMagic) ? size : sizeof(kSscMagic);
  if (size == 0) return BitstreamStatus::kTruncated;
  if (std::memcmp(data, kSscMagic, m) != 0) return BitstreamStatus::kBadMagic;
  if (size < kContainerPrefixSize) return BitstreamStatus::kTruncated;
  h->version = Le16(data + 8);
  if (h->version != kContainerVersion && h->version != kContainerVersionV1)
    return BitstreamStatus::kUnsupportedVersion;
  const size_t header_len = Le16(data + 10);
  if (size - kContainerPrefixSize < header_len + 4) return BitstreamStatus::kTruncated;
  const size_t crc_pos = kContainerPrefixSize + header_len;
  if (Crc32(data, crc_pos) != Le32(data + crc_pos)) return BitstreamStatus::kBadChecksum;

  const uint8_t* b = data + kContainerPrefixSize;
  const bool v1 = h->version == kContainerVersionV1;
  const size_t fixed = v1 ? kContainerFixedFieldsSizeV1 : kContainerFixedFieldsSize;
  if (header_len < fixed + 2) return BitstreamStatus::kBadHeader;
  h->format.sample_rate = Le32(b + 0);
  h->original_length = Le64(b + 4);
  h->format.frame_size = Le16(b + 12);
  h->format.bits_per_code = b[14];
  h->format.max_quantizers = b[15];
  h->format.codebook_size = Le32(b + 16);
  h->packet_version = b[20];
  const uint8_t reserved = b[21];
  h->flags = Le16(b + 22);
  h->source_sample_rate = v1 ? 0 : Le32(b + 24);
  h->source_length = v1 ? h->original_length : Le64(b + 28);
  size_t pos = fixed;
  const size_t id_len = b[pos++];
  if (id_len == 0 || pos + id_len + 1 > header_len) return BitstreamStatus::kBadHeader;
  h->model_id = b + pos;
  h->model_id_size = id_len;
  pos += id_len;
  const size_t hash_len = b[pos++];
  if (hash_len > kMaxModelHashBytes || pos + hash_len != header_len) return BitstreamStatus::kBadHeader;
  h->model_hash = hash_len ? b + pos : nullptr;
  h->model_hash_size = hash_len;
  if (reserved != 0 || (h->flags & ~kContainerKnownFlags)) return BitstreamStatus::kReservedBitsSet;
  if (h->packet_version != kPacketVersion) return BitstreamStatus::kUnsupportedVersion;
  if (!IsValidUtf8(h->model_id, h->model_id_size)) return BitstreamStatus::kBadHeader;
  if (h->format.codebook_size == 0 || ValidateFormat(h->format) != BitstreamStatus::kOk)
    return BitstreamStatus::kBadHeader;
  if (h->source_sample_rate > kMaxSourceSampleRate) return BitstreamStatus::kBadHeader;
  if (h->source_sample_rate == 0 && h->source_length != h->original_length) return BitstreamStatus::kBadHeader;
  h->size = crc_pos + 4;
  return BitstreamStatus::kOk;
}

BitstreamStatus CheckModel(const ContainerHeader& h, const char* expected_model_id,
                           const uint8_t* expected_hash, size_t expected_hash_size,
                           const CodecFormat* f) {
  if (expected_model_id) {
    const size_t n = std::strlen(expected_model_id);
    if (n != h.model_id_size || (n && std::memcmp(expected_model_id, h.model_id, n) != 0))
      return BitstreamStatus::kModelMismatch;
  }
  if (expected_hash) {
    if (expected_hash_size != h.model_hash_size ||
        (expected_hash_size && std::memcmp(expected_hash, h.model_hash, expected_hash_size) != 0))
      return BitstreamStatus::kModelMismatch;
  }
  if (f) {
    if (f->sample_rate != h.format.sample_rate || f->frame_size != h.format.frame_size ||
        f->bits_per_code != h.format.bits_per_code || f->max_quantizers != h.format.max_quantizers ||
        f->EffectiveCodebookSize() != h.format.EffectiveCodebookSize())
      return BitstreamStatus::kModelMismatch;
  }
  return BitstreamStatus::kOk;
}

BitstreamStatus ContainerReader::Open(const uint8_t* data, size_t size) {
  data_ = data;
  size_ = size;
  count_ = 0;
  header_ = ContainerHeader();
  state_ = ParseContainerHeader(data, size, &header_);
  pos_ = state_ == BitstreamStatus::kOk ? header_.size : 0;
  return state_;
}

BitstreamStatus ContainerReader::Next(ContainerRecord* rec) {
  if (state_ != BitstreamStatus::kOk) return state_;
  if (!rec) return BitstreamStatus::kInvalidArgument;
  const size_t left = size_ - pos_;
  const uint8_t* p = data_ + pos_;
  if (left < 2) return state_ = BitstreamStatus::kTruncated;
  const uint16_t len = Le16(p);
  if (len == kRecordEndMarker) {
    if (left < kTrailerSize) return state_ = BitstreamStatus::kTruncated;
    const uint32_t count = Le32(p + 2);
    if (Crc32(p, 6) != Le32(p + 6)) return state_ = BitstreamStatus::kBadChecksum;
    if (count != count_) return state_ = BitstreamStatus::kBadLength;
    if (left > kTrailerSize) return state_ = BitstreamStatus::kTrailingData;
    const uint64_t capacity = static_cast<uint64_t>(count_) * header_.format.frame_size;
    if (header_.original_length > capacity || !SourceFits(header_, count_))
      return state_ = BitstreamStatus::kBadHeader;
    pos_ += kTrailerSize;
    return state_ = BitstreamStatus::kEndOfStream;
  }
  if (len > MaxPacketSize(header_.format)) return state_ = BitstreamStatus::kBadLength;
  if (left - 2 < static_cast<size_t>(len) + 4) return state_ = BitstreamStatus::kTruncated;
  uint8_t prefix[6] = {static_cast<uint8_t>(count_), static_cast<uint8_t>(count_ >> 8),
                       static_cast<uint8_t>(count_ >> 16), static_cast<uint8_t>(count_ >> 24),
                       p[0], p[1]};
  const uint32_t crc = Crc32(p + 2, len, Crc32(prefix, sizeof(prefix)));
  if (crc != Le32(p + 2 + len)) return state_ = BitstreamStatus::kBadChecksum;
  if (count_ == 0xFFFFFFFFu) return state_ = BitstreamStatus::kBadLength;
  rec->index = count_++;
  rec->packet = len ? p + 2 : nullptr;
  rec->size = len;
  pos_ += kRecordOverhead + len;
  return BitstreamStatus::kOk;
}

BitstreamStatus ValidateContainer(const uint8_t* data, size_t size, bool check_packets,
                                  ContainerHeader* header, uint32_t* num_records) {
  ContainerReader reader;
  BitstreamStatus st = reader.Open(data, size);
  if (header) *header = reader.header();
  if (num_records) *num_records = 0;
  if (st != BitstreamStatus::kOk) return st;
  uint16_t codes[kMaxQuantizersLimit];
  ContainerRecord rec;
  while ((st = reader.Next(&rec)) == BitstreamStatus::kOk) {
    if (check_packets && rec.size) {
      PacketHeader ph;
      const BitstreamStatus ps = UnpackPacket(reader.header().format, rec.packet, rec.size, &ph,
                                              codes, kMaxQuantizersLimit);
      // A packet shorter than its header says sits in a complete record: that
      // is a bad length, not a truncated file.
      if (ps == BitstreamStatus::kTruncated) return BitstreamStatus::kBadLength;
      if (ps != BitstreamStatus::kOk) return ps;
    }
  }
  if (num_records) *num_records = reader.records_read();
  return st == BitstreamStatus::kEndOfStream ? BitstreamStatus::kOk : st;
}

}  // namespace sscodec
