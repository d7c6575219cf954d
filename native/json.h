// Minimal strict JSON reader (RFC 8259) for manifest.json: a small DOM, no
// exceptions, depth-limited, UTF-8 validated. Not a general-purpose library:
// it reads what sscodec writes and rejects everything malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "status.h"

namespace sscodec {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool as_bool() const { return bool_; }
  double as_number() const { return number_; }
  const std::string& as_string() const { return string_; }
  const std::vector<JsonValue>& items() const { return array_; }
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return object_; }

  // Member of an object (first with that key), or nullptr.
  const JsonValue* Find(const std::string& key) const;
  // True and *out set if this is a number that is an integer in [lo, hi].
  bool GetInt(int64_t lo, int64_t hi, int64_t* out) const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0.0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::vector<std::pair<std::string, JsonValue>> object_;
};

// Parses a whole document (one value, surrounding whitespace allowed).
// Errors: kInvalidArgument with the byte offset of the problem.
StatusOr<JsonValue> ParseJson(const char* data, size_t size);
inline StatusOr<JsonValue> ParseJson(const std::string& s) { return ParseJson(s.data(), s.size()); }

}  // namespace sscodec
