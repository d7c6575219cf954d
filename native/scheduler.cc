#include "scheduler.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

namespace sscodec {

namespace {

using Clock = std::chrono::steady_clock;

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

inline void Add(std::atomic<uint64_t>& a, uint64_t v) { a.fetch_add(v, std::memory_order_relaxed); }
inline void AddI(std::atomic<int64_t>& a, int64_t v) { a.fetch_add(v, std::memory_order_relaxed); }
inline uint64_t Get(const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); }

}  // namespace

// Log-spaced latency histogram: 16 bins per octave from 1 us (about 4.4 %
// resolution), lock-free, single writer.
class Scheduler::Histogram {
 public:
  static constexpr int kPerOctave = 16;
  static constexpr int kBins = 1 + kPerOctave * 27;  // up to ~134 s

  void Add(int64_t ns, int64_t budget_ns) {
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
    if (ns > max_ns_.load(std::memory_order_relaxed)) max_ns_.store(ns, std::memory_order_relaxed);
    if (ns > budget_ns) misses_.fetch_add(1, std::memory_order_relaxed);
    bins_[Bin(ns)].fetch_add(1, std::memory_order_relaxed);
  }

  LatencySummary Summary() const {
    LatencySummary s;
    s.frames = count_.load(std::memory_order_relaxed);
    s.deadline_misses = misses_.load(std::memory_order_relaxed);
    s.max_ms = static_cast<double>(max_ns_.load(std::memory_order_relaxed)) * 1e-6;
    if (s.frames == 0) return s;
    s.mean_ms = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-6 / s.frames;
    s.p50_ms = std::min(s.max_ms, Quantile(0.50));
    s.p99_ms = std::min(s.max_ms, Quantile(0.99));
    return s;
  }

  void Clear() {
    count_.store(0);
    sum_ns_.store(0);
    max_ns_.store(0);
    misses_.store(0);
    for (auto& b : bins_) b.store(0);
  }

 private:
  static int Bin(int64_t ns) {
    const double us = static_cast<double>(ns) * 1e-3;
    if (!(us >= 1.0)) return 0;
    const int b = 1 + static_cast<int>(std::floor(std::log2(us) * kPerOctave));
    return b < kBins ? b : kBins - 1;
  }
  // Geometric centre of the bin holding quantile q, in ms.
  double Quantile(double q) const {
    uint64_t total = 0;
    for (const auto& b : bins_) total += b.load(std::memory_order_relaxed);
    if (total == 0) return 0;
    const double target = q * static_cast<double>(total);
    uint64_t acc = 0;
    for (int i = 0; i < kBins; ++i) {
      acc += bins_[i].load(std::memory_order_relaxed);
      if (static_cast<double>(acc) >= target) {
        if (i == 0) return 0.5e-3;
        return std::exp2((i - 0.5) / kPerOctave) * 1e-3;
      }
    }
    return std::exp2(static_cast<double>(kBins - 1) / kPerOctave) * 1e-3;
  }

  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_ns_{0};
  std::atomic<int64_t> max_ns_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> bins_[kBins] = {};
};

StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(std::unique_ptr<EncoderPipeline> encoder,
                                                       std::unique_ptr<DecoderPipeline> decoder,
                                                       const SchedulerOptions& options) {
  std::unique_ptr<Scheduler> s(new Scheduler());
  s->opt_ = options;
  s->enc_ = std::move(encoder);
  s->dec_ = std::move(decoder);
  SSCODEC_RETURN_IF_ERROR(s->Init());
  return s;
}

