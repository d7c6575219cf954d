// A TFLite model loaded and compiled for the CPU (XNNPACK) through LiteRT.
//
//   auto env = Environment::Create(lib_path);              // once per process
//   auto model = Model::FromFile(*env, "enc.tflite", {/*num_threads=*/1});
//   for (const SignatureInfo& s : (*model)->signatures()) ...   // names/dtypes/shapes
//   auto run = (*model)->NewRunner("serving_default");      // binds buffers once
//   ... per frame: write (*run)->input_data(0); (*run)->Run(); read output_data(0)
//
// State: graphs that keep streaming state in resource variables (e.g. Lyra v2)
// hold it inside the compiled model. A new stream needs fresh state: create a
// new Model, or call ResetState() (recompiles; existing runners stay valid).
//
// Threading: a Model and its runners must be used by one thread at a time.
// Different Model objects may run concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "environment.h"
#include "status.h"
#include "tensor_info.h"

namespace sscodec {

class SignatureRunner;

enum class CpuKernels {
  kXnnpack = 0,    // XNNPACK delegate (LiteRT default; matches the Python
                   // Interpreter's default, bit-exact)
  kBuiltin = 1,    // LiteRT built-in optimized kernels, no delegate
  kReference = 2,  // built-in reference kernels (slow; for debugging)
};

struct CompileOptions {
  int num_threads = 1;                     // XNNPACK threads (>= 1)
  CpuKernels kernels = CpuKernels::kXnnpack;
  long long xnnpack_flags = -1;            // TfLiteXNNPackDelegateOptions.flags; < 0: default
};

class Model : public std::enable_shared_from_this<Model> {
 public:
  // Loads a .tflite file (read into memory the Model owns, then verified by
  // LiteRT). Errors: kNotFound (no such file), kModelLoadError (unreadable or
  // not a valid TFLite flatbuffer), kCompileError, kInvalidArgument.
  static StatusOr<std::shared_ptr<Model>> FromFile(
      std::shared_ptr<Environment> env, const std::string& path,
      const CompileOptions& options = {});
  // Loads a model from memory. The bytes are copied into an aligned buffer the
  // Model owns, so the caller's memory may be released after the call.
  static StatusOr<std::shared_ptr<Model>> FromBuffer(
      std::shared_ptr<Environment> env, const void* data, size_t size,
      const CompileOptions& options = {});
  ~Model();

  const std::vector<SignatureInfo>& signatures() const { return signatures_; }
  // nullptr if there is no such signature.
  const SignatureInfo* FindSignature(const std::string& key) const;
  // kNotFound (listing the model's signature keys) if there is none. An empty
  // key selects the only signature of a single-signature model.
  StatusOr<const SignatureInfo*> GetSignature(const std::string& key) const;

  // Creates a runner for one signature: allocates and binds its input/output
  // host buffers once. Errors: kNotFound, kUnsupported (dynamic/unranked
  // shapes, string/resource tensors).
  StatusOr<std::unique_ptr<SignatureRunner>> NewRunner(const std::string& key);

  // Fresh streaming state: destroys and recompiles the compiled model.
  Status ResetState();

  const CompileOptions& options() const { return options_; }
  const std::string& source() const { return source_; }  // path or "<memory>"

  // For SignatureRunner.
  const lrt::Api& api() const { return env_->api(); }
  lrt::CompiledModel compiled() const { return compiled_; }

  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

 private:
  Model() = default;
  static StatusOr<std::shared_ptr<Model>> Finish(std::shared_ptr<Model> m);
  Status ReadSignatures();
  Status Compile();
  void DestroyCompiled();

  std::shared_ptr<Environment> env_;
  CompileOptions options_;
  std::string source_;
  AlignedBuffer bytes_;  // model bytes for FromBuffer (must outlive model_)
  lrt::Model model_ = nullptr;
  lrt::Options compile_options_ = nullptr;  // kept for compiled_'s lifetime
  lrt::CompiledModel compiled_ = nullptr;
  std::vector<SignatureInfo> signatures_;
};

}  // namespace sscodec
