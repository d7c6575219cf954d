#include "status.h"

namespace sscodec {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kLibraryError: return "LIBRARY_ERROR";
    case StatusCode::kModelLoadError: return "MODEL_LOAD_ERROR";
    case StatusCode::kCompileError: return "COMPILE_ERROR";
    case StatusCode::kShapeMismatch: return "SHAPE_MISMATCH";
    case StatusCode::kTypeMismatch: return "TYPE_MISMATCH";
    case StatusCode::kRuntimeError: return "RUNTIME_ERROR";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kUnsupported: return "UNSUPPORTED";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace sscodec
