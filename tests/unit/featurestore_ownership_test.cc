// Ownership: which partitions a node owns under the current shard map, and how a changed
// shard-map file is picked up (or refused).
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/featurestore/ownership.h"
#include "test_util.h"

namespace cohort::featurestore {
namespace {

using ::cohort::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint32_t kPartitions = 64;

// Two nodes: store-0 owns [0, 16) and [32, 48); store-1 owns the rest.
std::string MapJson(uint64_t epoch, uint32_t partitions = kPartitions) {
  return absl::StrCat(R"({"epoch": )", epoch, R"(, "partitions": )", partitions, R"(, "nodes": [
    {"id": "store-0", "address": "127.0.0.1:7100",
     "ranges": [{"begin": 32, "end": 48}, {"begin": 0, "end": 16}]},
    {"id": "store-1", "address": "127.0.0.1:7101",
     "ranges": [{"begin": 16, "end": 32}, {"begin": 48, "end": )",
                      partitions, R"(}]}]})");
}

// A customer id whose partition store-0 owns (or does not own).
std::string CustomerOf(bool owned_by_store0) {
  for (int i = 0;; ++i) {
    std::string id = absl::StrCat("c", i);
    uint32_t p = PartitionOf(id, kPartitions);
    bool store0 = p < 16 || (p >= 32 && p < 48);
    if (store0 == owned_by_store0) return id;
  }
}

class OwnershipTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = (dir_ / "shard_map.json").string(); }

  // Replaces the map file the way a ConfigMap update or an operator's tool does: a new
  // file renamed into place.
  void WriteMap(const std::string& json) {
    const std::string tmp = path_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << json;
    }
    std::filesystem::rename(tmp, path_);
  }

  std::unique_ptr<Ownership> LoadOrDie(const std::string& node_id = "store-0") {
    absl::StatusOr<std::unique_ptr<Ownership>> ownership = Ownership::Load(path_, node_id);
    EXPECT_TRUE(ownership.ok()) << ownership.status();
    return ownership.ok() ? *std::move(ownership) : nullptr;
  }

  TempDir dir_{"ownership_test"};
  std::string path_;
};

TEST_F(OwnershipTest, LoadsTheNodesMergedRanges) {
  WriteMap(MapJson(3));
  std::unique_ptr<Ownership> ownership = LoadOrDie();
  ASSERT_NE(ownership, nullptr);
  std::shared_ptr<const OwnershipView> view = ownership->Current();
  EXPECT_EQ(view->epoch(), 3u);
  EXPECT_EQ(view->node_id(), "store-0");
  EXPECT_TRUE(view->listed());
  ASSERT_EQ(view->owned().size(), 2u);
  EXPECT_EQ(view->owned()[0].begin, 0u);
  EXPECT_EQ(view->owned()[0].end, 16u);
  EXPECT_EQ(view->owned()[1].begin, 32u);
  EXPECT_EQ(view->owned()[1].end, 48u);
  EXPECT_TRUE(view->Owns(0));
  EXPECT_TRUE(view->Owns(47));
  EXPECT_FALSE(view->Owns(16));
  EXPECT_FALSE(view->Owns(63));
}

TEST_F(OwnershipTest, RefusesANodeMissingFromTheMap) {
  WriteMap(MapJson(3));
  absl::StatusOr<std::unique_ptr<Ownership>> ownership = Ownership::Load(path_, "store-9");
  ASSERT_FALSE(ownership.ok());
  EXPECT_EQ(ownership.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ownership.status().message(),
              AllOf(HasSubstr("store-9"), HasSubstr("store-0, store-1"), HasSubstr(path_)));
}

TEST_F(OwnershipTest, RefusesAMalformedOrMissingMap) {
  WriteMap(R"({"epoch": 1, "nodes": [)");
  absl::StatusOr<std::unique_ptr<Ownership>> ownership = Ownership::Load(path_, "store-0");
  ASSERT_FALSE(ownership.ok());
  EXPECT_EQ(ownership.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ownership.status().message(), HasSubstr(path_));

  ownership = Ownership::Load((dir_ / "absent.json").string(), "store-0");
  ASSERT_FALSE(ownership.ok());
  EXPECT_EQ(ownership.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(OwnershipTest, ForeignCustomerNamesPartitionOwnerAndEpoch) {
  WriteMap(MapJson(3));
  std::unique_ptr<Ownership> ownership = LoadOrDie();
  ASSERT_NE(ownership, nullptr);
  std::shared_ptr<const OwnershipView> view = ownership->Current();
  EXPECT_TRUE(view->CheckCustomer(CustomerOf(true)).ok());

  const std::string foreign = CustomerOf(false);
  absl::Status status = view->CheckCustomer(foreign);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            absl::StrCat("partition ", PartitionOf(foreign, kPartitions), " of customer '", foreign,
                         "' is owned by node store-1, not store-0, at shard-map epoch 3; "
                         "reload the shard map and retry"));
}

TEST_F(OwnershipTest, CheckRangeAcceptsOnlyOwnedValidRanges) {
  WriteMap(MapJson(3));
  std::unique_ptr<Ownership> ownership = LoadOrDie();
  ASSERT_NE(ownership, nullptr);
  std::shared_ptr<const OwnershipView> view = ownership->Current();
  EXPECT_TRUE(view->CheckRange(0, 16).ok());
  EXPECT_TRUE(view->CheckRange(40, 48).ok());
  EXPECT_EQ(view->CheckRange(5, 5).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(view->CheckRange(0, 65).code(), absl::StatusCode::kInvalidArgument);
  absl::Status status = view->CheckRange(8, 40);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("partition 16 is owned by node store-1"),
                                      HasSubstr("epoch 3"), HasSubstr("[0, 16), [32, 48)")));
}

TEST_F(OwnershipTest, ReloadInstallsANewerMap) {
  WriteMap(MapJson(3));
  std::unique_ptr<Ownership> ownership = LoadOrDie();
  ASSERT_NE(ownership, nullptr);
  std::shared_ptr<const OwnershipView> before = ownership->Current();

  absl::StatusOr<bool> reloaded = ownership->ReloadIfChanged();
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_FALSE(*reloaded);  // nothing changed

  // Epoch 4 moves everything to store-0.
  WriteMap(R"({"epoch": 4, "partitions": 64, "nodes": [
    {"id": "store-0", "address": "127.0.0.1:7100", "ranges": [{"begin": 0, "end": 64}]}]})");
  reloaded = ownership->ReloadIfChanged();
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_TRUE(*reloaded);
  EXPECT_EQ(ownership->Current()->epoch(), 4u);
  EXPECT_TRUE(ownership->Current()->CheckCustomer(CustomerOf(false)).ok());
  // A view taken before the swap is unchanged.
  EXPECT_EQ(before->epoch(), 3u);
  EXPECT_FALSE(before->CheckCustomer(CustomerOf(false)).ok());
}

