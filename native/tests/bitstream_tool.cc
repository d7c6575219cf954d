// Line-oriented helper for tests/test_bitstream_native.py: lets the Python
// tests drive the C++ packet/container code and compare bytes. One command
// per stdin line, one answer line per command ("OK ..." or "ERR <STATUS>").
// Hex strings use "-" for empty.
//   P bpc maxq cb flags code...        pack a packet           -> OK <hex>
//   U bpc maxq cb <hex>                unpack a packet         -> OK version flags n_q code...
//   C <hex>                            validate a .ssc buffer  -> OK ver sr orig src_sr src_len frame
//                                      (check_packets)            bpc maxq cb pver flags <id hex> <hash hex>
//                                                                 n rec...
//   W ver sr orig src_sr src_len frame bpc maxq cb flags <id hex> <hash hex> rec...
//                                      write a .ssc            -> OK <hex>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "container_reader.h"
#include "container_writer.h"
#include "packet.h"

using namespace sscodec;

namespace {

std::string ToHex(const uint8_t* p, size_t n) {
  if (n == 0) return "-";
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

bool FromHex(const std::string& s, std::vector<uint8_t>* out) {
  out->clear();
  if (s == "-") return true;
  if (s.size() % 2) return false;
  for (size_t i = 0; i < s.size(); i += 2) out->push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
  return true;
}

CodecFormat ReadFormat(std::istringstream& in) {
  unsigned bpc = 0, maxq = 0, cb = 0;
  in >> bpc >> maxq >> cb;
  CodecFormat f;
  f.bits_per_code = static_cast<uint8_t>(bpc);
  f.max_quantizers = static_cast<uint8_t>(maxq);
  f.codebook_size = cb;
  return f;
}

std::string Err(BitstreamStatus s) { return std::string("ERR ") + BitstreamStatusName(s); }

std::string Handle(const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  if (cmd == "P") {
    CodecFormat f = ReadFormat(in);
    unsigned flags = 0;
    in >> flags;
    std::vector<uint16_t> codes;
    unsigned c;
    while (in >> c) codes.push_back(static_cast<uint16_t>(c));
    uint8_t out[kMaxPacketBytes];
    size_t n = 0;
    BitstreamStatus st = PackPacket(f, static_cast<uint8_t>(flags), codes.data(), codes.size(), out, sizeof(out), &n);
    return st == BitstreamStatus::kOk ? "OK " + ToHex(out, n) : Err(st);
  }
  if (cmd == "U") {
    CodecFormat f = ReadFormat(in);
    std::string hex;
    in >> hex;
    std::vector<uint8_t> pkt;
    if (!FromHex(hex, &pkt)) return "ERR BAD_HEX";
    PacketHeader h;
    uint16_t codes[kMaxQuantizersLimit];
    BitstreamStatus st = UnpackPacket(f, pkt.data(), pkt.size(), &h, codes, kMaxQuantizersLimit);
    if (st != BitstreamStatus::kOk) return Err(st);
    std::string s = "OK " + std::to_string(h.version) + " " + std::to_string(h.flags) + " " + std::to_string(h.num_quantizers);
    for (size_t i = 0; i < h.num_quantizers; ++i) s += " " + std::to_string(codes[i]);
    return s;
  }
  if (cmd == "C") {
    std::string hex;
    in >> hex;
    std::vector<uint8_t> buf;
    if (!FromHex(hex, &buf)) return "ERR BAD_HEX";
    BitstreamStatus st = ValidateContainer(buf.data(), buf.size(), true, nullptr, nullptr);
    if (st != BitstreamStatus::kOk) return Err(st);
    ContainerReader r;
    r.Open(buf.data(), buf.size());
    const ContainerHeader& h = r.header();
    std::ostringstream o;
    o << "OK " << h.version << " " << h.format.sample_rate << " " << h.original_length << " "
      << h.source_sample_rate << " " << h.source_length << " " << h.format.frame_size << " "
      << unsigned(h.format.bits_per_code) << " " << unsigned(h.format.max_quantizers) << " "
      << h.format.codebook_size << " " << unsigned(h.packet_version) << " " << h.flags << " "
      << ToHex(h.model_id, h.model_id_size) << " " << ToHex(h.model_hash, h.model_hash_size) << " ";
    std::string recs;
    ContainerRecord rec;
    while (r.Next(&rec) == BitstreamStatus::kOk) recs += " " + ToHex(rec.packet, rec.size);
    o << r.records_read() << recs;
    return o.str();
  }
  if (cmd == "W") {
    ContainerHeader h;
    unsigned long long orig = 0, src_len = 0;
    unsigned ver = 0, sr = 0, src_sr = 0, frame = 0, bpc = 0, maxq = 0, cb = 0, flags = 0;
    std::string id_hex, hash_hex;
    in >> ver >> sr >> orig >> src_sr >> src_len >> frame >> bpc >> maxq >> cb >> flags >> id_hex >> hash_hex;
    std::vector<uint8_t> id, hash;
    if (!FromHex(id_hex, &id) || !FromHex(hash_hex, &hash)) return "ERR BAD_HEX";
    h.format = CodecFormat{sr, static_cast<uint16_t>(frame), static_cast<uint8_t>(bpc), static_cast<uint8_t>(maxq), cb};
    h.version = static_cast<uint16_t>(ver);
    h.original_length = orig;
    h.source_sample_rate = src_sr;
    h.source_length = src_len;
    h.flags = static_cast<uint16_t>(flags);
    h.model_id = id.data();
    h.model_id_size = id.size();
    h.model_hash = hash.data();
    h.model_hash_size = hash.size();
    std::vector<uint8_t> out(ContainerHeaderSize(id.size(), hash.size(), h.version));
    size_t w = 0;
    BitstreamStatus st = WriteContainerHeader(h, out.data(), out.size(), &w);
    if (st != BitstreamStatus::kOk) return Err(st);
    std::string rec_hex;
    uint32_t count = 0;
    std::vector<uint8_t> pkt;
    while (in >> rec_hex) {
      if (!FromHex(rec_hex, &pkt)) return "ERR BAD_HEX";
      const size_t at = out.size();
      out.resize(at + RecordSize(pkt.size()));
      st = WriteRecord(h.format, count++, pkt.data(), pkt.size(), out.data() + at, out.size() - at, &w);
      if (st != BitstreamStatus::kOk) return Err(st);
    }
    const size_t at = out.size();
    out.resize(at + kTrailerSize);
    st = WriteTrailer(count, out.data() + at, kTrailerSize, &w);
    if (st != BitstreamStatus::kOk) return Err(st);
    return "OK " + ToHex(out.data(), out.size());
  }
  return "ERR UNKNOWN_COMMAND";
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::cout << Handle(line) << "\n";
  }
  std::cout.flush();
  return 0;
}
