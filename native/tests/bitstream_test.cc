// Round-trip and strictness tests for packet.h / container_reader.h /
// container_writer.h. Plain main(): prints failures, returns nonzero if any.
//   g++ -std=c++17 -O1 -Wall -Wextra -Inative native/tests/bitstream_test.cc
//       native/packet.cc native/crc32.cc native/container_reader.cc
//       native/container_writer.cc -o /tmp/bitstream_test && /tmp/bitstream_test
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "container_reader.h"
#include "container_writer.h"
#include "crc32.h"
#include "packet.h"

using namespace sscodec;

static int g_failures = 0;
#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      ++g_failures;                                                      \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                    \
  } while (0)
#define CHECK_ST(expr, want) CHECK((expr) == BitstreamStatus::want)

static std::vector<uint8_t> Hex(const char* s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; s[i] && s[i + 1]; i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(s + i, 2), nullptr, 16)));
  return out;
}

static std::vector<uint8_t> Pack(const CodecFormat& f, uint8_t flags, const std::vector<uint16_t>& codes,
                                 BitstreamStatus* st = nullptr) {
  std::vector<uint8_t> buf(kMaxPacketBytes);
  size_t n = 0;
  BitstreamStatus s = PackPacket(f, flags, codes.data(), codes.size(), buf.data(), buf.size(), &n);
  if (st) *st = s;
  buf.resize(n);
  return buf;
}

