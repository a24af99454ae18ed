// Readers of the canonical CSV files the tools import:
//   events:     event_id,customer_id,ts,type,channel,item_id,category,quantity,amount
//   attributes: customer_id,name,type,value,source,ts
// The header line is required and must be exactly the one above. `ts` is RFC 3339 (e.g.
// 2026-03-01T12:30:00Z) or integer Unix seconds (common/time_util.h ParseEventTime).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cohort/v1/feature_store.pb.h"
#include "tools/common/csv.h"

namespace cohort::tools {

inline constexpr char kEventsCsvHeader[] =
    "event_id,customer_id,ts,type,channel,item_id,category,quantity,amount";
inline constexpr char kAttributesCsvHeader[] = "customer_id,name,type,value,source,ts";

// Streams events out of an events CSV. Field rules: event_id, customer_id, ts and type are
// required; channel, item_id, category, quantity (integer >= 0, empty = 0) and amount
// (finite number, empty = 0) may be empty. Deeper checks (id lengths, label limits, time
// range) are the store node's. Not thread-safe.
class EventsCsvReader {
 public:
  // Opens `path` and checks its header. Errors: NOT_FOUND if it cannot be opened;
  // INVALID_ARGUMENT "<path>:1: ..." for a missing or wrong header.
  static absl::StatusOr<std::unique_ptr<EventsCsvReader>> Open(const std::string& path);

  // Reads the next event into `event` (cleared first). Returns false at end of file.
  // INVALID_ARGUMENT "<path>:<line>: column <n> (<name>): <problem>" for a bad row; the
  // reader has moved past it, so the caller may skip it and go on. DATA_LOSS on a read error.
  absl::StatusOr<bool> Next(v1::Event* event);

  const CsvReader& csv() const { return *csv_; }

 private:
  explicit EventsCsvReader(std::unique_ptr<CsvReader> csv) : csv_(std::move(csv)) {}

  std::unique_ptr<CsvReader> csv_;
  std::vector<std::string> fields_;
};

// Streams attribute rows out of an attributes CSV: each row becomes a CustomerAttributes
// with exactly one attribute. `type` is string|int|double|bool|timestamp and says how
// `value` is read (bool: true/false/1/0; timestamp: like ts; double: finite). customer_id,
// name, type and ts are required; `source` may be empty; a string value may be empty.
class AttributesCsvReader {
 public:
  // As EventsCsvReader::Open.
  static absl::StatusOr<std::unique_ptr<AttributesCsvReader>> Open(const std::string& path);

  // As EventsCsvReader::Next.
  absl::StatusOr<bool> Next(v1::CustomerAttributes* row);

  const CsvReader& csv() const { return *csv_; }

 private:
  explicit AttributesCsvReader(std::unique_ptr<CsvReader> csv) : csv_(std::move(csv)) {}

  std::unique_ptr<CsvReader> csv_;
  std::vector<std::string> fields_;
};

}  // namespace cohort::tools
