// ProfileStore attributes on a real RocksDB: last writer by event time wins whatever the
// arrival order, deterministic ties, validation.
#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/keys.h"
#include "storage/profile_store.h"
#include "storage/record_codec.h"
#include "storage/records.pb.h"
#include "storage/rocks_config.h"
#include "storage_test_util.h"

namespace cohort::storage::test {
namespace {

using ::testing::HasSubstr;

bool SameAttributes(const std::vector<Attribute>& a, const std::vector<Attribute>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].value != b[i].value || a[i].source != b[i].source ||
        a[i].event_time != b[i].event_time) {
      return false;
    }
  }
  return true;
}

class StorageAttributesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenTestStore(TestStoreOptions(dir_.path() + "/db", 8, clock_));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  void Upsert(const std::string& customer, std::vector<Attribute> attributes) {
    CustomerAttributes update{customer, std::move(attributes)};
    auto written = store_->UpsertAttributes({update}, Durability::kAsync);
    ASSERT_TRUE(written.ok()) << written.status();
  }

  std::vector<Attribute> AttributesOf(const std::string& customer) {
    auto profile = store_->GetProfile(customer);
    EXPECT_TRUE(profile.ok()) << profile.status();
    if (!profile.ok() || !profile->has_value()) return {};
    return (*profile)->attributes;
  }

  FakeClock clock_{T0()};
  TempDir dir_{"cohort-attr"};
  std::unique_ptr<ProfileStore> store_;
};

TEST_F(StorageAttributesTest, EveryArrivalOrderConvergesToLatestEventTime) {
  const std::vector<Attribute> versions = {
      Attr("tier", std::string("bronze"), T0() - absl::Hours(30), "crm"),
      Attr("tier", std::string("gold"), T0() - absl::Hours(10), "loyalty"),
      Attr("tier", std::string("silver"), T0() - absl::Hours(20), "crm")};
  std::vector<int> order = {0, 1, 2};
  std::vector<std::vector<Attribute>> outcomes;
  int permutation = 0;
  do {
    const std::string customer = absl::StrCat("perm-", permutation);
    for (size_t k = 0; k < order.size(); ++k) {
      Upsert(customer, {versions[order[k]]});
      // Some permutations merge onto a compacted base value, others only in the memtable.
      if (permutation % 2 == 1 && k == 0) {
        ASSERT_TRUE(store_->CompactAll().ok());
      }
      clock_.Advance(absl::Seconds(1));  // written_us differs per arrival
    }
    outcomes.push_back(AttributesOf(customer));
    ++permutation;
  } while (std::next_permutation(order.begin(), order.end()));
  ASSERT_EQ(outcomes.size(), 6u);
  ASSERT_EQ(outcomes[0].size(), 1u);
  EXPECT_EQ(std::get<std::string>(outcomes[0][0].value), "gold");
  EXPECT_EQ(outcomes[0][0].source, "loyalty");
  EXPECT_EQ(outcomes[0][0].event_time, T0() - absl::Hours(10));
  for (const auto& outcome : outcomes) EXPECT_TRUE(SameAttributes(outcome, outcomes[0]));
}

TEST_F(StorageAttributesTest, TiesOnEventTimeResolveTheSameWayInEveryOrder) {
  const absl::Time t = T0() - absl::Hours(1);
  const std::vector<Attribute> versions = {Attr("segment", std::string("a"), t, "crm"),
                                           Attr("segment", std::string("b"), t, "crm"),
                                           Attr("segment", int64_t{7}, t, "web")};
  std::vector<int> order = {0, 1, 2};
  std::vector<std::vector<Attribute>> outcomes;
  int permutation = 0;
  do {
    const std::string customer = absl::StrCat("tie-", permutation++);
    for (int i : order) {
      Upsert(customer, {versions[i]});
      clock_.Advance(absl::Seconds(1));
    }
    outcomes.push_back(AttributesOf(customer));
  } while (std::next_permutation(order.begin(), order.end()));
  ASSERT_EQ(outcomes[0].size(), 1u);
  for (const auto& outcome : outcomes) EXPECT_TRUE(SameAttributes(outcome, outcomes[0]));
  // Replaying the winner changes nothing.
  Upsert("tie-0", {outcomes[0][0]});
  EXPECT_TRUE(SameAttributes(AttributesOf("tie-0"), outcomes[0]));
}

