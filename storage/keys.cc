#include "storage/keys.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/hash.h"

namespace cohort::storage::internal {

void AppendCustomerKey(uint32_t partition, absl::string_view customer_id, std::string* out) {
  out->push_back(static_cast<char>((partition >> 8) & 0xff));
  out->push_back(static_cast<char>(partition & 0xff));
  out->push_back(static_cast<char>(customer_id.size() & 0xff));
  out->append(customer_id.data(), customer_id.size());
}

std::string EncodeCustomerKey(uint32_t partition, absl::string_view customer_id) {
  std::string key;
  key.reserve(kCustomerKeyHeaderBytes + customer_id.size());
  AppendCustomerKey(partition, customer_id, &key);
  return key;
}

std::string CustomerKeyOf(absl::string_view customer_id, uint32_t partitions) {
  return EncodeCustomerKey(PartitionOf(customer_id, partitions), customer_id);
}

std::optional<DecodedKey> DecodeKey(absl::string_view key) {
  if (key.size() < kCustomerKeyHeaderBytes) return std::nullopt;
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(key[i])); };
  const size_t length = byte(2);
  if (length == 0 || key.size() < kCustomerKeyHeaderBytes + length) return std::nullopt;
  DecodedKey decoded;
  decoded.partition = (byte(0) << 8) | byte(1);
  decoded.customer_id = key.substr(kCustomerKeyHeaderBytes, length);
  decoded.suffix = key.substr(kCustomerKeyHeaderBytes + length);
  return decoded;
}

std::string DedupKey(absl::string_view customer_key, absl::string_view event_id) {
  std::string key;
  key.reserve(customer_key.size() + event_id.size());
  key.append(customer_key.data(), customer_key.size());
  key.append(event_id.data(), event_id.size());
  return key;
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string next(prefix);
  while (!next.empty()) {
    auto last = static_cast<uint8_t>(next.back());
    if (last != 0xff) {
      next.back() = static_cast<char>(last + 1);
      return next;
    }
    next.pop_back();
  }
  return next;
}

KeyRange PartitionRange(uint32_t first, uint32_t last) {
  const auto prefix = [](uint32_t p) {
    return std::string{static_cast<char>((p >> 8) & 0xff), static_cast<char>(p & 0xff)};
  };
  KeyRange range;
  range.begin = prefix(first);
  if (last < kMaxPartitions) range.end = prefix(last);
  return range;
}

std::string EncodeMetadata(const StoreMetadata& meta) {
  return absl::StrCat("format_version=", meta.format_version, " partitions=", meta.partitions);
}

absl::StatusOr<StoreMetadata> DecodeMetadata(absl::string_view value) {
  StoreMetadata meta;
  bool have_version = false, have_partitions = false;
  for (absl::string_view field : absl::StrSplit(value, ' ', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(field, absl::MaxSplits('=', 1));
    if (kv.size() == 2 && kv[0] == "format_version") {
      have_version = absl::SimpleAtoi(kv[1], &meta.format_version);
    } else if (kv.size() == 2 && kv[0] == "partitions") {
      have_partitions = absl::SimpleAtoi(kv[1], &meta.partitions);
    }
  }
  if (!have_version || !have_partitions) {
    return absl::DataLossError(
        absl::StrCat("store metadata '", value, "' is not 'format_version=N partitions=N'"));
  }
  return meta;
}

std::string EncodeEventTime(int64_t micros) {
  std::string out(8, '\0');
  auto u = static_cast<uint64_t>(micros);
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return out;
}

std::optional<int64_t> DecodeEventTime(absl::string_view value) {
  if (value.size() != 8) return std::nullopt;
  uint64_t u = 0;
  for (char c : value) u = (u << 8) | static_cast<uint8_t>(c);
  return static_cast<int64_t>(u);
}

}  // namespace cohort::storage::internal
