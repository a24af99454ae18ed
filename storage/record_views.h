// Read-only views of the stored Aggregates and AttributeSet records (storage/records.proto),
// decoded straight from their serialized bytes without allocating per field.
//
// GetFeatures reads every customer's two records and only looks at them once. Parsing them
// into protobuf messages allocated a string per label of every cell (three per cell, four
// cells per day bucket) and was ~20% of a node's read CPU (bench/); a view keeps
// string_views into the bytes RocksDB returned and reuses its vectors from one customer to
// the next. The evaluation (feature_eval.cc) and the aggregates merge operator
// (merge_operators.cc) read records only through these views.
//
// A view is a plain value: not thread-safe, cheap to reuse (Decode and Assign replace its
// content), and it never owns the bytes its labels point into.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/records.pb.h"

namespace cohort::storage {

// records::Cell. Labels view the decoded bytes (or the message ViewOf read).
struct CellView {
  absl::string_view type;
  absl::string_view channel;
  absl::string_view category;
  int64_t count = 0;
  int64_t quantity = 0;
  double amount = 0;
  int64_t first_us = 0;
  int64_t last_us = 0;
};

// records::DayBucket: its cells are AggregatesView::cells()[begin, end).
struct DayView {
  int32_t day = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
};

// records::Aggregates.
class AggregatesView {
 public:
  absl::Span<const CellView> lifetime() const { return lifetime_; }
  absl::Span<const DayView> days() const { return days_; }
  absl::Span<const CellView> cells(const DayView& day) const {
    return absl::MakeConstSpan(cells_).subspan(day.begin, day.end - day.begin);
  }
  // The serialized records::AttributeSet of field `attributes`, if the record has one.
  const std::optional<absl::string_view>& attributes() const { return attributes_; }

  // Replaces the view with `bytes`, a serialized records::Aggregates, which must outlive the
  // view's use. False if the bytes are not a valid encoding (the view is then unspecified).
  // Unknown fields are skipped, as protobuf's parser would. A record holding `attributes`
  // twice is refused: protobuf would merge the two, and no writer produces it.
  bool Decode(absl::string_view bytes);

  // Replaces the view with `message`, which must outlive the view's use.
  void Assign(const records::Aggregates& message);

  // Building a view cell by cell (the labels view bytes the caller keeps alive): lifetime
  // cells, then each day and its cells, in the order they are to be encoded.
  void Clear();
  void AddLifetime(const CellView& cell) { lifetime_.push_back(cell); }
  void AddDay(int32_t day) {
    const auto at = static_cast<uint32_t>(cells_.size());
    days_.push_back(DayView{day, at, at});
  }
  void AddCell(const CellView& cell) {  // to the last day added
    cells_.push_back(cell);
    days_.back().end = static_cast<uint32_t>(cells_.size());
  }
  void SetAttributes(std::optional<absl::string_view> bytes) { attributes_ = bytes; }

  // Appends the protobuf encoding of the view: the bytes records::Aggregates with the same
  // content serializes to (fields in number order, proto3 defaults omitted).
  void AppendEncoded(std::string* out) const;

 private:
  std::vector<CellView> lifetime_;
  std::vector<DayView> days_;
  std::vector<CellView> cells_;  // every day's cells, in day order
  std::optional<absl::string_view> attributes_;
};

// records::StoredAttribute. `kind` is the field number of the value that is set, as
// records::StoredAttribute::KindCase (0: none).
struct AttributeVersionView {
  records::StoredAttribute::KindCase kind = records::StoredAttribute::KIND_NOT_SET;
  absl::string_view string_value;
  int64_t int_value = 0;  // int_value or timestamp_us
  double double_value = 0;
  bool bool_value = false;
  int64_t event_us = 0;
};

// records::AttributeVersions: its versions are AttributesView::versions()[begin, end).
struct AttributeView {
  absl::string_view name;
  uint32_t begin = 0;
  uint32_t end = 0;
};

// records::AttributeSet.
class AttributesView {
 public:
  absl::Span<const AttributeView> attributes() const { return attributes_; }
  absl::Span<const AttributeVersionView> versions(const AttributeView& attribute) const {
    return absl::MakeConstSpan(versions_).subspan(attribute.begin, attribute.end - attribute.begin);
  }

  // As AggregatesView::Decode, for a serialized records::AttributeSet.
  bool Decode(absl::string_view bytes);
  // As AggregatesView::Assign.
  void Assign(const records::AttributeSet& message);

 private:
  void Clear();

  std::vector<AttributeView> attributes_;
  std::vector<AttributeVersionView> versions_;
};

}  // namespace cohort::storage
