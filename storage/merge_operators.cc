#include "storage/merge_operators.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/time_util.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "rocksdb/slice.h"
#include "storage/record_views.h"

namespace cohort::storage::internal {
namespace {

using google::protobuf::RepeatedPtrField;

// Merges the sorted, unique `src` into the sorted, unique `dst`, combining elements with
// equal keys with `combine(T&& from, T* into)`. Consumes `src`.
template <typename T, typename Less, typename Combine>
void MergeSorted(RepeatedPtrField<T>* src, RepeatedPtrField<T>* dst, Less less, Combine combine) {
  if (src->empty()) return;
  if (dst->empty()) {
    dst->Swap(src);
    return;
  }
  const auto ptr_less = [&](const T* a, const T* b) { return less(*a, *b); };
  if (src->size() <= 4) {
    // Few elements (the usual one-event operand): binary search and insert in place.
    for (int k = 0; k < src->size(); ++k) {
      T* s = src->Mutable(k);
      auto it = std::lower_bound(dst->pointer_begin(), dst->pointer_end(), s, ptr_less);
      if (it != dst->pointer_end() && !less(*s, **it)) {
        combine(std::move(*s), *it);
        continue;
      }
      const auto pos = it - dst->pointer_begin();
      dst->Add(std::move(*s));
      std::rotate(dst->pointer_begin() + pos, dst->pointer_end() - 1, dst->pointer_end());
    }
    return;
  }
  RepeatedPtrField<T> out;
  out.Reserve(dst->size() + src->size());
  int i = 0, j = 0;
  while (i < dst->size() && j < src->size()) {
    T* a = dst->Mutable(i);
    T* b = src->Mutable(j);
    if (less(*a, *b)) {
      out.Add(std::move(*a));
      ++i;
    } else if (less(*b, *a)) {
      out.Add(std::move(*b));
      ++j;
    } else {
      combine(std::move(*b), a);
      out.Add(std::move(*a));
      ++i;
      ++j;
    }
  }
  for (; i < dst->size(); ++i) out.Add(std::move(*dst->Mutable(i)));
  for (; j < src->size(); ++j) out.Add(std::move(*src->Mutable(j)));
  dst->Swap(&out);
}

// Removes the elements for which `drop` is true, keeping the order of the others.
template <typename T, typename Pred>
bool EraseIf(RepeatedPtrField<T>* field, Pred drop) {
  int kept = 0;
  for (int i = 0; i < field->size(); ++i) {
    if (drop(field->Get(i))) continue;
    if (kept != i) field->SwapElements(kept, i);
    ++kept;
  }
  if (kept == field->size()) return false;
  field->DeleteSubrange(kept, field->size() - kept);
  return true;
}

bool CellLess(const records::Cell& a, const records::Cell& b) {
  return std::tie(a.type(), a.channel(), a.category()) <
         std::tie(b.type(), b.channel(), b.category());
}

void CombineCells(records::Cell&& from, records::Cell* into) {
  into->set_count(into->count() + from.count());
  into->set_quantity(into->quantity() + from.quantity());
  into->set_amount(into->amount() + from.amount());
  into->set_first_us(std::min(into->first_us(), from.first_us()));
  into->set_last_us(std::max(into->last_us(), from.last_us()));
}

void CombineBuckets(records::DayBucket&& from, records::DayBucket* into) {
  MergeSorted(from.mutable_cells(), into->mutable_cells(), CellLess, CombineCells);
}

// The tie-break bytes of a version: its deterministic serialization without written_us
// (which depends on arrival, not on the written value).
std::string TieBytes(const records::StoredAttribute& version) {
  records::StoredAttribute copy = version;
  copy.clear_written_us();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  return bytes;
}

void NormalizeVersions(size_t cap, records::AttributeVersions* attr) {
  auto* versions = attr->mutable_versions();
  struct Ranked {
    int64_t event_us;
    std::string tie;
    records::StoredAttribute* version;
  };
  std::vector<Ranked> ranked;
  ranked.reserve(versions->size());
  for (auto& v : *versions) ranked.push_back({v.event_us(), TieBytes(v), &v});
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    return std::tie(a.event_us, a.tie) > std::tie(b.event_us, b.tie);
  });
  RepeatedPtrField<records::StoredAttribute> out;
  for (size_t i = 0; i < ranked.size(); ++i) {
    if (i > 0 && ranked[i].event_us == ranked[i - 1].event_us &&
        ranked[i].tie == ranked[i - 1].tie) {
      // The same version written twice: keep it once, as first accepted.
      auto* kept = out.Mutable(out.size() - 1);
      kept->set_written_us(std::min(kept->written_us(), ranked[i].version->written_us()));
      continue;
    }
    if (static_cast<size_t>(out.size()) >= cap) break;
    out.Add(std::move(*ranked[i].version));
  }
  versions->Swap(&out);
}