Status Scheduler::Init() {
  if (opt_.loopback) opt_.encode = opt_.decode = true;
  if (!opt_.encode && !opt_.decode) {
    return Status(StatusCode::kInvalidArgument, "scheduler needs an encode side, a decode side or both");
  }
  if (opt_.encode && !enc_) return Status(StatusCode::kInvalidArgument, "encode side without an encoder pipeline");
  if (opt_.decode && !dec_) return Status(StatusCode::kInvalidArgument, "decode side without a decoder pipeline");
  info_ = opt_.encode ? enc_->info() : dec_->info();
  if (opt_.encode && opt_.decode) {
    const CodecInfo& a = enc_->info();
    const CodecInfo& b = dec_->info();
    if (a.model_id != b.model_id || a.format.frame_size != b.format.frame_size ||
        a.format.max_quantizers != b.format.max_quantizers ||
        a.format.bits_per_code != b.format.bits_per_code) {
      return Status(StatusCode::kInvalidArgument, "encoder and decoder pipelines are different models");
    }
  }
  if (ValidateFormat(info_.format) != BitstreamStatus::kOk) {
    return Status(StatusCode::kInvalidArgument, "model has an invalid codec format");
  }
  frame_ = info_.format.frame_size;
  frame_ns_ = static_cast<int64_t>(1e9 * frame_ / info_.format.sample_rate);
  const size_t in_frames = opt_.input_frames ? opt_.input_frames : 50;
  const size_t out_frames = opt_.output_frames ? opt_.output_frames : 50;
  const size_t slots = opt_.packet_slots ? opt_.packet_slots : 64;
  in_ring_ = std::make_unique<SpscRing<float>>(in_frames * frame_);
  frame_times_ = std::make_unique<SpscRing<int64_t>>(in_frames + 2);
  out_ring_ = std::make_unique<SpscRing<float>>(out_frames * frame_);
  out_packets_ = std::make_unique<SpscSlots<PacketSlot>>(slots);
  in_packets_ = std::make_unique<SpscSlots<PacketSlot>>(slots);
  if (!in_ring_->ok() || !frame_times_->ok() || !out_ring_->ok() || !out_packets_->ok() ||
      !in_packets_->ok()) {
    return Status(StatusCode::kRuntimeError, "out of memory allocating scheduler queues");
  }
  const int Q = info_.format.max_quantizers;
  codes_.assign(static_cast<size_t>(Q), 0);
  rx_codes_.assign(static_cast<size_t>(Q), 0);
  mix_.assign(static_cast<size_t>(frame_), 0.0f);
  noise_.assign(static_cast<size_t>(frame_), 0.0f);
  policy_ = std::make_unique<ConcealmentPolicy>(opt_.conceal, Q);
  cng_ = std::make_unique<ComfortNoise>(static_cast<int>(info_.format.sample_rate), frame_,
                                        opt_.conceal.comfort_noise_gain_db, opt_.conceal.seed);
  c_ = std::make_unique<Counters>();
  enc_lat_ = std::make_unique<Histogram>();
  dec_lat_ = std::make_unique<Histogram>();
  ClearStats();
  SSCODEC_RETURN_IF_ERROR(SetNumQuantizers(opt_.num_quantizers ? opt_.num_quantizers
                                                               : static_cast<int>(info_.default_quantizers)));
  SSCODEC_RETURN_IF_ERROR(SetDenoise(opt_.denoise));
  SSCODEC_RETURN_IF_ERROR(SetDecoderDenoise(opt_.decoder_denoise));
  dtx_.store(opt_.dtx);
  if (opt_.worker_thread) {
    if (sem_init(&sem_, 0, 0) != 0) {
      return Status(StatusCode::kRuntimeError, std::string("sem_init: ") + std::strerror(errno));
    }
    sem_ok_ = true;
    StartWorker();
  }
  return Status::Ok();
}

Scheduler::~Scheduler() {
  StopWorker();
  if (sem_ok_) sem_destroy(&sem_);
}

void Scheduler::ClearStats() {
  Counters& c = *c_;
  for (auto* a : {&c.samples_in, &c.samples_dropped, &c.samples_padded, &c.frames_encoded,
                  &c.packets_dtx_sent, &c.packets_out, &c.packet_bytes_out, &c.encode_errors,
                  &c.packets_in, &c.packets_dropped, &c.packets_lost, &c.packets_corrupt,
                  &c.packets_dtx_received, &c.frames_decoded, &c.frames_concealed,
                  &c.frames_comfort_noise, &c.samples_out, &c.samples_underrun, &c.decode_errors}) {
    a->store(0);
  }
  for (auto& s : c.stage_ns) s.store(0);
  c.encode_process_ns.store(0);
  c.decode_process_ns.store(0);
  enc_lat_->Clear();
  dec_lat_->Clear();
  std::lock_guard<std::mutex> lock(err_mu_);
  last_error_.clear();
}

// --- control ----------------------------------------------------------------

Status Scheduler::SetNumQuantizers(int n_q) {
  if (n_q < 1 || n_q > info_.format.max_quantizers) {
    return Status(StatusCode::kInvalidArgument,
                  "num_quantizers must be in [1, " + std::to_string(info_.format.max_quantizers) +
                      "], got " + std::to_string(n_q));
  }
  nq_.store(n_q, std::memory_order_relaxed);
  return Status::Ok();
}

