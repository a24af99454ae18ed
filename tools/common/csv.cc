#include "tools/common/csv.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace cohort::tools {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  struct stat st {};
  uint64_t size = 0;
  if (::fstat(::fileno(file), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      std::fclose(file);
      return absl::NotFoundError(absl::StrCat(path, ": is a directory"));
    }
    size = static_cast<uint64_t>(st.st_size);
  }
  return std::unique_ptr<CsvReader>(new CsvReader(path, file, size));
}

CsvReader::CsvReader(std::string path, std::FILE* file, uint64_t file_size)
    : path_(std::move(path)), file_(file), file_size_(file_size), buffer_(kBufferBytes) {}

CsvReader::~CsvReader() { std::fclose(file_); }

std::string CsvReader::Where() const { return absl::StrCat(path_, ":", record_line_); }

bool CsvReader::Refill() {
  if (pos_ < len_) return true;
  len_ = std::fread(buffer_.data(), 1, buffer_.size(), file_);
  pos_ = 0;
  if (len_ == 0 && std::ferror(file_)) read_error_ = true;
  return len_ > 0;
}

int CsvReader::Peek() {
  if (!Refill()) return -1;
  return static_cast<unsigned char>(buffer_[pos_]);
}

int CsvReader::Get() {
  if (!Refill()) return -1;
  ++consumed_;
  return static_cast<unsigned char>(buffer_[pos_++]);
}

void CsvReader::SkipRestOfLine() {
  for (int c = Get(); c != -1; c = Get()) {
    if (c == '\n') {
      ++current_line_;
      return;
    }
  }
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>* fields) {
  fields->clear();
  if (at_start_) {
    at_start_ = false;
    // Skip a UTF-8 byte-order mark.
    if (Peek() == 0xEF) {
      const char bom[] = "\xEF\xBB\xBF";
      if (len_ - pos_ >= 3 && std::memcmp(&buffer_[pos_], bom, 3) == 0) {
        pos_ += 3;
        consumed_ += 3;
      }
    }
  }
  // Skip empty lines.
  for (;;) {
    int c = Peek();
    if (c == '\n') {
      Get();
      ++current_line_;
    } else if (c == '\r') {
      Get();
      if (Peek() == '\n') {
        Get();
        ++current_line_;
      }
    } else {
      break;
    }
  }
  if (Peek() == -1) {
    if (read_error_) {
      return absl::DataLossError(
          absl::StrCat(path_, ":", current_line_, ": read error: ", std::strerror(errno)));
    }
    return false;
  }
  record_line_ = current_line_;
  std::string field;
  for (;;) {
    const int column = static_cast<int>(fields->size()) + 1;
    field.clear();
    int c = Peek();
    if (c == '"') {
      Get();
      const int64_t opened_on = current_line_;
      for (;;) {
        c = Get();
        if (c == -1) {
          if (read_error_) {
            return absl::DataLossError(absl::StrCat(path_, ":", current_line_, ": read error"));
          }
          return absl::InvalidArgumentError(absl::StrCat(path_, ":", record_line_, ": column ",
                                                         column, ": quoted field opened on line ",
                                                         opened_on, " never closes"));
        }
        if (c == '"') {
          if (Peek() == '"') {
            Get();
            field.push_back('"');
            continue;
          }
          break;
        }
        if (c == '\n') ++current_line_;
        field.push_back(static_cast<char>(c));
      }
      c = Peek();
      if (c == '\r') {
        Get();
        c = Peek();
        if (c != '\n' && c != -1) {
          SkipRestOfLine();
          return absl::InvalidArgumentError(absl::StrCat(path_, ":", record_line_, ": column ",
                                                         column, ": stray CR after quoted field"));
        }
      }
      if (c != ',' && c != '\n' && c != -1) {
        SkipRestOfLine();
        return absl::InvalidArgumentError(
            absl::StrCat(path_, ":", record_line_, ": column ", column,
                         ": unexpected text after the closing quote (write a quote as \"\")"));
      }
    } else {
      for (;;) {
        c = Peek();
        if (c == ',' || c == '\n' || c == -1) break;
        Get();
        if (c == '"') {
          SkipRestOfLine();
          return absl::InvalidArgumentError(
              absl::StrCat(path_, ":", record_line_, ": column ", column,
                           ": quote inside an unquoted field (quote the whole field)"));
        }
        field.push_back(static_cast<char>(c));
      }
      if (c != ',' && !field.empty() && field.back() == '\r') field.pop_back();
    }
    fields->push_back(field);
    c = Get();
    if (c == ',') continue;
    if (c == '\n') ++current_line_;
    if (c == -1 && read_error_) {
      return absl::DataLossError(absl::StrCat(path_, ":", current_line_, ": read error"));
    }
    return true;  // end of line or of file
  }
}

void AppendCsvField(absl::string_view field, std::string* out) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace cohort::tools