TEST_F(StorageAttributesTest, AllValueTypesRoundTripSortedByName) {
  const absl::Time t = T0() - absl::Minutes(1);
  const absl::Time birthday = absl::FromUnixSeconds(631152000);
  CustomerAttributes update{
      "gina",
      {Attr("vip", true, t), Attr("score", 0.25, t), Attr("visits", int64_t{-3}, t),
       Attr("born", birthday, t), Attr("city", std::string("Zürich"), t, "")}};
  auto written = store_->UpsertAttributes({update}, Durability::kSync);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, 5u);
  const std::vector<Attribute> attributes = AttributesOf("gina");
  ASSERT_EQ(attributes.size(), 5u);
  EXPECT_EQ(attributes[0].name, "born");
  EXPECT_EQ(std::get<absl::Time>(attributes[0].value), birthday);
  EXPECT_EQ(attributes[1].name, "city");
  EXPECT_EQ(std::get<std::string>(attributes[1].value), "Zürich");
  EXPECT_EQ(attributes[1].source, "");
  EXPECT_EQ(attributes[2].name, "score");
  EXPECT_EQ(std::get<double>(attributes[2].value), 0.25);
  EXPECT_EQ(attributes[3].name, "vip");
  EXPECT_TRUE(std::get<bool>(attributes[3].value));
  EXPECT_EQ(attributes[4].name, "visits");
  EXPECT_EQ(std::get<int64_t>(attributes[4].value), -3);
  // An attribute-only customer has a profile without aggregates.
  auto profile = store_->GetProfile("gina");
  ASSERT_TRUE(profile.ok() && profile->has_value());
  EXPECT_FALSE((*profile)->first_seen.has_value());
  EXPECT_TRUE((*profile)->lifetime.empty());
}

TEST_F(StorageAttributesTest, InvalidInputNamesTheFieldAndWritesNothing) {
  const absl::Time t = T0() - absl::Minutes(1);
  struct Case {
    Attribute attribute;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {Attr("Tier", std::string("x"), t), "customers[1].attributes[1].name"},
      {Attr("", std::string("x"), t), "customers[1].attributes[1].name"},
      {Attr(std::string(65, 'a'), std::string("x"), t), "customers[1].attributes[1].name"},
      {Attr("tier", std::string("x"), t, std::string(65, 's')),
       "customers[1].attributes[1].source"},
      {Attr("tier", std::numeric_limits<double>::quiet_NaN(), t),
       "customers[1].attributes[1].value"},
      {Attr("tier", std::numeric_limits<double>::infinity(), t),
       "customers[1].attributes[1].value"},
      {Attr("tier", std::string("\xff"), t), "customers[1].attributes[1].value"},
      {Attr("tier", std::string("x"), absl::UnixEpoch() - absl::Seconds(1)),
       "customers[1].attributes[1].event_time"},
      {Attr("tier", std::string("x"), T0() + absl::Hours(25)),
       "customers[1].attributes[1].event_time"},
  };
  for (const Case& c : cases) {
    std::vector<CustomerAttributes> updates = {
        {"valid-1", {Attr("ok", true, t)}},
        {"valid-2", {Attr("ok", true, t), c.attribute}},
    };
    auto written = store_->UpsertAttributes(updates, Durability::kSync);
    EXPECT_EQ(written.status().code(), absl::StatusCode::kInvalidArgument) << c.expected;
    EXPECT_THAT(written.status().message(), HasSubstr(c.expected));
  }
  std::vector<CustomerAttributes> bad_id = {{"", {Attr("ok", true, t)}}};
  auto written = store_->UpsertAttributes(bad_id, Durability::kSync);
  EXPECT_EQ(written.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(written.status().message(), HasSubstr("customers[0].customer_id"));
  for (const std::string customer : {"valid-1", "valid-2"}) {
    auto profile = store_->GetProfile(customer);
    ASSERT_TRUE(profile.ok());
    EXPECT_FALSE(profile->has_value()) << customer;
  }
  // Boundaries: 1970 and now + 1 day are accepted.
  std::vector<CustomerAttributes> edges = {
      {"edge",
       {Attr("a", true, absl::UnixEpoch()), Attr("b", true, T0() + absl::Hours(24)),
        Attr(std::string(64, 'z'), true, t)}}};
  auto ok = store_->UpsertAttributes(edges, Durability::kSync);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, 3u);
}