Status Scheduler::SetDenoise(bool on) {
  if (on && opt_.encode && !enc_->info().encoder_denoise) {
    return Status(StatusCode::kUnsupported, "this model's encoder has no denoise input");
  }
  denoise_.store(on, std::memory_order_relaxed);
  return Status::Ok();
}

Status Scheduler::SetDecoderDenoise(bool on) {
  if (on && opt_.decode && !dec_->info().decoder_denoise) {
    return Status(StatusCode::kUnsupported, "this model's decoder has no denoise input");
  }
  dec_denoise_.store(on, std::memory_order_relaxed);
  return Status::Ok();
}

// --- producer / consumer ------------------------------------------------------

size_t Scheduler::PushAudio(const float* samples, size_t n) {
  if (!opt_.encode || (n && !samples)) return 0;
  const uint64_t before = in_ring_->written();
  const size_t w = std::min(n, in_ring_->write_available());
  const uint64_t F = static_cast<uint64_t>(frame_);
  const uint64_t done = (before + w) / F - before / F;
  // The completion times of the frames this push completes are published
  // BEFORE the samples: the consumer reads a frame's time only once the
  // frame's samples are visible, so it never runs ahead of the times.
  const int64_t now = done ? NowNs() : 0;
  for (uint64_t i = 0; i < done; ++i) frame_times_->Write(&now, 1);
  in_ring_->Write(samples, w);
  Add(c_->samples_in, w);
  if (w < n) Add(c_->samples_dropped, n - w);
  if (done) Wake();
  return w;
}

Status Scheduler::Flush() {
  if (!opt_.encode) return Status(StatusCode::kFailedPrecondition, "no encode side");
  const uint64_t written = in_ring_->written();
  const size_t rem = static_cast<size_t>(written % static_cast<uint64_t>(frame_));
  if (rem == 0) return Status::Ok();
  const size_t pad = static_cast<size_t>(frame_) - rem;
  if (in_ring_->write_available() < pad) {
    return Status(StatusCode::kFailedPrecondition, "input ring full: process before Flush()");
  }
  const int64_t now = NowNs();
  frame_times_->Write(&now, 1);  // before the samples (see PushAudio)
  in_ring_->Fill(0.0f, pad);
  Add(c_->samples_padded, pad);
  Wake();
  return Status::Ok();
}

Status Scheduler::PullPacket(uint8_t* buf, size_t cap, size_t* size) {
  if (size) *size = 0;
  if (!opt_.encode || opt_.loopback) {
    return Status(StatusCode::kFailedPrecondition, "no packets to pull (no encode side, or loopback)");
  }
  const PacketSlot* s = out_packets_->BeginRead();
  if (!s) return Status(StatusCode::kNotFound, "no packet ready");
  if (!buf || cap < s->size) {
    return Status(StatusCode::kInvalidArgument, "buffer of " + std::to_string(cap) +
                                                    " bytes too small for a " +
                                                    std::to_string(s->size) + "-byte packet");
  }
  std::memcpy(buf, s->data, s->size);
  if (size) *size = s->size;
  Add(c_->packets_out, 1);
  Add(c_->packet_bytes_out, s->size);
  out_packets_->CommitRead();
  Wake();  // room for the encoder again
  return Status::Ok();
}

bool Scheduler::PushPacket(const uint8_t* data, size_t size) {
  if (!opt_.decode || opt_.loopback) return false;
  PacketSlot* s = in_packets_->BeginWrite();
  if (!s) {
    Add(c_->packets_dropped, 1);
    return false;
  }
  s->ready_ns = NowNs();
  if (!data || size == 0) {
    s->kind = 1;
    s->size = 0;
  } else if (size > sizeof(s->data)) {
    s->kind = 2;
    s->size = 0;
  } else {
    s->kind = 0;
    s->size = static_cast<uint16_t>(size);
    std::memcpy(s->data, data, size);
  }
  in_packets_->CommitWrite();
  Add(c_->packets_in, 1);
  Wake();
  return true;
}

size_t Scheduler::PullAudio(float* out, size_t n, bool pad_underrun) {
  if (!opt_.decode || (n && !out)) return 0;
  const size_t r = out_ring_->Read(out, n);
  Add(c_->samples_out, r);
  if (r < n && pad_underrun) {
    std::memset(out + r, 0, (n - r) * sizeof(float));
    Add(c_->samples_underrun, n - r);
  }
  if (r) Wake();  // room for the decoder again
  return r;
}

