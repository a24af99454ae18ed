// Merge semantics of the stored records and the retention filters, without a database.
#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rocksdb/compaction_filter.h"
#include "rocksdb/merge_operator.h"
#include "storage/compaction_filters.h"
#include "storage/merge_operators.h"
#include "storage/records.pb.h"

namespace cohort::storage::internal {
namespace {

records::Cell MakeCell(const std::string& type, const std::string& channel, int64_t count,
                       int64_t first_us, int64_t last_us) {
  records::Cell cell;
  cell.set_type(type);
  cell.set_channel(channel);
  cell.set_count(count);
  cell.set_quantity(count * 2);
  cell.set_amount(count * 1.5);
  cell.set_first_us(first_us);
  cell.set_last_us(last_us);
  return cell;
}

records::Aggregates OneEvent(const std::string& type, const std::string& channel, int32_t day,
                             int64_t us) {
  records::Aggregates a;
  *a.add_lifetime() = MakeCell(type, channel, 1, us, us);
  records::DayBucket* bucket = a.add_days();
  bucket->set_day(day);
  *bucket->add_cells() = MakeCell(type, channel, 1, us, us);
  return a;
}

std::vector<records::Aggregates> SampleEvents() {
  std::vector<records::Aggregates> events;
  for (int i = 0; i < 12; ++i) {
    events.push_back(OneEvent(i % 3 == 0 ? "purchase" : "view", i % 2 == 0 ? "web" : "app",
                              100 + i % 4, 1000 + i));
  }
  return events;
}

TEST(StorageMergeTest, AggregatesConvergeInAnyOrderAndGrouping) {
  const std::vector<records::Aggregates> events = SampleEvents();
  records::Aggregates sequential;
  for (auto e : events) MergeAggregates(std::move(e), &sequential);

  // Reverse order, and a tree of partial merges (exercises the bulk merge path).
  records::Aggregates reversed;
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    MergeAggregates(records::Aggregates(*it), &reversed);
  }
  records::Aggregates left, right, tree;
  for (size_t i = 0; i < events.size(); ++i) {
    MergeAggregates(records::Aggregates(events[i]), i % 2 == 0 ? &left : &right);
  }
  MergeAggregates(std::move(left), &tree);
  MergeAggregates(std::move(right), &tree);

