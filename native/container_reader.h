// Reader for the .ssc container, from a byte buffer (zero-copy, no allocation).
//
// Layout, container version 2 (little-endian; see docs/bitstream.md):
//   header   magic 89 53 53 43 0D 0A 1A 0A | version u16 | header_len u16
//            | sample_rate u32 | original_length u64 | frame_size u16
//            | bits_per_code u8 | max_quantizers u8 | codebook_size u32
//            | packet_version u8 | reserved u8 = 0 | flags u16
//            | source_sample_rate u32 | source_length u64      (version 2 only)
//            | model_id_len u8 (1..255) | model_id | model_hash_len u8 (0..64) | model_hash
//            | crc32 u32 of every header byte before it
//            (header_len counts the bytes from sample_rate to model_hash)
//   record   length u16 (0 = no packet for this frame) | packet | crc32 u32 of
//            (record index u32 | length u16 | packet)
//   trailer  FF FF | record_count u32 | crc32 u32 of (FF FF | record_count u32)
//   then end of file.
//
// Version 1 lacks the two source fields; it is read as source_sample_rate 0
// (= the model rate) and source_length = original_length. Writers write 2.
// Same rules as sscodec.container (Python). The reader checks structure and
// checksums; packets are returned as views and checked by UnpackPacket (or
// ValidateContainer(check_packets=true)).
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet.h"

namespace sscodec {

constexpr uint8_t kSscMagic[8] = {0x89, 'S', 'S', 'C', '\r', '\n', 0x1A, '\n'};
constexpr uint16_t kContainerVersion = 2;     // written; versions 1 and 2 are read
constexpr uint16_t kContainerVersionV1 = 1;
constexpr uint16_t kRecordEndMarker = 0xFFFF;
constexpr size_t kMaxModelIdBytes = 255;
constexpr size_t kMaxModelHashBytes = 64;
// Highest source_sample_rate a header may declare (Hz); larger -> kBadHeader.
constexpr uint32_t kMaxSourceSampleRate = 768000;
constexpr uint16_t kContainerFlagDenoise = 0x0001;
constexpr uint16_t kContainerFlagDtx = 0x0002;
constexpr uint16_t kContainerKnownFlags = kContainerFlagDenoise | kContainerFlagDtx;
constexpr size_t kContainerPrefixSize = 12;   // magic + version + header_len
constexpr size_t kContainerFixedFieldsSizeV1 = 24;  // sample_rate .. flags
constexpr size_t kContainerFixedFieldsSize = 36;    // v2: .. source_sample_rate, source_length
constexpr size_t kRecordOverhead = 6;         // length u16 + crc32
constexpr size_t kTrailerSize = 10;           // marker u16 + count u32 + crc32

struct ContainerHeader {
  uint16_t version = kContainerVersion;
  CodecFormat format;            // codebook_size as stored (never 0 when parsed)
  uint64_t original_length = 0;  // samples at format.sample_rate
  uint8_t packet_version = kPacketVersion;
  uint16_t flags = 0;            // kContainerFlag* bits
  // Input before resampling (version 2): rate in Hz, 0 = unknown / same as
  // the model rate, in which case source_length must equal original_length.
  uint32_t source_sample_rate = 0;
  uint64_t source_length = 0;  // samples at the source rate
  const uint8_t* model_id = nullptr;  // UTF-8, not NUL-terminated
  size_t model_id_size = 0;
  const uint8_t* model_hash = nullptr;
  size_t model_hash_size = 0;
  size_t size = 0;  // parsed: header bytes including its CRC (= offset of record 0)

  uint32_t EffectiveSourceRate() const {  // Hz
    return source_sample_rate ? source_sample_rate : format.sample_rate;
  }
};

// Total header bytes (CRC included) for the given id/hash sizes and version.
constexpr size_t ContainerHeaderSize(size_t model_id_size, size_t model_hash_size,
                                     uint16_t version = kContainerVersion) {
  return kContainerPrefixSize +
         (version == kContainerVersionV1 ? kContainerFixedFieldsSizeV1 : kContainerFixedFieldsSize) + 2 +
         model_id_size + model_hash_size + 4;
}

// Whether the source lasts at most one model-rate sample longer than
// record_count frames hold: source_length * sample_rate <=
// (record_count * frame_size + 1) * source_sample_rate (exact, no overflow).
// Always true when source_sample_rate is 0.
bool SourceFits(const ContainerHeader& header, uint32_t record_count);

struct ContainerRecord {
  uint32_t index = 0;
  const uint8_t* packet = nullptr;  // view into the buffer; nullptr when size == 0
  size_t size = 0;                  // 0: no packet for this frame (lost / not sent)
};

// Parses and validates the header at data[0..size). header->model_id/hash
// point into `data`.
BitstreamStatus ParseContainerHeader(const uint8_t* data, size_t size, ContainerHeader* header);

// kModelMismatch unless the header matches every expectation given (pass
// nullptr to skip one). expected_format fields compare as in Python
// (codebook_size 0 there means 2^bits_per_code).
BitstreamStatus CheckModel(const ContainerHeader& header, const char* expected_model_id,
                           const uint8_t* expected_hash, size_t expected_hash_size,
                           const CodecFormat* expected_format);

class ContainerReader {
 public:
  // Parses the header. The buffer must outlive the reader.
  BitstreamStatus Open(const uint8_t* data, size_t size);
  // kOk: *record is the next record. kEndOfStream: the trailer was valid
  // and ended the buffer. Anything else: the file is bad; errors are sticky.
  BitstreamStatus Next(ContainerRecord* record);

  const ContainerHeader& header() const { return header_; }
  uint32_t records_read() const { return count_; }
  size_t offset() const { return pos_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
  uint32_t count_ = 0;
  ContainerHeader header_;
  BitstreamStatus state_ = BitstreamStatus::kInvalidArgument;  // until Open succeeds
};

// Whole-file check: header, every record, trailer, end of buffer; with
// check_packets also UnpackPacket on every non-empty record. Optional outputs
// may be nullptr.
BitstreamStatus ValidateContainer(const uint8_t* data, size_t size, bool check_packets,
                                  ContainerHeader* header, uint32_t* num_records);

// RFC 3629 UTF-8 check (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(const uint8_t* data, size_t size);

}  // namespace sscodec
