#include "environment.h"

namespace sscodec {

StatusOr<std::shared_ptr<Environment>> Environment::Create(
    std::shared_ptr<const LiteRtLibrary> library, int min_log_severity) {
  if (!library) {
    return Status(StatusCode::kInvalidArgument, "library is null");
  }
  if (min_log_severity < lrt::kLogVerbose || min_log_severity > lrt::kLogSilent) {
    return Status(StatusCode::kInvalidArgument,
                  "min_log_severity must be in [0, 4], got " + std::to_string(min_log_severity));
  }
  lrt::EnvOption opt{};
  opt.tag = lrt::kEnvOptionTagMinLoggerSeverity;
  opt.value.type = lrt::kAnyTypeInt;
  opt.value.int_value = min_log_severity;
  lrt::Environment handle = nullptr;
  lrt::StatusInt s = library->api().CreateEnvironment(1, &opt, &handle);
  if (s != lrt::kOk || handle == nullptr) {
    return Status(StatusCode::kRuntimeError,
                  LiteRtErrorText("LiteRtCreateEnvironment", s));
  }
  std::shared_ptr<Environment> env(new Environment());
  env->library_ = std::move(library);
  env->handle_ = handle;
  return env;
}

StatusOr<std::shared_ptr<Environment>> Environment::Create(
    const std::string& library_path, int min_log_severity) {
  auto lib = LiteRtLibrary::Load(library_path);
  if (!lib.ok()) return lib.status();
  return Create(std::move(lib).value(), min_log_severity);
}

Environment::~Environment() {
  if (handle_ != nullptr) library_->api().DestroyEnvironment(handle_);
}

}  // namespace sscodec
