#include "model.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>

#include "signature_runner.h"

namespace sscodec {

namespace {

// Reads a tensor's type into `info` (name set by the caller).
Status ReadTensorType(const lrt::Api& api, lrt::Tensor t, TensorInfo* info) {
  lrt::TensorTypeIdInt type_id = 0;
  lrt::StatusInt s = api.GetTensorTypeId(t, &type_id);
  if (s != lrt::kOk) {
    return Status(StatusCode::kModelLoadError,
                  LiteRtErrorText("LiteRtGetTensorTypeId('" + info->name + "')", s));
  }
  if (type_id == lrt::kRankedTensorType) {
    lrt::RankedTensorType rt;
    std::memset(&rt, 0, sizeof(rt));
    s = api.GetRankedTensorType(t, &rt);
    if (s != lrt::kOk) {
      return Status(StatusCode::kModelLoadError,
                    LiteRtErrorText("LiteRtGetRankedTensorType('" + info->name + "')", s));
    }
    info->ranked = true;
    info->litert_element_type = rt.element_type;
    const int rank = static_cast<int>(rt.layout.rank);
    for (int d = 0; d < rank && d < lrt::kMaxRank; ++d) {
      info->shape.push_back(rt.layout.dimensions[d]);
    }
  } else {
    lrt::UnrankedTensorType ut{};
    s = api.GetUnrankedTensorType(t, &ut);
    if (s != lrt::kOk) {
      return Status(StatusCode::kModelLoadError,
                    LiteRtErrorText("LiteRtGetUnrankedTensorType('" + info->name + "')", s));
    }
    info->ranked = false;
    info->litert_element_type = ut.element_type;
  }
  info->dtype = DTypeFromLiteRt(info->litert_element_type);
  if (info->is_static()) {
    size_t n = 1;
    for (int32_t d : info->shape) n *= static_cast<size_t>(d);
    info->num_elements = n;
    info->num_bytes = n * DTypeSize(info->dtype);
  }
  return Status::Ok();
}

// Payload deleter for the CPU options TOML string.
void DeleteCString(void* p) { delete[] static_cast<char*>(p); }

}  // namespace

StatusOr<std::shared_ptr<Model>> Model::FromFile(std::shared_ptr<Environment> env,
                                                 const std::string& path,
                                                 const CompileOptions& options) {
  if (!env) return Status(StatusCode::kInvalidArgument, "environment is null");
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0) {
    return Status(StatusCode::kNotFound, "model file '" + path + "' does not exist");
  }
  if (!S_ISREG(st.st_mode)) {
    return Status(StatusCode::kModelLoadError,
                  "model path '" + path + "' is not a regular file");
  }
  if (st.st_size < 8) {
    return Status(StatusCode::kModelLoadError,
                  "'" + path + "' is not a valid .tflite model (only " +
                      std::to_string(st.st_size) + " bytes)");
  }
  // Read the file ourselves and load it from memory: LiteRT verifies a
  // flatbuffer given as a buffer, but LiteRtCreateModelFromFile (2.3.0) does
  // not and crashes on truncated files.
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return Status(StatusCode::kModelLoadError, "cannot open model file '" + path + "'");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  AlignedBuffer bytes(size, 64);
  size_t got = bytes.data() ? std::fread(bytes.data(), 1, size, f) : 0;
  std::fclose(f);
  if (got != size) {
    return Status(StatusCode::kModelLoadError, "cannot read model file '" + path + "'");
  }
  std::shared_ptr<Model> m(new Model());
  m->env_ = std::move(env);
  m->options_ = options;
  m->source_ = path;
  m->bytes_ = std::move(bytes);
  lrt::StatusInt s = m->api().CreateModelFromBuffer(m->env_->handle(), m->bytes_.data(), size,
                                                    &m->model_);
  if (s != lrt::kOk || m->model_ == nullptr) {
    m->model_ = nullptr;
    return Status(StatusCode::kModelLoadError,
                  "'" + path + "' is not a valid .tflite model: " +
                      LiteRtErrorText("LiteRtCreateModelFromBuffer", s));
  }
  return Finish(std::move(m));
}