TEST_F(OwnershipTest, ReloadKeepsTheCurrentMapWhenTheNewOneIsBad) {
  WriteMap(MapJson(3));
  std::unique_ptr<Ownership> ownership = LoadOrDie();
  ASSERT_NE(ownership, nullptr);

  WriteMap("{ not json");
  absl::StatusOr<bool> reloaded = ownership->ReloadIfChanged();
  EXPECT_EQ(reloaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ownership->Current()->epoch(), 3u);
  reloaded = ownership->ReloadIfChanged();  // the same bad file is reported once
  ASSERT_TRUE(reloaded.ok());
  EXPECT_FALSE(*reloaded);

  WriteMap(MapJson(3, 128));  // the partition count is fixed
  reloaded = ownership->ReloadIfChanged();
  EXPECT_EQ(reloaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reloaded.status().message(), HasSubstr("partition count changed from 64 to 128"));

  WriteMap(R"({"epoch": 2, "partitions": 64, "nodes": [
    {"id": "store-0", "address": "127.0.0.1:7100", "ranges": [{"begin": 0, "end": 64}]}]})");
  reloaded = ownership->ReloadIfChanged();  // an older epoch with other content
  EXPECT_EQ(reloaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reloaded.status().message(), HasSubstr("epoch 2 is not newer than"));
  EXPECT_EQ(ownership->Current()->epoch(), 3u);

  WriteMap(MapJson(3));  // same content again, e.g. a rewritten ConfigMap
  reloaded = ownership->ReloadIfChanged();
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_FALSE(*reloaded);
}

TEST_F(OwnershipTest, ANewerMapWithoutTheNodeLeavesItOwningNothing) {
  WriteMap(MapJson(3));
  std::unique_ptr<Ownership> ownership = LoadOrDie();
  ASSERT_NE(ownership, nullptr);
  WriteMap(R"({"epoch": 5, "partitions": 64, "nodes": [
    {"id": "store-1", "address": "127.0.0.1:7101", "ranges": [{"begin": 0, "end": 64}]}]})");
  absl::StatusOr<bool> reloaded = ownership->ReloadIfChanged();
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_TRUE(*reloaded);
  std::shared_ptr<const OwnershipView> view = ownership->Current();
  EXPECT_FALSE(view->listed());
  EXPECT_TRUE(view->owned().empty());
  absl::Status status = view->CheckCustomer(CustomerOf(true));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("owned by node store-1"), HasSubstr("epoch 5")));
}

TEST_F(OwnershipTest, WatcherPicksUpAChangedFile) {
  WriteMap(MapJson(3));
  std::unique_ptr<Ownership> ownership = LoadOrDie();
  ASSERT_NE(ownership, nullptr);
  ownership->StartWatching(absl::Milliseconds(10));
  WriteMap(MapJson(7));
  // Wait for the watcher's swap (bounded: fails rather than hangs).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (ownership->Current()->epoch() != 7 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(ownership->Current()->epoch(), 7u);
  ownership->StopWatching();
}

TEST_F(OwnershipTest, WriteScopeHoldsOffTheSwap) {
  WriteMap(MapJson(3));
  std::unique_ptr<Ownership> ownership = LoadOrDie();
  ASSERT_NE(ownership, nullptr);
  WriteMap(MapJson(4));
  std::atomic<bool> reloaded{false};
  std::thread reloader;
  {
    Ownership::WriteScope scope(*ownership);
    EXPECT_EQ(scope.view().epoch(), 3u);
    reloader = std::thread([&] {
      absl::StatusOr<bool> result = ownership->ReloadIfChanged();
      reloaded = result.ok() && *result;
    });
    // While the scope lives, the swap cannot complete, whatever the reloader has done.
    absl::SleepFor(absl::Milliseconds(50));
    EXPECT_EQ(ownership->Current()->epoch(), 3u);
    EXPECT_FALSE(reloaded);
  }
  reloader.join();
  EXPECT_TRUE(reloaded);
  EXPECT_EQ(ownership->Current()->epoch(), 4u);
}

}  // namespace
}  // namespace cohort::featurestore
