#include "signature_runner.h"

#include <cstring>

#include "model.h"

namespace sscodec {

namespace {

// Extra bytes after every owned buffer: XNNPACK kernels may read (never write)
// a little past the end of a tensor.
constexpr size_t kPadding = 64;

size_t RoundUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

std::string Names(const std::vector<TensorInfo>& ts) {
  std::string s;
  for (const TensorInfo& t : ts) {
    if (!s.empty()) s += ", ";
    s += "'" + t.name + "'";
  }
  return s;
}

}  // namespace

StatusOr<std::unique_ptr<SignatureRunner>> SignatureRunner::Create(
    std::shared_ptr<Model> model, const SignatureInfo* info) {
  std::unique_ptr<SignatureRunner> r(new SignatureRunner());
  r->model_ = std::move(model);
  r->info_ = info;
  r->inputs_.resize(info->inputs.size());
  r->outputs_.resize(info->outputs.size());
  for (size_t i = 0; i < info->inputs.size(); ++i) {
    SSCODEC_RETURN_IF_ERROR(r->InitSlot(&r->inputs_[i], &info->inputs[i], true, i));
  }
  for (size_t i = 0; i < info->outputs.size(); ++i) {
    SSCODEC_RETURN_IF_ERROR(r->InitSlot(&r->outputs_[i], &info->outputs[i], false, i));
  }
  r->input_handles_.resize(r->inputs_.size());
  r->output_handles_.resize(r->outputs_.size());
  for (size_t i = 0; i < r->inputs_.size(); ++i) r->input_handles_[i] = r->inputs_[i].own_handle;
  for (size_t i = 0; i < r->outputs_.size(); ++i) r->output_handles_[i] = r->outputs_[i].own_handle;
  return r;
}

lrt::StatusInt SignatureRunner::MakeHandle(const TensorInfo& info, void* data,
                                           size_t capacity, lrt::TensorBuffer* out) const {
  lrt::RankedTensorType type;
  std::memset(&type, 0, sizeof(type));
  type.element_type = info.litert_element_type;
  type.layout.rank = static_cast<unsigned int>(info.shape.size());
  type.layout.has_strides = 0;
  for (size_t d = 0; d < info.shape.size(); ++d) type.layout.dimensions[d] = info.shape[d];
  return model_->api().CreateTensorBufferFromHostMemory(&type, data, capacity,
                                                         /*deallocator=*/nullptr, out);
}

Status SignatureRunner::InitSlot(Slot* slot, const TensorInfo* info, bool is_input,
                                 size_t index) {
  const char* kind = is_input ? "input" : "output";
  if (!info->is_static()) {
    return Status(StatusCode::kUnsupported,
                  std::string(kind) + " '" + info->name + "' of signature '" + info_->key +
                      "' has " +
                      (info->dtype == DType::kUnknown
                           ? "an unsupported element type (" +
                                 std::to_string(info->litert_element_type) + ")"
                           : "a dynamic or unranked shape " + ShapeToString(info->shape)) +
                      "; only static numeric tensors are supported");
  }
  if (info->shape.size() > static_cast<size_t>(lrt::kMaxRank)) {
    return Status(StatusCode::kUnsupported, "tensor rank > 8");
  }
  slot->info = info;
  size_t required = info->num_bytes;
  // The compiled model may ask for a larger buffer (e.g. padding).
  lrt::TensorBufferRequirements req = nullptr;
  const lrt::Api& a = model_->api();
  lrt::StatusInt s =
      is_input ? a.GetCompiledModelInputBufferRequirements(model_->compiled(), info_->index,
                                                           index, &req)
               : a.GetCompiledModelOutputBufferRequirements(model_->compiled(), info_->index,
                                                            index, &req);
  if (s == lrt::kOk && req != nullptr) {
    size_t req_size = 0;
    if (a.GetTensorBufferRequirementsBufferSize(req, &req_size) == lrt::kOk &&
        req_size > required) {
      required = req_size;
    }
  }
  slot->required = required;
  const size_t capacity = RoundUp(required, kHostAlignment) + kPadding;
  slot->own = AlignedBuffer(capacity, kHostAlignment);
  if (slot->own.data() == nullptr) {
    return Status(StatusCode::kRuntimeError, "out of memory allocating tensor buffer");
  }
  slot->data = slot->own.data();
  slot->capacity = slot->own.size();
  s = MakeHandle(*info, slot->data, slot->capacity, &slot->own_handle);
  if (s != lrt::kOk) {
    slot->own_handle = nullptr;
    return Status(StatusCode::kRuntimeError,
                  LiteRtErrorText(std::string("LiteRtCreateTensorBufferFromHostMemory(") +
                                      kind + " '" + info->name + "')",
                                  s));
  }
  return Status::Ok();
}

SignatureRunner::~SignatureRunner() {
  if (!model_) return;
  const lrt::Api& a = model_->api();
  for (std::vector<Slot>* slots : {&inputs_, &outputs_}) {
    for (Slot& s : *slots) {
      if (s.bound_handle) a.DestroyTensorBuffer(s.bound_handle);
      if (s.own_handle) a.DestroyTensorBuffer(s.own_handle);
    }
  }
}

StatusOr<size_t> SignatureRunner::InputIndex(const std::string& name) const {
  int i = info_->FindInput(name);
  if (i >= 0) return static_cast<size_t>(i);
  return Status(StatusCode::kNotFound, "signature '" + info_->key + "' has no input '" + name +
                                           "' (inputs: " + Names(info_->inputs) + ")");
}

StatusOr<size_t> SignatureRunner::OutputIndex(const std::string& name) const {
  int i = info_->FindOutput(name);
  if (i >= 0) return static_cast<size_t>(i);
  return Status(StatusCode::kNotFound, "signature '" + info_->key + "' has no output '" + name +
                                           "' (outputs: " + Names(info_->outputs) + ")");
}

void* SignatureRunner::input_data(size_t i) const {
  return i < inputs_.size() ? inputs_[i].data : nullptr;
}
void* SignatureRunner::output_data(size_t i) const {
  return i < outputs_.size() ? outputs_[i].data : nullptr;
}
size_t SignatureRunner::input_capacity(size_t i) const {
  return i < inputs_.size() ? inputs_[i].capacity : 0;
}
size_t SignatureRunner::output_capacity(size_t i) const {
  return i < outputs_.size() ? outputs_[i].capacity : 0;
}
size_t SignatureRunner::input_required_bytes(size_t i) const {
  return i < inputs_.size() ? inputs_[i].required : 0;
}
size_t SignatureRunner::output_required_bytes(size_t i) const {
  return i < outputs_.size() ? outputs_[i].required : 0;
}

Status SignatureRunner::SetInput(size_t i, const void* data, size_t num_bytes) {
  if (i >= inputs_.size()) {
    return Status(StatusCode::kInvalidArgument,
                  "input index " + std::to_string(i) + " out of range (signature '" +
                      info_->key + "' has " + std::to_string(inputs_.size()) + " inputs)");
  }
  const TensorInfo& t = *inputs_[i].info;
  if (num_bytes != t.num_bytes) {
    return Status(StatusCode::kShapeMismatch,
                  "input '" + t.name + "' expects " + std::to_string(t.num_bytes) +
                      " bytes (" + DTypeName(t.dtype) + ShapeToString(t.shape) + "), got " +
                      std::to_string(num_bytes));
  }
  if (data == nullptr && num_bytes > 0) {
    return Status(StatusCode::kInvalidArgument, "input data is null");
  }
  if (num_bytes) std::memcpy(inputs_[i].data, data, num_bytes);
  return Status::Ok();
}

Status SignatureRunner::SetInput(size_t i, DType dtype, const std::vector<int64_t>& shape,
                                 const void* data) {
  if (i >= inputs_.size()) {
    return Status(StatusCode::kInvalidArgument,
                  "input index " + std::to_string(i) + " out of range");
  }
  const TensorInfo& t = *inputs_[i].info;
  if (dtype != t.dtype) {
    return Status(StatusCode::kTypeMismatch, "input '" + t.name + "' of signature '" +
                                                 info_->key + "' expects dtype " +
                                                 DTypeName(t.dtype) + ", got " + DTypeName(dtype));
  }
  bool same = shape.size() == t.shape.size();
  for (size_t d = 0; same && d < shape.size(); ++d) same = shape[d] == t.shape[d];
  if (!same) {
    return Status(StatusCode::kShapeMismatch, "input '" + t.name + "' of signature '" +
                                                  info_->key + "' expects shape " +
                                                  ShapeToString(t.shape) + ", got " +
                                                  ShapeToString(shape));
  }
  return SetInput(i, data, t.num_bytes);
}

Status SignatureRunner::GetOutput(size_t i, void* dst, size_t num_bytes) const {
  if (i >= outputs_.size()) {
    return Status(StatusCode::kInvalidArgument,
                  "output index " + std::to_string(i) + " out of range");
  }
  const TensorInfo& t = *outputs_[i].info;
  if (num_bytes != t.num_bytes) {
    return Status(StatusCode::kShapeMismatch,
                  "output '" + t.name + "' has " + std::to_string(t.num_bytes) +
                      " bytes, destination has " + std::to_string(num_bytes));
  }
  if (num_bytes) std::memcpy(dst, outputs_[i].data, num_bytes);
  return Status::Ok();
}

Status SignatureRunner::Bind(Slot* slot, bool is_input, size_t i, void* data,
                             size_t capacity) {
  const lrt::Api& a = model_->api();
  std::vector<lrt::TensorBuffer>& handles = is_input ? input_handles_ : output_handles_;
  if (data == nullptr) {  // back to the runner's own buffer
    if (slot->bound_handle) a.DestroyTensorBuffer(slot->bound_handle);
    slot->bound_handle = nullptr;
    slot->data = slot->own.data();
    slot->capacity = slot->own.size();
    handles[i] = slot->own_handle;
    return Status::Ok();
  }
  const char* kind = is_input ? "input" : "output";
  if (reinterpret_cast<uintptr_t>(data) % kHostAlignment != 0) {
    return Status(StatusCode::kInvalidArgument,
                  std::string("memory bound to ") + kind + " '" + slot->info->name +
                      "' must be aligned to " + std::to_string(kHostAlignment) + " bytes");
  }
  if (capacity < slot->required) {
    return Status(StatusCode::kInvalidArgument,
                  std::string("memory bound to ") + kind + " '" + slot->info->name +
                      "' has " + std::to_string(capacity) + " bytes, needs at least " +
                      std::to_string(slot->required));
  }
  lrt::TensorBuffer h = nullptr;
  lrt::StatusInt s = MakeHandle(*slot->info, data, capacity, &h);
  if (s != lrt::kOk) {
    return Status(StatusCode::kRuntimeError,
                  LiteRtErrorText("LiteRtCreateTensorBufferFromHostMemory", s));
  }
  if (slot->bound_handle) a.DestroyTensorBuffer(slot->bound_handle);
  slot->bound_handle = h;
  slot->data = data;
  slot->capacity = capacity;
  handles[i] = h;
  return Status::Ok();
}

Status SignatureRunner::BindInput(size_t i, void* data, size_t capacity) {
  if (i >= inputs_.size()) {
    return Status(StatusCode::kInvalidArgument, "input index " + std::to_string(i) + " out of range");
  }
  return Bind(&inputs_[i], true, i, data, capacity);
}

Status SignatureRunner::BindOutput(size_t i, void* data, size_t capacity) {
  if (i >= outputs_.size()) {
    return Status(StatusCode::kInvalidArgument, "output index " + std::to_string(i) + " out of range");
  }
  return Bind(&outputs_[i], false, i, data, capacity);
}

Status SignatureRunner::Run() {
  lrt::CompiledModel cm = model_->compiled();
  if (cm == nullptr) {
    return Status(StatusCode::kFailedPrecondition, "model is not compiled (ResetState failed?)");
  }
  lrt::StatusInt s = model_->api().RunCompiledModel(
      cm, info_->index, input_handles_.size(), input_handles_.data(), output_handles_.size(),
      output_handles_.data());
  if (s != lrt::kOk) {
    return Status(StatusCode::kRuntimeError,
                  LiteRtErrorText("running signature '" + info_->key + "' of '" +
                                      model_->source() + "' (LiteRtRunCompiledModel)",
                                  s));
  }
  return Status::Ok();
}

}  // namespace sscodec
