// Key layout of the profile store: byte encoding, partition ranges, prefix successor.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/hash.h"
#include "gtest/gtest.h"
#include "storage/keys.h"

namespace cohort::storage::internal {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(StorageKeysTest, CustomerKeyLayoutIsPartitionLengthId) {
  EXPECT_EQ(EncodeCustomerKey(0x0102, "abc"), Bytes({0x01, 0x02, 0x03, 'a', 'b', 'c'}));
  EXPECT_EQ(EncodeCustomerKey(0, "x"), Bytes({0x00, 0x00, 0x01, 'x'}));
  EXPECT_EQ(EncodeCustomerKey(65535, "x"), Bytes({0xff, 0xff, 0x01, 'x'}));
  const std::string long_id(128, 'z');
  const std::string key = EncodeCustomerKey(7, long_id);
  ASSERT_EQ(key.size(), 3u + 128u);
  EXPECT_EQ(static_cast<uint8_t>(key[2]), 128);
  EXPECT_EQ(key.substr(3), long_id);
}

TEST(StorageKeysTest, CustomerKeyOfUsesStablePartition) {
  for (const std::string id : {"alice", "bob", "c-0001", "\xc3\xa9t\xc3\xa9"}) {
    const uint32_t p = PartitionOf(id, 1024);
    EXPECT_EQ(CustomerKeyOf(id, 1024), EncodeCustomerKey(p, id)) << id;
  }
}

TEST(StorageKeysTest, DecodeRoundTripsCustomerAndDedupKeys) {
  const std::string customer = EncodeCustomerKey(513, "cust-42");
  auto decoded = DecodeKey(customer);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->partition, 513u);
  EXPECT_EQ(decoded->customer_id, "cust-42");
  EXPECT_TRUE(decoded->suffix.empty());

  const std::string dedup = DedupKey(customer, "evt-1");
  EXPECT_EQ(dedup, customer + "evt-1");
  decoded = DecodeKey(dedup);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->customer_id, "cust-42");
  EXPECT_EQ(decoded->suffix, "evt-1");
}

TEST(StorageKeysTest, DecodeRejectsMalformedKeys) {
  EXPECT_FALSE(DecodeKey("").has_value());
  EXPECT_FALSE(DecodeKey(Bytes({0x00, 0x01})).has_value());
  EXPECT_FALSE(DecodeKey(Bytes({0x00, 0x01, 0x00})).has_value());            // empty id
  EXPECT_FALSE(DecodeKey(Bytes({0x00, 0x01, 0x05, 'a', 'b'})).has_value());  // truncated
}

TEST(StorageKeysTest, PartitionRangesAreContiguousAndOrdered) {
  for (uint32_t p : {0u, 1u, 255u, 256u, 1023u, 65534u}) {
    const KeyRange range = PartitionRange(p, p + 1);
    EXPECT_EQ(range.end, PartitionRange(p + 1, p + 2).begin) << p;
    EXPECT_LT(range.begin, range.end) << p;
    // Every customer of the partition lies inside, including the largest possible key.
    const std::string smallest = EncodeCustomerKey(p, "\x01");
    std::string largest_id;
    while (largest_id.size() + 4 <= 128) largest_id += "\xf4\x8f\xbf\xbf";  // U+10FFFF
    const std::string largest = DedupKey(EncodeCustomerKey(p, largest_id), largest_id);
    EXPECT_LE(range.begin, smallest);
    EXPECT_LT(largest, range.end);
    if (p > 0) {
      EXPECT_LT(DedupKey(EncodeCustomerKey(p - 1, largest_id), largest_id), range.begin);
    }
  }
  EXPECT_EQ(PartitionRange(3, 9).begin, PartitionRange(3, 4).begin);
  EXPECT_EQ(PartitionRange(3, 9).end, PartitionRange(8, 9).end);
  EXPECT_TRUE(PartitionRange(65535, 65536).end.empty());  // unbounded
}

TEST(StorageKeysTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor(Bytes({'a', 0xff})), "b");
  EXPECT_EQ(PrefixSuccessor(Bytes({0x01, 0xff, 0xff})), Bytes({0x02}));
  EXPECT_EQ(PrefixSuccessor(Bytes({0xff, 0xff})), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
  // [key, successor) holds exactly the customer's keys: its dedup keys are inside, other
  // customers (even ones whose id extends this id) are outside.
  const std::string key = EncodeCustomerKey(9, "ab");
  const std::string end = PrefixSuccessor(key);
  EXPECT_LT(key, end);
  EXPECT_LT(DedupKey(key, std::string(128, '\x7f')), end);
  for (const std::string other : {"a", "abc", "ab\x01", "b", "aa"}) {
    const std::string k = EncodeCustomerKey(9, other);
    EXPECT_TRUE(k < key || k >= end) << other;
  }
}

TEST(StorageKeysTest, MetadataRoundTrip) {
  StoreMetadata meta;
  meta.partitions = 1024;
  EXPECT_EQ(EncodeMetadata(meta), "format_version=2 partitions=1024");
  auto decoded = DecodeMetadata(EncodeMetadata(meta));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->partitions, 1024u);
  EXPECT_EQ(decoded->format_version, kFormatVersion);
  EXPECT_EQ(DecodeMetadata("garbage").status().code(), absl::StatusCode::kDataLoss);
}

TEST(StorageKeysTest, EventTimeEncodingIsBigEndianAndRoundTrips) {
  EXPECT_EQ(EncodeEventTime(0x0102030405060708), Bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  for (int64_t us : {int64_t{0}, int64_t{1772366400000000}, int64_t{-5}}) {
    EXPECT_EQ(DecodeEventTime(EncodeEventTime(us)), us);
  }
  EXPECT_FALSE(DecodeEventTime("short").has_value());
}

}  // namespace
}  // namespace cohort::storage::internal
