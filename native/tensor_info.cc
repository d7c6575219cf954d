#include "tensor_info.h"

#include "litert_api.h"

namespace sscodec {

const char* DTypeName(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kFloat16: return "float16";
    case DType::kFloat64: return "float64";
    case DType::kBFloat16: return "bfloat16";
    case DType::kInt8: return "int8";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kUInt8: return "uint8";
    case DType::kUInt16: return "uint16";
    case DType::kUInt32: return "uint32";
    case DType::kUInt64: return "uint64";
    case DType::kBool: return "bool";
    case DType::kUnknown: break;
  }
  return "unknown";
}

size_t DTypeSize(DType t) {
  switch (t) {
    case DType::kBool:
    case DType::kInt8:
    case DType::kUInt8: return 1;
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kInt16:
    case DType::kUInt16: return 2;
    case DType::kFloat32:
    case DType::kInt32:
    case DType::kUInt32: return 4;
    case DType::kFloat64:
    case DType::kInt64:
    case DType::kUInt64: return 8;
    case DType::kUnknown: break;
  }
  return 0;
}

DType DTypeFromLiteRt(int e) {
  switch (e) {
    case lrt::kElemFloat32: return DType::kFloat32;
    case lrt::kElemFloat16: return DType::kFloat16;
    case lrt::kElemFloat64: return DType::kFloat64;
    case lrt::kElemBFloat16: return DType::kBFloat16;
    case lrt::kElemInt8: return DType::kInt8;
    case lrt::kElemInt16: return DType::kInt16;
    case lrt::kElemInt32: return DType::kInt32;
    case lrt::kElemInt64: return DType::kInt64;
    case lrt::kElemUInt8: return DType::kUInt8;
    case lrt::kElemUInt16: return DType::kUInt16;
    case lrt::kElemUInt32: return DType::kUInt32;
    case lrt::kElemUInt64: return DType::kUInt64;
    case lrt::kElemBool: return DType::kBool;
    default: return DType::kUnknown;
  }
}

bool TensorInfo::is_static() const {
  if (!ranked || dtype == DType::kUnknown) return false;
  for (int32_t d : shape) {
    if (d < 0) return false;
  }
  return true;
}

int SignatureInfo::FindInput(const std::string& name) const {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int SignatureInfo::FindOutput(const std::string& name) const {
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

template <typename T>
static std::string ShapeStr(const std::vector<T>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string ShapeToString(const std::vector<int32_t>& shape) { return ShapeStr(shape); }
std::string ShapeToString(const std::vector<int64_t>& shape) { return ShapeStr(shape); }

}  // namespace sscodec
