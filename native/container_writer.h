// Serialises the .ssc container (layout in container_reader.h) into caller
// buffers: no allocation, no exceptions. Writing a file is
//   WriteContainerHeader, then WriteRecord(i, packet_i) for i = 0.., then
//   WriteTrailer(count); original_length/source_length are in the header, so
//   a streaming writer rewrites the header (same size) once they are known.
#pragma once

#include <cstddef>
#include <cstdint>

#include "container_reader.h"

namespace sscodec {

// Header bytes for h (CRC included), in the layout of h.version (2, or 1
// which has no source fields). Uses h.version/format/original_length/
// packet_version/flags/source_sample_rate/source_length/model_id/model_hash;
// h.size is ignored. kInvalidArgument if a field is out of range (version not
// 1 or 2, bad format, empty or > 255-byte id, > 64-byte hash, unknown flags,
// source_sample_rate 0 with source_length != original_length, or a source
// rate in version 1); format.codebook_size 0 is written as 2^bits_per_code.
// Buffer size: ContainerHeaderSize(id size, hash size, h.version).
BitstreamStatus WriteContainerHeader(const ContainerHeader& h, uint8_t* out, size_t capacity,
                                     size_t* written);

constexpr size_t RecordSize(size_t packet_size) { return kRecordOverhead + packet_size; }

// Record `index` holding packet[0..size) (size 0: frame without packet).
// size must be <= MaxPacketSize(fmt) (the reader's limit).
BitstreamStatus WriteRecord(const CodecFormat& fmt, uint32_t index, const uint8_t* packet,
                            size_t size, uint8_t* out, size_t capacity, size_t* written);

BitstreamStatus WriteTrailer(uint32_t record_count, uint8_t* out, size_t capacity, size_t* written);

}  // namespace sscodec