  EXPECT_EQ(sequential.SerializeAsString(), reversed.SerializeAsString());
  EXPECT_EQ(sequential.SerializeAsString(), tree.SerializeAsString());
  // Lifetime: unique sorted cells, summed; days ascending.
  ASSERT_EQ(sequential.lifetime_size(), 4);  // {purchase,view} x {app,web}
  int64_t total = 0;
  for (const auto& cell : sequential.lifetime()) total += cell.count();
  EXPECT_EQ(total, 12);
  ASSERT_EQ(sequential.days_size(), 4);
  for (int i = 1; i < sequential.days_size(); ++i) {
    EXPECT_LT(sequential.days(i - 1).day(), sequential.days(i).day());
  }
  const records::Cell& web_purchase = sequential.lifetime(1);  // ("purchase", "web")
  EXPECT_EQ(web_purchase.type(), "purchase");
  EXPECT_EQ(web_purchase.channel(), "web");
  EXPECT_EQ(web_purchase.first_us(), 1000);
  EXPECT_EQ(web_purchase.last_us(), 1006);
}

records::AttributeSet OneVersion(const std::string& name, const std::string& value,
                                 int64_t event_us, int64_t written_us) {
  records::AttributeSet set;
  records::AttributeVersions* versions = set.add_attributes();
  versions->set_name(name);
  records::StoredAttribute* v = versions->add_versions();
  v->set_string_value(value);
  v->set_event_us(event_us);
  v->set_written_us(written_us);
  return set;
}

TEST(StorageMergeTest, AttributeVersionsNewestFirstTiesDeterministicCapped) {
  std::vector<records::AttributeSet> writes = {
      OneVersion("tier", "bronze", 10, 1), OneVersion("tier", "gold", 30, 2),
      OneVersion("tier", "silver", 20, 3), OneVersion("tier", "aaa", 30, 4),  // tie with gold
      OneVersion("tier", "gold", 30, 5),  // same version again, written later
      OneVersion("city", "paris", 5, 6)};
  std::vector<size_t> order(writes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::string first;
  do {
    records::AttributeSet merged;
    for (size_t i : order) MergeAttributeSets(records::AttributeSet(writes[i]), 3, &merged);
    if (first.empty()) {
      first = merged.SerializeAsString();
      ASSERT_EQ(merged.attributes_size(), 2);
      EXPECT_EQ(merged.attributes(0).name(), "city");
      const auto& tier = merged.attributes(1);
      ASSERT_EQ(tier.versions_size(), 3);                  // capped; the duplicate "gold" kept once
      EXPECT_EQ(tier.versions(0).string_value(), "gold");  // tie at 30: larger bytes win
      EXPECT_EQ(tier.versions(0).written_us(), 2);         // first accepted copy
      EXPECT_EQ(tier.versions(1).string_value(), "aaa");
      EXPECT_EQ(tier.versions(2).string_value(), "silver");
    } else {
      ASSERT_EQ(merged.SerializeAsString(), first);
    }
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(StorageMergeTest, HistoryUnionByEventIdNewestFirstCapped) {
  records::History a, b;
  for (int i = 0; i < 5; ++i) {
    auto* item = a.add_items();
    item->set_event_id(absl::StrCat("e", i));
    item->set_time_us(100 + i);
  }
  for (int i = 3; i < 8; ++i) {
    auto* item = b.add_items();
    item->set_event_id(absl::StrCat("e", i));
    item->set_time_us(100 + i);
  }
  MergeHistories(std::move(b), 6, &a);
  ASSERT_EQ(a.items_size(), 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a.items(i).event_id(), absl::StrCat("e", 7 - i));
}

TEST(StorageMergeTest, RetentionDropsOldBucketsButKeepsLifetime) {
  records::Aggregates a;
  for (auto e : SampleEvents()) MergeAggregates(std::move(e), &a);
  EXPECT_TRUE(DropDaysBefore(102, &a));
  ASSERT_EQ(a.days_size(), 2);
  EXPECT_EQ(a.days(0).day(), 102);
  EXPECT_EQ(a.lifetime_size(), 4);
  EXPECT_FALSE(DropDaysBefore(102, &a));
}

rocksdb::MergeOperator::MergeOperationInput Input(const std::vector<rocksdb::Slice>& operands) {
  static const rocksdb::Slice kKey("k");
  return rocksdb::MergeOperator::MergeOperationInput(kKey, nullptr, operands, nullptr);
}

TEST(StorageMergeTest, MergeOperatorFullAndPartialMergesAgree) {
  const auto clock = [] { return absl::FromUnixSeconds(200 * 86400); };
  auto op = NewAggregatesMergeOperator(clock, 1000, /*attribute_versions=*/8);
  std::vector<std::string> operands;
  for (const auto& e : SampleEvents()) operands.push_back(e.SerializeAsString());

  std::vector<rocksdb::Slice> slices(operands.begin(), operands.end());
  std::string full;
  rocksdb::Slice existing_value;
  rocksdb::MergeOperator::MergeOperationOutput out(full, existing_value);
  ASSERT_TRUE(op->FullMergeV2(Input(slices), &out));

  std::deque<rocksdb::Slice> first_half(slices.begin(), slices.begin() + 6);
  std::deque<rocksdb::Slice> second_half(slices.begin() + 6, slices.end());
  std::string p1, p2;
  ASSERT_TRUE(op->PartialMergeMulti("k", first_half, &p1, nullptr));
  ASSERT_TRUE(op->PartialMergeMulti("k", second_half, &p2, nullptr));
  std::vector<rocksdb::Slice> partials = {p1, p2};
  std::string full2;
  rocksdb::MergeOperator::MergeOperationOutput out2(full2, existing_value);
  ASSERT_TRUE(op->FullMergeV2(Input(partials), &out2));
  EXPECT_EQ(full, full2);

  // A corrupt operand fails the merge instead of inventing data.
  std::vector<rocksdb::Slice> bad = {rocksdb::Slice("\xff\xff\xff")};
  std::string ignored;
  rocksdb::MergeOperator::MergeOperationOutput out3(ignored, existing_value);
  EXPECT_FALSE(op->FullMergeV2(Input(bad), &out3));
}

// A customer's record holds its attributes (store format 2): the aggregates operator merges
// them as MergeAttributeSets does, whatever the grouping, and leaves the events' part alone.
TEST(StorageMergeTest, AggregatesOperatorMergesTheRecordsAttributes) {
  const auto clock = [] { return absl::FromUnixSeconds(200 * 86400); };
  auto op = NewAggregatesMergeOperator(clock, 1000, /*attribute_versions=*/2);
  const auto attributes_only = [](records::AttributeSet set) {
    records::Aggregates operand;
    *operand.mutable_attributes() = std::move(set);
    return operand.SerializeAsString();
  };
  std::vector<std::string> operands;
  for (const auto& e : SampleEvents()) operands.push_back(e.SerializeAsString());
  const std::vector<records::AttributeSet> writes = {
      OneVersion("tier", "bronze", 10, 1), OneVersion("tier", "gold", 30, 2),
      OneVersion("city", "paris", 5, 3), OneVersion("tier", "silver", 20, 4)};
  // Interleaved: event, attribute, event, ...
  for (size_t i = 0; i < writes.size(); ++i) {
    operands.insert(operands.begin() + static_cast<std::ptrdiff_t>(2 * i + 1),
                    attributes_only(writes[i]));
  }
  records::Aggregates want;
  for (const auto& e : SampleEvents()) MergeAggregates(records::Aggregates(e), &want);
  for (const auto& w : writes) {
    MergeAttributeSets(records::AttributeSet(w), 2, want.mutable_attributes());
  }

  const std::vector<rocksdb::Slice> slices(operands.begin(), operands.end());
  std::string full;
  rocksdb::Slice existing_operand;
  rocksdb::MergeOperator::MergeOperationOutput out(full, existing_operand);
  ASSERT_TRUE(op->FullMergeV2(Input(slices), &out));
  EXPECT_EQ(full, want.SerializeAsString());
  records::Aggregates got;
  ASSERT_TRUE(got.ParseFromString(full));
  ASSERT_EQ(got.attributes().attributes_size(), 2);
  EXPECT_EQ(got.attributes().attributes(1).versions(0).string_value(), "gold");
  EXPECT_EQ(got.attributes().attributes(1).versions_size(), 2);  // capped at 2

  // Partial merges of any split, then a full merge over a base value: the same record.
  for (size_t split = 1; split < slices.size(); ++split) {
    std::string head, tail;
    ASSERT_TRUE(op->PartialMergeMulti(
        "k", std::deque<rocksdb::Slice>(slices.begin(), slices.begin() + split), &head, nullptr));
    ASSERT_TRUE(op->PartialMergeMulti(
        "k", std::deque<rocksdb::Slice>(slices.begin() + split, slices.end()), &tail, nullptr));
    const rocksdb::Slice base(head);
    const std::vector<rocksdb::Slice> rest = {rocksdb::Slice(tail)};
    std::string merged;
    rocksdb::MergeOperator::MergeOperationOutput out2(merged, existing_operand);
    ASSERT_TRUE(op->FullMergeV2(
        rocksdb::MergeOperator::MergeOperationInput("k", &base, rest, nullptr), &out2));
    EXPECT_EQ(merged, full) << "split at " << split;
  }

  // An attributes-only record passes through a lone full merge, and a corrupt attribute set
  // fails the merge instead of being dropped.
  const std::string lone = attributes_only(writes[0]);
  const std::vector<rocksdb::Slice> one = {rocksdb::Slice(lone)};
  std::string ignored;
  rocksdb::MergeOperator::MergeOperationOutput out3(ignored, existing_operand);
  ASSERT_TRUE(op->FullMergeV2(Input(one), &out3));
  EXPECT_EQ(out3.existing_operand.ToString(), lone);
  const std::string corrupt = std::string("\x1a\x03\xff\xff\xff");
  const std::vector<rocksdb::Slice> bad = {rocksdb::Slice(lone), rocksdb::Slice(corrupt)};
  rocksdb::MergeOperator::MergeOperationOutput out4(ignored, existing_operand);
  EXPECT_FALSE(op->FullMergeV2(Input(bad), &out4));
}

// A random normalized Aggregates record: several events of random labels, days, amounts
// (negative zero and fractions included) folded with MergeAggregates.
records::Aggregates RandomAggregates(std::mt19937_64& rng) {
  static const char* const kTypes[] = {"purchase", "view", "return", ""};
  static const char* const kChannels[] = {"web", "app", "store"};
  static const char* const kCategories[] = {"", "apparel", "grocery"};
  records::Aggregates out;
  for (int e = 1 + static_cast<int>(rng() % 5); e > 0; --e) {
    const int64_t us = static_cast<int64_t>(rng() % 1000000);
    records::Cell cell = MakeCell(kTypes[rng() % 4], kChannels[rng() % 3], 1, us, us);
    cell.set_category(kCategories[rng() % 3]);
    cell.set_amount(rng() % 5 == 0 ? -0.0 : static_cast<double>(rng() % 1000) / 7.0);
    cell.set_quantity(static_cast<int64_t>(rng() % 3) - 1);
    records::Aggregates one;
    *one.add_lifetime() = cell;
    records::DayBucket* bucket = one.add_days();
    bucket->set_day(95 + static_cast<int32_t>(rng() % 10));
    *bucket->add_cells() = cell;
    MergeAggregates(std::move(one), &out);
  }
  return out;
}

// The view-based aggregates operator against the protobuf reference (MergeAggregates left to
// right, retention on full merges, SerializeToString): byte for byte.
TEST(StorageMergeTest, AggregatesOperatorMatchesTheProtobufMergeByteForByte) {
  const int32_t retention = 3;
  const absl::Time now = absl::FromUnixSeconds(103 * 86400 + 3600);  // keeps day >= 100
  auto op = NewAggregatesMergeOperator([now] { return now; }, retention, /*attribute_versions=*/8);
  const int32_t first_day = HorizonAt(now, retention).first_day;
  std::mt19937_64 rng(17);
  for (int round = 0; round < 400; ++round) {
    std::vector<records::Aggregates> inputs;
    for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k) {
      inputs.push_back(RandomAggregates(rng));
    }
    std::vector<std::string> bytes;
    for (const auto& a : inputs) bytes.push_back(a.SerializeAsString());
    records::Aggregates reference = inputs[0];
    for (size_t k = 1; k < inputs.size(); ++k) {
      records::Aggregates next = inputs[k];
      MergeAggregates(std::move(next), &reference);
    }
    // Partial merge (two or more operands, no retention).
    if (bytes.size() >= 2) {
      const std::deque<rocksdb::Slice> operands(bytes.begin(), bytes.end());
      std::string partial;
      ASSERT_TRUE(op->PartialMergeMulti("k", operands, &partial, nullptr));
      EXPECT_EQ(partial, reference.SerializeAsString()) << "round " << round;
    }
    // Full merge, with and without the first input as the existing value.
    DropDaysBefore(first_day, &reference);
    const std::string want = reference.SerializeAsString();
    for (bool with_base : {false, true}) {
      if (with_base && bytes.size() < 2) continue;
      const rocksdb::Slice base(bytes[0]);
      std::vector<rocksdb::Slice> operands(bytes.begin() + (with_base ? 1 : 0), bytes.end());
      rocksdb::MergeOperator::MergeOperationInput in("k", with_base ? &base : nullptr, operands,
                                                     nullptr);
      std::string merged;
      rocksdb::Slice existing(nullptr, 0);  // set by the operator when it returns an operand
      rocksdb::MergeOperator::MergeOperationOutput out(merged, existing);
      ASSERT_TRUE(op->FullMergeV2(in, &out));
      const std::string got = existing.data() != nullptr ? existing.ToString() : merged;
      EXPECT_EQ(got, want) << "round " << round << (with_base ? " with base" : "");
    }
  }
}

TEST(StorageMergeTest, FiltersApplyTheHorizonReadAtFilterTime) {
  absl::Time now = absl::FromUnixSeconds(103 * 86400 + 3600);
  const auto clock = [&now] { return now; };
  auto factory = NewAggregatesFilterFactory(clock, 1);  // keeps day >= 102
  rocksdb::CompactionFilter::Context context{};
  auto filter = factory->CreateCompactionFilter(context);
  records::Aggregates a;
  for (auto e : SampleEvents()) MergeAggregates(std::move(e), &a);
  *a.mutable_attributes() = OneVersion("tier", "gold", 30, 2);  // retention leaves them alone
  std::string new_value, skip;
  using Decision = rocksdb::CompactionFilter::Decision;
  for (auto type : {rocksdb::CompactionFilter::ValueType::kValue,
                    rocksdb::CompactionFilter::ValueType::kMergeOperand}) {
    ASSERT_EQ(filter->FilterV2(0, "k", type, a.SerializeAsString(), &new_value, &skip),
              Decision::kChangeValue);
    records::Aggregates filtered;
    ASSERT_TRUE(filtered.ParseFromString(new_value));
    EXPECT_EQ(filtered.days_size(), 2);
    EXPECT_EQ(filtered.lifetime_size(), 4);
    EXPECT_EQ(filtered.attributes().SerializeAsString(), a.attributes().SerializeAsString());
  }

  now = absl::FromUnixSeconds(2 * 86400);  // the next compaction reads the clock again
  EXPECT_EQ(factory->CreateCompactionFilter(context)->FilterV2(
                0, "k", rocksdb::CompactionFilter::ValueType::kValue, a.SerializeAsString(),
                &new_value, &skip),
            Decision::kKeep);

  auto dedup = NewDedupFilterFactory(clock, 1)->CreateCompactionFilter(context);
  const int64_t now_us = absl::ToUnixMicros(now);
  std::string old_time(8, '\0'), recent_time(8, '\0');
  for (int i = 0; i < 8; ++i) {
    const int64_t o = now_us - 86400LL * 1000000 - 1, r = now_us - 1;
    old_time[i] = static_cast<char>((o >> (8 * (7 - i))) & 0xff);
    recent_time[i] = static_cast<char>((r >> (8 * (7 - i))) & 0xff);
  }
  EXPECT_EQ(dedup->FilterV2(0, "k", rocksdb::CompactionFilter::ValueType::kValue, old_time,
                            &new_value, &skip),
            Decision::kRemove);
  EXPECT_EQ(dedup->FilterV2(0, "k", rocksdb::CompactionFilter::ValueType::kValue, recent_time,
                            &new_value, &skip),
            Decision::kKeep);
}

}  // namespace
}  // namespace cohort::storage::internal
