// Packet-loss concealment and comfort noise on the receive side, native.
//
// ConcealmentPolicy is a port of sscodec.concealment.ConcealmentPolicy
// (runtime/concealment.py documents the policy: repeat the last codes at full
// gain for hold_frames lost frames, with fewer quantizers after the first,
// then cross-fade into comfort noise over fade_frames frames; DTX fades into
// comfort noise in one frame; a good packet fades speech back in over one
// frame). Both implementations give the same plans (tests/test_codec.py).
//
// ComfortNoise tracks the background from clean decoded frames -- its level
// with a fast-fall / slow-rise tracker in dB (as the Python generator) and its
// spectral envelope as a 12th-order LPC model of noise-like frames -- and
// synthesises noise by filtering white Gaussian noise through that all-pole
// model, continuously across frames. Allocation-free after construction.
#pragma once

#include <cstdint>
#include <vector>

namespace sscodec {

struct ConcealmentOptions {
  int hold_frames = 2;            // lost frames repeated at full gain
  int fade_frames = 4;            // frames of cross-fade into comfort noise (>= 1)
  int min_repeat_quantizers = 4;  // floor on repeated quantizers; 0 = repeat all
  float comfort_noise_gain_db = 0.0f;
  uint64_t seed = 0x5eed;
};

enum class ConcealMode : int { kDecode = 0, kRepeat = 1, kComfortNoise = 2 };

struct FramePlan {
  ConcealMode mode = ConcealMode::kComfortNoise;
  const uint16_t* codes = nullptr;  // codes to decode (nullptr: comfort noise only)
  int n_q = 0;
  float speech0 = 0, speech1 = 0;  // speech gain at frame start / end (linear ramp)
  float noise0 = 0, noise1 = 0;    // comfort-noise gain likewise
  int lost_count = 0;              // consecutive lost frames including this one
  bool needs_noise() const { return noise0 != 0.0f || noise1 != 0.0f; }
};

class ConcealmentPolicy {
 public:
  explicit ConcealmentPolicy(const ConcealmentOptions& o = {}, int max_quantizers = 255);
  void Reset();
  FramePlan OnPacket(const uint16_t* codes, int n_q);  // a good, non-DTX packet
  FramePlan OnDtx();
  FramePlan OnLoss();
  float SpeechGainAfter(int k) const;
  int RepeatQuantizers(int k, int n_q) const;

 private:
  FramePlan Plan(ConcealMode mode, const uint16_t* codes, int n_q, float s1, float n1, int lost);
  ConcealmentOptions o_;
  std::vector<uint16_t> last_;  // last good codes
  int last_n_ = -1;             // -1: none
  int lost_ = 0;
  bool in_dtx_ = false;
  float speech_ = 1.0f, noise_ = 0.0f;
};

class ComfortNoise {
 public:
  static constexpr int kOrder = 12;
  ComfortNoise(int sample_rate, int frame_size, float gain_db = 0.0f, uint64_t seed = 1);
  void Reset();
  // Feed one clean decoded frame (frame_size samples).
  void Update(const float* frame);
  // Writes frame_size samples of comfort noise.
  void Generate(float* out);
  float level_db() const { return level_db_; }

 private:
  void Refresh();
  double Gaussian();

  int sample_rate_, frame_size_;
  float gain_;
  uint64_t seed_, rng_;
  double a_smooth_, a_fall_, a_rise_, max_rise_db_, a_shape_;
  bool have_level_ = false;
  double smoothed_db_ = 0, level_db_ = -70.0;
  double shape_[kOrder + 1];  // normalised autocorrelation of the background
  double lpc_[kOrder + 1];
  double sigma_ = 0;
  bool dirty_ = true;
  double hist_[kOrder];  // synthesis filter memory
  bool have_spare_ = false;
  double spare_ = 0;
};

// out[j] = decoded[j] * speech(j) + noise[j] * noise(j), ramps as in
// sscodec.concealment.FramePlan.gains (either input may be nullptr).
void MixFrame(const FramePlan& plan, const float* decoded, const float* noise, int frame_size,
              float* out);

}  // namespace sscodec
