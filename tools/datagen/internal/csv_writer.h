// Internal to cohort-datagen: a large output buffer in front of a ByteSink and the fast
// field formatters (no iostreams, no locale, no per-field allocation).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tools/datagen/sink.h"

namespace cohort::datagen::internal {

// Longest line any output writes: two customer ids (<= 128 bytes each) plus fixed fields.
inline constexpr size_t kMaxLineBytes = 1024;

// Buffers lines and hands the sink chunks of about `capacity` bytes. The first sink error
// is kept and later writes are dropped. Not thread-safe.
class CsvWriter {
 public:
  // `sink` must outlive the writer; may be null (everything is discarded).
  explicit CsvWriter(ByteSink* sink, size_t capacity = size_t{4} << 20);

  // Space for one line of at most kMaxLineBytes; finish it with Commit(end).
  char* Begin() {
    if (capacity_ - size_ < kMaxLineBytes) Flush().IgnoreError();  // kept in status_
    return buffer_.get() + size_;
  }
  void Commit(const char* end) { size_ = static_cast<size_t>(end - buffer_.get()); }

  // Hands buffered bytes to the sink; returns the first error seen so far.
  absl::Status Flush();
  const absl::Status& status() const { return status_; }

 private:
  ByteSink* sink_;
  size_t capacity_;
  size_t size_ = 0;
  std::unique_ptr<char[]> buffer_;
  absl::Status status_;
};

inline char* Put(char* p, absl::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
inline char* Put(char* p, char c) {
  *p = c;
  return p + 1;
}
// Decimal digits of `v`.
char* PutUint(char* p, uint64_t v);
// `v` zero-padded to at least `width` digits.
char* PutPadded(char* p, uint64_t v, int width);
// `cents` >= 0 as dollars with exactly two decimals, e.g. 12345 -> "123.45".
char* PutCents(char* p, int64_t cents);
// `value` >= 0 rounded to `decimals` (1..9) fixed decimals, e.g. (0.5, 4) -> "0.5000".
char* PutFixed(char* p, double value, int decimals);
// Unix seconds (1970..9999) as RFC 3339 UTC, e.g. "2026-03-01T12:30:00Z" (20 bytes).
char* PutTimestamp(char* p, int64_t unix_seconds);

}  // namespace cohort::datagen::internal
