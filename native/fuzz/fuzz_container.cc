// libFuzzer harness for the .ssc container reader (native/container_reader.h).
// Input: a whole .ssc file. Checks, besides memory safety (ASan/UBSan):
//  * record-by-record reading and ValidateContainer() agree;
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
  (void)CheckModel(h, "speech16k", nullptr, 0, &kSscodec16k);

  std::vector<uint8_t> rebuilt(size);
  size_t w = 0, pos = 0;
  bool can_rebuild = WriteContainerHeader(h, rebuilt.data(), rebuilt.size(), &w) == BitstreamStatus::kOk;
  if (!can_rebuild) Fail("a parsed header could not be written back");
  pos = w;

  uint16_t codes[kMaxQuantizersLimit];
  ContainerRecord rec;
  while ((st = reader.Next(&rec)) == BitstreamStatus::kOk) {
    if (rec.size > MaxPacketSize(h.format)) Fail("record longer than the max packet size");
    if (rec.size && (rec.packet < data || rec.packet + rec.size > data + size)) Fail("record view out of bounds");
    if (rec.size) {
      PacketHeader ph;
      if (UnpackPacket(h.format, rec.packet, rec.size, &ph, codes, kMaxQuantizersLimit) == BitstreamStatus::kOk) {
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
  if (st != BitstreamStatus::kEndOfStream) return 0;
  if (vn != reader.records_read()) Fail("record counts disagree");
  if (WriteTrailer(reader.records_read(), rebuilt.data() + pos, rebuilt.size() - pos, &w) != BitstreamStatus::kOk)
    Fail("trailer could not be written back");
  pos += w;
  if (pos != size || std::memcmp(rebuilt.data(), data, size) != 0) Fail("re-serialised file differs from the input");
  return 0;
}