// A merge operator over records of type `Record`: parses the base value and every operand,
// merges them with `merge`, and (full merges only) applies `finish`.
template <typename Record>
class RecordMergeOperator final : public rocksdb::MergeOperator {
 public:
  using MergeFn = std::function<void(Record&&, Record*)>;
  using FinishFn = std::function<void(Record*)>;

  RecordMergeOperator(const char* name, MergeFn merge, FinishFn finish)
      : name_(name), merge_(std::move(merge)), finish_(std::move(finish)) {}

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    // One operand and no base (a read or compaction above the bottommost level finds one
    // partially merged operand, the common case): the operand already is a merged record,
    // so without a `finish` step it is the result as is, with no parse and re-serialization.
    if (in.existing_value == nullptr && in.operand_list.size() == 1 && !finish_) {
      out->existing_operand = in.operand_list.front();
      return true;
    }
    Record acc;
    bool empty = true;
    if (in.existing_value != nullptr) {
      if (!Parse(*in.existing_value, &acc)) return false;
      empty = false;
    }
    for (const rocksdb::Slice& operand : in.operand_list) {
      if (!Add(operand, &acc, &empty)) return false;
    }
    if (finish_) finish_(&acc);
    return acc.SerializeToString(&out->new_value);
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    Record acc;
    bool empty = true;
    for (const rocksdb::Slice& operand : operands) {
      if (!Add(operand, &acc, &empty)) return false;
    }
    return acc.SerializeToString(new_value);
  }

  const char* Name() const override { return name_; }

 private:
  static bool Parse(const rocksdb::Slice& bytes, Record* record) {
    return record->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  }

  bool Add(const rocksdb::Slice& operand, Record* acc, bool* empty) const {
    if (*empty) {
      *empty = false;
      return Parse(operand, acc);
    }
    Record next;
    if (!Parse(operand, &next)) return false;
    merge_(std::move(next), acc);
    return true;
  }

  const char* name_;
  MergeFn merge_;
  FinishFn finish_;
};

bool LabelLess(const CellView& a, const CellView& b) {
  return std::tie(a.type, a.channel, a.category) < std::tie(b.type, b.channel, b.category);
}

// CombineCells on views: `into` is the accumulated record's cell, `from` the next operand's.
CellView CombineViews(CellView into, const CellView& from) {
  into.count += from.count;
  into.quantity += from.quantity;
  into.amount += from.amount;
  into.first_us = std::min(into.first_us, from.first_us);
  into.last_us = std::max(into.last_us, from.last_us);
  return into;
}

// Merges two sorted, unique cell lists (MergeSorted's result, as views).
template <typename Emit>
void MergeCellViews(absl::Span<const CellView> into, absl::Span<const CellView> from, Emit emit) {
  size_t i = 0, j = 0;
  while (i < into.size() && j < from.size()) {
    if (LabelLess(into[i], from[j])) {
      emit(into[i++]);
    } else if (LabelLess(from[j], into[i])) {
      emit(from[j++]);
    } else {
      emit(CombineViews(into[i++], from[j++]));
    }
  }
  for (; i < into.size(); ++i) emit(into[i]);
  for (; j < from.size(); ++j) emit(from[j]);
}

