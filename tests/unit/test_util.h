// Generic test scaffolding shared by the unit tests: no gRPC, no storage, no GoogleTest.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/string_view.h"

namespace cohort::testing {

// A fresh, empty directory under the system temp directory ($TMPDIR or /tmp), named
// "<prefix>-XXXXXX" (mkdtemp), removed with everything in it when the TempDir is destroyed.
// Aborts the test binary with a message on stderr if the directory cannot be created.
// Not copyable or movable; not thread-safe (the directory's contents are the caller's).
class TempDir {
 public:
  explicit TempDir(absl::string_view prefix = "cohort") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror(("cannot create temp dir " + pattern).c_str());
      std::abort();
    }
    path_ = std::move(pattern);
  }
  ~TempDir() {
    std::error_code ignored;  // never throw from a destructor; a leftover dir is harmless
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory's absolute path, without a trailing slash.
  const std::string& path() const { return path_; }

  // The path of `name` (a file or sub-directory, which need not exist) inside the directory.
  std::filesystem::path operator/(absl::string_view name) const {
    return std::filesystem::path(path_) / std::string(name);
  }

 private:
  std::string path_;
};

}  // namespace cohort::testing
