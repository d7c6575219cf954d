// Minimal, hand-written declarations of the part of the LiteRT C API that
// sscodec uses, written from LiteRT's public C API documentation.
//
// Nothing here is linked: every function is resolved at run time with dlsym()
// from libLiteRt.so (see litert_loader.h), so this file only fixes the ABI we
// rely on — handle types, the few plain structs passed by pointer, enum values
// and function signatures. Keep it minimal: add a function only when it is used,
// and check its documented signature when you do.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sscodec {
namespace lrt {

// ---- Opaque handles (pointers to runtime-owned objects). ------------------
struct EnvironmentOpaque;
struct ModelOpaque;
struct SignatureOpaque;
struct TensorOpaque;
struct OptionsOpaque;
struct OpaqueOptionsOpaque;
struct CompiledModelOpaque;
struct TensorBufferOpaque;
struct TensorBufferRequirementsOpaque;

using Environment = EnvironmentOpaque*;
using Model = ModelOpaque*;
using Signature = SignatureOpaque*;
using Tensor = TensorOpaque*;
using Options = OptionsOpaque*;
using OpaqueOptions = OpaqueOptionsOpaque*;
using CompiledModel = CompiledModelOpaque*;
using TensorBuffer = TensorBufferOpaque*;
using TensorBufferRequirements = TensorBufferRequirementsOpaque*;

using ParamIndex = size_t;

// ---- Status codes (C enum => int). ----------------------------------------
using StatusInt = int;
constexpr StatusInt kOk = 0;
constexpr StatusInt kErrInvalidArgument = 1;
constexpr StatusInt kErrMemoryAllocation = 2;
constexpr StatusInt kErrRuntimeFailure = 3;
constexpr StatusInt kErrMissingInputTensor = 4;
constexpr StatusInt kErrUnsupported = 5;
constexpr StatusInt kErrNotFound = 6;
constexpr StatusInt kErrTimeout = 7;
constexpr StatusInt kErrWrongVersion = 8;
constexpr StatusInt kErrUnknown = 9;
constexpr StatusInt kErrAlreadyExists = 10;
constexpr StatusInt kCancelled = 100;
constexpr StatusInt kErrFileIO = 500;
constexpr StatusInt kErrInvalidFlatbuffer = 501;
constexpr StatusInt kErrDynamicLoading = 502;
constexpr StatusInt kErrSerialization = 503;
constexpr StatusInt kErrCompilation = 504;
constexpr StatusInt kErrIndexOOB = 1000;
constexpr StatusInt kErrInvalidIrType = 1001;

// Name of a LiteRT status value, e.g. "kLiteRtStatusErrorFileIO" (our own
// table; the library does not export a to-string function).
const char* StatusName(StatusInt s);

// ---- Element types (values equal TfLiteType). ------------------------------
using ElementTypeInt = int;
constexpr ElementTypeInt kElemNone = 0;
constexpr ElementTypeInt kElemFloat32 = 1;
constexpr ElementTypeInt kElemInt32 = 2;
constexpr ElementTypeInt kElemUInt8 = 3;
constexpr ElementTypeInt kElemInt64 = 4;
constexpr ElementTypeInt kElemString = 5;
constexpr ElementTypeInt kElemBool = 6;
constexpr ElementTypeInt kElemInt16 = 7;
constexpr ElementTypeInt kElemComplex64 = 8;
constexpr ElementTypeInt kElemInt8 = 9;
constexpr ElementTypeInt kElemFloat16 = 10;
constexpr ElementTypeInt kElemFloat64 = 11;
constexpr ElementTypeInt kElemUInt64 = 13;
constexpr ElementTypeInt kElemResource = 14;
constexpr ElementTypeInt kElemVariant = 15;
constexpr ElementTypeInt kElemUInt32 = 16;
constexpr ElementTypeInt kElemUInt16 = 17;
constexpr ElementTypeInt kElemBFloat16 = 19;

// Tensor type id: ranked (has a layout) or unranked.
using TensorTypeIdInt = int;
constexpr TensorTypeIdInt kRankedTensorType = 0;
constexpr TensorTypeIdInt kUnrankedTensorType = 1;

// ---- Plain structs passed by pointer. --------------------------------------
constexpr int kMaxRank = 8;

struct Layout {
  unsigned int rank : 7;
  unsigned int has_strides : 1;
  int32_t dimensions[kMaxRank];
  uint32_t strides[kMaxRank];
};
static_assert(sizeof(Layout) == 68, "LiteRtLayout ABI");

struct RankedTensorType {
  ElementTypeInt element_type;
  Layout layout;
};
static_assert(sizeof(RankedTensorType) == 72, "LiteRtRankedTensorType ABI");

struct UnrankedTensorType {
  ElementTypeInt element_type;
};

// Environment options: a (tag, LiteRtAny) pair. Only the tag we use.
struct Any {
  int type;  // 2 = int
  union {
    bool bool_value;
    int64_t int_value;
    double real_value;
    const char* str_value;
    const void* ptr_value;
  };
};
static_assert(sizeof(Any) == 16, "LiteRtAny ABI");
constexpr int kAnyTypeInt = 2;

struct EnvOption {
  int tag;
  Any value;
};
static_assert(sizeof(EnvOption) == 24, "LiteRtEnvOption ABI");
constexpr int kEnvOptionTagMinLoggerSeverity = 25;
// Log severities for kEnvOptionTagMinLoggerSeverity.
constexpr int kLogVerbose = 0, kLogInfo = 1, kLogWarning = 2, kLogError = 3, kLogSilent = 4;

// Hardware accelerator bit set.
constexpr int kHwAcceleratorCpu = 1 << 0;

// Host memory handed to LiteRtCreateTensorBufferFromHostMemory must be aligned
// to this many bytes (a fixed ABI constant of LiteRT).
constexpr size_t kHostMemoryAlignment = 64;

// CPU (XNNPACK) compilation options are an "opaque options" entry whose
// identifier is "xnnpack" and whose payload is a NUL-terminated TOML string,
// e.g. "num_threads = 1\n" (keys: num_threads, kernel_mode, flags, ...).
constexpr const char* kCpuOptionsIdentifier = "xnnpack";

using HostMemoryDeallocator = void (*)(void*);
using PayloadDestructor = void (*)(void*);

// ---- Function table, filled by dlsym(). ------------------------------------
// Each member is named after the C symbol without its "LiteRt" prefix.
struct Api {
  // Environment.
  StatusInt (*CreateEnvironment)(int num_options, const EnvOption* options,
                                 Environment* env);
  void (*DestroyEnvironment)(Environment env);

