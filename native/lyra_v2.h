// Google Lyra v2's SoundStream chain (google/lyra 1.3.2 TFLite graphs, a codec
// nobody on this team wrote), run frame by frame through the native core:
//
//   pcm[320] -> soundstream_encoder -> [1,1,64] -> quantizer:encode(nq)
//            -> indices[46,1,1] (first nq used) -> quantizer:decode -> [1,1,64]
//            -> lyragan -> pcm[320]
//
// Graphs are chained without copies: each stage's input is bound (once) to the
// previous stage's output memory. Per frame the chain copies the 320 input
// samples in, zeroes the unused quantizer indices (a real receiver gets only
// nq indices; decode ignores the rest), runs the four signatures and copies 320
// samples (and the indices) out; it allocates nothing.
#pragma once

#include <memory>
#include <string>

#include "model.h"
#include "signature_runner.h"

namespace sscodec {

class LyraV2Chain {
 public:
  static constexpr int kSampleRate = 16000;
  static constexpr int kFrameSamples = 320;  // 20 ms
  static constexpr int kFeatureDim = 64;
  static constexpr int kMaxQuantizers = 46;

  // `model_dir` holds soundstream_encoder.tflite, quantizer.tflite, lyragan.tflite.
  static StatusOr<std::unique_ptr<LyraV2Chain>> Create(std::shared_ptr<Environment> env,
                                                       const std::string& model_dir,
                                                       const CompileOptions& options = {});

  // Fresh stream: recompiles the stateful graphs (resource variables).
  Status Reset();

  // One frame. `in`, `out`: kFrameSamples floats. `indices_out`: nullptr or
  // kMaxQuantizers int32 (entries >= num_quantizers are 0).
  // num_quantizers in [1, 46] (Lyra uses 16/30/46 = 3200/6000/9200 bps).
  Status ProcessFrame(const float* in, int num_quantizers, float* out,
                      int32_t* indices_out);

  // `num_frames` consecutive frames; `indices_out` (num_frames*46) and
  // `frame_seconds` (num_frames, wall time of each ProcessFrame) may be null.
  Status Process(const float* in, size_t num_frames, int num_quantizers, float* out,
                 int32_t* indices_out, double* frame_seconds);

  // Bits per quantizer reported by the quantizer graph (0 before the first frame).
  int bits_per_quantizer() const { return bits_per_quantizer_; }

 private:
  LyraV2Chain() = default;
  Status Wire();

  std::shared_ptr<Model> encoder_, quantizer_, decoder_;
  std::unique_ptr<SignatureRunner> enc_, quant_enc_, quant_dec_, dec_;
  float* enc_in_ = nullptr;
  int32_t* num_q_ = nullptr;
  int32_t* indices_ = nullptr;
  const int32_t* bits_ = nullptr;
  const float* dec_out_ = nullptr;
  int bits_per_quantizer_ = 0;
};

}  // namespace sscodec
