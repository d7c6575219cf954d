#include "model_manifest.h"

#include <sys/stat.h>

#include <cstdio>

#include "json.h"

namespace sscodec {

namespace {

Status Bad(const std::string& path, const std::string& what) {
  return Status(StatusCode::kModelLoadError, path + ": " + what);
}

bool GetU32(const JsonValue* v, uint32_t lo, uint32_t hi, uint32_t* out) {
  int64_t x = 0;
  if (!v || !v->GetInt(lo, hi, &x)) return false;
  *out = static_cast<uint32_t>(x);
  return true;
}

bool GetShape(const JsonValue* v, std::vector<int32_t>* out) {
  if (!v || !v->is_array() || v->items().size() > 8) return false;
  out->clear();
  for (const JsonValue& d : v->items()) {
    int64_t x = 0;
    if (!d.GetInt(0, 1 << 30, &x)) return false;
    out->push_back(static_cast<int32_t>(x));
  }
  return true;
}

bool GetString(const JsonValue* v, std::string* out) {
  if (!v || !v->is_string()) return false;
  *out = v->as_string();
  return true;
}

Status ParseTensors(const std::string& path, const std::string& where, const JsonValue* v,
                    std::vector<ManifestTensor>* out) {
  if (!v || !v->is_array()) return Bad(path, where + " must be a list");
  for (const JsonValue& t : v->items()) {
    ManifestTensor mt;
    if (!t.is_object() || !GetString(t.Find("name"), &mt.name) ||
        !GetShape(t.Find("shape"), &mt.shape) || !GetString(t.Find("dtype"), &mt.dtype)) {
      return Bad(path, where + ": each tensor needs name, shape and dtype");
    }
    out->push_back(std::move(mt));
  }
  return Status::Ok();
}

bool SafeFileName(const std::string& f) {
  if (f.empty() || f == "." || f == "..") return false;
  for (char c : f) {
    if (c == '/' || c == '\\' || c == '\0') return false;
  }
  return true;
}

}  // namespace

const char* ModelManifest::RoleName(int role) {
  static const char* kNames[] = {"encoder", "rvq_encode", "rvq_decode", "decoder"};
  return role >= 0 && role < kNumRoles ? kNames[role] : "?";
}

Status ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status(StatusCode::kNotFound, "cannot open " + path);
  out->clear();
  uint8_t buf[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->insert(out->end(), buf, buf + n);
  const bool err = std::ferror(f) != 0;
  std::fclose(f);
  if (err) return Status(StatusCode::kModelLoadError, "read error on " + path);
  return Status::Ok();
}

StatusOr<ModelManifest> LoadModelManifest(const std::string& folder_in) {
  std::string folder = folder_in;
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
  struct stat st;
  if (folder.empty() || stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status(StatusCode::kNotFound, "model folder not found: " + folder_in);
  }
  const std::string path = folder + "/manifest.json";
  std::vector<uint8_t> bytes;
  if (Status s = ReadFile(path, &bytes); !s.ok()) {
    if (s.code() == StatusCode::kNotFound) {
      return Status(StatusCode::kNotFound,
                    folder + ": no manifest.json (not a converted sscodec model folder)");
    }
    return s;
  }
  return ParseModelManifest(folder, path, bytes.data(), bytes.size());
}

StatusOr<ModelManifest> ParseModelManifest(const std::string& folder, const std::string& path,
                                           const uint8_t* data, size_t size) {
  auto doc = ParseJson(reinterpret_cast<const char*>(data), size);
  if (!doc.ok()) return Bad(path, "not valid JSON: " + doc.status().message());
  const JsonValue& root = *doc;
  std::string format;
  if (!root.is_object() || !GetString(root.Find("format"), &format) || format != "sscodec-graphs") {
    return Bad(path, "not an sscodec graph manifest (format != 'sscodec-graphs')");
  }
  int64_t version = 0;
  const JsonValue* ver = root.Find("format_version");
  if (!ver || !ver->GetInt(0, 1 << 30, &version) || version != ModelManifest::kFormatVersion) {
    return Bad(path, "unsupported manifest version (this sscodec reads " +
                         std::to_string(ModelManifest::kFormatVersion) + ")");
  }
  ModelManifest m;
  m.folder = folder;
  if (!GetString(root.Find("precision"), &m.precision) ||
      (m.precision != "float32" && m.precision != "dynamic-int8" && m.precision != "int8")) {
    return Bad(path, "missing or unknown precision");
  }
  const JsonValue* model = root.Find("model");
  if (!model || !model->is_object()) return Bad(path, "incomplete manifest: missing 'model'");
  if (!GetString(model->Find("model_id"), &m.model_id) || m.model_id.empty() ||
      m.model_id.size() > 255) {
    return Bad(path, "model.model_id must be a 1..255-byte string");
  }
  struct Field { const char* name; uint32_t* out; uint32_t lo, hi; };
  const Field fields[] = {
      {"sample_rate", &m.sample_rate, 1, 0xFFFFFFFFu},
      {"frame_size", &m.frame_size, 1, 65535},
      {"num_quantizers", &m.num_quantizers, 1, 255},
      {"codebook_size", &m.codebook_size, 2, 65536},
      {"bits_per_code", &m.bits_per_code, 1, 16},
      {"embedding_dim", &m.embedding_dim, 1, 1 << 20},
  };
  for (const Field& f : fields) {
    if (!GetU32(model->Find(f.name), f.lo, f.hi, f.out)) {
      return Bad(path, std::string("model.") + f.name + " missing or out of range");
    }
  }
  if (m.codebook_size > (1u << m.bits_per_code)) {
    return Bad(path, "model.codebook_size does not fit in bits_per_code");
  }
  const JsonValue* graphs = root.Find("graphs");
  if (!graphs || !graphs->is_object()) return Bad(path, "incomplete manifest: missing 'graphs'");
  for (int r = 0; r < ModelManifest::kNumRoles; ++r) {
    const std::string role = ModelManifest::RoleName(r);
    const JsonValue* g = graphs->Find(role);
    if (!g || !g->is_object()) return Bad(path, "incomplete manifest: no graph '" + role + "'");
    ManifestGraph& mg = m.graphs[r];
    mg.role = role;
    if (!GetString(g->Find("file"), &mg.file) || !SafeFileName(mg.file)) {
      return Bad(path, "graphs." + role + ".file missing or not a plain file name");
    }
    if (!GetString(g->Find("sha256"), &mg.sha256) || mg.sha256.size() != 64) {
      return Bad(path, "graphs." + role + ".sha256 missing or not 64 hex digits");
    }
    if (!GetString(g->Find("signature"), &mg.signature)) {
      return Bad(path, "graphs." + role + ".signature missing");
    }
    SSCODEC_RETURN_IF_ERROR(ParseTensors(path, "graphs." + role + ".inputs", g->Find("inputs"), &mg.inputs));
    SSCODEC_RETURN_IF_ERROR(ParseTensors(path, "graphs." + role + ".outputs", g->Find("outputs"), &mg.outputs));
    if (const JsonValue* states = g->Find("states")) {
      if (!states->is_array()) return Bad(path, "graphs." + role + ".states must be a list");
      for (const JsonValue& s : states->items()) {
        ManifestState ms;
        if (!s.is_object() || !GetString(s.Find("input"), &ms.input) ||
            !GetString(s.Find("output"), &ms.output) || !GetShape(s.Find("shape"), &ms.shape)) {
          return Bad(path, "graphs." + role + ".states: each needs input, output and shape");
        }
        mg.states.push_back(std::move(ms));
      }
    }
    if (const JsonValue* stages = g->Find("stage_signatures")) {
      const std::string where = "graphs." + role + ".stage_signatures";
      if (!stages->is_array()) return Bad(path, where + " must be a list");
      for (const JsonValue& s : stages->items()) {
        ManifestGraph::StageSignature ss;
        if (!s.is_object() || !GetU32(s.Find("stages"), 1, 255, &ss.stages) ||
            !GetString(s.Find("signature"), &ss.signature)) {
          return Bad(path, where + ": each needs stages (>= 1) and signature");
        }
        if (ss.stages >= m.num_quantizers ||
            (!mg.stage_signatures.empty() && ss.stages <= mg.stage_signatures.back().stages)) {
          return Bad(path, where + ": stage counts must ascend, distinct, below num_quantizers");
        }
        mg.stage_signatures.push_back(std::move(ss));
      }
    }
  }
  return m;
}

}  // namespace sscodec
