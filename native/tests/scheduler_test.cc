// Scheduler, rings, concealment, JSON and SHA-256 tests with fake pipelines
// (no LiteRT needed, so they run fast under ASan/UBSan and TSan).
//
// The fake codec is lossless and drift-revealing: the encoder checks that
// frame k holds exactly samples k*F .. k*F+F-1 of a known signal and sends
// k in its codes; the decoder regenerates those samples from k. Any lost,
// duplicated or shifted sample anywhere in the scheduler shows up as a
// mismatch.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "codec_pipeline.h"
#include "concealment.h"
#include "json.h"
#include "scheduler.h"
#include "sha256.h"
#include "spsc.h"

using namespace sscodec;

static int g_failures = 0;
#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      ++g_failures;                                                                 \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                               \
  } while (0)

constexpr int kF = 320;

// Exactly representable test signal: values k/65536 - 0.5.
static float Sig(uint64_t n) {
  return static_cast<float>((n * 7919u) % 65536u) / 65536.0f - 0.5f;
}

static CodecInfo FakeInfo() {
  CodecInfo i;
  i.kind = "fake";
  i.model_id = "fake";
  i.format = CodecFormat{16000, kF, 10, 24, 1024};
  i.embedding_dim = 1;
  i.encoder_denoise = true;
  i.decoder_denoise = true;
  i.default_quantizers = 24;
  return i;
}

class FakeEncoder : public EncoderPipeline {
 public:
  explicit FakeEncoder(std::atomic<uint64_t>* mismatches, uint64_t valid_samples = ~0ull)
      : mismatches_(mismatches), valid_(valid_samples) {
    info_ = FakeInfo();
    buf_.assign(kF, 0.0f);
    frame_ = buf_.data();
  }
  Status Encode(int n_q, bool, uint16_t* codes, int64_t* stage_ns) override {
    uint64_t bad = 0;
    for (int j = 0; j < kF; ++j) {
      const uint64_t n = k_ * kF + static_cast<uint64_t>(j);
      const float want = n < valid_ ? Sig(n) : 0.0f;
      if (frame_[j] != want) ++bad;
    }
    if (bad) mismatches_->fetch_add(bad);
    for (int q = 0; q < 24; ++q) codes[q] = 0;
    codes[0] = static_cast<uint16_t>(k_ % 1024);
    codes[1] = static_cast<uint16_t>((k_ / 1024) % 1024);
    codes[2] = static_cast<uint16_t>((k_ / (1024 * 1024)) % 1024);
    for (int q = 3; q < n_q; ++q) codes[q] = static_cast<uint16_t>(q);
    if (stage_ns) stage_ns[0] += 1000;
    ++k_;
    return Status::Ok();
  }
  Status Reset() override {
    k_ = 0;
    return Status::Ok();
  }

 private:
  std::vector<float> buf_;
  std::atomic<uint64_t>* mismatches_;
  uint64_t valid_;
  uint64_t k_ = 0;
};

class FakeDecoder : public DecoderPipeline {
 public:
  FakeDecoder() {
    info_ = FakeInfo();
    buf_.assign(kF, 0.0f);
    out_ = buf_.data();
  }
  Status Decode(const uint16_t* codes, int n_q, bool, int64_t* stage_ns) override {
    last_nq = n_q;
    const uint64_t k = codes[0] + 1024ull * (n_q > 1 ? codes[1] : 0) +
                       1024ull * 1024ull * (n_q > 2 ? codes[2] : 0);
    for (int j = 0; j < kF; ++j) buf_[j] = Sig(k * kF + static_cast<uint64_t>(j));
    if (stage_ns) stage_ns[3] += 1000;
    return Status::Ok();
  }
  Status Reset() override { return Status::Ok(); }
  int last_nq = 0;

 private:
  std::vector<float> buf_;
};

static std::unique_ptr<Scheduler> Make(std::atomic<uint64_t>* mism, SchedulerOptions o,
                                       uint64_t valid = ~0ull) {
  std::unique_ptr<EncoderPipeline> e;
  std::unique_ptr<DecoderPipeline> d;
  if (o.encode || o.loopback) e = std::make_unique<FakeEncoder>(mism, valid);
  if (o.decode || o.loopback) d = std::make_unique<FakeDecoder>();
  auto s = Scheduler::Create(std::move(e), std::move(d), o);
  if (!s.ok()) {
    std::fprintf(stderr, "Scheduler::Create: %s\n", s.status().ToString().c_str());
    std::abort();
  }
  return std::move(s).value();
}

