#include "concealment.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sscodec {

ConcealmentPolicy::ConcealmentPolicy(const ConcealmentOptions& o, int max_quantizers) : o_(o) {
  if (o_.hold_frames < 0) o_.hold_frames = 0;
  if (o_.fade_frames < 1) o_.fade_frames = 1;
  if (o_.min_repeat_quantizers < 0) o_.min_repeat_quantizers = 0;
  last_.assign(static_cast<size_t>(std::max(1, max_quantizers)), 0);
  Reset();
}

void ConcealmentPolicy::Reset() {
  last_n_ = -1;
  lost_ = 0;
  in_dtx_ = false;
  speech_ = 1.0f;
  noise_ = 0.0f;
}

float ConcealmentPolicy::SpeechGainAfter(int k) const {
  if (k <= o_.hold_frames) return 1.0f;
  return std::max(0.0f, 1.0f - static_cast<float>(k - o_.hold_frames) / static_cast<float>(o_.fade_frames));
}

int ConcealmentPolicy::RepeatQuantizers(int k, int n_q) const {
  if (o_.min_repeat_quantizers == 0 || k <= 1) return n_q;
  const int shift = std::min(k - 1, 16);
  const int div = 1 << shift;
  const int ceil = (n_q + div - 1) / div;
  return std::min(n_q, std::max(o_.min_repeat_quantizers, ceil));
}

FramePlan ConcealmentPolicy::Plan(ConcealMode mode, const uint16_t* codes, int n_q, float s1,
                                  float n1, int lost) {
  FramePlan p;
  p.mode = mode;
  p.codes = codes;
  p.n_q = codes ? n_q : 0;
  p.speech0 = speech_;
  p.speech1 = s1;
  p.noise0 = noise_;
  p.noise1 = n1;
  p.lost_count = lost;
  speech_ = s1;
  noise_ = n1;
  return p;
}

FramePlan ConcealmentPolicy::OnPacket(const uint16_t* codes, int n_q) {
  n_q = std::max(0, std::min<int>(n_q, static_cast<int>(last_.size())));
  std::memcpy(last_.data(), codes, sizeof(uint16_t) * static_cast<size_t>(n_q));
  last_n_ = n_q;
  lost_ = 0;
  in_dtx_ = false;
  return Plan(ConcealMode::kDecode, last_.data(), n_q, 1.0f, 0.0f, 0);
}

FramePlan ConcealmentPolicy::OnDtx() {
  lost_ = 0;
  in_dtx_ = true;
  if (last_n_ >= 0 && speech_ > 0.0f) {
    const int n = last_n_;
    last_n_ = -1;
    return Plan(ConcealMode::kRepeat, last_.data(), n, 0.0f, 1.0f, 0);
  }
  last_n_ = -1;
  return Plan(ConcealMode::kComfortNoise, nullptr, 0, 0.0f, 1.0f, 0);
}

FramePlan ConcealmentPolicy::OnLoss() {
  ++lost_;
  const int k = lost_;
  if (in_dtx_ || last_n_ < 0 || speech_ == 0.0f) {
    return Plan(ConcealMode::kComfortNoise, nullptr, 0, 0.0f, 1.0f, k);
  }
  const float g = SpeechGainAfter(k);
  const int n_keep = RepeatQuantizers(k, last_n_);
  const float noise = std::sqrt(std::max(0.0f, 1.0f - g * g));
  return Plan(ConcealMode::kRepeat, last_.data(), n_keep, g, noise, k);
}

// ---------------------------------------------------------------------------

ComfortNoise::ComfortNoise(int sample_rate, int frame_size, float gain_db, uint64_t seed)
    : sample_rate_(sample_rate), frame_size_(frame_size), seed_(seed) {
  gain_ = static_cast<float>(std::pow(10.0, gain_db / 20.0));
  const double dt = static_cast<double>(frame_size) / sample_rate;
  a_smooth_ = 1.0 - std::exp(-dt / 0.04);
  a_fall_ = 1.0 - std::exp(-dt / 0.1);
  a_rise_ = 1.0 - std::exp(-dt / 0.5);
  max_rise_db_ = 6.0 * dt;
  a_shape_ = 1.0 - std::exp(-dt / 0.2);
  Reset();
}

void ComfortNoise::Reset() {
  rng_ = seed_ ? seed_ : 0x9E3779B97F4A7C15ull;
  have_level_ = false;
  smoothed_db_ = 0;
  level_db_ = -70.0;
  std::fill(std::begin(shape_), std::end(shape_), 0.0);
  shape_[0] = 1.0;
  std::fill(std::begin(hist_), std::end(hist_), 0.0);
  dirty_ = true;
  have_spare_ = false;
}

