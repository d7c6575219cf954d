// sscodec native core: status codes and messages.
//
// Every fallible call in the core returns a Status (or StatusOr<T>); the core
// never throws across its API and never aborts on bad input. Bindings (pybind11,
// the later plain C API) translate a Status into their own error mechanism.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sscodec {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,     // bad argument (null, out-of-range index, ...)
  kNotFound = 2,            // unknown signature / tensor name, missing file
  kLibraryError = 3,        // libLiteRt.so missing, unloadable, or lacks a symbol
  kModelLoadError = 4,      // .tflite missing, unreadable or corrupt
  kCompileError = 5,        // LiteRT could not compile the model for the CPU
  kShapeMismatch = 6,       // host data shape differs from the tensor's shape
  kTypeMismatch = 7,        // host data dtype differs from the tensor's dtype
  kRuntimeError = 8,        // LiteRT failed while running a signature
  kFailedPrecondition = 9,  // object not in a state to do this
  kUnsupported = 10,        // tensor/feature this wrapper does not handle
};

// Stable upper-case name of a code, e.g. "SHAPE_MISMATCH".
const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "SHAPE_MISMATCH: input 'x' expects [1,320], got [320]".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class StatusOr {
 public:
  StatusOr(Status status) : v_(std::move(status)) {}  // NOLINT: implicit
  StatusOr(T value) : v_(std::move(value)) {}         // NOLINT: implicit

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace sscodec

#define SSCODEC_RETURN_IF_ERROR(expr)              \
  do {                                             \
    ::sscodec::Status _sscodec_status = (expr);    \
    if (!_sscodec_status.ok()) return _sscodec_status; \
  } while (0)