// One hour of audio through encoder scheduler -> packets -> decoder scheduler
// in the caller's thread, pushes and pulls of awkward sizes: exact samples.
static void TestHourNoDrift(double seconds) {
  std::atomic<uint64_t> mism{0};
  SchedulerOptions eo;
  eo.decode = false;
  SchedulerOptions doo;
  doo.encode = false;
  auto enc = Make(&mism, eo);
  auto dec = Make(&mism, doo);
  const uint64_t total = static_cast<uint64_t>(seconds * 16000);
  const size_t push_sizes[] = {128, 441, 480, 512, 1, 4096, 317, 960};
  const size_t pull_sizes[] = {256, 441, 1024, 7, 480, 2048};
  std::vector<float> in(8192), out(8192);
  uint8_t pkt[kMaxPacketBytes];
  uint64_t pushed = 0, pulled = 0, bad_out = 0, k = 0;
  while (pushed < total || pulled < pushed) {
    if (pushed < total) {
      size_t n = push_sizes[k % 8];
      if (n > total - pushed) n = static_cast<size_t>(total - pushed);
      for (size_t j = 0; j < n; ++j) in[j] = Sig(pushed + j);
      const size_t w = enc->PushAudio(in.data(), n);
      CHECK(w == n);
      pushed += w;
      if (pushed == total) CHECK(enc->Flush().ok());
    }
    size_t frames = 0;
    CHECK(enc->Process(&frames).ok());
    size_t size = 0;
    while (enc->PullPacket(pkt, sizeof pkt, &size).ok()) CHECK(dec->PushPacket(pkt, size));
    CHECK(dec->Process(&frames).ok());
    size_t r = 0, got = 0;
    do {  // playback pulls awkward sizes until the ring is empty
      r = dec->PullAudio(out.data(), pull_sizes[(k + got) % 6], false);
      for (size_t j = 0; j < r; ++j) {
        const uint64_t n = pulled + j;
        if (n < total && out[j] != Sig(n)) ++bad_out;
      }
      pulled += r;
      got += r;
    } while (r > 0);
    if (pushed == total && got == 0 && dec->GetStats().output_pending == 0) break;
    ++k;
  }
  const uint64_t frames = (total + kF - 1) / kF;
  const SchedulerStats es = enc->GetStats(), ds = dec->GetStats();
  CHECK(mism.load() == 0);
  CHECK(bad_out == 0);
  CHECK(es.samples_in == total);
  CHECK(es.samples_dropped == 0);
  CHECK(es.samples_padded == frames * kF - total);
  CHECK(es.frames_encoded == frames);
  CHECK(es.packets_out == frames);
  CHECK(ds.packets_in == frames && ds.frames_decoded == frames);
  CHECK(ds.samples_out == frames * kF);
  CHECK(pulled == frames * kF);
  CHECK(ds.samples_underrun == 0 && ds.packets_lost == 0 && ds.packets_corrupt == 0);
  CHECK(es.encode_latency.frames == frames);
  CHECK(enc->TimesInSync());
  std::printf("no-drift: %.0f s of audio, %llu frames, exact\n", seconds,
              static_cast<unsigned long long>(frames));
}