// --- processing -------------------------------------------------------------

void Scheduler::RecordError(const Status& s, bool encode) {
  Add(encode ? c_->encode_errors : c_->decode_errors, 1);
  std::lock_guard<std::mutex> lock(err_mu_);
  last_error_ = s.ToString();
}

bool Scheduler::EncodeOne() {
  if (in_ring_->read_available() < static_cast<size_t>(frame_)) return false;
  SpscSlots<PacketSlot>* q = opt_.loopback ? in_packets_.get() : out_packets_.get();
  PacketSlot* slot = q->BeginWrite();
  if (!slot) return false;  // back-pressure: the packet consumer is behind
  const int64_t t0 = NowNs();
  int64_t ready = t0;
  if (frame_times_->Read(&ready, 1) != 1) ready = t0;  // cannot happen (times go first)
  float* frame = enc_->frame();
  in_ring_->Read(frame, static_cast<size_t>(frame_));

  int64_t stage[kNumStages] = {0, 0, 0, 0};
  const int nq = nq_.load(std::memory_order_relaxed);
  const bool denoise = denoise_.load(std::memory_order_relaxed);
  bool dtx_frame = false;
  if (dtx_.load(std::memory_order_relaxed)) {
    double e = 0;
    for (int i = 0; i < frame_; ++i) e += static_cast<double>(frame[i]) * frame[i];
    e /= frame_;
    const double db = 10.0 * std::log10(e + 1e-20);
    quiet_frames_ = db < opt_.dtx_threshold_dbfs ? quiet_frames_ + 1 : 0;
    dtx_frame = quiet_frames_ > opt_.dtx_hangover_frames;
  } else {
    quiet_frames_ = 0;
  }
  size_t send_nq = dtx_frame ? 0 : static_cast<size_t>(nq);
  if (dtx_frame && opt_.dtx_refresh_frames > 0 &&
      (quiet_frames_ - opt_.dtx_hangover_frames) % opt_.dtx_refresh_frames == 0) {
    // Background refresh: a normal packet with the first few codes (RVQ codes
    // are a prefix code: the first k do not depend on how many follow).
    dtx_frame = false;
    send_nq = static_cast<size_t>(std::max(1, std::min(nq, opt_.dtx_refresh_quantizers)));
  }
  // The encoder always runs (its state must follow the signal, DTX or not).
  Status st = enc_->Encode(nq, denoise, codes_.data(), stage);
  slot->ready_ns = ready;
  if (!st.ok()) {
    RecordError(st, true);
    slot->kind = 1;  // the frame goes out as a lost frame: the receiver conceals it
    slot->size = 0;
  } else {
    uint8_t flags = denoise ? kPacketFlagDenoise : 0;
    if (dtx_frame) flags |= kPacketFlagDtx;
    size_t size = 0;
    const BitstreamStatus bs = PackPacket(info_.format, flags, codes_.data(), send_nq, slot->data,
                                          sizeof(slot->data), &size);
    if (bs != BitstreamStatus::kOk) {
      RecordError(Status(StatusCode::kRuntimeError, std::string("PackPacket: ") + BitstreamStatusName(bs)), true);
      slot->kind = 1;
      slot->size = 0;
    } else {
      slot->kind = 0;
      slot->size = static_cast<uint16_t>(size);
      if (dtx_frame) Add(c_->packets_dtx_sent, 1);
    }
  }
  q->CommitWrite();
  Add(c_->frames_encoded, 1);
  const int64_t t1 = NowNs();
  for (int i = 0; i < kNumStages; ++i) {
    if (stage[i]) AddI(c_->stage_ns[i], stage[i]);
  }
  AddI(c_->encode_process_ns, t1 - t0);
  if (!opt_.loopback) enc_lat_->Add(t1 - ready, frame_ns_);
  return true;
}

