// Runs one signature of a compiled Model, frame after frame.
//
// A runner binds host memory to every input and output once, at creation (its
// own 64-byte-aligned, zero-initialised, padded buffers) or later with
// BindInput()/BindOutput() (caller memory, zero-copy). Run() then executes the
// signature on whatever is in the input memory and leaves results in the output
// memory; sscodec itself allocates nothing per Run(). A frame scheduler binds
// its ring-buffer slots (or another runner's output memory, to chain graphs
// without copies) once and calls Run() per frame.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "litert_api.h"
#include "status.h"
#include "tensor_info.h"

namespace sscodec {

class Model;

class SignatureRunner {
 public:
  ~SignatureRunner();

  const SignatureInfo& info() const { return *info_; }
  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return outputs_.size(); }
  // kNotFound listing the valid names.
  StatusOr<size_t> InputIndex(const std::string& name) const;
  StatusOr<size_t> OutputIndex(const std::string& name) const;

  // Host memory currently bound to input/output i (nullptr if i is out of
  // range). Its size is at least info().inputs[i].num_bytes.
  void* input_data(size_t i) const;
  void* output_data(size_t i) const;
  size_t input_capacity(size_t i) const;
  size_t output_capacity(size_t i) const;
  // Minimum capacity (bytes) memory bound to input/output i must have.
  size_t input_required_bytes(size_t i) const;
  size_t output_required_bytes(size_t i) const;

  // Copies `num_bytes` (must equal the tensor's byte size) into input i.
  Status SetInput(size_t i, const void* data, size_t num_bytes);
  // Validated copy: kTypeMismatch / kShapeMismatch unless `dtype` and `shape`
  // equal the tensor's exactly (a scalar tensor has shape {}).
  Status SetInput(size_t i, DType dtype, const std::vector<int64_t>& shape,
                  const void* data);
  // Copies output i (num_bytes must equal the tensor's byte size) out.
  Status GetOutput(size_t i, void* dst, size_t num_bytes) const;

  // Zero-copy binding of caller memory: `data` must be aligned to
  // kHostAlignment (64) bytes and hold at least *_required_bytes(i) bytes, and
  // must stay valid until rebound or the runner is destroyed. Passing nullptr
  // rebinds the runner's own buffer. (Creates a LiteRT tensor buffer handle:
  // do this at setup, not per frame.)
  Status BindInput(size_t i, void* data, size_t capacity);
  Status BindOutput(size_t i, void* data, size_t capacity);

  // Runs the signature once. Errors: kRuntimeError.
  Status Run();

  static constexpr size_t kHostAlignment = lrt::kHostMemoryAlignment;

  SignatureRunner(const SignatureRunner&) = delete;
  SignatureRunner& operator=(const SignatureRunner&) = delete;

 private:
  friend class Model;
  struct Slot {
    const TensorInfo* info = nullptr;
    size_t required = 0;      // bytes any bound memory must provide
    AlignedBuffer own;        // the runner's own buffer
    void* data = nullptr;     // currently bound memory
    size_t capacity = 0;
    lrt::TensorBuffer own_handle = nullptr;
    lrt::TensorBuffer bound_handle = nullptr;  // handle for caller memory
  };

  SignatureRunner() = default;
  static StatusOr<std::unique_ptr<SignatureRunner>> Create(
      std::shared_ptr<Model> model, const SignatureInfo* info);
  Status InitSlot(Slot* slot, const TensorInfo* info, bool is_input, size_t index);
  Status Bind(Slot* slot, bool is_input, size_t i, void* data, size_t capacity);
  lrt::StatusInt MakeHandle(const TensorInfo& info, void* data, size_t capacity,
                            lrt::TensorBuffer* out) const;

  std::shared_ptr<Model> model_;
  const SignatureInfo* info_ = nullptr;
  std::vector<Slot> inputs_;
  std::vector<Slot> outputs_;
  // Handle arrays passed to LiteRtRunCompiledModel (kept in sync by Bind).
  std::vector<lrt::TensorBuffer> input_handles_;
  std::vector<lrt::TensorBuffer> output_handles_;
};

}  // namespace sscodec
