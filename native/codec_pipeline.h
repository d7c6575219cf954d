// Per-frame codec pipelines over converted graphs: the send side (audio frame
// -> encoder -> RVQ encode -> codes) and the receive side (codes -> RVQ decode
// -> decoder -> audio frame).
//
// Two model kinds run through the same interface:
//  * sscodec model folders (manifest.json + encoder/rvq_encode/rvq_decode/
//    decoder .tflite, explicit state tensors; see runtime/manifest.py). The
//    manifest is validated, every graph's sha256 is checked, and every graph's
//    real tensors are checked against the manifest and against each other
//    before anything runs.
//  * Google Lyra v2 folders (soundstream_encoder/quantizer/lyragan .tflite,
//    state in resource variables inside the compiled graphs).
//
// Stateful sscodec graphs run zero-copy ping-pong: each has TWO runners on the
// same compiled model, runner A reading state set 0 and writing set 1, runner
// B the reverse; frames alternate A, B, A, ... so the states never move and no
// frame allocates or copies state. Inputs shared by A and B (audio frame,
// denoise flag, embedding) are bound to one buffer, and each graph's input is
// bound to the previous graph's output memory, so codes and embeddings are
// never copied either. Reset() zeroes both state sets (a new stream).
//
// A pipeline (and the Model objects it owns) is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "environment.h"
#include "model.h"
#include "packet.h"
#include "status.h"

namespace sscodec {

// Stages whose time the pipelines and the scheduler account for.
enum class Stage : int {
  kEncoder = 0,    // encoder graph
  kRvqEncode = 1,  // RVQ encode graph
  kRvqDecode = 2,  // RVQ decode graph
  kDecoder = 3,    // decoder graph
  kCount = 4,
};
const char* StageName(Stage s);
constexpr int kNumStages = static_cast<int>(Stage::kCount);

struct CodecInfo {
  std::string kind;      // "sscodec" or "lyra-v2"
  std::string model_id;  // written into .ssc headers / checked on decode
  std::vector<uint8_t> model_hash;  // identifies the code books (see ModelHash below)
  std::string precision;  // "float32", "dynamic-int8", "int8" (Lyra: "lyra")
  CodecFormat format;     // sample rate, frame size, code width, max quantizers, codebook
  uint32_t embedding_dim = 0;
  bool encoder_denoise = false;  // the encoder graph takes a denoise flag
  bool decoder_denoise = false;  // the decoder graph takes a denoise flag
  uint32_t default_quantizers = 0;
};

struct PipelineOptions {
  CompileOptions compile;    // XNNPACK threads etc.
  bool verify_hashes = true;  // check graph files against manifest sha256
};

class EncoderPipeline {
 public:
  virtual ~EncoderPipeline() = default;
  const CodecInfo& info() const { return info_; }
  // format().frame_size floats: write the next frame here, then Encode().
  float* frame() const { return frame_; }
  // Encodes frame() with n_q quantizers (1..max_quantizers) and the denoise
  // flag (ignored by graphs without one): codes[0..max_quantizers) are written,
  // entries >= n_q are 0. stage_ns (nullable, kNumStages entries) accumulates
  // nanoseconds per stage. Allocation-free.
  virtual Status Encode(int n_q, bool denoise, uint16_t* codes, int64_t* stage_ns) = 0;
  // Fresh stream (all state zero).
  virtual Status Reset() = 0;

 protected:
  CodecInfo info_;
  float* frame_ = nullptr;
};

class DecoderPipeline {
 public:
  virtual ~DecoderPipeline() = default;
  const CodecInfo& info() const { return info_; }
  // Decodes codes[0..n_q) (n_q 1..max_quantizers, codes < codebook size);
  // the frame is then at output() (format().frame_size floats, valid until
  // the next call). Allocation-free.
  virtual Status Decode(const uint16_t* codes, int n_q, bool denoise, int64_t* stage_ns) = 0;
  const float* output() const { return out_; }
  virtual Status Reset() = 0;

 protected:
  CodecInfo info_;
  const float* out_ = nullptr;
};

// What a folder holds, without loading graphs: an sscodec manifest (validated,
// hashes not checked) or Lyra v2's three files. kNotFound / kModelLoadError.
StatusOr<CodecInfo> ProbeModel(const std::string& model_dir);

StatusOr<std::unique_ptr<EncoderPipeline>> OpenEncoder(std::shared_ptr<Environment> env,
                                                       const std::string& model_dir,
                                                       const PipelineOptions& options = {});
StatusOr<std::unique_ptr<DecoderPipeline>> OpenDecoder(std::shared_ptr<Environment> env,
                                                       const std::string& model_dir,
                                                       const PipelineOptions& options = {});

}  // namespace sscodec