static void TestKnownVectors() {
  CHECK(Pack(kSscodec16k, 0, {1, 2, 1023}) == Hex("200300402ffc"));
  CHECK(Pack(kSscodec16k, kPacketFlagDenoise, {1, 2, 1023}) == Hex("220300402ffc"));
  CHECK(Pack(kLyraV2, 0, {5, 10, 15}) == Hex("20035af0"));
  CHECK(Pack(kSscodec16k, kPacketFlagDtx, {}) == Hex("2100"));
  CHECK(Pack(kSscodec16k, 0, {}) == Hex("2000"));
  const uint8_t abc[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  CHECK(Crc32(abc, 9) == 0xCBF43926u);  // the standard CRC-32 check value
}

static void TestRoundTrips() {
  std::mt19937 rng(1234);
  const CodecFormat formats[] = {kSscodec16k, kLyraV2, CodecFormat{16000, 320, 16, 255, 0},
                                 CodecFormat{8000, 160, 1, 7, 0}, CodecFormat{16000, 320, 10, 24, 1000}};
  for (const CodecFormat& f : formats) {
    const uint32_t cb = f.EffectiveCodebookSize();
    for (size_t n_q = 0; n_q <= f.max_quantizers; ++n_q) {
      for (int rep = 0; rep < 4; ++rep) {
        std::vector<uint16_t> codes(n_q);
        for (auto& c : codes) c = static_cast<uint16_t>(rep == 0 ? cb - 1 : (rep == 1 ? 0 : rng() % cb));
        const uint8_t flags = rep == 3 ? kPacketFlagDenoise : 0;
        BitstreamStatus st;
        std::vector<uint8_t> pkt = Pack(f, flags, codes, &st);
        CHECK_ST(st, kOk);
        CHECK(pkt.size() == PacketSize(f, n_q));
        PacketHeader h;
        std::vector<uint16_t> out(f.max_quantizers + 1, 0xFFFF);
        CHECK_ST(UnpackPacket(f, pkt.data(), pkt.size(), &h, out.data(), out.size()), kOk);
        CHECK(h.num_quantizers == n_q && h.flags == flags && h.version == kPacketVersion);
        CHECK(std::equal(codes.begin(), codes.end(), out.begin()));
        // Every truncation fails, so does one extra byte.
        for (size_t cut = 0; cut < pkt.size(); ++cut)
          CHECK(UnpackPacket(f, pkt.data(), cut, &h, out.data(), out.size()) != BitstreamStatus::kOk);
        std::vector<uint8_t> longer = pkt;
        longer.push_back(0);
        CHECK_ST(UnpackPacket(f, longer.data(), longer.size(), &h, out.data(), out.size()), kBadLength);
        // Too small output buffers.
        if (n_q) {
          CHECK_ST(UnpackPacket(f, pkt.data(), pkt.size(), &h, out.data(), n_q - 1), kBufferTooSmall);
          size_t w;
          std::vector<uint8_t> small(pkt.size() - 1);
          CHECK_ST(PackPacket(f, 0, codes.data(), n_q, small.data(), small.size(), &w), kBufferTooSmall);
        }
      }
    }
  }
}

static void TestBadPackets() {
  const CodecFormat f = kSscodec16k;
  PacketHeader h;
  uint16_t codes[255];
  std::vector<uint8_t> p = Pack(f, 0, {1, 2, 1023});
  // Version 0 and 2..7.
  for (int v = 0; v < 8; ++v) {
    if (v == 1) continue;
    std::vector<uint8_t> q = p;
    q[0] = static_cast<uint8_t>((v << 5) | (q[0] & 0x1F));
    CHECK_ST(UnpackPacket(f, q.data(), q.size(), &h, codes, 255), kUnsupportedVersion);
  }
  for (int bit = 2; bit < 5; ++bit) {
    std::vector<uint8_t> q = p;
    q[0] |= static_cast<uint8_t>(1 << bit);
    CHECK_ST(UnpackPacket(f, q.data(), q.size(), &h, codes, 255), kReservedBitsSet);
  }
  std::vector<uint8_t> q = p;
  q.back() |= 1;  // padding bit
  CHECK_ST(UnpackPacket(f, q.data(), q.size(), &h, codes, 255), kNonZeroPadding);
  q = Hex("2119");  // DTX header claiming n_q = 25 > max 24
  CHECK_ST(UnpackPacket(f, q.data(), q.size(), &h, codes, 255), kTooManyQuantizers);
  q = Pack(kSscodec16k, 0, {1});  // DTX flag with a code
  q[0] |= kPacketFlagDtx;
  CHECK_ST(UnpackPacket(f, q.data(), q.size(), &h, codes, 255), kTooManyQuantizers);
  std::vector<uint8_t> big(PacketSize(f, 25), 0);
  big[0] = 0x20;
  big[1] = 25;
  CHECK_ST(UnpackPacket(f, big.data(), big.size(), &h, codes, 255), kTooManyQuantizers);
  // Code >= codebook size (1000 of 1024).
  const CodecFormat f1000{16000, 320, 10, 24, 1000};
  p = Pack(f, 0, {999, 1000});
  CHECK_ST(UnpackPacket(f1000, p.data(), p.size(), &h, codes, 255), kCodeOutOfRange);
  BitstreamStatus st;
  Pack(f1000, 0, {1000}, &st);
  CHECK(st == BitstreamStatus::kCodeOutOfRange);
  Pack(f, kPacketFlagDtx, {1}, &st);
  CHECK(st == BitstreamStatus::kTooManyQuantizers);
  Pack(f, 0x04, {1}, &st);
  CHECK(st == BitstreamStatus::kInvalidArgument);
  std::vector<uint16_t> many(25, 0);
  Pack(f, 0, many, &st);
  CHECK(st == BitstreamStatus::kTooManyQuantizers);
  CHECK_ST(UnpackPacket(f, nullptr, 0, &h, codes, 255), kTruncated);
  CHECK_ST(UnpackPacket(CodecFormat{16000, 320, 17, 24, 0}, p.data(), p.size(), &h, codes, 255), kInvalidArgument);
}

static std::vector<uint8_t> MakeFile(const CodecFormat& f, const std::vector<std::vector<uint8_t>>& packets,
                                     uint64_t original_length, const char* id = "speech16k",
                                     const std::vector<uint8_t>& hash = {1, 2, 3, 4}, uint16_t version = 2,
                                     uint32_t source_rate = 0, uint64_t source_length = 0) {
  ContainerHeader h;
  h.version = version;
  h.format = f;
  h.original_length = original_length;
  h.source_sample_rate = source_rate;
  h.source_length = source_rate ? source_length : original_length;
  h.flags = kContainerFlagDtx;
  h.model_id = reinterpret_cast<const uint8_t*>(id);
  h.model_id_size = std::strlen(id);
  h.model_hash = hash.data();
  h.model_hash_size = hash.size();
  std::vector<uint8_t> out(ContainerHeaderSize(h.model_id_size, h.model_hash_size, version));
  size_t w = 0;
  CHECK_ST(WriteContainerHeader(h, out.data(), out.size(), &w), kOk);
  CHECK(w == out.size());
  for (size_t i = 0; i < packets.size(); ++i) {
    const size_t at = out.size();
    out.resize(at + RecordSize(packets[i].size()));
    CHECK_ST(WriteRecord(f, static_cast<uint32_t>(i), packets[i].data(), packets[i].size(), out.data() + at,
                         out.size() - at, &w), kOk);
  }
  const size_t at = out.size();
  out.resize(at + kTrailerSize);
  CHECK_ST(WriteTrailer(static_cast<uint32_t>(packets.size()), out.data() + at, kTrailerSize, &w), kOk);
  return out;
}

static void TestContainer() {
  const CodecFormat f = kSscodec16k;
  std::vector<std::vector<uint8_t>> packets = {Pack(f, 0, {1, 2, 3, 4, 5, 6}), {}, Pack(f, kPacketFlagDtx, {}),
                                               Pack(f, 0, std::vector<uint16_t>(24, 1023))};
  std::vector<uint8_t> file = MakeFile(f, packets, 4 * 320 - 7);
  ContainerReader r;
  CHECK_ST(r.Open(file.data(), file.size()), kOk);
  CHECK(r.header().original_length == 4 * 320 - 7);
  CHECK(r.header().format.bits_per_code == 10 && r.header().format.max_quantizers == 24);
  CHECK(r.header().model_id_size == 9 && std::memcmp(r.header().model_id, "speech16k", 9) == 0);
  const uint8_t hash[] = {1, 2, 3, 4};
  CHECK_ST(CheckModel(r.header(), "speech16k", hash, 4, &kSscodec16k), kOk);
  CHECK_ST(CheckModel(r.header(), "speech16k-v2", nullptr, 0, nullptr), kModelMismatch);
  CHECK_ST(CheckModel(r.header(), nullptr, hash, 3, nullptr), kModelMismatch);
  CHECK_ST(CheckModel(r.header(), nullptr, nullptr, 0, &kLyraV2), kModelMismatch);
  ContainerRecord rec;
  for (size_t i = 0; i < packets.size(); ++i) {
    CHECK_ST(r.Next(&rec), kOk);
    CHECK(rec.index == i && rec.size == packets[i].size());
    CHECK(rec.size == 0 || std::memcmp(rec.packet, packets[i].data(), rec.size) == 0);
  }
  CHECK_ST(r.Next(&rec), kEndOfStream);
  CHECK_ST(r.Next(&rec), kEndOfStream);
  uint32_t n = 0;
  CHECK_ST(ValidateContainer(file.data(), file.size(), true, nullptr, &n), kOk);
  CHECK(n == packets.size());

  // Every truncation and every single-bit flip is detected.
  for (size_t cut = 0; cut < file.size(); ++cut)
    CHECK(ValidateContainer(file.data(), cut, true, nullptr, nullptr) != BitstreamStatus::kOk);
  for (size_t bit = 0; bit < file.size() * 8; ++bit) {
    std::vector<uint8_t> bad = file;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    CHECK(ValidateContainer(bad.data(), bad.size(), true, nullptr, nullptr) != BitstreamStatus::kOk);
  }
  std::vector<uint8_t> extra = file;
  extra.push_back(0);
  CHECK_ST(ValidateContainer(extra.data(), extra.size(), true, nullptr, nullptr), kTrailingData);
  for (uint8_t v : {0, 3, 0xFF}) {
    std::vector<uint8_t> other = file;
    other[8] = v;
    CHECK_ST(ValidateContainer(other.data(), other.size(), true, nullptr, nullptr), kUnsupportedVersion);
  }
  std::vector<uint8_t> magic = file;
  magic[1] = 'X';
  CHECK_ST(ValidateContainer(magic.data(), magic.size(), true, nullptr, nullptr), kBadMagic);
  std::vector<uint8_t> rec_flip = file;
  rec_flip[r.header().size + 3] ^= 0x10;  // inside record 0's packet
  CHECK_ST(ValidateContainer(rec_flip.data(), rec_flip.size(), true, nullptr, nullptr), kBadChecksum);
  // original_length larger than the frames can hold.
  std::vector<uint8_t> too_long = MakeFile(f, packets, 4 * 320 + 1);
  CHECK_ST(ValidateContainer(too_long.data(), too_long.size(), true, nullptr, nullptr), kBadHeader);
  // An invalid packet inside valid records is caught only with check_packets.
  std::vector<std::vector<uint8_t>> bad_packets = {Hex("2001ffc1")};
  std::vector<uint8_t> bad_pkt_file = MakeFile(f, bad_packets, 0);
  CHECK_ST(ValidateContainer(bad_pkt_file.data(), bad_pkt_file.size(), false, nullptr, nullptr), kOk);
  CHECK_ST(ValidateContainer(bad_pkt_file.data(), bad_pkt_file.size(), true, nullptr, nullptr), kNonZeroPadding);
  // Empty file of zero frames is valid.
  std::vector<uint8_t> empty = MakeFile(kLyraV2, {}, 0, "lyra-v2", {});
  CHECK_ST(ValidateContainer(empty.data(), empty.size(), true, nullptr, &n), kOk);
  CHECK(n == 0);
  // Writer refuses bad headers.
  ContainerHeader h;
  h.model_id = reinterpret_cast<const uint8_t*>("\xff");
  h.model_id_size = 1;
  uint8_t buf[512];
  size_t w;
  CHECK_ST(WriteContainerHeader(h, buf, sizeof(buf), &w), kInvalidArgument);
  h.model_id_size = 0;
  CHECK_ST(WriteContainerHeader(h, buf, sizeof(buf), &w), kInvalidArgument);
  uint8_t big[600] = {};
  CHECK_ST(WriteRecord(f, 0, big, MaxPacketSize(f) + 1, buf, sizeof(buf), &w), kBadLength);
}

// Sets header byte `at` to `value` and recomputes the header CRC.
static void PatchHeader(std::vector<uint8_t>* file, size_t at, uint8_t value) {
  (*file)[at] = value;
  const size_t crc_pos = kContainerPrefixSize + ((*file)[10] | ((*file)[11] << 8));
  const uint32_t crc = Crc32(file->data(), crc_pos);
  for (int i = 0; i < 4; ++i) (*file)[crc_pos + i] = static_cast<uint8_t>(crc >> (8 * i));
}

static void TestContainerVersions() {
  const CodecFormat f = kSscodec16k;
  const std::vector<std::vector<uint8_t>> packets = {Pack(f, 0, {7, 8}), {}, Pack(f, 0, {9})};
  // Version 2 stores the source rate and length.
  std::vector<uint8_t> v2 = MakeFile(f, packets, 3 * 320 - 5, "m", {}, 2, 44100, 2632);
  ContainerHeader h;
  CHECK_ST(ValidateContainer(v2.data(), v2.size(), true, &h, nullptr), kOk);
  CHECK(h.version == 2 && h.size == ContainerHeaderSize(1, 0) && h.size == 12 + 36 + 2 + 1 + 4);
  CHECK(h.source_sample_rate == 44100 && h.source_length == 2632 && h.EffectiveSourceRate() == 44100);
  CHECK(v2[48] == 1 && v2[49] == 'm');  // model id length right after source_length
  // Version 1 (no source fields): source = model rate, source_length = original_length.
  std::vector<uint8_t> v1 = MakeFile(f, packets, 3 * 320 - 5, "m", {}, 1);
  CHECK_ST(ValidateContainer(v1.data(), v1.size(), true, &h, nullptr), kOk);
  CHECK(h.version == 1 && h.size == ContainerHeaderSize(1, 0, 1) && h.size == 12 + 24 + 2 + 1 + 4);
  CHECK(h.source_sample_rate == 0 && h.source_length == 3 * 320 - 5 && h.EffectiveSourceRate() == 16000);
  // header_len must fit the version exactly: relabelling one as the other fails.
  std::vector<uint8_t> relabel = v2;
  PatchHeader(&relabel, 8, 1);
  CHECK_ST(ValidateContainer(relabel.data(), relabel.size(), true, nullptr, nullptr), kBadHeader);
  relabel = v1;
  PatchHeader(&relabel, 8, 2);
  CHECK_ST(ValidateContainer(relabel.data(), relabel.size(), true, nullptr, nullptr), kBadHeader);
  // Every cut inside a v2 header is a truncation.
  for (size_t cut = 8; cut < ContainerHeaderSize(1, 0); ++cut)
    CHECK_ST(ValidateContainer(v2.data(), cut, true, nullptr, nullptr), kTruncated);
  // Source rate 0 needs source_length == original_length.
  std::vector<uint8_t> same = MakeFile(f, packets, 900, "m", {}, 2);
  CHECK_ST(ValidateContainer(same.data(), same.size(), true, &h, nullptr), kOk);
  CHECK(h.source_sample_rate == 0 && h.source_length == 900);
  PatchHeader(&same, 40, 0x85);  // source_length 900 -> 901
  CHECK_ST(ValidateContainer(same.data(), same.size(), true, nullptr, nullptr), kBadHeader);
  // The source may last at most one model sample longer than the records hold:
  // 3 frames = 960 samples at 16 kHz; 961 model samples = 2648.8 at 44.1 kHz.
  std::vector<uint8_t> edge = MakeFile(f, packets, 960, "m", {}, 2, 44100, 2648);
  CHECK_ST(ValidateContainer(edge.data(), edge.size(), true, nullptr, nullptr), kOk);
  edge = MakeFile(f, packets, 960, "m", {}, 2, 44100, 2649);
  CHECK_ST(ValidateContainer(edge.data(), edge.size(), true, nullptr, nullptr), kBadHeader);
  edge = MakeFile(f, packets, 960, "m", {}, 2, 44100, 1ull << 62);  // 2^62 * 16000 wraps to 0 in 64 bits
  CHECK_ST(ValidateContainer(edge.data(), edge.size(), true, nullptr, nullptr), kBadHeader);
  // Source rates up to 768 kHz only (decode resamples to it): 768000 reads, 768001 and more do not.
  edge = MakeFile(f, packets, 960, "m", {}, 2, 768000, 46080);
  CHECK_ST(ValidateContainer(edge.data(), edge.size(), true, nullptr, nullptr), kOk);
  PatchHeader(&edge, 36, 0x01);  // 768000 = 0x000BB800 -> 0x000BB801
  CHECK_ST(ValidateContainer(edge.data(), edge.size(), true, nullptr, nullptr), kBadHeader);
  PatchHeader(&edge, 39, 0xFF);  // -> 0xFF0BB801
  CHECK_ST(ValidateContainer(edge.data(), edge.size(), true, nullptr, nullptr), kBadHeader);
  edge = MakeFile(f, packets, 960, "m", {}, 2, 8000, 480);
  CHECK_ST(ValidateContainer(edge.data(), edge.size(), true, nullptr, nullptr), kOk);
  // Writer: versions 1 and 2 only; no source rate in version 1; rate 0 keeps lengths equal.
  ContainerHeader w;
  w.model_id = reinterpret_cast<const uint8_t*>("m");
  w.model_id_size = 1;
  uint8_t buf[128];
  size_t n = 0;
  CHECK_ST(WriteContainerHeader(w, buf, sizeof(buf), &n), kOk);
  CHECK(n == ContainerHeaderSize(1, 0));
  w.version = 3;
  CHECK_ST(WriteContainerHeader(w, buf, sizeof(buf), &n), kInvalidArgument);
  w.version = 1;
  w.source_sample_rate = 48000;
  CHECK_ST(WriteContainerHeader(w, buf, sizeof(buf), &n), kInvalidArgument);
  w.version = 2;
  w.source_sample_rate = 0;
  w.source_length = 5;
  CHECK_ST(WriteContainerHeader(w, buf, sizeof(buf), &n), kInvalidArgument);
  w.original_length = 5;
  CHECK_ST(WriteContainerHeader(w, buf, ContainerHeaderSize(1, 0) - 1, &n), kBufferTooSmall);
}

int main() {
  TestKnownVectors();
  TestRoundTrips();
  TestBadPackets();
  TestContainer();
  TestContainerVersions();
  if (g_failures) {
    std::fprintf(stderr, "bitstream_test: %d failure(s)\n", g_failures);
    return 1;
  }
  std::printf("bitstream_test: all passed\n");
  return 0;
}