void ComfortNoise::Update(const float* x) {
  double e = 0;
  for (int i = 0; i < frame_size_; ++i) {
    if (!std::isfinite(x[i])) return;
    e += static_cast<double>(x[i]) * x[i];
  }
  e /= frame_size_;
  if (e < 1e-10) return;  // digital silence says nothing about the background
  const double e_db = 10.0 * std::log10(e);
  if (!have_level_) {
    have_level_ = true;
    smoothed_db_ = e_db;
    level_db_ = e_db;
  } else {
    smoothed_db_ += a_smooth_ * (e_db - smoothed_db_);
    const double d = smoothed_db_ - level_db_;
    level_db_ += d < 0 ? a_fall_ * d : std::min(a_rise_ * d, max_rise_db_);
  }
  // Spectral envelope from frames close to the background level only.
  if (e_db <= level_db_ + 6.0) {
    double r[kOrder + 1];
    for (int k = 0; k <= kOrder; ++k) {
      double acc = 0;
      for (int n = k; n < frame_size_; ++n) acc += static_cast<double>(x[n]) * x[n - k];
      r[k] = acc;
    }
    if (r[0] > 0) {
      for (int k = 0; k <= kOrder; ++k) shape_[k] += a_shape_ * (r[k] / r[0] - shape_[k]);
    }
  }
  dirty_ = true;
}

void ComfortNoise::Refresh() {
  // Lag window (60 Hz Gaussian) and a little white-noise correction keep the
  // all-pole model stable and smooth.
  double r[kOrder + 1];
  for (int k = 0; k <= kOrder; ++k) {
    const double w = 2.0 * M_PI * 60.0 * k / sample_rate_;
    r[k] = shape_[k] * std::exp(-0.5 * w * w);
  }
  r[0] *= 1.0001;
  // Levinson-Durbin.
  double a[kOrder + 1] = {1.0};
  double err = r[0];
  for (int i = 1; i <= kOrder && err > 0; ++i) {
    double acc = r[i];
    for (int j = 1; j < i; ++j) acc += a[j] * r[i - j];
    const double k = -acc / err;
    double tmp[kOrder + 1];
    std::memcpy(tmp, a, sizeof(a));
    for (int j = 1; j < i; ++j) a[j] = tmp[j] + k * tmp[i - j];
    a[i] = k;
    err *= (1.0 - k * k);
  }
  std::memcpy(lpc_, a, sizeof(a));
  const double level = std::pow(10.0, level_db_ / 10.0);
  sigma_ = std::sqrt(std::max(0.0, level * err / r[0]));
  dirty_ = false;
}

double ComfortNoise::Gaussian() {
  if (have_spare_) {
    have_spare_ = false;
    return spare_;
  }
  auto next = [this]() {
    // xorshift64*: deterministic, allocation-free.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return static_cast<double>((rng_ * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
  };
  double u1 = next(), u2 = next();
  if (u1 < 1e-300) u1 = 1e-300;
  const double mag = std::sqrt(-2.0 * std::log(u1));
  spare_ = mag * std::sin(2.0 * M_PI * u2);
  have_spare_ = true;
  return mag * std::cos(2.0 * M_PI * u2);
}

void ComfortNoise::Generate(float* out) {
  if (dirty_) Refresh();
  for (int n = 0; n < frame_size_; ++n) {
    double y = sigma_ * Gaussian();
    for (int k = 1; k <= kOrder; ++k) y -= lpc_[k] * hist_[k - 1];
    for (int k = kOrder - 1; k > 0; --k) hist_[k] = hist_[k - 1];
    hist_[0] = y;
    out[n] = static_cast<float>(y * gain_);
  }
}

void MixFrame(const FramePlan& p, const float* decoded, const float* noise, int frame_size,
              float* out) {
  const float inv = 1.0f / static_cast<float>(frame_size);
  const bool use_s = decoded && (p.speech0 != 0.0f || p.speech1 != 0.0f);
  const bool use_n = noise && p.needs_noise();
  for (int j = 0; j < frame_size; ++j) {
    const float t = static_cast<float>(j + 1) * inv;
    float v = 0.0f;
    if (use_s) v += decoded[j] * (p.speech0 + (p.speech1 - p.speech0) * t);
    if (use_n) v += noise[j] * (p.noise0 + (p.noise1 - p.noise0) * t);
    out[j] = v;
  }
}

}  // namespace sscodec
