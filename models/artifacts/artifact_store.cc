#include "models/artifacts/artifact_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/hash.h"
#include "common/time_util.h"
#include "google/protobuf/util/json_util.h"

namespace cohort::models::artifacts {
namespace {

namespace fs = std::filesystem;
constexpr uint32_t kFormatVersion = 1;
constexpr char kManifestName[] = "manifest.json";

// Model and file names become path components: keep them plain.
bool IsPlainName(absl::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

absl::Status WriteFile(const fs::path& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::string ChecksumHex(absl::string_view data) { return absl::StrFormat("%016x", XxHash64(data)); }

std::vector<uint64_t> ListVersions(const std::string& models_dir, absl::string_view model) {
  std::vector<uint64_t> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(models_dir) / std::string(model), ec)) {
    uint64_t v = 0;
    if (entry.is_directory(ec) && absl::SimpleAtoi(entry.path().filename().string(), &v) && v > 0) {
      versions.push_back(v);
    }
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

std::vector<std::string> ListModels(const std::string& models_dir) {
  std::vector<std::string> models;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(models_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && IsPlainName(name) && !ListVersions(models_dir, name).empty()) {
      models.push_back(name);
    }
  }
  std::sort(models.begin(), models.end());
  return models;
}

absl::StatusOr<ModelManifest> WriteVersion(const std::string& models_dir, ModelManifest manifest,
                                           const std::map<std::string, std::string>& files) {
  if (!IsPlainName(manifest.model())) {
    return absl::InvalidArgumentError(
        absl::StrCat("model name '", manifest.model(), "' must be [A-Za-z0-9_.-]{1,128}"));
  }
  if (manifest.version() == 0) {
    const std::vector<uint64_t> existing = ListVersions(models_dir, manifest.model());
    manifest.set_version(existing.empty() ? 1 : existing.back() + 1);
  }
  manifest.set_format_version(kFormatVersion);
  if (manifest.created_at().empty()) manifest.set_created_at(FormatRfc3339(absl::Now()));
  manifest.clear_files();
  for (const auto& [name, data] : files) {
    if (!IsPlainName(name) || name == kManifestName) {
      return absl::InvalidArgumentError(
          absl::StrCat("artifact file name '", name, "' is not allowed"));
    }
    ArtifactFile* file = manifest.add_files();
    file->set_name(name);
    file->set_size(data.size());
    file->set_xxh64(ChecksumHex(data));
  }
  const fs::path model_dir = fs::path(models_dir) / manifest.model();
  const fs::path final_dir = model_dir / absl::StrCat(manifest.version());
  const fs::path temp_dir = model_dir / absl::StrCat(".tmp-", manifest.version());
  std::error_code ec;
  if (fs::exists(final_dir, ec)) {
    return absl::AlreadyExistsError(absl::StrCat(final_dir.string(), " already exists"));
  }
  fs::remove_all(temp_dir, ec);
  fs::create_directories(temp_dir, ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("cannot create ", temp_dir.string(), ": ", ec.message()));
  for (const auto& [name, data] : files) {
    if (absl::Status s = WriteFile(temp_dir / name, data); !s.ok()) return s;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(manifest, &json, options).ok()) {
    return absl::InternalError("cannot encode the manifest as JSON");
  }
  if (absl::Status s = WriteFile(temp_dir / kManifestName, json); !s.ok()) return s;
  fs::rename(temp_dir, final_dir, ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("cannot rename ", temp_dir.string(), ": ", ec.message()));
  return manifest;
}

absl::StatusOr<LoadedArtifact> LoadVersion(const std::string& models_dir, absl::string_view model,
                                           uint64_t version) {
  LoadedArtifact out;
  out.directory = (fs::path(models_dir) / std::string(model) / absl::StrCat(version)).string();
  const fs::path dir(out.directory);
  absl::StatusOr<std::string> json = ReadFile(dir / kManifestName);
  if (!json.ok()) return json.status();
  google::protobuf::util::JsonParseOptions parse;
  if (auto s = google::protobuf::util::JsonStringToMessage(*json, &out.manifest, parse); !s.ok()) {
    return absl::DataLossError(absl::StrCat(out.directory, "/manifest.json: ", s.ToString()));
  }
  const ModelManifest& m = out.manifest;
  if (m.format_version() != kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(out.directory, ": format_version ", m.format_version(), " is not supported"));
  }
  if (m.model() != model || m.version() != version) {
    return absl::DataLossError(
        absl::StrCat(out.directory, ": manifest names ", m.model(), "/", m.version()));
  }
  for (const ArtifactFile& file : m.files()) {
    if (!IsPlainName(file.name())) {
      return absl::DataLossError(
          absl::StrCat(out.directory, ": bad file name '", file.name(), "'"));
    }
    absl::StatusOr<std::string> data = ReadFile(dir / file.name());
    if (!data.ok()) return absl::DataLossError(data.status().message());
    if (data->size() != file.size() || ChecksumHex(*data) != file.xxh64()) {
      return absl::DataLossError(absl::StrCat(out.directory, "/", file.name(),
                                              ": size or checksum does not match the manifest"));
    }
    out.files.emplace(file.name(), *std::move(data));
  }
  return out;
}

}  // namespace cohort::models::artifacts
