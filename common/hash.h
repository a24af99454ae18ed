// Stable hashing and partitioning of customer ids.
//
// Cohort partitions customers with XXH64 (xxHash, 64-bit variant, seed 0) of the raw
// customer-id bytes: partition = XXH64(customer_id) mod P. XXH64 is specified byte-exactly
// and independent of the platform's endianness, so every process, build and machine agrees
// (unlike absl::Hash or std::hash, which are salted or implementation-defined). The values
// match the reference `xxhsum -H1`; tests/unit/hash_test.cc pins golden values.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace cohort {

// Default number of partitions of a cluster (fixed at cluster creation).
inline constexpr uint32_t kDefaultPartitions = 1024;
// Partition ids are stored as 2 big-endian bytes in every key, so P is at most 65536.
inline constexpr uint32_t kMaxPartitions = 65536;

// XXH64 of `data` with `seed`. Pure function; thread-safe.
uint64_t XxHash64(absl::string_view data, uint64_t seed = 0);

// The partition of a customer: XXH64(customer_id, 0) mod `partitions` (> 0).
inline uint32_t PartitionOf(absl::string_view customer_id, uint32_t partitions) {
  return static_cast<uint32_t>(XxHash64(customer_id) % partitions);
}

}  // namespace cohort
