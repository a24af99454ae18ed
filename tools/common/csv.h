// A streaming RFC 4180 CSV reader and the matching field writer, shared by the tools.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cohort::tools {

// Reads records of comma-separated fields: a field may be quoted ("a,b", "say ""hi"""),
// and a quoted field may span lines. Lines end in LF or CRLF; empty lines are skipped; a
// UTF-8 byte-order mark at the start of the file is ignored. Not thread-safe.
class CsvReader {
 public:
  // Opens `path`. NOT_FOUND naming the path if it cannot be opened.
  static absl::StatusOr<std::unique_ptr<CsvReader>> Open(const std::string& path);
  ~CsvReader();

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `fields`. Returns true for a record, false at end of file.
  // Errors: INVALID_ARGUMENT "<path>:<line>: column <n>: <problem>" for malformed quoting;
  // the reader has then skipped the rest of the bad line, so the caller may go on. DATA_LOSS
  // for a read error (do not go on).
  absl::StatusOr<bool> Next(std::vector<std::string>* fields);

  // The line on which the last record returned by Next() starts (1-based).
  int64_t line() const { return record_line_; }
  // Bytes consumed so far, and the file's size at Open (for progress).
  uint64_t bytes_read() const { return consumed_; }
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }
  // "<path>:<line>" of the last record.
  std::string Where() const;

 private:
  CsvReader(std::string path, std::FILE* file, uint64_t file_size);
  // The next byte, or -1 at end of file / on error.
  int Get();
  int Peek();
  bool Refill();
  void SkipRestOfLine();

  std::string path_;
  std::FILE* file_;  // owned; closed by the destructor
  uint64_t file_size_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t len_ = 0;
  bool read_error_ = false;
  uint64_t consumed_ = 0;
  int64_t current_line_ = 1;
  int64_t record_line_ = 0;
  bool at_start_ = true;
};

// Appends `field` to `out` as one CSV field, quoted if it holds a comma, quote, CR or LF.
void AppendCsvField(absl::string_view field, std::string* out);

}  // namespace cohort::tools