StatusOr<std::shared_ptr<Model>> Model::FromBuffer(std::shared_ptr<Environment> env,
                                                   const void* data, size_t size,
                                                   const CompileOptions& options) {
  if (!env) return Status(StatusCode::kInvalidArgument, "environment is null");
  if (data == nullptr || size < 8) {
    return Status(StatusCode::kModelLoadError,
                  "buffer is not a valid .tflite model (" + std::to_string(size) +
                      " bytes)");
  }
  std::shared_ptr<Model> m(new Model());
  m->env_ = std::move(env);
  m->options_ = options;
  m->source_ = "<memory>";
  m->bytes_ = AlignedBuffer(size, 64);
  if (m->bytes_.data() == nullptr) {
    return Status(StatusCode::kModelLoadError, "out of memory copying the model");
  }
  std::memcpy(m->bytes_.data(), data, size);
  lrt::StatusInt s = m->api().CreateModelFromBuffer(m->env_->handle(), m->bytes_.data(),
                                                    size, &m->model_);
  if (s != lrt::kOk || m->model_ == nullptr) {
    m->model_ = nullptr;
    return Status(StatusCode::kModelLoadError,
                  "buffer is not a valid .tflite model: " +
                      LiteRtErrorText("LiteRtCreateModelFromBuffer", s));
  }
  return Finish(std::move(m));
}

StatusOr<std::shared_ptr<Model>> Model::Finish(std::shared_ptr<Model> m) {
  if (m->options_.num_threads < 1) {
    return Status(StatusCode::kInvalidArgument,
                  "num_threads must be >= 1, got " +
                      std::to_string(m->options_.num_threads));
  }
  SSCODEC_RETURN_IF_ERROR(m->ReadSignatures());
  SSCODEC_RETURN_IF_ERROR(m->Compile());
  return m;
}

Model::~Model() {
  DestroyCompiled();
  if (model_ != nullptr) api().DestroyModel(model_);
}

Status Model::ReadSignatures() {
  const lrt::Api& a = api();
  lrt::ParamIndex n = 0;
  lrt::StatusInt s = a.GetNumModelSignatures(model_, &n);
  if (s != lrt::kOk) {
    return Status(StatusCode::kModelLoadError,
                  LiteRtErrorText("LiteRtGetNumModelSignatures", s));
  }
  signatures_.clear();
  signatures_.reserve(n);
  for (lrt::ParamIndex i = 0; i < n; ++i) {
    lrt::Signature sig = nullptr;
    s = a.GetModelSignature(model_, i, &sig);
    if (s != lrt::kOk) {
      return Status(StatusCode::kModelLoadError, LiteRtErrorText("LiteRtGetModelSignature", s));
    }
    SignatureInfo info;
    info.index = i;
    const char* key = nullptr;
    s = a.GetSignatureKey(sig, &key);
    if (s != lrt::kOk) {
      return Status(StatusCode::kModelLoadError, LiteRtErrorText("LiteRtGetSignatureKey", s));
    }
    info.key = key ? key : "";
    for (int io = 0; io < 2; ++io) {
      const bool in = io == 0;
      lrt::ParamIndex count = 0;
      s = in ? a.GetNumSignatureInputs(sig, &count) : a.GetNumSignatureOutputs(sig, &count);
      if (s != lrt::kOk) {
        return Status(StatusCode::kModelLoadError,
                      LiteRtErrorText("LiteRtGetNumSignatureInputs/Outputs", s));
      }
      for (lrt::ParamIndex j = 0; j < count; ++j) {
        TensorInfo t;
        const char* name = nullptr;
        s = in ? a.GetSignatureInputName(sig, j, &name) : a.GetSignatureOutputName(sig, j, &name);
        if (s != lrt::kOk) {
          return Status(StatusCode::kModelLoadError,
                        LiteRtErrorText("LiteRtGetSignatureInput/OutputName", s));
        }
        t.name = name ? name : "";
        lrt::Tensor tensor = nullptr;
        s = in ? a.GetSignatureInputTensorByIndex(sig, j, &tensor)
               : a.GetSignatureOutputTensorByIndex(sig, j, &tensor);
        if (s != lrt::kOk) {
          return Status(StatusCode::kModelLoadError,
                        LiteRtErrorText("LiteRtGetSignatureInput/OutputTensorByIndex", s));
        }
        SSCODEC_RETURN_IF_ERROR(ReadTensorType(a, tensor, &t));
        (in ? info.inputs : info.outputs).push_back(std::move(t));
      }
    }
    signatures_.push_back(std::move(info));
  }
  return Status::Ok();
}

