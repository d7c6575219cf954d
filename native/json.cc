#include "json.h"

#include <charconv>
#include <cmath>

#include "container_reader.h"  // IsValidUtf8

namespace sscodec {

const JsonValue* JsonValue::Find(const std::string& key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& kv : object_) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

bool JsonValue::GetInt(int64_t lo, int64_t hi, int64_t* out) const {
  if (type_ != Type::kNumber || !std::isfinite(number_)) return false;
  if (number_ != std::floor(number_)) return false;
  if (number_ < static_cast<double>(lo) || number_ > static_cast<double>(hi)) return false;
  *out = static_cast<int64_t>(number_);
  return true;
}

class JsonParser {
 public:
  JsonParser(const char* d, size_t n) : d_(d), n_(n) {}

  Status Parse(JsonValue* v) {
    SkipWs();
    SSCODEC_RETURN_IF_ERROR(Value(v, 0));
    SkipWs();
    if (p_ != n_) return Error("trailing characters after the JSON value");
    return Status::Ok();
  }

 private:
  static constexpr int kMaxDepth = 64;

  Status Error(const std::string& what) const {
    return Status(StatusCode::kInvalidArgument, "JSON: " + what + " at byte " + std::to_string(p_));
  }
  void SkipWs() {
    while (p_ < n_ && (d_[p_] == ' ' || d_[p_] == '\t' || d_[p_] == '\n' || d_[p_] == '\r')) ++p_;
  }
  bool Lit(const char* s) {
    size_t k = 0;
    while (s[k]) {
      if (p_ + k >= n_ || d_[p_ + k] != s[k]) return false;
      ++k;
    }
    p_ += k;
    return true;
  }

  Status Value(JsonValue* v, int depth) {
    if (depth > kMaxDepth) return Error("nesting too deep");
    if (p_ >= n_) return Error("unexpected end of input");
    const char c = d_[p_];
    if (c == '{') return Object(v, depth);
    if (c == '[') return Array(v, depth);
    if (c == '"') {
      v->type_ = JsonValue::Type::kString;
      return String(&v->string_);
    }
    if (c == 't' && Lit("true")) {
      v->type_ = JsonValue::Type::kBool;
      v->bool_ = true;
      return Status::Ok();
    }
    if (c == 'f' && Lit("false")) {
      v->type_ = JsonValue::Type::kBool;
      return Status::Ok();
    }
    if (c == 'n' && Lit("null")) return Status::Ok();
    if (c == '-' || (c >= '0' && c <= '9')) return Number(v);
    return Error("unexpected character");
  }

  Status Number(JsonValue* v) {
    const size_t start = p_;
    if (d_[p_] == '-') ++p_;
    if (p_ >= n_) return Error("bad number");
    if (d_[p_] == '0') {
      ++p_;
    } else if (d_[p_] >= '1' && d_[p_] <= '9') {
      while (p_ < n_ && d_[p_] >= '0' && d_[p_] <= '9') ++p_;
    } else {
      return Error("bad number");
    }
    if (p_ < n_ && d_[p_] == '.') {
      ++p_;
      if (p_ >= n_ || d_[p_] < '0' || d_[p_] > '9') return Error("bad number");
      while (p_ < n_ && d_[p_] >= '0' && d_[p_] <= '9') ++p_;
    }
    if (p_ < n_ && (d_[p_] == 'e' || d_[p_] == 'E')) {
      ++p_;
      if (p_ < n_ && (d_[p_] == '+' || d_[p_] == '-')) ++p_;
      if (p_ >= n_ || d_[p_] < '0' || d_[p_] > '9') return Error("bad number");
      while (p_ < n_ && d_[p_] >= '0' && d_[p_] <= '9') ++p_;
    }
    double x = 0.0;
    auto r = std::from_chars(d_ + start, d_ + p_, x);
    if (r.ec != std::errc() || r.ptr != d_ + p_ || !std::isfinite(x)) {
      p_ = start;
      return Error("number out of range");
    }
    v->type_ = JsonValue::Type::kNumber;
    v->number_ = x;
    return Status::Ok();
  }

  static void AppendUtf8(uint32_t cp, std::string* s) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool Hex4(uint32_t* out) {
    if (p_ + 4 > n_) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = d_[p_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return false;
    }
    p_ += 4;
    *out = v;
    return true;
  }

  Status String(std::string* s) {
    ++p_;  // opening quote
    const size_t start = p_;
    std::string out;
    while (true) {
      if (p_ >= n_) return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(d_[p_]);
      if (c == '"') {
        ++p_;
        break;
      }
      if (c < 0x20) return Error("control character in string");
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++p_;
        continue;
      }
      ++p_;
      if (p_ >= n_) return Error("unterminated escape");
      const char e = d_[p_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return Error("bad \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (!(p_ + 1 < n_ && d_[p_] == '\\' && d_[p_ + 1] == 'u')) return Error("lone surrogate");
            p_ += 2;
            if (!Hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return Error("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error("lone surrogate");
          }
          AppendUtf8(cp, &out);
          break;
        }
        default: return Error("bad escape");
      }
    }
    if (!IsValidUtf8(reinterpret_cast<const uint8_t*>(out.data()), out.size())) {
      p_ = start;
      return Error("string is not valid UTF-8");
    }
    *s = std::move(out);
    return Status::Ok();
  }

  Status Array(JsonValue* v, int depth) {
    ++p_;
    v->type_ = JsonValue::Type::kArray;
    SkipWs();
    if (p_ < n_ && d_[p_] == ']') {
      ++p_;
      return Status::Ok();
    }
    while (true) {
      SkipWs();
      v->array_.emplace_back();
      SSCODEC_RETURN_IF_ERROR(Value(&v->array_.back(), depth + 1));
      SkipWs();
      if (p_ >= n_) return Error("unterminated array");
      if (d_[p_] == ',') { ++p_; continue; }
      if (d_[p_] == ']') { ++p_; return Status::Ok(); }
      return Error("expected ',' or ']'");
    }
  }

  Status Object(JsonValue* v, int depth) {
    ++p_;
    v->type_ = JsonValue::Type::kObject;
    SkipWs();
    if (p_ < n_ && d_[p_] == '}') {
      ++p_;
      return Status::Ok();
    }
    while (true) {
      SkipWs();
      if (p_ >= n_ || d_[p_] != '"') return Error("expected a string key");
      std::string key;
      SSCODEC_RETURN_IF_ERROR(String(&key));
      SkipWs();
      if (p_ >= n_ || d_[p_] != ':') return Error("expected ':'");
      ++p_;
      SkipWs();
      v->object_.emplace_back(std::move(key), JsonValue());
      SSCODEC_RETURN_IF_ERROR(Value(&v->object_.back().second, depth + 1));
      SkipWs();
      if (p_ >= n_) return Error("unterminated object");
      if (d_[p_] == ',') { ++p_; continue; }
      if (d_[p_] == '}') { ++p_; return Status::Ok(); }
      return Error("expected ',' or '}'");
    }
  }

  const char* d_;
  size_t n_;
  size_t p_ = 0;
};

StatusOr<JsonValue> ParseJson(const char* data, size_t size) {
  if (size && !data) return Status(StatusCode::kInvalidArgument, "JSON: null data");
  JsonValue v;
  JsonParser p(data, size);
  SSCODEC_RETURN_IF_ERROR(p.Parse(&v));
  return v;
}

}  // namespace sscodec
