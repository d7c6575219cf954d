// Element types, tensor and signature descriptions of a loaded model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sscodec {

// Element type of a tensor (numpy-compatible names via DTypeName()).
enum class DType : int {
  kUnknown = 0,
  kFloat32,
  kFloat16,
  kFloat64,
  kBFloat16,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kBool,
};

// "float32", "int32", ... ("unknown" for kUnknown).
const char* DTypeName(DType t);
// Bytes per element; 0 for kUnknown.
size_t DTypeSize(DType t);
// From a LiteRT/TfLite element type value; kUnknown for strings, resources,
// variants and other types this wrapper does not bind.
DType DTypeFromLiteRt(int element_type);

struct TensorInfo {
  std::string name;           // signature input/output name
  DType dtype = DType::kUnknown;
  int litert_element_type = 0;  // raw LiteRT element type value
  bool ranked = false;        // false: unranked tensor (shape unknown)
  std::vector<int32_t> shape;  // empty = scalar; -1 = dynamic dimension
  size_t num_elements = 0;    // 0 if not static
  size_t num_bytes = 0;       // 0 if not static or dtype unknown

  // True if dtype is known and the shape is ranked and fully static.
  bool is_static() const;
};

struct SignatureInfo {
  std::string key;
  size_t index = 0;  // signature index in the model
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;

  // Index of an input/output by name, or -1.
  int FindInput(const std::string& name) const;
  int FindOutput(const std::string& name) const;
};

// "[1,320]", "[]" for scalars.
std::string ShapeToString(const std::vector<int32_t>& shape);
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace sscodec