// Producer, packet and playback threads around two worker-thread schedulers.
static void TestThreads() {
  std::atomic<uint64_t> mism{0};
  SchedulerOptions eo;
  eo.decode = false;
  eo.worker_thread = true;
  eo.input_frames = 8;
  eo.packet_slots = 8;
  SchedulerOptions doo;
  doo.encode = false;
  doo.worker_thread = true;
  doo.output_frames = 8;
  doo.packet_slots = 8;
  const uint64_t total = 16000 * 20 + 123;
  auto enc = Make(&mism, eo, total);
  auto dec = Make(&mism, doo);
  std::atomic<bool> producer_done{false}, packets_done{false};
  std::thread producer([&] {
    std::vector<float> buf(600);
    uint64_t pos = 0;
    std::mt19937 rng(1);
    while (pos < total) {
      size_t n = 1 + rng() % 600;
      if (n > total - pos) n = static_cast<size_t>(total - pos);
      for (size_t j = 0; j < n; ++j) buf[j] = Sig(pos + j);
      size_t done = 0;
      while (done < n) {  // push what fits, retry the rest: nothing is dropped
        const size_t take = std::min(n - done, enc->input_room());
        done += enc->PushAudio(buf.data() + done, take);
        if (done < n) std::this_thread::yield();
      }
      pos += n;
    }
    while (!enc->Flush().ok()) std::this_thread::yield();
    producer_done = true;
  });
  std::thread network([&] {
    uint8_t pkt[kMaxPacketBytes];
    uint64_t n = 0;
    const uint64_t frames = (total + kF - 1) / kF;
    while (n < frames) {
      size_t size = 0;
      if (enc->PullPacket(pkt, sizeof pkt, &size).ok()) {
        while (dec->packet_room() == 0) std::this_thread::yield();
        CHECK(dec->PushPacket(pkt, size));
        ++n;
      } else {
        std::this_thread::yield();
      }
    }
    packets_done = true;
  });
  std::vector<float> out;
  out.reserve(total + kF);
  std::vector<float> buf(512);
  const uint64_t want = (total + kF - 1) / kF * kF;
  while (out.size() < want) {
    const size_t r = dec->PullAudio(buf.data(), std::min<size_t>(512, want - out.size()), false);
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(r));
    if (r == 0) std::this_thread::yield();
  }
  producer.join();
  network.join();
  uint64_t bad = 0;
  for (uint64_t n = 0; n < total; ++n) bad += out[n] != Sig(n);
  const SchedulerStats es = enc->GetStats(), ds = dec->GetStats();
  CHECK(mism.load() == 0);
  CHECK(bad == 0);
  CHECK(es.samples_in == total && es.samples_dropped == 0);
  CHECK(enc->WaitIdle(10000) && enc->TimesInSync());
  // Latency is measured from each frame's own completion time: with the
  // times in sync, no frame can look older than the queue it waited in.
  CHECK(es.encode_latency.frames == es.frames_encoded);
  CHECK(es.samples_in + es.samples_padded == es.frames_encoded * kF + es.input_pending);
  CHECK(ds.frames_decoded * kF == ds.samples_out + ds.output_pending);
  CHECK(ds.packets_dropped == 0);
  std::printf("threads: %llu samples through worker threads, exact\n",
              static_cast<unsigned long long>(total));
}

static void TestOverrunUnderrunAndLoss() {
  std::atomic<uint64_t> mism{0};
  SchedulerOptions o;
  o.input_frames = 4;
  o.output_frames = 4;
  o.packet_slots = 4;
  o.decode = false;
  auto enc = Make(&mism, o);
  std::vector<float> x(10 * kF);
  for (size_t i = 0; i < x.size(); ++i) x[i] = Sig(i);
  CHECK(enc->PushAudio(x.data(), x.size()) == 4 * kF);  // the rest is dropped, counted
  SchedulerStats s = enc->GetStats();
  CHECK(s.samples_in == 4 * kF && s.samples_dropped == 6 * kF);
  size_t frames = 0;
  CHECK(enc->Process(&frames).ok() && frames == 4);
  // Packet queue full (4 slots) -> back-pressure, nothing lost.
  CHECK(enc->PushAudio(x.data(), 4 * kF) == 4 * kF);
  CHECK(enc->Process(&frames).ok() && frames == 0);
  s = enc->GetStats();
  CHECK(s.input_pending == 4 * kF && s.frames_encoded == 4);
  CHECK(s.samples_in + s.samples_padded == s.frames_encoded * kF + s.input_pending);

  SchedulerOptions d;
  d.encode = false;
  d.output_frames = 2;
  d.packet_slots = 3;
  auto dec = Make(&mism, d);
  uint8_t pkt[64];
  size_t size = 0;
  const uint16_t codes[24] = {5, 0, 0};
  CHECK(PackPacket(FakeInfo().format, 0, codes, 3, pkt, sizeof pkt, &size) == BitstreamStatus::kOk);
  CHECK(dec->PushPacket(pkt, size));
  CHECK(dec->PushPacket(nullptr, 0));  // lost
  const uint8_t junk[3] = {0xE0, 0x01, 0x00};
  CHECK(dec->PushPacket(junk, 3));     // corrupt (version 7)
  CHECK(!dec->PushPacket(pkt, size));  // queue full: dropped, counted
  CHECK(dec->Process(&frames).ok() && frames == 2);  // output ring holds 2 frames
  std::vector<float> out(5 * kF);
  CHECK(dec->PullAudio(out.data(), out.size(), true) == 2 * kF);
  for (int j = 0; j < kF; ++j) CHECK(out[j] == Sig(5 * kF + j));
  CHECK(dec->Process(&frames).ok() && frames == 1);
  s = dec->GetStats();
  CHECK(s.packets_in == 3 && s.packets_dropped == 1);
  CHECK(s.packets_lost == 1 && s.packets_corrupt == 1);
  CHECK(s.frames_decoded == 3 && s.frames_concealed == 2);
  CHECK(s.samples_underrun == 3 * kF);
  CHECK(s.frames_decoded * kF == s.samples_out + s.output_pending);
  std::printf("overrun/underrun/loss accounting ok\n");
}

