// libFuzzer harness for the .ssc container reader (native/container_reader.h).
// Input: a whole .ssc file. Checks, besides memory safety (ASan/UBSan):
//  * record-by-record reading and ValidateContainer() agree (with and
//    without packet checks);
//  * every record that holds a valid packet re-packs to the same bytes;
//  * a file that parses completely re-serialises (container_writer.h) to the
//    identical bytes: the format has a single canonical encoding.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "container_reader.h"
#include "container_writer.h"
#include "fuzz_common.h"
#include "packet.h"

using namespace sscodec;
using sscodec_fuzz::Fail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)IsValidUtf8(data, size);  // also reached via model ids, but those sit behind a CRC
  ContainerReader reader;
  BitstreamStatus st = reader.Open(data, size);
  ContainerHeader vh;
  uint32_t vn = 0;
  const BitstreamStatus whole = ValidateContainer(data, size, /*check_packets=*/false, &vh, &vn);
  if (st != BitstreamStatus::kOk) {
    if (whole != st) Fail("ValidateContainer and Open disagree on the header");
    return 0;
  }
  const ContainerHeader& h = reader.header();
  if (h.size > size) Fail("header size beyond the buffer");
  const uint8_t some_hash[4] = {0, 1, 2, 3};
  if (CheckModel(h, nullptr, nullptr, 0, nullptr) != BitstreamStatus::kOk) Fail("empty CheckModel failed");
  (void)CheckModel(h, "speech16k", some_hash, h.model_hash_size < 4 ? h.model_hash_size : 4, &kSscodec16k);
  if (CheckModel(h, nullptr, h.model_hash, h.model_hash_size, &h.format) != BitstreamStatus::kOk)
    Fail("CheckModel rejects the file's own hash/format");

  std::vector<uint8_t> rebuilt(size);
  size_t w = 0, pos = 0;
  bool can_rebuild = WriteContainerHeader(h, rebuilt.data(), rebuilt.size(), &w) == BitstreamStatus::kOk;
  if (!can_rebuild) Fail("a parsed header could not be written back");
  pos = w;

  uint16_t codes[kMaxQuantizersLimit];
  ContainerRecord rec;
  BitstreamStatus first_bad_packet = BitstreamStatus::kOk;
  while ((st = reader.Next(&rec)) == BitstreamStatus::kOk) {
    if (rec.size > MaxPacketSize(h.format)) Fail("record longer than the max packet size");
    if (rec.size && (rec.packet < data || rec.packet + rec.size > data + size)) Fail("record view out of bounds");
    if (rec.size) {
      PacketHeader ph;
      const BitstreamStatus ps = UnpackPacket(h.format, rec.packet, rec.size, &ph, codes, kMaxQuantizersLimit);
      if (ps != BitstreamStatus::kOk && first_bad_packet == BitstreamStatus::kOk)
        first_bad_packet = ps == BitstreamStatus::kTruncated ? BitstreamStatus::kBadLength : ps;
      if (ps == BitstreamStatus::kOk) {
        uint8_t out[kMaxPacketBytes];
        size_t n = 0;
        if (PackPacket(h.format, ph.flags, codes, ph.num_quantizers, out, sizeof(out), &n) != BitstreamStatus::kOk ||
            n != rec.size || std::memcmp(out, rec.packet, n) != 0)
          Fail("record packet does not re-pack identically");
      }
    }
    if (WriteRecord(h.format, rec.index, rec.packet, rec.size, rebuilt.data() + pos, rebuilt.size() - pos, &w) !=
        BitstreamStatus::kOk)
      Fail("a parsed record could not be written back within the input size");
    pos += w;
  }
  const BitstreamStatus expect = st == BitstreamStatus::kEndOfStream ? BitstreamStatus::kOk : st;
  if (whole != expect) Fail("ValidateContainer and Next disagree");
  const BitstreamStatus checked = ValidateContainer(data, size, /*check_packets=*/true, nullptr, nullptr);
  if (checked != (first_bad_packet != BitstreamStatus::kOk ? first_bad_packet : expect))
    Fail("ValidateContainer(check_packets) disagrees with per-record unpacking");
  if (st != BitstreamStatus::kEndOfStream) return 0;
  if (vn != reader.records_read()) Fail("record counts disagree");
  if (WriteTrailer(reader.records_read(), rebuilt.data() + pos, rebuilt.size() - pos, &w) != BitstreamStatus::kOk)
    Fail("trailer could not be written back");
  pos += w;
  if (pos != size || std::memcmp(rebuilt.data(), data, size) != 0) Fail("re-serialised file differs from the input");
  return 0;
}