bool Scheduler::DecodeOne() {
  const PacketSlot* slot = in_packets_->BeginRead();
  if (!slot) return false;
  if (out_ring_->write_available() < static_cast<size_t>(frame_)) return false;  // back-pressure
  const int64_t t0 = NowNs();
  int64_t stage[kNumStages] = {0, 0, 0, 0};
  const int Q = info_.format.max_quantizers;
  FramePlan plan;
  bool packet_denoise = false;
  if (slot->kind == 1) {
    Add(c_->packets_lost, 1);
    plan = policy_->OnLoss();
  } else {
    PacketHeader h;
    BitstreamStatus bs = slot->kind == 2 ? BitstreamStatus::kBadLength
                                          : UnpackPacket(info_.format, slot->data, slot->size, &h,
                                                         rx_codes_.data(), static_cast<size_t>(Q));
    if (bs != BitstreamStatus::kOk) {
      Add(c_->packets_corrupt, 1);
      plan = policy_->OnLoss();
    } else if (h.dtx()) {
      Add(c_->packets_dtx_received, 1);
      plan = policy_->OnDtx();
    } else if (h.num_quantizers == 0) {
      // A valid packet without codes and without DTX: nothing to decode.
      Add(c_->packets_corrupt, 1);
      plan = policy_->OnLoss();
    } else {
      packet_denoise = h.denoise();
      plan = policy_->OnPacket(rx_codes_.data(), h.num_quantizers);
    }
  }
  const float* decoded = nullptr;
  if (plan.codes && plan.n_q > 0) {
    const bool dn = dec_denoise_.load(std::memory_order_relaxed) && !packet_denoise;
    Status st = dec_->Decode(plan.codes, plan.n_q, dn, stage);
    if (st.ok()) {
      decoded = dec_->output();
    } else {
      RecordError(st, false);
    }
  }
  if (plan.mode == ConcealMode::kRepeat) Add(c_->frames_concealed, 1);
  if (plan.mode == ConcealMode::kComfortNoise) Add(c_->frames_comfort_noise, 1);
  if (decoded && plan.mode == ConcealMode::kDecode && plan.speech0 == 1.0f && plan.speech1 == 1.0f) {
    cng_->Update(decoded);
  }
  const float* noise = nullptr;
  if (plan.needs_noise()) {
    cng_->Generate(noise_.data());
    noise = noise_.data();
  }
  MixFrame(plan, decoded, noise, frame_, mix_.data());
  out_ring_->Write(mix_.data(), static_cast<size_t>(frame_));
  const int64_t ready = slot->ready_ns;
  in_packets_->CommitRead();
  Add(c_->frames_decoded, 1);
  const int64_t t1 = NowNs();
  for (int i = 0; i < kNumStages; ++i) {
    if (stage[i]) AddI(c_->stage_ns[i], stage[i]);
  }
  AddI(c_->decode_process_ns, t1 - t0);
  dec_lat_->Add(t1 - ready, frame_ns_);
  return true;
}

size_t Scheduler::ProcessAvailable() {
  size_t frames = 0;
  bool progress = true;
  while (progress) {
    progress = false;
    if (opt_.decode && DecodeOne()) {
      progress = true;
      ++frames;
    }
    if (opt_.encode && EncodeOne()) {
      progress = true;
      ++frames;
    }
  }
  return frames;
}

Status Scheduler::Process(size_t* frames) {
  if (opt_.worker_thread) {
    if (frames) *frames = 0;
    return Status(StatusCode::kFailedPrecondition, "frames are processed by the worker thread");
  }
  const size_t n = ProcessAvailable();
  if (frames) *frames = n;
  return Status::Ok();
}

void Scheduler::Wake() {
  if (sem_ok_) sem_post(&sem_);
}

void Scheduler::WorkerLoop() {
  while (!stop_.load(std::memory_order_acquire)) {
    busy_.store(true, std::memory_order_release);
    const size_t n = ProcessAvailable();
    busy_.store(false, std::memory_order_release);
    if (n == 0) {
      timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 5 * 1000 * 1000;  // re-check every 5 ms at worst
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_nsec -= 1000000000L;
        ts.tv_sec += 1;
      }
      while (sem_timedwait(&sem_, &ts) != 0 && errno == EINTR) {
      }
    }
  }
}

void Scheduler::StartWorker() {
  if (!opt_.worker_thread || worker_.joinable()) return;
  stop_.store(false, std::memory_order_release);
  worker_ = std::thread([this] { WorkerLoop(); });
  if (opt_.worker_rt_priority > 0) {
    // Like an audio callback thread: real-time priority so that other load
    // on the machine cannot delay frames. Needs the privilege (root,
    // CAP_SYS_NICE or an rtprio limit); without it the worker stays normal
    // and stats().worker_realtime says so.
    sched_param sp{};
    sp.sched_priority = std::min(opt_.worker_rt_priority, sched_get_priority_max(SCHED_FIFO));
    worker_rt_.store(pthread_setschedparam(worker_.native_handle(), SCHED_FIFO, &sp) == 0);
  }
}