static void TestBitrateSwitchAndDtx() {
  std::atomic<uint64_t> mism{0};
  SchedulerOptions o;
  o.loopback = true;
  o.dtx = true;
  o.dtx_hangover_frames = 2;
  auto s = Make(&mism, o, 0);  // valid_samples 0: the fake expects silence
  std::vector<float> zeros(10 * kF, 0.0f), out(10 * kF);
  CHECK(s->SetNumQuantizers(25).code() == StatusCode::kInvalidArgument);
  CHECK(s->SetNumQuantizers(3).ok());
  CHECK(s->PushAudio(zeros.data(), zeros.size()) == zeros.size());
  size_t frames = 0;
  CHECK(s->Process(&frames).ok());
  CHECK(s->PullAudio(out.data(), out.size(), false) == out.size());
  const SchedulerStats st = s->GetStats();
  CHECK(st.packets_dtx_sent == 10 - 2);  // after 2 hangover frames
  CHECK(st.packets_dtx_received == 8);
  CHECK(st.frames_comfort_noise == 7);  // the first DTX frame fades out the last codes
  double cn_e = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    CHECK(std::isfinite(out[i]));
    if (i >= 3 * kF) cn_e += static_cast<double>(out[i]) * out[i];
  }
  // Comfort noise at about the level of what was decoded before (the fake's
  // uniform +-0.5 signal, -10.8 dBFS).
  const double cn_db = 10 * std::log10(cn_e / (7.0 * kF));
  CHECK(cn_db > -16.0 && cn_db < -6.0);

  // Switching n_q between frames changes the packets the decoder sees.
  SchedulerOptions e;
  e.decode = false;
  auto enc = Make(&mism, e);
  std::vector<float> x(3 * kF);
  for (size_t i = 0; i < x.size(); ++i) x[i] = Sig(i);
  uint8_t pkt[kMaxPacketBytes];
  size_t size = 0;
  const int nqs[3] = {24, 6, 12};
  for (int f = 0; f < 3; ++f) {
    CHECK(enc->SetNumQuantizers(nqs[f]).ok());
    CHECK(enc->PushAudio(x.data() + f * kF, kF) == kF);
    CHECK(enc->Process(&frames).ok() && frames == 1);
    CHECK(enc->PullPacket(pkt, sizeof pkt, &size).ok());
    CHECK(pkt[1] == nqs[f]);
    CHECK(size == PacketSize(FakeInfo().format, static_cast<size_t>(nqs[f])));
  }
  CHECK(mism.load() == 0);
  std::printf("bitrate switch / DTX ok\n");
}

static void TestPolicy() {
  ConcealmentPolicy p;
  const uint16_t c[24] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
  FramePlan f = p.OnLoss();  // before any packet: comfort noise
  CHECK(f.mode == ConcealMode::kComfortNoise && f.codes == nullptr);
  f = p.OnPacket(c, 24);
  CHECK(f.mode == ConcealMode::kDecode && f.speech0 == 0.0f && f.speech1 == 1.0f);
  f = p.OnLoss();
  CHECK(f.mode == ConcealMode::kRepeat && f.n_q == 24 && f.speech1 == 1.0f);
  f = p.OnLoss();
  CHECK(f.n_q == 12 && f.speech1 == 1.0f);
  f = p.OnLoss();
  CHECK(f.n_q == 6 && std::fabs(f.speech1 - 0.75f) < 1e-6f);
  for (int i = 0; i < 3; ++i) f = p.OnLoss();
  CHECK(f.speech1 == 0.0f && f.noise1 == 1.0f);
  f = p.OnLoss();
  CHECK(f.mode == ConcealMode::kComfortNoise);
  f = p.OnPacket(c, 6);
  CHECK(f.mode == ConcealMode::kDecode && f.speech0 == 0.0f && f.noise0 == 1.0f);
  f = p.OnDtx();
  CHECK(f.mode == ConcealMode::kRepeat && f.speech1 == 0.0f);
  f = p.OnDtx();
  CHECK(f.mode == ConcealMode::kComfortNoise);

  ComfortNoise cn(16000, kF, 0.0f, 7);
  std::vector<float> x(kF), y(kF);
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 0.01f);  // -40 dBFS white noise
  for (int f2 = 0; f2 < 100; ++f2) {
    for (float& v : x) v = nd(rng);
    cn.Update(x.data());
  }
  double e = 0;
  for (int f2 = 0; f2 < 50; ++f2) {
    cn.Generate(y.data());
    for (float v : y) e += static_cast<double>(v) * v;
  }
  const double db = 10 * std::log10(e / (50.0 * kF));
  CHECK(std::fabs(cn.level_db() + 40.0) < 1.5);
  CHECK(std::fabs(db + 40.0) < 2.0);
  std::printf("concealment policy / comfort noise ok (%.1f dBFS)\n", db);
}

