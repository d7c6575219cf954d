// Run-time loading of the LiteRT C API library (libLiteRt.so).
//
// The library is dlopen()ed from a path chosen at run time — the Python side
// passes the copy inside the installed ai_edge_litert wheel; C/C++ callers may
// pass an explicit path — so that a missing or incompatible library is a
// Status, not a link or load failure, and so that the same code runs where the
// path differs (aarch64 Linux, Android app lib dir).
#pragma once

#include <memory>
#include <string>

#include "litert_api.h"
#include "status.h"

namespace sscodec {

// Environment variable consulted when no explicit path is given.
constexpr const char* kLiteRtLibEnvVar = "SSCODEC_LITERT_LIB";

class LiteRtLibrary {
 public:
  // Loads the library and resolves every symbol sscodec needs.
  //  * `path` non-empty: exactly that file.
  //  * `path` empty: $SSCODEC_LITERT_LIB if set, else "libLiteRt.so" through
  //    the dynamic loader's normal search (LD_LIBRARY_PATH, rpath, Android
  //    app lib dir).
  // Errors (kLibraryError): file missing / not loadable (dlerror text), or a
  // required symbol absent (incompatible LiteRT version).
  // Loads are cached per resolved path; a library is never unloaded (LiteRT
  // keeps process-wide state such as thread pools), so this is cheap to call.
  static StatusOr<std::shared_ptr<const LiteRtLibrary>> Load(
      const std::string& path = "");

  const lrt::Api& api() const { return api_; }
  const std::string& path() const { return path_; }

  LiteRtLibrary(const LiteRtLibrary&) = delete;
  LiteRtLibrary& operator=(const LiteRtLibrary&) = delete;

 private:
  LiteRtLibrary() = default;
  void* handle_ = nullptr;
  std::string path_;
  lrt::Api api_{};
};

// "<what> failed: kLiteRtStatusErrorFileIO (500)".
std::string LiteRtErrorText(const std::string& what, lrt::StatusInt s);

}  // namespace sscodec
