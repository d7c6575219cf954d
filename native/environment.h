// A LiteRT environment bound to a loaded libLiteRt.so. One environment can be
// shared by any number of models; it is kept alive by the models using it.
#pragma once

#include <memory>
#include <string>

#include "litert_api.h"
#include "litert_loader.h"
#include "status.h"

namespace sscodec {

class Environment {
 public:
  // Creates a LiteRT environment in `library`. `min_log_severity`: LiteRT's
  // logger threshold (lrt::kLogVerbose .. kLogSilent); the default (error)
  // hides LiteRT's INFO/WARNING chatter (e.g. "GPU accelerator not found").
  // LiteRT's logger is process-wide: the last environment created sets it.
  static StatusOr<std::shared_ptr<Environment>> Create(
      std::shared_ptr<const LiteRtLibrary> library, int min_log_severity = lrt::kLogError);
  // Convenience: LiteRtLibrary::Load(library_path) + Create().
  static StatusOr<std::shared_ptr<Environment>> Create(
      const std::string& library_path = "", int min_log_severity = lrt::kLogError);
  ~Environment();

  const lrt::Api& api() const { return library_->api(); }
  const LiteRtLibrary& library() const { return *library_; }
  lrt::Environment handle() const { return handle_; }

  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

 private:
  Environment() = default;
  std::shared_ptr<const LiteRtLibrary> library_;
  lrt::Environment handle_ = nullptr;
};

}  // namespace sscodec
