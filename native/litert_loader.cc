#include "litert_loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <map>
#include <mutex>

namespace sscodec {
namespace lrt {

const char* StatusName(StatusInt s) {
  switch (s) {
    case kOk: return "kLiteRtStatusOk";
    case kErrInvalidArgument: return "kLiteRtStatusErrorInvalidArgument";
    case kErrMemoryAllocation: return "kLiteRtStatusErrorMemoryAllocationFailure";
    case kErrRuntimeFailure: return "kLiteRtStatusErrorRuntimeFailure";
    case kErrMissingInputTensor: return "kLiteRtStatusErrorMissingInputTensor";
    case kErrUnsupported: return "kLiteRtStatusErrorUnsupported";
    case kErrNotFound: return "kLiteRtStatusErrorNotFound";
    case kErrTimeout: return "kLiteRtStatusErrorTimeoutExpired";
    case kErrWrongVersion: return "kLiteRtStatusErrorWrongVersion";
    case kErrUnknown: return "kLiteRtStatusErrorUnknown";
    case kErrAlreadyExists: return "kLiteRtStatusErrorAlreadyExists";
    case kCancelled: return "kLiteRtStatusCancelled";
    case kErrFileIO: return "kLiteRtStatusErrorFileIO";
    case kErrInvalidFlatbuffer: return "kLiteRtStatusErrorInvalidFlatbuffer";
    case kErrDynamicLoading: return "kLiteRtStatusErrorDynamicLoading";
    case kErrSerialization: return "kLiteRtStatusErrorSerialization";
    case kErrCompilation: return "kLiteRtStatusErrorCompilation";
    case kErrIndexOOB: return "kLiteRtStatusErrorIndexOOB";
    case kErrInvalidIrType: return "kLiteRtStatusErrorInvalidIrType";
    default: return "kLiteRtStatus(unknown)";
  }
}

}  // namespace lrt

std::string LiteRtErrorText(const std::string& what, lrt::StatusInt s) {
  return what + " failed: " + lrt::StatusName(s) + " (" + std::to_string(s) +
         ")";
}

namespace {

template <typename Fn>
bool Resolve(void* handle, const char* name, Fn* out, std::string* missing) {
  dlerror();  // clear
  void* sym = dlsym(handle, name);
  if (sym == nullptr) {
    if (!missing->empty()) *missing += ", ";
    *missing += name;
    return false;
  }
  *out = reinterpret_cast<Fn>(sym);
  return true;
}

}  // namespace

StatusOr<std::shared_ptr<const LiteRtLibrary>> LiteRtLibrary::Load(
    const std::string& path_in) {
  std::string path = path_in;
  if (path.empty()) {
    const char* env = getenv(kLiteRtLibEnvVar);
    path = (env != nullptr && env[0] != '\0') ? env : "libLiteRt.so";
  }
  const bool is_file_path = path.find('/') != std::string::npos;
  std::string key = path;
  if (is_file_path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      return Status(StatusCode::kLibraryError,
                    "LiteRT library not found: '" + path +
                        "' does not exist (install the ai-edge-litert package "
                        "or set " + kLiteRtLibEnvVar + ")");
    }
    char resolved[PATH_MAX];
    if (realpath(path.c_str(), resolved) != nullptr) key = resolved;
  }

  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const LiteRtLibrary>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;

  dlerror();
  void* handle = dlopen(key.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    return Status(StatusCode::kLibraryError,
                  "cannot load LiteRT library '" + key + "': " +
                      (err ? err : "unknown dlopen error"));
  }

  std::shared_ptr<LiteRtLibrary> lib(new LiteRtLibrary());
  lib->handle_ = handle;
  lib->path_ = key;
  lrt::Api& a = lib->api_;
  std::string missing;
#define SSCODEC_RESOLVE(field) \
  Resolve(handle, "LiteRt" #field, &a.field, &missing)
  SSCODEC_RESOLVE(CreateEnvironment);
  SSCODEC_RESOLVE(DestroyEnvironment);
  SSCODEC_RESOLVE(CreateModelFromBuffer);
  SSCODEC_RESOLVE(DestroyModel);
  SSCODEC_RESOLVE(GetNumModelSignatures);
  SSCODEC_RESOLVE(GetModelSignature);
  SSCODEC_RESOLVE(GetSignatureKey);
  SSCODEC_RESOLVE(GetNumSignatureInputs);
  SSCODEC_RESOLVE(GetNumSignatureOutputs);
  SSCODEC_RESOLVE(GetSignatureInputName);
  SSCODEC_RESOLVE(GetSignatureOutputName);
  SSCODEC_RESOLVE(GetSignatureInputTensorByIndex);
  SSCODEC_RESOLVE(GetSignatureOutputTensorByIndex);
  SSCODEC_RESOLVE(GetTensorTypeId);
  SSCODEC_RESOLVE(GetRankedTensorType);
  SSCODEC_RESOLVE(GetUnrankedTensorType);
  SSCODEC_RESOLVE(CreateOptions);
  SSCODEC_RESOLVE(DestroyOptions);
  SSCODEC_RESOLVE(SetOptionsHardwareAccelerators);
  SSCODEC_RESOLVE(CreateOpaqueOptions);
  SSCODEC_RESOLVE(DestroyOpaqueOptions);
  SSCODEC_RESOLVE(AddOpaqueOptions);
  SSCODEC_RESOLVE(CreateCompiledModel);
  SSCODEC_RESOLVE(DestroyCompiledModel);
  SSCODEC_RESOLVE(GetCompiledModelInputBufferRequirements);
  SSCODEC_RESOLVE(GetCompiledModelOutputBufferRequirements);
  SSCODEC_RESOLVE(GetTensorBufferRequirementsBufferSize);
  SSCODEC_RESOLVE(RunCompiledModel);
  SSCODEC_RESOLVE(CreateTensorBufferFromHostMemory);
  SSCODEC_RESOLVE(DestroyTensorBuffer);
#undef SSCODEC_RESOLVE
  if (!missing.empty()) {
    dlclose(handle);
    return Status(StatusCode::kLibraryError,
                  "'" + key + "' is not a compatible LiteRT C API library; "
                  "missing symbols: " + missing);
  }
  std::shared_ptr<const LiteRtLibrary> result = lib;
  cache.emplace(key, result);
  return result;
}

}  // namespace sscodec
