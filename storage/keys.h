// Internal to storage/: the RocksDB key layout of the profile store (docs/storage.md).
//
//   customer key = partition (2 bytes, big-endian) | id length (1 byte) | customer id bytes
//   dedup key    = customer key | event id bytes
//
// The length byte makes customer keys prefix-free: no customer key is a prefix of another
// customer's key, so a customer's dedup keys are exactly the keys that start with its
// customer key, and each partition is the contiguous range [partition, partition + 1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cohort::storage::internal {

// Bytes before the customer id in a customer key.
inline constexpr size_t kCustomerKeyHeaderBytes = 3;

// Appends the customer key of (`partition` < 65536, `customer_id` of 1..255 bytes) to `out`.
void AppendCustomerKey(uint32_t partition, absl::string_view customer_id, std::string* out);

// The customer key of `customer_id` in `partition`.
std::string EncodeCustomerKey(uint32_t partition, absl::string_view customer_id);

// The customer key of `customer_id` in a store of `partitions` partitions (PartitionOf).
std::string CustomerKeyOf(absl::string_view customer_id, uint32_t partitions);

// A parsed customer key. `customer_id` and `suffix` view the decoded key's bytes.
struct DecodedKey {
  uint32_t partition = 0;
  absl::string_view customer_id;
  absl::string_view suffix;  // bytes after the customer key (the event id of a dedup key)
};

// Parses a key that starts with a customer key; nullopt if it is too short or the id is
// empty.
std::optional<DecodedKey> DecodeKey(absl::string_view key);

// The dedup key of `event_id` for the customer with key `customer_key`.
std::string DedupKey(absl::string_view customer_key, absl::string_view event_id);

// The smallest key greater than every key that starts with `prefix`; "" (meaning "no upper
// bound") if `prefix` is empty or all 0xff bytes.
std::string PrefixSuccessor(absl::string_view prefix);

// Key range [begin, end) holding partitions [first, last). `end` empty means unbounded
// (last == 65536). Requires first < last <= 65536.
struct KeyRange {
  std::string begin;
  std::string end;
};
KeyRange PartitionRange(uint32_t first, uint32_t last);

// Metadata of the store, in the "default" column family under kMetadataKey.
inline constexpr char kMetadataKey[] = "cohort.store.meta";
// Format 2 keeps a customer's attributes in its aggregates record (records.proto); a format-1
// store is converted when it opens (ProfileStore::Open).
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint32_t kSeparateAttributesFormatVersion = 1;

struct StoreMetadata {
  uint32_t format_version = kFormatVersion;
  uint32_t partitions = 0;
};

// Text form, e.g. "format_version=2 partitions=1024" (readable with ldb).
std::string EncodeMetadata(const StoreMetadata& meta);
// DATA_LOSS if `value` is not an encoded StoreMetadata.
absl::StatusOr<StoreMetadata> DecodeMetadata(absl::string_view value);

// 8-byte big-endian encoding of a dedup value (event time, Unix microseconds).
std::string EncodeEventTime(int64_t micros);
// nullopt unless `value` is exactly 8 bytes.
std::optional<int64_t> DecodeEventTime(absl::string_view value);

}  // namespace cohort::storage::internal
