// The Redis baseline (Feast's online-store layout): one hash per customer, key = customer
// id, field = feature name, value = the feature value as text. Read with HGETALL per
// customer, pipelined per batch, over hiredis.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "bench/driver.h"
#include "bench/workloads.h"
#include "services/common/shard_router.h"

namespace cohort::bench {

// HGETALL of `shape.batch` customers, pipelined, one connection per worker to `address`
// ("host:port"). A request fails on a connection or protocol error.
OpFactory RedisGetFeatures(std::string address, RequestShape shape);

// Copies every feature vector of the cluster (ShardRouter::Export of all partitions, as of
// now) into Redis at `address` as one hash per customer (HSET, pipelined). Returns the
// number of customers written; `bytes_per_customer` (optional) receives the mean size of a
// customer's field names plus values. Errors: the export's, Redis connection/replies.
absl::StatusOr<uint64_t> LoadRedisFromCluster(ShardRouter& router, const std::string& address,
                                              double* bytes_per_customer);

// How many of `ids` exist as keys in Redis at `address`.
absl::StatusOr<uint64_t> RedisCountExisting(const std::string& address,
                                            const std::vector<std::string>& ids);

}  // namespace cohort::bench