Status Model::Compile() {
  const lrt::Api& a = api();
  lrt::Options opts = nullptr;
  lrt::StatusInt s = a.CreateOptions(&opts);
  if (s != lrt::kOk) return Status(StatusCode::kCompileError, LiteRtErrorText("LiteRtCreateOptions", s));
  s = a.SetOptionsHardwareAccelerators(opts, lrt::kHwAcceleratorCpu);
  if (s != lrt::kOk) {
    a.DestroyOptions(opts);
    return Status(StatusCode::kCompileError,
                  LiteRtErrorText("LiteRtSetOptionsHardwareAccelerators", s));
  }
  // CPU options: TOML payload under the "xnnpack" identifier.
  std::string toml = "num_threads = " + std::to_string(options_.num_threads) + "\n";
  switch (options_.kernels) {
    case CpuKernels::kXnnpack: toml += "kernel_mode = \"delegate\"\n"; break;
    case CpuKernels::kBuiltin: toml += "kernel_mode = \"builtin\"\n"; break;
    case CpuKernels::kReference: toml += "kernel_mode = \"reference\"\n"; break;
  }
  if (options_.xnnpack_flags >= 0) {
    toml += "flags = " + std::to_string(options_.xnnpack_flags) + "\n";
  }
  char* payload = new char[toml.size() + 1];
  std::memcpy(payload, toml.c_str(), toml.size() + 1);
  lrt::OpaqueOptions cpu = nullptr;
  s = a.CreateOpaqueOptions(lrt::kCpuOptionsIdentifier, payload, &DeleteCString, &cpu);
  if (s != lrt::kOk) {
    delete[] payload;
    a.DestroyOptions(opts);
    return Status(StatusCode::kCompileError, LiteRtErrorText("LiteRtCreateOpaqueOptions", s));
  }
  s = a.AddOpaqueOptions(opts, cpu);  // ownership of `cpu` moves to `opts`
  if (s != lrt::kOk) {
    a.DestroyOpaqueOptions(cpu);
    a.DestroyOptions(opts);
    return Status(StatusCode::kCompileError, LiteRtErrorText("LiteRtAddOpaqueOptions", s));
  }
  lrt::CompiledModel cm = nullptr;
  s = a.CreateCompiledModel(env_->handle(), model_, opts, &cm);
  if (s != lrt::kOk || cm == nullptr) {
    a.DestroyOptions(opts);
    return Status(StatusCode::kCompileError,
                  "cannot compile '" + source_ + "' for the CPU: " +
                      LiteRtErrorText("LiteRtCreateCompiledModel", s));
  }
  compile_options_ = opts;
  compiled_ = cm;
  return Status::Ok();
}

void Model::DestroyCompiled() {
  if (compiled_ != nullptr) api().DestroyCompiledModel(compiled_);
  compiled_ = nullptr;
  if (compile_options_ != nullptr) api().DestroyOptions(compile_options_);
  compile_options_ = nullptr;
}

Status Model::ResetState() {
  DestroyCompiled();
  return Compile();
}

const SignatureInfo* Model::FindSignature(const std::string& key) const {
  for (const SignatureInfo& s : signatures_) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

StatusOr<const SignatureInfo*> Model::GetSignature(const std::string& key) const {
  if (key.empty() && signatures_.size() == 1) return &signatures_[0];
  const SignatureInfo* s = FindSignature(key);
  if (s != nullptr) return s;
  std::string keys;
  for (const SignatureInfo& si : signatures_) {
    if (!keys.empty()) keys += ", ";
    keys += "'" + si.key + "'";
  }
  return Status(StatusCode::kNotFound, "model '" + source_ + "' has no signature '" + key +
                                           "' (signatures: " + keys + ")");
}

StatusOr<std::unique_ptr<SignatureRunner>> Model::NewRunner(const std::string& key) {
  if (compiled_ == nullptr) {
    return Status(StatusCode::kFailedPrecondition, "model is not compiled");
  }
  auto sig = GetSignature(key);
  if (!sig.ok()) return sig.status();
  return SignatureRunner::Create(shared_from_this(), *sig);
}

}  // namespace sscodec