// MergeAggregates(from, into) on views, into `out`; days before `first_day` are left out.
void MergeAggregateViews(const AggregatesView& into, const AggregatesView& from, int32_t first_day,
                         AggregatesView* out) {
  out->Clear();
  MergeCellViews(into.lifetime(), from.lifetime(),
                 [out](const CellView& cell) { out->AddLifetime(cell); });
  const auto add = [out](const CellView& cell) { out->AddCell(cell); };
  const absl::Span<const DayView> a = into.days(), b = from.days();
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    const bool take_a = j == b.size() || (i < a.size() && a[i].day <= b[j].day);
    const bool take_b = i == a.size() || (j < b.size() && b[j].day <= a[i].day);
    const int32_t day = take_a ? a[i].day : b[j].day;
    const bool keep = day >= first_day;
    if (keep) out->AddDay(day);
    if (take_a && take_b) {
      if (keep) MergeCellViews(into.cells(a[i]), from.cells(b[j]), add);
    } else if (keep) {
      for (const CellView& cell : take_a ? into.cells(a[i]) : from.cells(b[j])) add(cell);
    }
    i += take_a ? 1 : 0;
    j += take_b ? 1 : 0;
  }
}

// The merge operator of "aggregates" on views (storage/record_views.h): operands are
// decoded without allocating per field, merged as MergeAggregates does (left to right, so
// float sums add in the same order) and encoded byte-identically to protobuf. A full merge
// of one operand that retention leaves whole returns the operand itself.
// The records' `attributes` (an AttributeSet) merge as MergeAttributeSets, capped at
// `attribute_versions` per name.
class AggregatesMergeOperator final : public rocksdb::MergeOperator {
 public:
  AggregatesMergeOperator(std::function<absl::Time()> clock, int32_t retention_days,
                          size_t attribute_versions)
      : clock_(std::move(clock)),
        retention_days_(retention_days),
        attribute_versions_(attribute_versions) {}

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    const int32_t first_day = HorizonAt(clock_(), retention_days_).first_day;
    if (in.existing_value == nullptr && in.operand_list.size() == 1) {
      AggregatesView view;
      if (!view.Decode(ToView(in.operand_list.front()))) return false;
      const bool expired = std::any_of(view.days().begin(), view.days().end(),
                                       [first_day](const DayView& d) { return d.day < first_day; });
      if (!expired) {
        out->existing_operand = in.operand_list.front();
        return true;
      }
    }
    std::vector<rocksdb::Slice> inputs;
    if (in.existing_value != nullptr) inputs.push_back(*in.existing_value);
    inputs.insert(inputs.end(), in.operand_list.begin(), in.operand_list.end());
    return Merge(inputs, first_day, &out->new_value);
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    const std::vector<rocksdb::Slice> inputs(operands.begin(), operands.end());
    return Merge(inputs, std::numeric_limits<int32_t>::min(), new_value);
  }

  const char* Name() const override { return "cohort.AggregatesMerge.v1"; }

 private:
  static absl::string_view ToView(const rocksdb::Slice& s) {
    return absl::string_view(s.data(), s.size());
  }

  // Folds `inputs` left to right, drops days before `first_day`, encodes into `out`.
  bool Merge(const std::vector<rocksdb::Slice>& inputs, int32_t first_day, std::string* out) const {
    AggregatesView acc, next, merged;
    std::vector<absl::string_view> attributes;  // of every input that has them, in order
    if (inputs.empty() || !acc.Decode(ToView(inputs[0]))) return false;
    if (acc.attributes().has_value()) attributes.push_back(*acc.attributes());
    for (size_t k = 1; k < inputs.size(); ++k) {
      if (!next.Decode(ToView(inputs[k]))) return false;
      if (next.attributes().has_value()) attributes.push_back(*next.attributes());
      MergeAggregateViews(acc, next, first_day, &merged);
      std::swap(acc, merged);
    }
    if (inputs.size() == 1) {  // retention still applies to a lone input
      next.Clear();
      MergeAggregateViews(acc, next, first_day, &merged);
      std::swap(acc, merged);
    }
    std::string merged_attributes;
    if (attributes.size() == 1) {
      acc.SetAttributes(attributes.front());
    } else if (attributes.size() > 1) {
      records::AttributeSet set;
      for (absl::string_view bytes : attributes) {
        records::AttributeSet one;
        if (!one.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
        MergeAttributeSets(std::move(one), attribute_versions_, &set);
      }
      set.SerializeToString(&merged_attributes);
      acc.SetAttributes(merged_attributes);
    }
    out->clear();
    acc.AppendEncoded(out);
    return true;
  }

  std::function<absl::Time()> clock_;
  int32_t retention_days_;
  size_t attribute_versions_;
};

}  // namespace

