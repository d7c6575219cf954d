// sscodec_bench: frame-by-frame speed of an sscodec model on this machine,
// through the public C API (libsscodec.so). Built for x86-64 and, with
// cmake/toolchains/aarch64-linux-gnu.cmake, for aarch64 (run on phones by
// `sscodec android-bench` through the bundled glibc loader).
//
// One encoder-only and one decoder-only stream (caller thread, 1 XNNPACK
// thread each), pinned to one CPU core. Per frame: push one frame -> process
// -> pull its packet (timed), push the packet -> process -> pull the decoded
// frame (timed); per-stage graph times are the scheduler's own counters
// (sscodec_get_stats differences). Warm-up frames run first and are not
// timed. The JSON report has the fields `sscodec bench` prints
// (sscodec.<precision>.native_scheduler.<stage>.median_ms/p99_ms/...), plus
// p90, the pinned core, memory, and SHA-256 digests of every packet and of
// the decoded audio (all frames, warm-up included) so runs on different
// machines can be checked for identical output.
//
// Exit status: 0 ok, 1 failure (message on stderr), 2 bad command line.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "include/sscodec.h"
#include "json.h"
#include "sha256.h"

namespace {

const char kUsage[] =
    "usage: sscodec_bench --model DIR [options]\n"
    "Frame-by-frame timing of an sscodec model through libsscodec.so (1 thread, one pinned core).\n"
    "  --model DIR          converted model folder (manifest.json + graphs) or Lyra v2 folder\n"
    "  --litert PATH        libLiteRt.so (default: $SSCODEC_LITERT_LIB, then the loader search path)\n"
    "  --frames N           timed frames (default 1000)\n"
    "  --warmup N           untimed frames before them (default 20)\n"
    "  --core N|auto|none   CPU core to pin to (default auto: the highest capacity/max frequency)\n"
    "  --bitrate BPS        bitrate (default: 6000 if the model has it, else half the quantizers)\n"
    "  --input FILE         mono float32 little-endian samples at the model's rate (tiled as needed);\n"
    "                       default: a built-in deterministic test signal\n"
    "  --out FILE           JSON report (default: stdout)\n"
    "  --decoded-out FILE   decoded audio of all frames, float32 little-endian\n"
    "  --packets-out FILE   all packets, each as a 2-byte little-endian length + bytes\n"
    "  --label NAME         precision label in the report (default: the manifest's precision)\n";

using Clock = std::chrono::steady_clock;

#if defined(__clang__)
const char kCompiler[] = "clang " __clang_version__;
#elif defined(__GNUC__)
const char kCompiler[] = "gcc " __VERSION__;
#else
const char kCompiler[] = "unknown";
#endif

int Fail(const std::string& msg) {
  std::fprintf(stderr, "sscodec_bench: error: %s\n", msg.c_str());
  return 1;
}

bool ParseInt(const std::string& s, long lo, long hi, long* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *ok = false;
    return "";
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  *ok = true;
  return ss.str();
}

std::string Trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

// -1 if absent / unreadable.
long ReadLongFile(const std::string& path) {
  bool ok = false;
  const std::string s = Trim(ReadFile(path, &ok));
  long v = -1;
  if (!ok || !ParseInt(s, 0, 1L << 40, &v)) return -1;
  return v;
}

// ------------------------------------------------------------------ JSON out

std::string Quote(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

std::string Num(double v, int decimals) {
  if (!std::isfinite(v)) return "null";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

std::string NumOrNull(long v) { return v < 0 ? "null" : std::to_string(v); }

// ------------------------------------------------------------- statistics

// numpy.percentile's default (linear interpolation between closest ranks).
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return NAN;
  const double pos = q / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(sorted.size() - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

std::string StageJson(std::vector<double> ms, double frame_ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  const double med = Percentile(ms, 50.0);
  std::string o = "{\"median_ms\": " + Num(med, 4) + ", \"p90_ms\": " + Num(Percentile(ms, 90.0), 4) +
                  ", \"p99_ms\": " + Num(Percentile(ms, 99.0), 4) + ", \"mean_ms\": " +
                  Num(sum / static_cast<double>(ms.size()), 4) + ", \"max_ms\": " + Num(ms.back(), 4) +
                  ", \"frames\": " + std::to_string(ms.size()) + ", \"rtf\": " +
                  (med > 0 ? Num(frame_ms / med, 2) : std::string("null")) + "}";
  return o;
}

// ------------------------------------------------------------------ machine

struct CoreInfo {
  int cpu = -1;
  long capacity = -1;       // /sys/.../cpu_capacity (ARM big.LITTLE), -1 unknown
  long max_freq_khz = -1;   // /sys/.../cpufreq/cpuinfo_max_freq, -1 unknown
  std::string description;  // from /proc/cpuinfo
};

const char* ArmPartName(long implementer, long part) {
  if (implementer != 0x41) return nullptr;
  static const std::map<long, const char*> kParts = {
      {0xd03, "Cortex-A53"}, {0xd04, "Cortex-A35"}, {0xd05, "Cortex-A55"}, {0xd07, "Cortex-A57"},
      {0xd08, "Cortex-A72"}, {0xd09, "Cortex-A73"}, {0xd0a, "Cortex-A75"}, {0xd0b, "Cortex-A76"},
      {0xd0c, "Neoverse-N1"}, {0xd0d, "Cortex-A77"}, {0xd40, "Neoverse-V1"}, {0xd41, "Cortex-A78"},
      {0xd44, "Cortex-X1"}, {0xd46, "Cortex-A510"}, {0xd47, "Cortex-A710"}, {0xd48, "Cortex-X2"},
      {0xd49, "Neoverse-N2"}, {0xd4b, "Cortex-A78C"}, {0xd4d, "Cortex-A715"}, {0xd4e, "Cortex-X3"},
      {0xd4f, "Neoverse-V2"}, {0xd80, "Cortex-A520"}, {0xd81, "Cortex-A720"}, {0xd82, "Cortex-X4"},
      {0xd85, "Cortex-X925"}, {0xd87, "Cortex-A725"},
  };
  auto it = kParts.find(part);
  return it == kParts.end() ? nullptr : it->second;
}

// /proc/cpuinfo: "model name" (x86) or the ARM implementer/part of processor `cpu`.
std::string CpuDescription(int cpu) {
  bool ok = false;
  const std::string text = ReadFile("/proc/cpuinfo", &ok);
  if (!ok) return "";
  std::istringstream in(text);
  std::string line, model_name, hardware;
  int current = -1;
  long implementer = -1, part = -1, first_impl = -1, first_part = -1;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = Trim(line.substr(0, colon)), val = Trim(line.substr(colon + 1));
    if (key == "processor") {
      long v = -1;
      current = ParseInt(val, 0, 1 << 20, &v) ? static_cast<int>(v) : -1;
    } else if (key == "model name" && (model_name.empty() || current == cpu)) {
      model_name = val;
    } else if (key == "Hardware") {
      hardware = val;
    } else if (key == "CPU implementer" || key == "CPU part") {
      const long v = std::strtol(val.c_str(), nullptr, 0);
      const bool impl = key == "CPU implementer";
      if (current == cpu) (impl ? implementer : part) = v;
      if ((impl ? first_impl : first_part) < 0) (impl ? first_impl : first_part) = v;
    }
  }
  if (implementer < 0) implementer = first_impl;
  if (part < 0) part = first_part;
  if (part >= 0) {
    char b[160];
    const char* name = ArmPartName(implementer, part);
    std::snprintf(b, sizeof b, "%s (implementer 0x%02lx, part 0x%03lx)%s%s", name ? name : "ARM CPU",
                  implementer, part, hardware.empty() ? "" : ", ", hardware.c_str());
    return b;
  }
  return model_name;
}

CoreInfo DescribeCore(int cpu) {
  CoreInfo c;
  c.cpu = cpu;
  const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu);
  c.capacity = ReadLongFile(base + "/cpu_capacity");
  c.max_freq_khz = ReadLongFile(base + "/cpufreq/cpuinfo_max_freq");
  c.description = CpuDescription(cpu);
  return c;
}

// "auto": among the CPUs this process may run on, the one with the highest
// capacity, then max frequency, then index (big cores are numbered last on phones).
int PickCore(const cpu_set_t& allowed) {
  int best = -1;
  long best_cap = -2, best_freq = -2;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    const CoreInfo c = DescribeCore(cpu);
    if (c.capacity > best_cap || (c.capacity == best_cap && c.max_freq_khz >= best_freq)) {
      best = cpu;
      best_cap = c.capacity;
      best_freq = c.max_freq_khz;
    }
  }
  return best;
}

double LoadAvg1m() {
  bool ok = false;
  const std::string s = ReadFile("/proc/loadavg", &ok);
  if (!ok) return NAN;
  return std::strtod(s.c_str(), nullptr);
}

long StatusKb(const std::string& key) {
  bool ok = false;
  std::istringstream in(ReadFile("/proc/self/status", &ok));
  std::string line;
  while (ok && std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return -1;
}

// ---------------------------------------------------------------- test input

// Deterministic speech-like test signal made with integer arithmetic only, so
// every machine produces the same samples bit for bit: a glottal-pulse-like
// sawtooth at a slowly varying pitch, an on/off syllable envelope, and noise.
std::vector<float> BuiltinSignal(size_t n, uint32_t rate) {
  std::vector<float> x(n);
  uint32_t lcg = 12345u, phase = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t t_ms = static_cast<uint32_t>((static_cast<uint64_t>(i) * 1000u) / rate);
    const uint32_t pitch = 110u + (t_ms / 7u) % 90u;                    // 110..199 Hz
    phase += static_cast<uint32_t>((static_cast<uint64_t>(pitch) << 32) / rate);
    const int32_t saw = static_cast<int32_t>(phase >> 20) - 2048;        // -2048..2047
    const uint32_t syl = t_ms % 400u;                                     // 250 ms on, 150 off
    const int32_t env = syl < 250u ? static_cast<int32_t>(syl < 125u ? syl : 250u - syl) : 0;  // 0..125
    lcg = lcg * 1664525u + 1013904223u;
    const int32_t noise = static_cast<int32_t>(lcg >> 24) - 128;         // -128..127
    const int32_t v = saw * env / 32 + noise * 4;                         // |v| < 9000
    x[i] = static_cast<float>(v) * (1.0f / 32768.0f);
  }
  return x;
}

// ---------------------------------------------------------------- options

struct Options {
  std::string model, litert, core = "auto", input, out, decoded_out, packets_out, label;
  long frames = 1000, warmup = 20, bitrate = -1;
};

// 0 ok, 2 usage error (message printed), 3 --help.
int ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v;
    if (a == "-h" || a == "--help") return 3;
    const size_t eq = a.find('=');
    bool has_inline = false;
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      v = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_inline = true;
    }
    static const char* kWithValue[] = {"--model", "--litert", "--frames", "--warmup", "--core", "--bitrate",
                                       "--input", "--out", "--decoded-out", "--packets-out", "--label"};
    bool known = false;
    for (const char* k : kWithValue) known |= a == k;
    if (!known) {
      std::fprintf(stderr, "sscodec_bench: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
    if (!has_inline) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sscodec_bench: %s needs a value\n", a.c_str());
        return 2;
      }
      v = argv[++i];
    }
    if (a == "--model") o->model = v;
    else if (a == "--litert") o->litert = v;
    else if (a == "--core") o->core = v;
    else if (a == "--input") o->input = v;
    else if (a == "--out") o->out = v;
    else if (a == "--decoded-out") o->decoded_out = v;
    else if (a == "--packets-out") o->packets_out = v;
    else if (a == "--label") o->label = v;
    else {
      long n = 0;
      const bool is_frames = a == "--frames", is_warmup = a == "--warmup";
      const long lo = is_warmup ? 0 : 1, hi = a == "--bitrate" ? 100000000L : 10000000L;
      if (!ParseInt(v, lo, hi, &n)) {
        std::fprintf(stderr, "sscodec_bench: %s: '%s' is not an integer in [%ld, %ld]\n", a.c_str(), v.c_str(),
                     lo, hi);
        return 2;
      }
      (is_frames ? o->frames : is_warmup ? o->warmup : o->bitrate) = n;
    }
  }
  if (o->model.empty()) {
    std::fprintf(stderr, "sscodec_bench: --model DIR is required\n%s", kUsage);
    return 2;
  }
  return 0;
}