void Scheduler::StopWorker() {
  if (!worker_.joinable()) return;
  stop_.store(true, std::memory_order_release);
  Wake();
  worker_.join();
}

bool Scheduler::WaitIdle(int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto can_work = [this]() {
    if (opt_.decode && in_packets_->size() > 0 &&
        out_ring_->write_available() >= static_cast<size_t>(frame_)) {
      return true;
    }
    if (opt_.encode && in_ring_->read_available() >= static_cast<size_t>(frame_)) {
      SpscSlots<PacketSlot>* q = opt_.loopback ? in_packets_.get() : out_packets_.get();
      if (q->size() < q->capacity()) return true;
    }
    return false;
  };
  if (!opt_.worker_thread) {
    return !can_work();
  }
  while (Clock::now() < deadline) {
    if (!can_work() && !busy_.load(std::memory_order_acquire) && !can_work()) return true;
    Wake();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

Status Scheduler::Reset() {
  StopWorker();
  while (sem_ok_ && sem_trywait(&sem_) == 0) {
  }
  in_ring_->Reset();
  frame_times_->Reset();
  out_ring_->Reset();
  out_packets_->Reset();
  in_packets_->Reset();
  policy_->Reset();
  cng_->Reset();
  quiet_frames_ = 0;
  Status st = Status::Ok();
  if (enc_) {
    Status s = enc_->Reset();
    if (!s.ok()) st = s;
  }
  if (dec_ && dec_.get() != nullptr) {
    Status s = dec_->Reset();
    if (!s.ok()) st = s;
  }
  ClearStats();
  StartWorker();
  return st;
}

SchedulerStats Scheduler::GetStats() const {
  SchedulerStats s;
  const Counters& c = *c_;
  s.frame_ms = static_cast<double>(frame_ns_) * 1e-6;
  s.worker_realtime = worker_rt_.load(std::memory_order_relaxed);
  s.samples_in = Get(c.samples_in);
  s.samples_dropped = Get(c.samples_dropped);
  s.samples_padded = Get(c.samples_padded);
  s.frames_encoded = Get(c.frames_encoded);
  s.packets_dtx_sent = Get(c.packets_dtx_sent);
  s.packets_out = Get(c.packets_out);
  s.packet_bytes_out = Get(c.packet_bytes_out);
  s.encode_errors = Get(c.encode_errors);
  s.packets_in = Get(c.packets_in);
  s.packets_dropped = Get(c.packets_dropped);
  s.packets_lost = Get(c.packets_lost);
  s.packets_corrupt = Get(c.packets_corrupt);
  s.packets_dtx_received = Get(c.packets_dtx_received);
  s.frames_decoded = Get(c.frames_decoded);
  s.frames_concealed = Get(c.frames_concealed);
  s.frames_comfort_noise = Get(c.frames_comfort_noise);
  s.samples_out = Get(c.samples_out);
  s.samples_underrun = Get(c.samples_underrun);
  s.decode_errors = Get(c.decode_errors);
  s.input_pending = opt_.encode ? in_ring_->read_available() : 0;
  s.output_pending = opt_.decode ? out_ring_->read_available() : 0;
  double model = 0;
  for (int i = 0; i < kNumStages; ++i) {
    s.stage_ms[i] = static_cast<double>(c.stage_ns[i].load(std::memory_order_relaxed)) * 1e-6;
    model += s.stage_ms[i];
  }
  s.encode_process_ms = static_cast<double>(c.encode_process_ns.load(std::memory_order_relaxed)) * 1e-6;
  s.decode_process_ms = static_cast<double>(c.decode_process_ns.load(std::memory_order_relaxed)) * 1e-6;
  s.model_ms = model;
  s.overhead_ms = s.encode_process_ms + s.decode_process_ms - model;
  s.encode_latency = enc_lat_->Summary();
  s.decode_latency = dec_lat_->Summary();
  return s;
}

bool Scheduler::TimesInSync() const {
  if (!opt_.encode) return true;
  return frame_times_->read_available() == in_ring_->read_available() / static_cast<size_t>(frame_);
}

std::string Scheduler::last_error() const {
  std::lock_guard<std::mutex> lock(err_mu_);
  return last_error_;
}

}  // namespace sscodec
