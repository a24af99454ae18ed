#include "tools/datagen/sink.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cohort::datagen {
namespace {

absl::Status ErrnoStatus(int err, absl::string_view what, absl::string_view path) {
  return absl::ErrnoToStatus(err, absl::StrCat(what, " '", path, "'"));
}

// Writes through stdio with buffering off: the generator already hands over large chunks.
class FileSink final : public ByteSink {
 public:
  FileSink(std::FILE* file, std::string path, bool owned)
      : file_(file), path_(std::move(path)), owned_(owned) {}
  ~FileSink() override {
    if (file_ != nullptr && owned_) std::fclose(file_);
  }

  absl::Status Write(absl::string_view data) override {
    if (file_ == nullptr) return absl::FailedPreconditionError("write after Close");
    if (data.empty()) return absl::OkStatus();
    if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
      return ErrnoStatus(errno, "cannot write", path_);
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (file_ == nullptr) return absl::OkStatus();
    std::FILE* file = file_;
    file_ = nullptr;
    const bool flushed = std::fflush(file) == 0;
    const int flush_errno = errno;
    if (owned_ && std::fclose(file) != 0 && flushed) {
      return ErrnoStatus(errno, "cannot close", path_);
    }
    if (!flushed) return ErrnoStatus(flush_errno, "cannot write", path_);
    return absl::OkStatus();
  }

 private:
  std::FILE* file_;
  std::string path_;
  bool owned_;
};

}  // namespace

absl::Status StringSink::Write(absl::string_view data) {
  out_->append(data.data(), data.size());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ByteSink>> OpenFileSink(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("output path is empty");
  if (path == "-") return std::make_unique<FileSink>(stdout, "<stdout>", /*owned=*/false);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return ErrnoStatus(errno, "cannot open for writing", path);
  std::setvbuf(file, nullptr, _IONBF, 0);
  return std::make_unique<FileSink>(file, path, /*owned=*/true);
}

}  // namespace cohort::datagen