std::string ManifestPrecision(const std::string& dir) {
  bool ok = false;
  const std::string text = ReadFile(dir + "/manifest.json", &ok);
  if (!ok) return "";
  auto doc = sscodec::ParseJson(text);
  if (!doc.ok()) return "";
  const sscodec::JsonValue* p = doc->Find("precision");
  return p && p->is_string() ? p->as_string() : "";
}

sscodec_codec* Create(const Options& o, int encoder, std::string* err) {
  sscodec_config cfg;
  sscodec_config_init(&cfg);
  cfg.model_dir = o.model.c_str();
  cfg.litert_library = o.litert.empty() ? nullptr : o.litert.c_str();
  cfg.num_threads = 1;
  cfg.encoder = encoder;
  cfg.decoder = !encoder;
  sscodec_codec* c = nullptr;
  char msg[1024] = {0};
  if (sscodec_create(&cfg, &c, msg, sizeof msg) != SSCODEC_OK) {
    *err = msg;
    return nullptr;
  }
  return c;
}

std::string Hex(const uint8_t* d, size_t n) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += k[d[i] >> 4];
    s += k[d[i] & 15];
  }
  return s;
}

struct Codecs {
  sscodec_codec* enc = nullptr;
  sscodec_codec* dec = nullptr;
  ~Codecs() {
    sscodec_destroy(enc);
    sscodec_destroy(dec);
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  const int pr = ParseArgs(argc, argv, &o);
  if (pr == 3) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (pr != 0) return 2;

  // ---- pin to one core (before anything allocates per-thread state)
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return Fail("sched_getaffinity failed");
  int core = -1;
  if (o.core == "auto") {
    core = PickCore(allowed);
  } else if (o.core != "none") {
    long c = -1;
    if (!ParseInt(o.core, 0, CPU_SETSIZE - 1, &c)) {
      std::fprintf(stderr, "sscodec_bench: --core: '%s' is not a CPU number, 'auto' or 'none'\n", o.core.c_str());
      return 2;
    }
    if (!CPU_ISSET(static_cast<int>(c), &allowed)) {
      std::string list;
      for (int i = 0; i < CPU_SETSIZE; ++i)
        if (CPU_ISSET(i, &allowed)) list += (list.empty() ? "" : ",") + std::to_string(i);
      return Fail("--core " + o.core + ": this process may only run on CPUs " + list);
    }
    core = static_cast<int>(c);
  }
  if (core >= 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(core, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0)
      return Fail("sched_setaffinity(core " + std::to_string(core) + ") failed: " + std::strerror(errno));
  }
  const double load_start = LoadAvg1m();

  // ---- codecs
  Codecs cs;
  std::string err;
  cs.enc = Create(o, 1, &err);
  if (!cs.enc) return Fail("cannot open the encoder of '" + o.model + "': " + err);
  cs.dec = Create(o, 0, &err);
  if (!cs.dec) return Fail("cannot open the decoder of '" + o.model + "': " + err);
  sscodec_info info;
  std::memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  if (sscodec_get_info(cs.enc, &info) != SSCODEC_OK) return Fail("sscodec_get_info failed");
  const uint32_t F = info.frame_size, rate = info.sample_rate;
  const double frame_ms = 1000.0 * F / rate;
  // bitrate: --bitrate, else 6 kbps if the model has it, else half the quantizers
  const double step_bps = static_cast<double>(info.bits_per_code) * rate / F;
  long nq = 0;
  if (o.bitrate > 0) {
    if (sscodec_set_bitrate(cs.enc, static_cast<uint32_t>(o.bitrate)) != SSCODEC_OK)
      return Fail(std::string("--bitrate: ") + sscodec_last_error(cs.enc));
    nq = std::lround(o.bitrate / step_bps);
  } else {
    nq = std::max<long>(1, info.max_quantizers / 2);
    for (uint32_t q = 1; q <= info.max_quantizers; ++q)
      if (std::fabs(q * step_bps - 6000.0) < 0.5) nq = q;
    if (sscodec_set_num_quantizers(cs.enc, static_cast<int>(nq)) != SSCODEC_OK)
      return Fail(std::string("set_num_quantizers: ") + sscodec_last_error(cs.enc));
  }
  const double bps = nq * step_bps;
  std::string label = o.label;
  if (label.empty()) label = ManifestPrecision(o.model);
  if (label.empty()) label = info.kind;

  // ---- input
  const size_t total_frames = static_cast<size_t>(o.warmup + o.frames);
  std::vector<float> input;
  std::string audio_desc;
  if (!o.input.empty()) {
    bool ok = false;
    const std::string raw = ReadFile(o.input, &ok);
    if (!ok) return Fail("--input: cannot read '" + o.input + "'");
    if (raw.size() < 4 * static_cast<size_t>(F) || raw.size() % 4 != 0)
      return Fail("--input '" + o.input + "': need float32 samples, at least one frame (" + std::to_string(F) +
                  " samples); got " + std::to_string(raw.size()) + " bytes");
    std::vector<float> src(raw.size() / 4);
    std::memcpy(src.data(), raw.data(), raw.size());
    for (float v : src)
      if (!std::isfinite(v)) return Fail("--input '" + o.input + "': non-finite sample");
    input.resize(total_frames * F);
    for (size_t i = 0; i < input.size(); ++i) input[i] = src[i % src.size()];
    audio_desc = "file " + o.input + " (" + std::to_string(src.size()) + " samples, tiled)";
  } else {
    input = BuiltinSignal(total_frames * F, rate);
    audio_desc = "built-in integer test signal (pulse train + noise)";
  }

  // ---- the run
  std::vector<uint8_t> pkt(info.max_packet_bytes + 16);
  std::vector<float> out(F);
  std::FILE* dec_f = nullptr;
  std::FILE* pkt_f = nullptr;
  if (!o.decoded_out.empty() && !(dec_f = std::fopen(o.decoded_out.c_str(), "wb")))
    return Fail("--decoded-out: cannot write '" + o.decoded_out + "': " + std::strerror(errno));
  if (!o.packets_out.empty() && !(pkt_f = std::fopen(o.packets_out.c_str(), "wb"))) {
    if (dec_f) std::fclose(dec_f);
    return Fail("--packets-out: cannot write '" + o.packets_out + "': " + std::strerror(errno));
  }
  struct Closer {
    std::FILE*& a;
    std::FILE*& b;
    ~Closer() {
      if (a) std::fclose(a);
      if (b) std::fclose(b);
    }
  } closer{dec_f, pkt_f};

  static const char* kStages[] = {"encoder", "rvq_encode", "rvq_decode", "decoder",
                                  "encode_total", "decode_total", "total"};
  std::map<std::string, std::vector<double>> times;
  sscodec::Sha256 pkt_hash, dec_hash;
  uint64_t pkt_bytes = 0;
  double sumsq = 0;
  sscodec_stats se0, se1, sd0, sd1;
  se0.struct_size = se1.struct_size = sd0.struct_size = sd1.struct_size = sizeof(sscodec_stats);
  if (sscodec_get_stats(cs.enc, &se0) != SSCODEC_OK || sscodec_get_stats(cs.dec, &sd0) != SSCODEC_OK)
    return Fail("sscodec_get_stats failed");
  const int running_on_start = sched_getcpu();
  for (size_t i = 0; i < total_frames; ++i) {
    const float* frame = input.data() + i * F;
    size_t size = 0;
    const auto t0 = Clock::now();
    const size_t pushed = sscodec_push_audio(cs.enc, frame, F);
    const sscodec_status pe = sscodec_process(cs.enc, nullptr);
    const sscodec_status pp = sscodec_pull_packet(cs.enc, pkt.data(), pkt.size(), &size);
    const auto t1 = Clock::now();
    if (pushed != F || pe != SSCODEC_OK || pp != SSCODEC_OK)
      return Fail("frame " + std::to_string(i) + ": encoding produced no packet (" +
                  sscodec_status_name(pe != SSCODEC_OK ? pe : pp) + ": " + sscodec_last_error(cs.enc) + ")");
    const auto t2 = Clock::now();
    const sscodec_status qp = sscodec_push_packet(cs.dec, pkt.data(), size);
    const sscodec_status pd = sscodec_process(cs.dec, nullptr);
    const size_t got = sscodec_pull_audio(cs.dec, out.data(), F, 0);
    const auto t3 = Clock::now();
    if (qp != SSCODEC_OK || pd != SSCODEC_OK || got != F)
      return Fail("frame " + std::to_string(i) + ": decoding returned " + std::to_string(got) + " of " +
                  std::to_string(F) + " samples (" + sscodec_last_error(cs.dec) + ")");
    if (sscodec_get_stats(cs.enc, &se1) != SSCODEC_OK || sscodec_get_stats(cs.dec, &sd1) != SSCODEC_OK)
      return Fail("sscodec_get_stats failed");
    if (se1.encode_errors || sd1.decode_errors || sd1.frames_concealed || sd1.packets_corrupt)
      return Fail("frame " + std::to_string(i) + ": the codec reported errors/concealment");

    const uint8_t len[2] = {static_cast<uint8_t>(size & 0xFF), static_cast<uint8_t>(size >> 8)};
    pkt_hash.Update(len, 2);
    pkt_hash.Update(pkt.data(), size);
    pkt_bytes += size;
    dec_hash.Update(out.data(), F * sizeof(float));
    for (float v : out) sumsq += static_cast<double>(v) * v;
    if (pkt_f && (std::fwrite(len, 1, 2, pkt_f) != 2 || std::fwrite(pkt.data(), 1, size, pkt_f) != size))
      return Fail("--packets-out: write failed");
    if (dec_f && std::fwrite(out.data(), sizeof(float), F, dec_f) != F) return Fail("--decoded-out: write failed");

    if (i >= static_cast<size_t>(o.warmup)) {
      const double enc_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
      const double dec_ms = std::chrono::duration<double, std::milli>(t3 - t2).count();
      times["encoder"].push_back(se1.encoder_ms - se0.encoder_ms);
      times["rvq_encode"].push_back(se1.rvq_encode_ms - se0.rvq_encode_ms);
      times["rvq_decode"].push_back(sd1.rvq_decode_ms - sd0.rvq_decode_ms);
      times["decoder"].push_back(sd1.decoder_ms - sd0.decoder_ms);
      times["encode_total"].push_back(enc_ms);
      times["decode_total"].push_back(dec_ms);
      times["total"].push_back(enc_ms + dec_ms);
    }
    se0 = se1;
    sd0 = sd1;
  }
  const int running_on_end = sched_getcpu();
  const double load_end = LoadAvg1m();
  uint8_t ph[32], dh[32];
  pkt_hash.Final(ph);
  dec_hash.Final(dh);

  // ---- report
  struct utsname un;
  std::memset(&un, 0, sizeof un);
  uname(&un);
  const CoreInfo ci = DescribeCore(core >= 0 ? core : (running_on_end >= 0 ? running_on_end : 0));
  const long hwm = StatusKb("VmHWM"), rss = StatusKb("VmRSS");
  std::string j = "{\n";
  j += " \"schema\": \"sscodec-device-bench/1\",\n";
  j += " \"tool\": {\"name\": \"sscodec_bench\", \"api_version\": " + std::to_string(SSCODEC_API_VERSION) +
       ", \"compiler\": " + Quote(kCompiler) + ", \"built_for\": " +
#if defined(__aarch64__)
       Quote("aarch64") +
#elif defined(__x86_64__)
       Quote("x86_64") +
#else
       Quote("other") +
#endif
       "},\n";
  j += " \"machine\": {\"platform\": " +
       Quote(std::string(un.sysname) + "-" + un.release + "-" + un.machine) +
       ", \"machine\": " + Quote(un.machine) + ", \"cpu\": " + Quote(ci.description) +
       ", \"cpus\": " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) +
       ", \"loadavg_1m_start\": " + Num(load_start, 2) + ", \"loadavg_1m_end\": " + Num(load_end, 2) + "},\n";
  j += " \"core\": {\"requested\": " + Quote(o.core) + ", \"pinned\": " +
       (core >= 0 ? std::to_string(core) : std::string("null")) + ", \"running_on_start\": " +
       std::to_string(running_on_start) + ", \"running_on_end\": " + std::to_string(running_on_end) +
       ", \"capacity\": " + NumOrNull(ci.capacity) + ", \"max_freq_khz\": " + NumOrNull(ci.max_freq_khz) +
       ", \"cpu\": " + Quote(ci.description) + "},\n";
  j += " \"model\": {\"model_id\": " + Quote(info.model_id) + ", \"kind\": " + Quote(info.kind) +
       ", \"precision\": " + Quote(label) + ", \"folders\": {" + Quote(label) + ": " + Quote(o.model) +
       "}, \"frame_size\": " + std::to_string(F) + ", \"sample_rate\": " + std::to_string(rate) +
       ", \"num_quantizers\": " + std::to_string(nq) + ", \"max_quantizers\": " +
       std::to_string(info.max_quantizers) + ", \"bitrate_bps\": " + std::to_string(std::lround(bps)) + "},\n";
  j += " \"settings\": {\"frames\": " + std::to_string(o.frames) + ", \"warmup_frames\": " +
       std::to_string(o.warmup) + ", \"threads\": 1, \"interleaved\": false, \"frame_ms\": " + Num(frame_ms, 3) +
       ", \"audio\": " + Quote(audio_desc) +
       ", \"path\": \"C API (libsscodec.so): an encoder-only and a decoder-only stream, caller thread; stage "
       "times from sscodec_get_stats differences, totals = wall time of push+process+pull\"" +
       ", \"rtf_definition\": \"frame duration / median time per frame (>1 = faster than real time)\"},\n";
  j += " \"sscodec\": {" + Quote(label) + ": {\"native_scheduler\": {";
  for (size_t s = 0; s < sizeof kStages / sizeof kStages[0]; ++s)
    j += std::string(s ? ", " : "") + "\n  " + Quote(kStages[s]) + ": " + StageJson(times[kStages[s]], frame_ms);
  j += "}}},\n";
  j += " \"memory\": {\"peak_rss_mib\": " + (hwm >= 0 ? Num(hwm / 1024.0, 1) : "null") +
       ", \"rss_mib\": " + (rss >= 0 ? Num(rss / 1024.0, 1) : "null") +
       ", \"method\": \"VmHWM / VmRSS of the sscodec_bench process at the end (/proc/self/status)\"},\n";
  const uint64_t samples = static_cast<uint64_t>(total_frames) * F;
  j += " \"output\": {\"frames\": " + std::to_string(total_frames) + ", \"packets\": " +
       std::to_string(total_frames) + ", \"packet_bytes\": " + std::to_string(pkt_bytes) +
       ", \"packets_sha256\": " + Quote(Hex(ph, 32)) + ", \"decoded_samples\": " + std::to_string(samples) +
       ", \"decoded_sha256\": " + Quote(Hex(dh, 32)) + ", \"decoded_rms\": " +
       Num(std::sqrt(sumsq / static_cast<double>(samples)), 8) +
       ", \"digest_definition\": \"sha256 over every frame (warm-up included): packets as 2-byte LE length + "
       "bytes; decoded audio as float32 LE\"}\n";
  j += "}\n";

  if (o.out.empty()) {
    std::fputs(j.c_str(), stdout);
  } else {
    std::FILE* f = std::fopen(o.out.c_str(), "wb");
    if (!f) return Fail("--out: cannot write '" + o.out + "': " + std::strerror(errno));
    const bool ok = std::fwrite(j.data(), 1, j.size(), f) == j.size();
    if (std::fclose(f) != 0 || !ok) return Fail("--out: write failed");
    std::fprintf(stderr, "sscodec_bench: %s %s: median %.3f ms per %.0f ms frame on core %d; wrote %s\n",
                 info.model_id, label.c_str(), Percentile([&] {
                   auto v = times["total"];
                   std::sort(v.begin(), v.end());
                   return v;
                 }(), 50.0), frame_ms, core, o.out.c_str());
  }
  return 0;
}
