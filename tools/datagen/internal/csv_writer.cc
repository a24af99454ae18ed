#include "tools/datagen/internal/csv_writer.h"

#include <cmath>

namespace cohort::datagen::internal {
namespace {

// "00".."99": two digits per lookup.
constexpr char kDigitPairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

char* Put2(char* p, unsigned v) {
  std::memcpy(p, kDigitPairs + 2 * v, 2);
  return p + 2;
}

}  // namespace

CsvWriter::CsvWriter(ByteSink* sink, size_t capacity)
    : sink_(sink),
      capacity_(capacity < 2 * kMaxLineBytes ? 2 * kMaxLineBytes : capacity),
      buffer_(new char[capacity_]) {}

absl::Status CsvWriter::Flush() {
  if (sink_ != nullptr && status_.ok() && size_ > 0) {
    status_ = sink_->Write(absl::string_view(buffer_.get(), size_));
  }
  size_ = 0;
  return status_;
}

char* PutUint(char* p, uint64_t v) {
  char tmp[20];
  char* end = tmp + sizeof(tmp);
  char* q = end;
  while (v >= 100) {
    q -= 2;
    std::memcpy(q, kDigitPairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    q -= 2;
    std::memcpy(q, kDigitPairs + 2 * v, 2);
  } else {
    *--q = static_cast<char>('0' + v);
  }
  std::memcpy(p, q, end - q);
  return p + (end - q);
}

char* PutPadded(char* p, uint64_t v, int width) {
  char tmp[20];
  char* end = PutUint(tmp, v);
  const int digits = static_cast<int>(end - tmp);
  for (int i = digits; i < width; ++i) *p++ = '0';
  return Put(p, absl::string_view(tmp, digits));
}

char* PutCents(char* p, int64_t cents) {
  p = PutUint(p, static_cast<uint64_t>(cents / 100));
  *p++ = '.';
  return Put2(p, static_cast<unsigned>(cents % 100));
}

char* PutFixed(char* p, double value, int decimals) {
  uint64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  const uint64_t scaled = static_cast<uint64_t>(std::floor(value * scale + 0.5));
  p = PutUint(p, scaled / scale);
  *p++ = '.';
  return PutPadded(p, scaled % scale, decimals);
}

char* PutTimestamp(char* p, int64_t unix_seconds) {
  // Civil date from days since the epoch (H. Hinnant, "chrono-Compatible Low-Level Date
  // Algorithms", days_from_civil inverse); valid for all days >= 0.
  const int64_t days = unix_seconds / 86400;
  const int64_t secs = unix_seconds % 86400;
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const unsigned day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const unsigned month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  const unsigned year = static_cast<unsigned>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  p = Put2(p, year / 100);
  p = Put2(p, year % 100);
  *p++ = '-';
  p = Put2(p, month);
  *p++ = '-';
  p = Put2(p, day);
  *p++ = 'T';
  p = Put2(p, static_cast<unsigned>(secs / 3600));
  *p++ = ':';
  p = Put2(p, static_cast<unsigned>(secs / 60 % 60));
  *p++ = ':';
  p = Put2(p, static_cast<unsigned>(secs % 60));
  *p++ = 'Z';
  return p;
}

}  // namespace cohort::datagen::internal