  // Model (flatbuffer) and its signatures. (LiteRtCreateModelFromFile is not
  // used: unlike the buffer variant it does not verify the flatbuffer.)
  StatusInt (*CreateModelFromBuffer)(Environment env, const void* addr,
                                     size_t size, Model* model);
  void (*DestroyModel)(Model model);
  StatusInt (*GetNumModelSignatures)(Model model, ParamIndex* n);
  StatusInt (*GetModelSignature)(Model model, ParamIndex i, Signature* sig);
  StatusInt (*GetSignatureKey)(Signature sig, const char** key);
  StatusInt (*GetNumSignatureInputs)(Signature sig, ParamIndex* n);
  StatusInt (*GetNumSignatureOutputs)(Signature sig, ParamIndex* n);
  StatusInt (*GetSignatureInputName)(Signature sig, ParamIndex i,
                                     const char** name);
  StatusInt (*GetSignatureOutputName)(Signature sig, ParamIndex i,
                                      const char** name);
  StatusInt (*GetSignatureInputTensorByIndex)(Signature sig, ParamIndex i,
                                              Tensor* t);
  StatusInt (*GetSignatureOutputTensorByIndex)(Signature sig, ParamIndex i,
                                               Tensor* t);
  StatusInt (*GetTensorTypeId)(Tensor t, TensorTypeIdInt* id);
  StatusInt (*GetRankedTensorType)(Tensor t, RankedTensorType* type);
  StatusInt (*GetUnrankedTensorType)(Tensor t, UnrankedTensorType* type);

  // Compilation options.
  StatusInt (*CreateOptions)(Options* options);
  void (*DestroyOptions)(Options options);
  StatusInt (*SetOptionsHardwareAccelerators)(Options options, int accels);
  StatusInt (*CreateOpaqueOptions)(const char* identifier, void* payload,
                                   PayloadDestructor destructor,
                                   OpaqueOptions* out);
  void (*DestroyOpaqueOptions)(OpaqueOptions options);
  // Ownership of `opaque` moves to `options`.
  StatusInt (*AddOpaqueOptions)(Options options, OpaqueOptions opaque);

  // Compiled model.
  StatusInt (*CreateCompiledModel)(Environment env, Model model,
                                   Options options, CompiledModel* out);
  void (*DestroyCompiledModel)(CompiledModel cm);
  // Returned requirements stay owned by the compiled model.
  StatusInt (*GetCompiledModelInputBufferRequirements)(
      CompiledModel cm, ParamIndex signature, ParamIndex input,
      TensorBufferRequirements* req);
  StatusInt (*GetCompiledModelOutputBufferRequirements)(
      CompiledModel cm, ParamIndex signature, ParamIndex output,
      TensorBufferRequirements* req);
  StatusInt (*GetTensorBufferRequirementsBufferSize)(
      TensorBufferRequirements req, size_t* size);
  StatusInt (*RunCompiledModel)(CompiledModel cm, ParamIndex signature,
                                size_t num_inputs, TensorBuffer* inputs,
                                size_t num_outputs, TensorBuffer* outputs);

  // Tensor buffers over caller-owned host memory.
  StatusInt (*CreateTensorBufferFromHostMemory)(const RankedTensorType* type,
                                                void* addr, size_t size,
                                                HostMemoryDeallocator dealloc,
                                                TensorBuffer* out);
  void (*DestroyTensorBuffer)(TensorBuffer buffer);
};

}  // namespace lrt
}  // namespace sscodec
