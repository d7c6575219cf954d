// libFuzzer harness for the native manifest.json reader (native/json.h +
// native/model_manifest.h): the C API trusts this code with whatever file sits
// in a model folder. Input: the bytes of a manifest.json.
// Checks, besides memory safety (build with ASan/UBSan):
//  * parsing is deterministic (same status / same result twice);
//  * an accepted manifest satisfies every promise LoadModelManifest makes:
//    format version, precision, ranges of the model fields, codebook fits in
//    bits_per_code, all four graphs present with plain file names, 64-char
//    sha256, tensor and state shapes non-negative, RVQ stage signatures
//    ascending below num_quantizers;
//  * a parse that succeeds on JSON the strict reader rejected is impossible.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "json.h"
#include "model_manifest.h"

using namespace sscodec;
using sscodec_fuzz::Fail;

namespace {

bool PlainFileName(const std::string& f) {
  if (f.empty() || f == "." || f == "..") return false;
  return f.find('/') == std::string::npos && f.find('\\') == std::string::npos &&
         f.find('\0') == std::string::npos;
}

void CheckShape(const std::vector<int32_t>& shape) {
  for (int32_t d : shape)
    if (d < 0) Fail("accepted a negative dimension");
}

void CheckAccepted(const ModelManifest& m) {
  if (m.folder != "fuzz") Fail("folder not kept");
  if (m.precision != "float32" && m.precision != "dynamic-int8" && m.precision != "int8")
    Fail("accepted an unknown precision");
  if (m.model_id.empty() || m.model_id.size() > 255) Fail("accepted a bad model_id");
  if (m.sample_rate < 1 || m.frame_size < 1 || m.frame_size > 65535) Fail("rate/frame out of range");
  if (m.num_quantizers < 1 || m.num_quantizers > 255) Fail("num_quantizers out of range");
  if (m.bits_per_code < 1 || m.bits_per_code > 16) Fail("bits_per_code out of range");
  if (m.codebook_size < 2 || m.codebook_size > (1u << m.bits_per_code))
    Fail("codebook does not fit bits_per_code");
  if (m.embedding_dim < 1) Fail("embedding_dim out of range");
  for (int r = 0; r < ModelManifest::kNumRoles; ++r) {
    const ManifestGraph& g = m.graphs[r];
    if (g.role != ModelManifest::RoleName(r)) Fail("graph role mismatch");
    if (!PlainFileName(g.file)) Fail("accepted a graph file that is not a plain name");
    if (g.sha256.size() != 64) Fail("accepted a sha256 that is not 64 characters");
    for (const auto& t : g.inputs) CheckShape(t.shape);
    for (const auto& t : g.outputs) CheckShape(t.shape);
    for (const auto& s : g.states) CheckShape(s.shape);
    uint32_t prev = 0;
    for (const auto& s : g.stage_signatures) {
      if (s.stages <= prev || s.stages >= m.num_quantizers) Fail("accepted unordered or out-of-range stages");
      prev = s.stages;
    }
  }
}

bool SameManifest(const ModelManifest& a, const ModelManifest& b) {
  if (a.precision != b.precision || a.model_id != b.model_id || a.sample_rate != b.sample_rate ||
      a.frame_size != b.frame_size || a.num_quantizers != b.num_quantizers ||
      a.codebook_size != b.codebook_size || a.bits_per_code != b.bits_per_code ||
      a.embedding_dim != b.embedding_dim)
    return false;
  for (int r = 0; r < ModelManifest::kNumRoles; ++r) {
    const ManifestGraph &x = a.graphs[r], &y = b.graphs[r];
    if (x.file != y.file || x.sha256 != y.sha256 || x.signature != y.signature ||
        x.inputs.size() != y.inputs.size() || x.outputs.size() != y.outputs.size() ||
        x.states.size() != y.states.size() || x.stage_signatures.size() != y.stage_signatures.size())
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool json_ok = ParseJson(reinterpret_cast<const char*>(data), size).ok();
  auto a = ParseModelManifest("fuzz", "fuzz/manifest.json", data, size);
  auto b = ParseModelManifest("fuzz", "fuzz/manifest.json", data, size);
  if (a.ok() != b.ok()) Fail("manifest parse is not deterministic");
  if (!a.ok()) {
    if (a.status().message() != b.status().message()) Fail("error message is not deterministic");
    if (a.status().code() != StatusCode::kModelLoadError) Fail("bad manifest not kModelLoadError");
    return 0;
  }
  if (!json_ok) Fail("manifest accepted from JSON the strict reader rejects");
  CheckAccepted(*a);
  if (!SameManifest(*a, *b)) Fail("manifest parse is not deterministic");
  return 0;
}
