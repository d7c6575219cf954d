// manifest.json of a converted sscodec model folder, read in C++ (the same
// rules as sscodec.manifest in Python) so that the C API can open a model
// folder by itself. See runtime/manifest.py for the format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace sscodec {

struct ManifestTensor {
  std::string name;
  std::vector<int32_t> shape;
  std::string dtype;  // numpy name, e.g. "float32"
};

struct ManifestState {
  std::string input;   // e.g. "state_000"
  std::string output;  // e.g. "new_state_000"
  std::vector<int32_t> shape;
};

struct ManifestGraph {
  std::string role;  // encoder | rvq_encode | rvq_decode | decoder
  std::string file;
  std::string sha256;  // lower-case hex
  std::string signature;
  std::vector<ManifestTensor> inputs;
  std::vector<ManifestTensor> outputs;
  std::vector<ManifestState> states;
  // rvq_encode: signatures that run only the first `stages` quantizers (same
  // inputs/outputs, codes beyond them 0); stages ascending, in [1, num_quantizers).
  struct StageSignature {
    uint32_t stages = 0;
    std::string signature;
  };
  std::vector<StageSignature> stage_signatures;

  // The cheapest signature computing the first n_q codes: the fewest-stage
  // entry with stages >= n_q, else `signature` (all stages).
  const std::string& SignatureFor(int n_q) const {
    for (const StageSignature& s : stage_signatures) {
      if (n_q <= static_cast<int>(s.stages)) return s.signature;
    }
    return signature;
  }
};

struct ModelManifest {
  static constexpr int kFormatVersion = 1;
  enum Role { kEncoder = 0, kRvqEncode = 1, kRvqDecode = 2, kDecoder = 3, kNumRoles = 4 };
  static const char* RoleName(int role);

  std::string folder;
  std::string precision;
  std::string model_id;
  uint32_t sample_rate = 0;
  uint32_t frame_size = 0;
  uint32_t num_quantizers = 0;
  uint32_t codebook_size = 0;
  uint32_t bits_per_code = 0;
  uint32_t embedding_dim = 0;
  ManifestGraph graphs[kNumRoles];

  std::string GraphPath(int role) const { return folder + "/" + graphs[role].file; }
};

// Reads and validates <folder>/manifest.json (structure, format and version,
// model fields, graph entries; no file hashing). Errors: kNotFound (no folder
// / no manifest), kModelLoadError (malformed or unsupported manifest).
StatusOr<ModelManifest> LoadModelManifest(const std::string& folder);

// Validates the bytes of a manifest.json (what LoadModelManifest does after
// reading the file); `folder` is stored in the result, `path` names the file
// in error messages. Never reads the filesystem (fuzzed by fuzz_manifest.cc).
StatusOr<ModelManifest> ParseModelManifest(const std::string& folder, const std::string& path,
                                           const uint8_t* data, size_t size);

// Reads a whole file. kNotFound if it cannot be opened, kModelLoadError on a
// read error.
Status ReadFile(const std::string& path, std::vector<uint8_t>* out);

}  // namespace sscodec