RetentionHorizon HorizonAt(absl::Time now, int32_t retention_days) {
  RetentionHorizon horizon;
  horizon.first_day = DayOf(now) - retention_days;
  horizon.first_us = absl::ToUnixMicros(now - absl::Hours(24) * retention_days);
  return horizon;
}

void MergeAggregates(records::Aggregates&& src, records::Aggregates* dst) {
  MergeSorted(src.mutable_lifetime(), dst->mutable_lifetime(), CellLess, CombineCells);
  MergeSorted(
      src.mutable_days(), dst->mutable_days(),
      [](const records::DayBucket& a, const records::DayBucket& b) { return a.day() < b.day(); },
      CombineBuckets);
}

void MergeAttributeSets(records::AttributeSet&& src, size_t cap, records::AttributeSet* dst) {
  MergeSorted(
      src.mutable_attributes(), dst->mutable_attributes(),
      [](const records::AttributeVersions& a, const records::AttributeVersions& b) {
        return a.name() < b.name();
      },
      [cap](records::AttributeVersions&& from, records::AttributeVersions* into) {
        for (auto& v : *from.mutable_versions()) into->mutable_versions()->Add(std::move(v));
        NormalizeVersions(cap, into);
      });
}

void MergeHistories(records::History&& src, size_t cap, records::History* dst) {
  auto* items = dst->mutable_items();
  for (auto& item : *src.mutable_items()) items->Add(std::move(item));
  // Union by event_id: among items with equal event_id keep the newest (then any).
  std::vector<records::HistoryItem*> order(items->pointer_begin(), items->pointer_end());
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return std::make_tuple(std::cref(a->event_id()), -a->time_us()) <
           std::make_tuple(std::cref(b->event_id()), -b->time_us());
  });
  std::vector<records::HistoryItem*> unique;
  unique.reserve(order.size());
  for (auto* item : order) {
    if (!unique.empty() && unique.back()->event_id() == item->event_id()) continue;
    unique.push_back(item);
  }
  std::sort(unique.begin(), unique.end(), [](const auto* a, const auto* b) {
    if (a->time_us() != b->time_us()) return a->time_us() > b->time_us();
    return a->event_id() < b->event_id();
  });
  if (unique.size() > cap) unique.resize(cap);
  RepeatedPtrField<records::HistoryItem> out;
  out.Reserve(static_cast<int>(unique.size()));
  for (auto* item : unique) out.Add(std::move(*item));
  items->Swap(&out);
}

bool DropDaysBefore(int32_t first_day, records::Aggregates* aggregates) {
  return EraseIf(aggregates->mutable_days(),
                 [first_day](const records::DayBucket& b) { return b.day() < first_day; });
}

bool DropItemsBefore(int64_t first_us, records::History* history) {
  return EraseIf(history->mutable_items(),
                 [first_us](const records::HistoryItem& i) { return i.time_us() < first_us; });
}

std::shared_ptr<rocksdb::MergeOperator> NewAggregatesMergeOperator(
    std::function<absl::Time()> clock, int32_t retention_days, size_t attribute_versions) {
  return std::make_shared<AggregatesMergeOperator>(std::move(clock), retention_days,
                                                   attribute_versions);
}

std::shared_ptr<rocksdb::MergeOperator> NewAttributesMergeOperator(size_t cap) {
  return std::make_shared<RecordMergeOperator<records::AttributeSet>>(
      "cohort.AttributesMerge.v1",
      [cap](records::AttributeSet&& src, records::AttributeSet* dst) {
        MergeAttributeSets(std::move(src), cap, dst);
      },
      nullptr);
}

std::shared_ptr<rocksdb::MergeOperator> NewHistoryMergeOperator(size_t cap,
                                                                std::function<absl::Time()> clock,
                                                                int32_t retention_days) {
  return std::make_shared<RecordMergeOperator<records::History>>(
      "cohort.HistoryMerge.v1",
      [cap](records::History&& src, records::History* dst) {
        MergeHistories(std::move(src), cap, dst);
      },
      [clock = std::move(clock), retention_days](records::History* merged) {
        DropItemsBefore(HorizonAt(clock(), retention_days).first_us, merged);
      });
}

}  // namespace cohort::storage::internal
