// Versioned model artifacts on a file system:
//   <models_dir>/<model>/<version>/manifest.json + the files it lists.
// Versions are positive integers; the highest complete, valid version is the current one.
// A version directory is written under a temporary name and renamed into place, so readers
// never see a partial version.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "models/artifacts/manifest.pb.h"

namespace cohort::models::artifacts {

// A loaded version: its manifest and the verified contents of each listed file.
struct LoadedArtifact {
  ModelManifest manifest;
  std::string directory;
  std::map<std::string, std::string> files;  // name -> bytes (checksums verified)
};

// Writes a new version of `manifest.model()` under models_dir with these files (name ->
// bytes): fills manifest.files (size, checksum), format_version, created_at and, when
// manifest.version() is 0, the next free version number. Atomic (temp dir + rename).
// Returns the written manifest. Errors: INVALID_ARGUMENT for a bad model or file name,
// ALREADY_EXISTS if the version exists, INTERNAL on I/O failure.
absl::StatusOr<ModelManifest> WriteVersion(const std::string& models_dir, ModelManifest manifest,
                                           const std::map<std::string, std::string>& files);

// Version numbers present for `model` (directories named by a positive integer), ascending.
std::vector<uint64_t> ListVersions(const std::string& models_dir, absl::string_view model);

// Model names under models_dir (directories with at least one version), sorted.
std::vector<std::string> ListModels(const std::string& models_dir);

// Reads and verifies one version: the manifest parses, names the same model and version,
// every listed file exists with the listed size and checksum. Errors: NOT_FOUND,
// DATA_LOSS (corrupt or mismatching content), FAILED_PRECONDITION (unknown format_version).
absl::StatusOr<LoadedArtifact> LoadVersion(const std::string& models_dir, absl::string_view model,
                                           uint64_t version);

// 16 lowercase hex digits of XXH64(data).
std::string ChecksumHex(absl::string_view data);

}  // namespace cohort::models::artifacts