static void TestJsonSha() {
  CHECK(Sha256Hex("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string m(1000, 'a');
  CHECK(Sha256Hex(m.data(), m.size()) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
  auto v = ParseJson(R"( {"a": [1, 2.5e1, -0, true, false, null], "b": {"c": "x\u00e9\ud83d\ude00\n"}} )");
  CHECK(v.ok());
  if (v.ok()) {
    const JsonValue* a = v->Find("a");
    CHECK(a && a->is_array() && a->items().size() == 6);
    int64_t i = 0;
    CHECK(a && a->items()[1].GetInt(0, 100, &i) && i == 25);
    const JsonValue* b = v->Find("b");
    CHECK(b && b->Find("c") && b->Find("c")->as_string() == "x\xc3\xa9\xf0\x9f\x98\x80\n");
  }
  const char* bad[] = {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "\"\\ud800\"", "[1] x",
                       "nul", "\"\x01\"", "{\"a\":1,}", "1e999"};
  for (const char* b : bad) {
    auto r = ParseJson(b);
    if (r.ok()) std::fprintf(stderr, "accepted bad JSON: %s\n", b);
    CHECK(!r.ok());
  }
  std::string deep(200, '[');
  CHECK(!ParseJson(deep).ok());
  // Robustness: random mutations of a manifest-like document must parse or
  // fail cleanly (run under ASan/UBSan in CI).
  const std::string seed =
      R"({"format": "sscodec-graphs", "format_version": 1, "model": {"model_id": "m-é",)"
      R"( "sample_rate": 16000, "x": [1.5e3, -2, true, null]}, "graphs": {"encoder": {"file": )"
      R"("encoder.tflite", "inputs": [{"name": "audio", "shape": [1, 320], "dtype": "float32"}]}}})";
  std::mt19937 rng(5);
  for (int i = 0; i < 20000; ++i) {
    std::string m = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % (m.size() + 1);
      switch (rng() % 3) {
        case 0: m.insert(m.begin() + static_cast<long>(at), static_cast<char>(rng() % 256)); break;
        case 1: if (at < m.size()) m.erase(at, 1 + rng() % 8); break;
        default: if (at < m.size()) m[at] = static_cast<char>(rng() % 256); break;
      }
    }
    auto r = ParseJson(m);
    (void)r;
  }
  CHECK(ParseJson(seed).ok());
  std::printf("json / sha256 ok\n");
}

static void TestRing() {
  SpscRing<float> r(7);
  float a[10], b[10];
  for (int i = 0; i < 10; ++i) a[i] = static_cast<float>(i);
  uint64_t total = 0;
  for (int round = 0; round < 50; ++round) {
    const size_t n = 1 + round % 7;
    CHECK(r.Write(a, n) == n);
    CHECK(r.Read(b, n) == n);
    for (size_t i = 0; i < n; ++i) CHECK(b[i] == a[i]);
    total += n;
  }
  CHECK(r.Write(a, 10) == 7);
  CHECK(r.read_available() == 7);
  CHECK(r.Read(b, 10) == 7);
  CHECK(r.read() == total + 7);
  std::printf("ring ok\n");
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3600.0;
  TestRing();
  TestJsonSha();
  TestPolicy();
  TestOverrunUnderrunAndLoss();
  TestBitrateSwitchAndDtx();
  TestThreads();
  TestHourNoDrift(seconds);
  if (g_failures) {
    std::fprintf(stderr, "scheduler_test: %d failure(s)\n", g_failures);
    return 1;
  }
  std::printf("scheduler_test: all passed\n");
  return 0;
}