// A new store's metadata, the "default" family's only write, is flushed at once: left in the
// memtable it would keep every WAL file alive until max_total_wal_size forced a flush.
TEST(StorageFormatTest, ANewStoresMetadataIsFlushed) {
  FakeClock clock{T0()};
  TempDir dir{"cohort-format"};
  auto store = OpenTestStore(TestStoreOptions(dir.path() + "/db", 8, clock));
  ASSERT_TRUE(store.ok()) << store.status();
  bool seen = false;
  for (const ColumnFamilyHealth& family : (*store)->Health().column_families) {
    if (family.name != "default") continue;
    seen = true;
    EXPECT_GT(family.sst_bytes, 0u);
    EXPECT_EQ(family.estimated_keys, 1u);
  }
  EXPECT_TRUE(seen);
}

// A format-1 store kept attributes in their own family. Opening it converts it: every
// customer's attributes move into its record (one read per customer), the old family is
// emptied and the store says format 2. A later format is refused.
TEST(StorageFormatTest, AFormatOneStoreIsConvertedWhenItOpens) {
  FakeClock clock{T0()};
  TempDir dir{"cohort-format"};
  const StoreOptions options = TestStoreOptions(dir.path() + "/db", 8, clock);
  {  // events for "both"; nothing else
    auto store = OpenTestStore(options);
    ASSERT_TRUE(store.ok()) << store.status();
    auto ingested = (*store)->Ingest({MakeEvent("e1", "both", T0())}, Durability::kSync);
    ASSERT_TRUE(ingested.ok()) << ingested.status();
  }
  // What a format-1 build wrote: AttributeSet records in "attributes" and format_version=1.
  const auto raw_write = [&](const std::string& meta, bool with_attributes) {
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(internal::MakeDbOptions(options), options.path,
                                  internal::MakeColumnFamilies(options), &handles, &raw)
                    .ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    const auto put = [&](internal::ColumnFamily family, const std::string& key,
                         const std::string& value) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[family], key, value).ok());
    };
    put(internal::kDefaultCf, internal::kMetadataKey, meta);
    if (with_attributes) {
      for (const std::string customer : {"both", "attributes-only"}) {
        records::AttributeSet set;
        records::AttributeVersions* tier = set.add_attributes();
        tier->set_name("tier");
        *tier->add_versions() = internal::StoredOf(Attr("tier", customer, T0()), 1);
        put(internal::kAttributesCf, internal::CustomerKeyOf(customer, 8), set.SerializeAsString());
      }
    }
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    ASSERT_TRUE(db->Close().ok());
  };
  raw_write("format_version=1 partitions=8", true);

  for (int open = 0; open < 2; ++open) {  // converted, then opened as format 2
    auto store = OpenTestStore(options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (const std::string customer : {"both", "attributes-only"}) {
      auto profile = (*store)->GetProfile(customer);
      ASSERT_TRUE(profile.ok() && profile->has_value()) << customer;
      ASSERT_EQ((*profile)->attributes.size(), 1u) << customer;
      EXPECT_EQ(std::get<std::string>((*profile)->attributes[0].value), customer);
      EXPECT_EQ((*profile)->first_seen.has_value(), customer == "both");
    }
    auto all = (*store)->Select({});
    ASSERT_TRUE(all.ok());
    std::vector<std::string> exported;
    ASSERT_TRUE((*store)
                    ->Export(0, 8, *all, std::nullopt,
                             [&](absl::string_view id, FeatureVector) {
                               exported.emplace_back(id);
                               return absl::OkStatus();
                             })
                    .ok());
    std::sort(exported.begin(), exported.end());
    EXPECT_EQ(exported, (std::vector<std::string>{"attributes-only", "both"}));
    ASSERT_TRUE((*store)->CompactAll().ok());
  }
  const auto keys = DumpKeys(options.path);
  EXPECT_TRUE(keys.at("attributes").empty());
  EXPECT_EQ(keys.at("aggregates").size(), 2u);

  raw_write("format_version=3 partitions=8", false);
  auto newer = OpenTestStore(options);
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(newer.status().message(), HasSubstr("format version 3"));
}

}  // namespace
}  // namespace cohort::storage::test
