#include "storage/compaction_filters.h"

#include <string>
#include <utility>

#include "rocksdb/slice.h"
#include "storage/keys.h"
#include "storage/merge_operators.h"
#include "storage/records.pb.h"

namespace cohort::storage::internal {
namespace {

using Decision = rocksdb::CompactionFilter::Decision;
using ValueType = rocksdb::CompactionFilter::ValueType;

class AggregatesFilter final : public rocksdb::CompactionFilter {
 public:
  explicit AggregatesFilter(int32_t first_day) : first_day_(first_day) {}

  Decision FilterV2(int /*level*/, const rocksdb::Slice& /*key*/, ValueType type,
                    const rocksdb::Slice& value, std::string* new_value,
                    std::string* /*skip_until*/) const override {
    if (type != ValueType::kValue && type != ValueType::kMergeOperand) return Decision::kKeep;
    records::Aggregates aggregates;
    // An unparsable record is kept: reads report it; retention must not destroy evidence.
    if (!aggregates.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return Decision::kKeep;
    }
    if (!DropDaysBefore(first_day_, &aggregates)) return Decision::kKeep;
    aggregates.SerializeToString(new_value);
    return Decision::kChangeValue;
  }

  const char* Name() const override { return "cohort.AggregatesRetention"; }

 private:
  const int32_t first_day_;
};

class HistoryFilter final : public rocksdb::CompactionFilter {
 public:
  explicit HistoryFilter(int64_t first_us) : first_us_(first_us) {}

  Decision FilterV2(int /*level*/, const rocksdb::Slice& /*key*/, ValueType type,
                    const rocksdb::Slice& value, std::string* new_value,
                    std::string* /*skip_until*/) const override {
    if (type != ValueType::kValue && type != ValueType::kMergeOperand) return Decision::kKeep;
    records::History history;
    if (!history.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return Decision::kKeep;
    }
    if (!DropItemsBefore(first_us_, &history)) return Decision::kKeep;
    if (history.items_size() == 0) return Decision::kRemove;
    history.SerializeToString(new_value);
    return Decision::kChangeValue;
  }

  const char* Name() const override { return "cohort.HistoryRetention"; }

 private:
  const int64_t first_us_;
};

class DedupFilter final : public rocksdb::CompactionFilter {
 public:
  explicit DedupFilter(int64_t first_us) : first_us_(first_us) {}

  Decision FilterV2(int /*level*/, const rocksdb::Slice& /*key*/, ValueType type,
                    const rocksdb::Slice& value, std::string* /*new_value*/,
                    std::string* /*skip_until*/) const override {
    if (type != ValueType::kValue) return Decision::kKeep;
    const auto event_us = DecodeEventTime(absl::string_view(value.data(), value.size()));
    if (event_us.has_value() && *event_us < first_us_) return Decision::kRemove;
    return Decision::kKeep;
  }

  const char* Name() const override { return "cohort.DedupRetention"; }

 private:
  const int64_t first_us_;
};

// Creates each compaction's filter from the retention horizon at that compaction's start.
class HorizonFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  using Make = std::function<std::unique_ptr<rocksdb::CompactionFilter>(const RetentionHorizon&)>;

  HorizonFilterFactory(const char* name, std::function<absl::Time()> clock, int32_t retention_days,
                       Make make)
      : name_(name),
        clock_(std::move(clock)),
        retention_days_(retention_days),
        make_(std::move(make)) {}

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& /*context*/) override {
    return make_(HorizonAt(clock_(), retention_days_));
  }

  const char* Name() const override { return name_; }

 private:
  const char* name_;
  std::function<absl::Time()> clock_;
  const int32_t retention_days_;
  Make make_;
};

}  // namespace

std::shared_ptr<rocksdb::CompactionFilterFactory> NewAggregatesFilterFactory(
    std::function<absl::Time()> clock, int32_t retention_days) {
  return std::make_shared<HorizonFilterFactory>(
      "cohort.AggregatesRetentionFactory", std::move(clock), retention_days,
      [](const RetentionHorizon& h) { return std::make_unique<AggregatesFilter>(h.first_day); });
}

std::shared_ptr<rocksdb::CompactionFilterFactory> NewHistoryFilterFactory(
    std::function<absl::Time()> clock, int32_t retention_days) {
  return std::make_shared<HorizonFilterFactory>(
      "cohort.HistoryRetentionFactory", std::move(clock), retention_days,
      [](const RetentionHorizon& h) { return std::make_unique<HistoryFilter>(h.first_us); });
}

std::shared_ptr<rocksdb::CompactionFilterFactory> NewDedupFilterFactory(
    std::function<absl::Time()> clock, int32_t retention_days) {
  return std::make_shared<HorizonFilterFactory>(
      "cohort.DedupRetentionFactory", std::move(clock), retention_days,
      [](const RetentionHorizon& h) { return std::make_unique<DedupFilter>(h.first_us); });
}

}  // namespace cohort::storage::internal
