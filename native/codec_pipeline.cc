#include "codec_pipeline.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

#include "model_manifest.h"
#include "sha256.h"
#include "signature_runner.h"

namespace sscodec {

const char* StageName(Stage s) {
  switch (s) {
    case Stage::kEncoder: return "encoder";
    case Stage::kRvqEncode: return "rvq_encode";
    case Stage::kRvqDecode: return "rvq_decode";
    case Stage::kDecoder: return "decoder";
    case Stage::kCount: break;
  }
  return "?";
}

namespace {

using Clock = std::chrono::steady_clock;

inline int64_t Ns(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

// Host buffers we bind get the same tail padding as the runners' own ones
// (XNNPACK kernels may read, never write, a little past a tensor's end).
constexpr size_t kTailPadding = 64;
AlignedBuffer Alloc(size_t bytes) {
  return AlignedBuffer(bytes + kTailPadding, SignatureRunner::kHostAlignment);
}

bool IsFile(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

const char* kLyraFiles[3] = {"soundstream_encoder.tflite", "quantizer.tflite", "lyragan.tflite"};

bool IsLyraFolder(const std::string& dir) {
  for (const char* f : kLyraFiles) {
    if (!IsFile(dir + "/" + f)) return false;
  }
  return !IsFile(dir + "/manifest.json");
}

std::vector<uint8_t> HexToBytes(const std::string& hex) {
  std::vector<uint8_t> out;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int a = nib(hex[i]), b = nib(hex[i + 1]);
    if (a < 0 || b < 0) return {};
    out.push_back(static_cast<uint8_t>(a * 16 + b));
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---------------------------------------------------------------------------
// sscodec graphs
// ---------------------------------------------------------------------------

CodecInfo InfoFromManifest(const ModelManifest& m) {
  CodecInfo info;
  info.kind = "sscodec";
  info.model_id = m.model_id;
  // The code books live in the RVQ graphs, which are float32 in every
  // precision: the RVQ-decode graph's sha256 identifies what codes mean, so a
  // file encoded with one precision decodes with another of the same model.
  info.model_hash = HexToBytes(Lower(m.graphs[ModelManifest::kRvqDecode].sha256));
  info.precision = m.precision;
  info.format.sample_rate = m.sample_rate;
  info.format.frame_size = static_cast<uint16_t>(m.frame_size);
  info.format.bits_per_code = static_cast<uint8_t>(m.bits_per_code);
  info.format.max_quantizers = static_cast<uint8_t>(m.num_quantizers);
  info.format.codebook_size = m.codebook_size;
  info.embedding_dim = m.embedding_dim;
  info.default_quantizers = m.num_quantizers;
  for (const auto& t : m.graphs[ModelManifest::kEncoder].inputs) {
    if (t.name == "denoise") info.encoder_denoise = true;
  }
  for (const auto& t : m.graphs[ModelManifest::kDecoder].inputs) {
    if (t.name == "denoise") info.decoder_denoise = true;
  }
  return info;
}

CodecInfo LyraInfo(const std::string& dir, bool hash) {
  CodecInfo info;
  info.kind = "lyra-v2";
  info.model_id = "lyra-v2";
  info.precision = "lyra";
  info.format = kLyraV2;
  info.embedding_dim = 64;
  info.default_quantizers = 46;
  if (hash) {
    std::vector<uint8_t> q;
    if (ReadFile(dir + "/quantizer.tflite", &q).ok()) {
      Sha256 s;
      s.Update(q.data(), q.size());
      info.model_hash.resize(32);
      s.Final(info.model_hash.data());
    }
  }
  return info;
}

// Loads one graph of a manifest: reads the file, checks its sha256, compiles,
// checks the real signature against the manifest's tensor lists.
StatusOr<std::shared_ptr<Model>> LoadGraph(std::shared_ptr<Environment> env,
                                           const ModelManifest& m, int role,
                                           const PipelineOptions& options) {
  const ManifestGraph& g = m.graphs[role];
  const std::string path = m.GraphPath(role);
  std::vector<uint8_t> bytes;
  if (Status s = ReadFile(path, &bytes); !s.ok()) {
    if (s.code() == StatusCode::kNotFound) {
      return Status(StatusCode::kModelLoadError,
                    m.folder + ": graph file " + g.file + " listed in the manifest is missing");
    }
    return s;
  }
  if (options.verify_hashes && Sha256Hex(bytes.data(), bytes.size()) != Lower(g.sha256)) {
    return Status(StatusCode::kModelLoadError,
                  path + ": sha256 does not match the manifest (file modified or corrupt)");
  }
  auto model = Model::FromBuffer(env, bytes.data(), bytes.size(), options.compile);
  if (!model.ok()) {
    return Status(model.status().code(), path + ": " + model.status().message());
  }
  auto sig = (*model)->GetSignature(g.signature);
  if (!sig.ok()) return Status(StatusCode::kModelLoadError, path + ": " + sig.status().message());
  const SignatureInfo& si = **sig;
  auto same = [&](const std::vector<TensorInfo>& real, const std::vector<ManifestTensor>& declared,
                  const char* what) -> Status {
    if (real.size() != declared.size()) {
      return Status(StatusCode::kShapeMismatch,
                    path + ": graph has " + std::to_string(real.size()) + " " + what +
                        ", the manifest declares " + std::to_string(declared.size()));
    }
    for (const ManifestTensor& d : declared) {
      const TensorInfo* t = nullptr;
      for (const TensorInfo& r : real) {
        if (r.name == d.name) t = &r;
      }
      if (!t) {
        return Status(StatusCode::kShapeMismatch,
                      path + ": the manifest declares " + what + " '" + d.name +
                          "' that the graph does not have");
      }
      if (d.dtype != DTypeName(t->dtype) || d.shape != t->shape) {
        return Status(StatusCode::kShapeMismatch,
                      path + ": " + what + " '" + d.name + "' is " + DTypeName(t->dtype) +
                          ShapeToString(t->shape) + " in the graph but " + d.dtype +
                          ShapeToString(d.shape) + " in the manifest");
      }
    }
    return Status::Ok();
  };
  SSCODEC_RETURN_IF_ERROR(same(si.inputs, g.inputs, "input"));
  SSCODEC_RETURN_IF_ERROR(same(si.outputs, g.outputs, "output"));
  return std::move(model).value();
}

// Maps logical output names (e.g. "embedding", "new_state_000") to the
// graph's output indices. Graphs that keep the names are mapped by name.
// TFLite graphs converted from concrete functions name their outputs
// output_0..output_{n-1} in the order of the function's flattened output
// dict, i.e. sorted by key; those are mapped by that rule. Either way every
// output's dtype/shape is checked against what the caller expects.
Status MapOutputs(const SignatureInfo& sig, const std::string& where,
                  const std::vector<std::string>& names,
                  const std::vector<std::vector<int32_t>>& shapes,
                  const std::vector<DType>& dtypes, std::vector<size_t>* index) {
  index->assign(names.size(), 0);
  if (sig.outputs.size() != names.size()) {
    return Status(StatusCode::kShapeMismatch, where + ": graph has " +
                                                  std::to_string(sig.outputs.size()) +
                                                  " outputs, expected " +
                                                  std::to_string(names.size()));
  }
  bool by_name = true;
  for (const std::string& n : names) by_name &= sig.FindOutput(n) >= 0;
  if (by_name) {
    for (size_t i = 0; i < names.size(); ++i) (*index)[i] = static_cast<size_t>(sig.FindOutput(names[i]));
  } else {
    std::vector<size_t> order(names.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return names[a] < names[b]; });
    for (size_t k = 0; k < order.size(); ++k) {
      const int j = sig.FindOutput("output_" + std::to_string(k));
      if (j < 0) {
        return Status(StatusCode::kShapeMismatch,
                      where + ": graph outputs are neither named as expected ('" + names[0] +
                          "', ...) nor output_0..output_" + std::to_string(names.size() - 1));
      }
      (*index)[order[k]] = static_cast<size_t>(j);
    }
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const TensorInfo& t = sig.outputs[(*index)[i]];
    if (t.dtype != dtypes[i] || t.shape != shapes[i]) {
      return Status(StatusCode::kShapeMismatch,
                    where + ": output for '" + names[i] + "' ('" + t.name + "') is " +
                        DTypeName(t.dtype) + ShapeToString(t.shape) + ", expected " +
                        DTypeName(dtypes[i]) + ShapeToString(shapes[i]));
    }
  }
  return Status::Ok();
}

Status ExpectInput(const SignatureInfo& sig, const std::string& where, const std::string& name,
                   DType dtype, const std::vector<int32_t>& shape, int* index, bool optional = false) {
  *index = sig.FindInput(name);
  if (*index < 0) {
    if (optional) return Status::Ok();
    return Status(StatusCode::kShapeMismatch, where + ": graph has no input '" + name + "'");
  }
  const TensorInfo& t = sig.inputs[*index];
  if (t.dtype != dtype || t.shape != shape) {
    return Status(StatusCode::kShapeMismatch, where + ": input '" + name + "' is " +
                                                  DTypeName(t.dtype) + ShapeToString(t.shape) +
                                                  ", expected " + DTypeName(dtype) +
                                                  ShapeToString(shape));
  }
  return Status::Ok();
}

// A stateful graph run ping-pong (see the header comment).
class PingPongGraph {
 public:
  // main_in: logical non-state inputs (name, dtype, shape, optional);
  // main_out: logical non-state outputs.
  struct Io {
    std::string name;
    DType dtype;
    std::vector<int32_t> shape;
    bool optional = false;
  };

  Status Init(std::shared_ptr<Model> model, const ManifestGraph& g, const std::string& where,
              const std::vector<Io>& main_in, const std::vector<Io>& main_out) {
    model_ = std::move(model);
    for (int k = 0; k < 2; ++k) {
      auto r = model_->NewRunner(g.signature);
      if (!r.ok()) return r.status();
      run_[k] = std::move(r).value();
    }
    const SignatureInfo& sig = run_[0]->info();
    const size_t ns = g.states.size();
    if (sig.inputs.size() != ns + CountPresent(sig, main_in)) {
      return Status(StatusCode::kShapeMismatch,
                    where + ": graph has " + std::to_string(sig.inputs.size()) +
                        " inputs, expected " + std::to_string(ns + main_in.size()) +
                        " (frame inputs + " + std::to_string(ns) + " states)");
    }
    in_index_.assign(main_in.size(), -1);
    for (size_t i = 0; i < main_in.size(); ++i) {
      SSCODEC_RETURN_IF_ERROR(ExpectInput(sig, where, main_in[i].name, main_in[i].dtype,
                                          main_in[i].shape, &in_index_[i], main_in[i].optional));
    }
    std::vector<std::string> names;
    std::vector<std::vector<int32_t>> shapes;
    std::vector<DType> dtypes;
    for (const Io& o : main_out) {
      names.push_back(o.name);
      shapes.push_back(o.shape);
      dtypes.push_back(o.dtype);
    }
    state_in_.resize(ns);
    for (size_t s = 0; s < ns; ++s) {
      const ManifestState& ms = g.states[s];
      if (ms.shape.size() != 3 || ms.shape[0] != 1 || ms.shape[1] < 1 || ms.shape[2] < 1) {
        return Status(StatusCode::kShapeMismatch,
                      where + ": state '" + ms.input + "' has shape " + ShapeToString(ms.shape) +
                          ", expected [1, length, channels]");
      }
      SSCODEC_RETURN_IF_ERROR(ExpectInput(sig, where, ms.input, DType::kFloat32, ms.shape, &state_in_[s]));
      names.push_back(ms.output);
      shapes.push_back(ms.shape);
      dtypes.push_back(DType::kFloat32);
    }
    std::vector<size_t> out_index;
    SSCODEC_RETURN_IF_ERROR(MapOutputs(sig, where, names, shapes, dtypes, &out_index));
    out_index_.assign(out_index.begin(), out_index.begin() + main_out.size());
    state_out_.assign(out_index.begin() + main_out.size(), out_index.end());

    // Two state sets; runner k reads set k and writes set 1-k.
    for (int set = 0; set < 2; ++set) {
      states_[set].clear();
      for (size_t s = 0; s < ns; ++s) {
        const size_t bytes = std::max(run_[0]->input_required_bytes(state_in_[s]),
                                      run_[0]->output_required_bytes(state_out_[s]));
        states_[set].push_back(Alloc(bytes));
        if (!states_[set].back().data()) return Status(StatusCode::kRuntimeError, "out of memory");
      }
    }
    for (int k = 0; k < 2; ++k) {
      for (size_t s = 0; s < ns; ++s) {
        SSCODEC_RETURN_IF_ERROR(run_[k]->BindInput(static_cast<size_t>(state_in_[s]),
                                                   states_[k][s].data(), states_[k][s].size()));
        SSCODEC_RETURN_IF_ERROR(run_[k]->BindOutput(state_out_[s], states_[1 - k][s].data(),
                                                    states_[1 - k][s].size()));
      }
    }
    // Shared (non-state) inputs and outputs: one buffer for both runners.
    shared_in_.resize(main_in.size());
    for (size_t i = 0; i < main_in.size(); ++i) {
      if (in_index_[i] < 0) continue;
      const size_t bytes = run_[0]->input_required_bytes(static_cast<size_t>(in_index_[i]));
      shared_in_[i] = Alloc(bytes);
      if (!shared_in_[i].data()) return Status(StatusCode::kRuntimeError, "out of memory");
      for (int k = 0; k < 2; ++k) {
        SSCODEC_RETURN_IF_ERROR(run_[k]->BindInput(static_cast<size_t>(in_index_[i]),
                                                   shared_in_[i].data(), shared_in_[i].size()));
      }
    }
    shared_out_.resize(main_out.size());
    for (size_t i = 0; i < main_out.size(); ++i) {
      const size_t bytes = run_[0]->output_required_bytes(out_index_[i]);
      shared_out_[i] = Alloc(bytes);
      if (!shared_out_[i].data()) return Status(StatusCode::kRuntimeError, "out of memory");
      for (int k = 0; k < 2; ++k) {
        SSCODEC_RETURN_IF_ERROR(run_[k]->BindOutput(out_index_[i], shared_out_[i].data(),
                                                    shared_out_[i].size()));
      }
    }
    ZeroStates();
    return Status::Ok();
  }

  // Binds a shared input to external memory (e.g. the previous graph's output).
  Status BindInput(size_t i, void* data, size_t capacity) {
    if (in_index_[i] < 0) return Status::Ok();
    for (int k = 0; k < 2; ++k) {
      SSCODEC_RETURN_IF_ERROR(run_[k]->BindInput(static_cast<size_t>(in_index_[i]), data, capacity));
    }
    shared_in_[i] = AlignedBuffer();
    ext_in_.resize(in_index_.size(), nullptr);
    ext_in_[i] = data;
    return Status::Ok();
  }

  bool has_input(size_t i) const { return in_index_[i] >= 0; }
  void* input(size_t i) const {
    if (in_index_[i] < 0) return nullptr;
    if (i < ext_in_.size() && ext_in_[i]) return ext_in_[i];
    return shared_in_[i].data();
  }
  size_t input_capacity(size_t i) const { return shared_in_[i].size(); }
  void* output(size_t i) const { return shared_out_[i].data(); }
  size_t output_capacity(size_t i) const { return shared_out_[i].size(); }

  Status Run() {
    Status s = run_[parity_]->Run();
    parity_ ^= 1;
    return s;
  }

  void ZeroStates() {
    for (int set = 0; set < 2; ++set) {
      for (auto& b : states_[set]) std::memset(b.data(), 0, b.size());
    }
    parity_ = 0;
  }

 private:
  static size_t CountPresent(const SignatureInfo& sig, const std::vector<Io>& ios) {
    size_t n = 0;
    for (const Io& io : ios) n += (!io.optional || sig.FindInput(io.name) >= 0) ? 1 : 0;
    return n;
  }

  std::shared_ptr<Model> model_;
  std::unique_ptr<SignatureRunner> run_[2];
  std::vector<int> in_index_;
  std::vector<size_t> out_index_;
  std::vector<int> state_in_;
  std::vector<size_t> state_out_;
  std::vector<AlignedBuffer> states_[2];
  std::vector<AlignedBuffer> shared_in_;
  std::vector<void*> ext_in_;
  std::vector<AlignedBuffer> shared_out_;
  int parity_ = 0;
};

// A runner of one signature of a stateless graph (RVQ encode / decode).
struct RvqGraph {
  std::shared_ptr<Model> model;
  std::unique_ptr<SignatureRunner> run;
  int in_main = -1;  // embedding (encode) or codes (decode)
  int in_nq = -1;
  size_t out = 0;

  Status Init(std::shared_ptr<Model> m, const std::string& signature, const std::string& where,
              const std::string& main_name, DType main_dtype, const std::vector<int32_t>& main_shape,
              const std::string& out_name, DType out_dtype, const std::vector<int32_t>& out_shape) {
    model = std::move(m);
    auto r = model->NewRunner(signature);
    if (!r.ok()) return r.status();
    run = std::move(r).value();
    const SignatureInfo& sig = run->info();
    if (sig.inputs.size() != 2) {
      return Status(StatusCode::kShapeMismatch, where + ": graph must have 2 inputs");
    }
    SSCODEC_RETURN_IF_ERROR(ExpectInput(sig, where, main_name, main_dtype, main_shape, &in_main));
    SSCODEC_RETURN_IF_ERROR(ExpectInput(sig, where, "num_quantizers", DType::kInt32, {1}, &in_nq));
    std::vector<size_t> idx;
    SSCODEC_RETURN_IF_ERROR(MapOutputs(sig, where, {out_name}, {out_shape}, {out_dtype}, &idx));
    out = idx[0];
    return Status::Ok();
  }
};

class SscodecEncoder final : public EncoderPipeline {
 public:
  Status Init(std::shared_ptr<Environment> env, const ModelManifest& m, const PipelineOptions& o) {
    info_ = InfoFromManifest(m);
    const int F = static_cast<int>(m.frame_size), D = static_cast<int>(m.embedding_dim),
              Q = static_cast<int>(m.num_quantizers);
    auto enc = LoadGraph(env, m, ModelManifest::kEncoder, o);
    if (!enc.ok()) return enc.status();
    auto rvq = LoadGraph(env, m, ModelManifest::kRvqEncode, o);
    if (!rvq.ok()) return rvq.status();
    const std::string we = m.GraphPath(ModelManifest::kEncoder);
    SSCODEC_RETURN_IF_ERROR(enc_.Init(std::move(enc).value(), m.graphs[ModelManifest::kEncoder], we,
                                      {{"audio", DType::kFloat32, {1, F}},
                                       {"denoise", DType::kFloat32, {1}, /*optional=*/true}},
                                      {{"embedding", DType::kFloat32, {1, 1, D}}}));
    // One runner per RVQ encode signature (the fewer-stage ones, then all stages),
    // each reading the encoder's embedding memory directly.
    const ManifestGraph& g = m.graphs[ModelManifest::kRvqEncode];
    std::vector<std::string> sigs;
    for (const auto& st : g.stage_signatures) sigs.push_back(st.signature);
    sigs.push_back(g.signature);
    std::shared_ptr<Model> rvq_model = std::move(rvq).value();
    for (const std::string& key : sigs) {
      RvqStages r;
      r.signature = key;
      SSCODEC_RETURN_IF_ERROR(r.graph.Init(rvq_model, key,
                                           m.GraphPath(ModelManifest::kRvqEncode) + " [" + key + "]",
                                           "embedding", DType::kFloat32, {1, 1, D}, "codes",
                                           DType::kInt32, {1, Q}));
      SignatureRunner& run = *r.graph.run;
      SSCODEC_RETURN_IF_ERROR(run.BindInput(static_cast<size_t>(r.graph.in_main), enc_.output(0),
                                            enc_.output_capacity(0)));
      r.nq = static_cast<int32_t*>(run.input_data(static_cast<size_t>(r.graph.in_nq)));
      r.codes = static_cast<const int32_t*>(run.output_data(r.graph.out));
      rvq_.push_back(std::move(r));
    }
    rvq_for_nq_.assign(static_cast<size_t>(Q) + 1, nullptr);  // n_q -> the runner the manifest picks
    for (int n = 1; n <= Q; ++n) {
      for (const RvqStages& r : rvq_) {
        if (r.signature == g.SignatureFor(n)) rvq_for_nq_[static_cast<size_t>(n)] = &r;
      }
    }
    frame_ = static_cast<float*>(enc_.input(0));
    denoise_ = static_cast<float*>(enc_.input(1));
    info_.encoder_denoise = enc_.has_input(1);
    return Status::Ok();
  }

  Status Encode(int n_q, bool denoise, uint16_t* codes, int64_t* stage_ns) override {
    const int Q = info_.format.max_quantizers;
    if (n_q < 1 || n_q > Q) {
      return Status(StatusCode::kInvalidArgument, "num_quantizers must be in [1, " +
                                                      std::to_string(Q) + "], got " +
                                                      std::to_string(n_q));
    }
    if (denoise_) *denoise_ = denoise ? 1.0f : 0.0f;
    const RvqStages* rvq = rvq_for_nq_[static_cast<size_t>(n_q)];  // the cheapest that computes n_q codes
    *rvq->nq = n_q;
    const auto t0 = Clock::now();
    SSCODEC_RETURN_IF_ERROR(enc_.Run());
    const auto t1 = Clock::now();
    SSCODEC_RETURN_IF_ERROR(rvq->graph.run->Run());
    const auto t2 = Clock::now();
    const int32_t limit = static_cast<int32_t>(info_.format.EffectiveCodebookSize());
    for (int q = 0; q < Q; ++q) {
      const int32_t c = q < n_q ? rvq->codes[q] : 0;
      if (c < 0 || c >= limit) {
        return Status(StatusCode::kRuntimeError, "RVQ encode produced code " + std::to_string(c) +
                                                     " outside the codebook");
      }
      codes[q] = static_cast<uint16_t>(c);
    }
    if (stage_ns) {
      stage_ns[static_cast<int>(Stage::kEncoder)] += Ns(t0, t1);
      stage_ns[static_cast<int>(Stage::kRvqEncode)] += Ns(t1, t2);
    }
    return Status::Ok();
  }

  Status Reset() override {
    enc_.ZeroStates();
    return Status::Ok();
  }

 private:
  struct RvqStages {
    std::string signature;
    RvqGraph graph;
    int32_t* nq = nullptr;
    const int32_t* codes = nullptr;
  };
  PingPongGraph enc_;
  std::vector<RvqStages> rvq_;                   // one per RVQ encode signature
  std::vector<const RvqStages*> rvq_for_nq_;     // [n_q]: ModelManifest's SignatureFor(n_q)
  float* denoise_ = nullptr;
};

class SscodecDecoder final : public DecoderPipeline {
 public:
  Status Init(std::shared_ptr<Environment> env, const ModelManifest& m, const PipelineOptions& o) {
    info_ = InfoFromManifest(m);
    const int F = static_cast<int>(m.frame_size), D = static_cast<int>(m.embedding_dim),
              Q = static_cast<int>(m.num_quantizers);
    auto rvq = LoadGraph(env, m, ModelManifest::kRvqDecode, o);
    if (!rvq.ok()) return rvq.status();
    auto dec = LoadGraph(env, m, ModelManifest::kDecoder, o);
    if (!dec.ok()) return dec.status();
    SSCODEC_RETURN_IF_ERROR(rvq_.Init(std::move(rvq).value(), m.graphs[ModelManifest::kRvqDecode].signature,
                                      m.GraphPath(ModelManifest::kRvqDecode), "codes",
                                      DType::kInt32, {1, Q}, "embedding", DType::kFloat32,
                                      {1, 1, D}));
    SSCODEC_RETURN_IF_ERROR(dec_.Init(std::move(dec).value(), m.graphs[ModelManifest::kDecoder],
                                      m.GraphPath(ModelManifest::kDecoder),
                                      {{"embedding", DType::kFloat32, {1, 1, D}},
                                       {"denoise", DType::kFloat32, {1}, /*optional=*/true}},
                                      {{"audio", DType::kFloat32, {1, F}}}));
    // The decoder reads the RVQ decode output memory directly.
    SSCODEC_RETURN_IF_ERROR(dec_.BindInput(0, rvq_.run->output_data(rvq_.out),
                                           rvq_.run->output_capacity(rvq_.out)));
    codes_ = static_cast<int32_t*>(rvq_.run->input_data(static_cast<size_t>(rvq_.in_main)));
    nq_ = static_cast<int32_t*>(rvq_.run->input_data(static_cast<size_t>(rvq_.in_nq)));
    denoise_ = static_cast<float*>(dec_.input(1));
    out_ = static_cast<const float*>(dec_.output(0));
    info_.decoder_denoise = dec_.has_input(1);
    return Status::Ok();
  }

  Status Decode(const uint16_t* codes, int n_q, bool denoise, int64_t* stage_ns) override {
    const int Q = info_.format.max_quantizers;
    if (n_q < 1 || n_q > Q || !codes) {
      return Status(StatusCode::kInvalidArgument, "num_quantizers must be in [1, " +
                                                      std::to_string(Q) + "], got " +
                                                      std::to_string(n_q));
    }
    const uint32_t limit = info_.format.EffectiveCodebookSize();
    for (int q = 0; q < Q; ++q) {
      const uint16_t c = q < n_q ? codes[q] : 0;
      if (c >= limit) {
        return Status(StatusCode::kInvalidArgument, "code " + std::to_string(c) + " >= codebook size");
      }
      codes_[q] = c;
    }
    *nq_ = n_q;
    if (denoise_) *denoise_ = denoise ? 1.0f : 0.0f;
    const auto t0 = Clock::now();
    SSCODEC_RETURN_IF_ERROR(rvq_.run->Run());
    const auto t1 = Clock::now();
    SSCODEC_RETURN_IF_ERROR(dec_.Run());
    const auto t2 = Clock::now();
    if (stage_ns) {
      stage_ns[static_cast<int>(Stage::kRvqDecode)] += Ns(t0, t1);
      stage_ns[static_cast<int>(Stage::kDecoder)] += Ns(t1, t2);
    }
    return Status::Ok();
  }

  Status Reset() override {
    dec_.ZeroStates();
    return Status::Ok();
  }

 private:
  RvqGraph rvq_;
  PingPongGraph dec_;
  int32_t* codes_ = nullptr;
  int32_t* nq_ = nullptr;
  float* denoise_ = nullptr;
};

// ---------------------------------------------------------------------------
// Lyra v2 (state inside the compiled graphs; Reset recompiles)
// ---------------------------------------------------------------------------

Status ExpectLyra(const TensorInfo& t, DType dtype, const std::vector<int32_t>& shape,
                  const std::string& where) {
  if (t.dtype != dtype || t.shape != shape) {
    return Status(StatusCode::kShapeMismatch, where + " '" + t.name + "' is " + DTypeName(t.dtype) +
                                                  ShapeToString(t.shape) + ", Lyra v2 expects " +
                                                  DTypeName(dtype) + ShapeToString(shape));
  }
  return Status::Ok();
}

// Loads one of Lyra v2's graph files and opens its signature `key`.
Status OpenLyraGraph(std::shared_ptr<Environment> env, const std::string& path, const std::string& key,
                     const CompileOptions& compile, std::shared_ptr<Model>* model,
                     std::unique_ptr<SignatureRunner>* runner) {
  auto m = Model::FromFile(std::move(env), path, compile);
  if (!m.ok()) return m.status();
  auto r = (*m)->NewRunner(key);
  if (!r.ok()) return r.status();
  *model = std::move(m).value();
  *runner = std::move(r).value();
  return Status::Ok();
}

class LyraEncoder final : public EncoderPipeline {
 public:
  Status Init(std::shared_ptr<Environment> env, const std::string& dir, const PipelineOptions& o) {
    info_ = LyraInfo(dir, true);
    SSCODEC_RETURN_IF_ERROR(OpenLyraGraph(env, dir + "/soundstream_encoder.tflite", "serving_default",
                                          o.compile, &enc_model_, &enc_));
    SSCODEC_RETURN_IF_ERROR(OpenLyraGraph(env, dir + "/quantizer.tflite", "encode", o.compile, &q_model_, &qenc_));
    const SignatureInfo& e = enc_->info();
    const SignatureInfo& qe = qenc_->info();
    if (e.inputs.size() != 1 || e.outputs.size() != 1 || qe.inputs.size() != 2) {
      return Status(StatusCode::kShapeMismatch, dir + ": not Lyra v2's encoder/quantizer signatures");
    }
    auto fi = qenc_->InputIndex("input_frames");
    if (!fi.ok()) return fi.status();
    auto ni = qenc_->InputIndex("num_quantizers");
    if (!ni.ok()) return ni.status();
    auto io = qenc_->OutputIndex("output_0");
    if (!io.ok()) return io.status();
    SSCODEC_RETURN_IF_ERROR(ExpectLyra(e.inputs[0], DType::kFloat32, {1, 320}, "encoder input"));
    SSCODEC_RETURN_IF_ERROR(ExpectLyra(e.outputs[0], DType::kFloat32, {1, 1, 64}, "encoder output"));
    SSCODEC_RETURN_IF_ERROR(ExpectLyra(qe.inputs[*fi], DType::kFloat32, {1, 1, 64}, "encode input"));
    SSCODEC_RETURN_IF_ERROR(ExpectLyra(qe.inputs[*ni], DType::kInt32, {}, "encode input"));
    SSCODEC_RETURN_IF_ERROR(ExpectLyra(qe.outputs[*io], DType::kInt32, {46, 1, 1}, "encode output"));
    SSCODEC_RETURN_IF_ERROR(qenc_->BindInput(*fi, enc_->output_data(0), enc_->output_capacity(0)));
    frame_ = static_cast<float*>(enc_->input_data(0));
    nq_ = static_cast<int32_t*>(qenc_->input_data(*ni));
    idx_ = static_cast<const int32_t*>(qenc_->output_data(*io));
    return Status::Ok();
  }

  Status Encode(int n_q, bool /*denoise*/, uint16_t* codes, int64_t* stage_ns) override {
    if (n_q < 1 || n_q > 46) {
      return Status(StatusCode::kInvalidArgument,
                    "num_quantizers must be in [1, 46], got " + std::to_string(n_q));
    }
    *nq_ = n_q;
    const auto t0 = Clock::now();
    SSCODEC_RETURN_IF_ERROR(enc_->Run());
    const auto t1 = Clock::now();
    SSCODEC_RETURN_IF_ERROR(qenc_->Run());
    const auto t2 = Clock::now();
    for (int q = 0; q < 46; ++q) {
      const int32_t c = q < n_q ? idx_[q] : 0;
      if (c < 0 || c > 15) {
        return Status(StatusCode::kRuntimeError, "Lyra quantizer produced index " + std::to_string(c));
      }
      codes[q] = static_cast<uint16_t>(c);
    }
    if (stage_ns) {
      stage_ns[static_cast<int>(Stage::kEncoder)] += Ns(t0, t1);
      stage_ns[static_cast<int>(Stage::kRvqEncode)] += Ns(t1, t2);
    }
    return Status::Ok();
  }

  Status Reset() override {
    SSCODEC_RETURN_IF_ERROR(enc_model_->ResetState());
    return q_model_->ResetState();
  }

 private:
  std::shared_ptr<Model> enc_model_, q_model_;
  std::unique_ptr<SignatureRunner> enc_, qenc_;
  int32_t* nq_ = nullptr;
  const int32_t* idx_ = nullptr;
};

class LyraDecoder final : public DecoderPipeline {
 public:
  Status Init(std::shared_ptr<Environment> env, const std::string& dir, const PipelineOptions& o) {
    info_ = LyraInfo(dir, true);
    SSCODEC_RETURN_IF_ERROR(OpenLyraGraph(env, dir + "/quantizer.tflite", "decode", o.compile, &q_model_, &qdec_));
    SSCODEC_RETURN_IF_ERROR(OpenLyraGraph(env, dir + "/lyragan.tflite", "serving_default", o.compile,
                                          &dec_model_, &dec_));
    const SignatureInfo& qd = qdec_->info();
    const SignatureInfo& d = dec_->info();
    if (qd.inputs.size() != 1 || qd.outputs.size() != 1 || d.inputs.size() != 1 ||
        d.outputs.size() != 1) {
      return Status(StatusCode::kShapeMismatch, dir + ": not Lyra v2's quantizer/decoder signatures");
    }
    SSCODEC_RETURN_IF_ERROR(ExpectLyra(qd.inputs[0], DType::kInt32, {46, 1, 1}, "decode input"));
    SSCODEC_RETURN_IF_ERROR(ExpectLyra(qd.outputs[0], DType::kFloat32, {1, 1, 64}, "decode output"));
    SSCODEC_RETURN_IF_ERROR(ExpectLyra(d.inputs[0], DType::kFloat32, {1, 1, 64}, "decoder input"));
    SSCODEC_RETURN_IF_ERROR(ExpectLyra(d.outputs[0], DType::kFloat32, {1, 320}, "decoder output"));
    SSCODEC_RETURN_IF_ERROR(dec_->BindInput(0, qdec_->output_data(0), qdec_->output_capacity(0)));
    idx_ = static_cast<int32_t*>(qdec_->input_data(0));
    out_ = static_cast<const float*>(dec_->output_data(0));
    return Status::Ok();
  }

  Status Decode(const uint16_t* codes, int n_q, bool /*denoise*/, int64_t* stage_ns) override {
    if (n_q < 1 || n_q > 46 || !codes) {
      return Status(StatusCode::kInvalidArgument,
                    "num_quantizers must be in [1, 46], got " + std::to_string(n_q));
    }
    for (int q = 0; q < 46; ++q) {
      const uint16_t c = q < n_q ? codes[q] : 0;
      if (c > 15) return Status(StatusCode::kInvalidArgument, "Lyra index > 15");
      idx_[q] = c;
    }
    const auto t0 = Clock::now();
    SSCODEC_RETURN_IF_ERROR(qdec_->Run());
    const auto t1 = Clock::now();
    SSCODEC_RETURN_IF_ERROR(dec_->Run());
    const auto t2 = Clock::now();
    if (stage_ns) {
      stage_ns[static_cast<int>(Stage::kRvqDecode)] += Ns(t0, t1);
      stage_ns[static_cast<int>(Stage::kDecoder)] += Ns(t1, t2);
    }
    return Status::Ok();
  }

  Status Reset() override {
    SSCODEC_RETURN_IF_ERROR(q_model_->ResetState());
    return dec_model_->ResetState();
  }

 private:
  std::shared_ptr<Model> q_model_, dec_model_;
  std::unique_ptr<SignatureRunner> qdec_, dec_;
  int32_t* idx_ = nullptr;
};

std::string Trim(std::string d) {
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d;
}

}  // namespace

StatusOr<CodecInfo> ProbeModel(const std::string& model_dir) {
  const std::string dir = Trim(model_dir);
  if (IsLyraFolder(dir)) return LyraInfo(dir, true);
  auto m = LoadModelManifest(dir);
  if (!m.ok()) return m.status();
  return InfoFromManifest(*m);
}

StatusOr<std::unique_ptr<EncoderPipeline>> OpenEncoder(std::shared_ptr<Environment> env,
                                                       const std::string& model_dir,
                                                       const PipelineOptions& options) {
  if (!env) return Status(StatusCode::kInvalidArgument, "no LiteRT environment");
  const std::string dir = Trim(model_dir);
  if (IsLyraFolder(dir)) {
    auto p = std::make_unique<LyraEncoder>();
    SSCODEC_RETURN_IF_ERROR(p->Init(std::move(env), dir, options));
    return std::unique_ptr<EncoderPipeline>(std::move(p));
  }
  auto m = LoadModelManifest(dir);
  if (!m.ok()) return m.status();
  auto p = std::make_unique<SscodecEncoder>();
  SSCODEC_RETURN_IF_ERROR(p->Init(std::move(env), *m, options));
  return std::unique_ptr<EncoderPipeline>(std::move(p));
}

StatusOr<std::unique_ptr<DecoderPipeline>> OpenDecoder(std::shared_ptr<Environment> env,
                                                       const std::string& model_dir,
                                                       const PipelineOptions& options) {
  if (!env) return Status(StatusCode::kInvalidArgument, "no LiteRT environment");
  const std::string dir = Trim(model_dir);
  if (IsLyraFolder(dir)) {
    auto p = std::make_unique<LyraDecoder>();
    SSCODEC_RETURN_IF_ERROR(p->Init(std::move(env), dir, options));
    return std::unique_ptr<DecoderPipeline>(std::move(p));
  }
  auto m = LoadModelManifest(dir);
  if (!m.ok()) return m.status();
  auto p = std::make_unique<SscodecDecoder>();
  SSCODEC_RETURN_IF_ERROR(p->Init(std::move(env), *m, options));
  return std::unique_ptr<DecoderPipeline>(std::move(p));
}

}  // namespace sscodec
