#include "common/hash.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace cohort {
namespace {

// Golden values from the reference implementation: printf '%s' "$s" | xxhsum -H1
TEST(XxHash64Test, MatchesReferenceImplementation) {
  EXPECT_EQ(XxHash64(""), 0xef46db3751d8e999ULL);
  EXPECT_EQ(XxHash64("a"), 0xd24ec4f1a98c6e5bULL);
  EXPECT_EQ(XxHash64("abc"), 0x44bc2cf5ad770999ULL);
  EXPECT_EQ(XxHash64("customer-000001"), 0xcd0e2a34979c097fULL);
  EXPECT_EQ(XxHash64("0123456789abcdef0123456789abcdef"), 0x642a94958e71e6c5ULL);
  EXPECT_EQ(XxHash64(std::string(100, 'x')), 0x92f0de5a88a3c094ULL);
}

TEST(PartitionTest, IsHashModuloPartitions) {
  EXPECT_EQ(PartitionOf("customer-000001", kDefaultPartitions), 0xcd0e2a34979c097fULL % 1024);
  EXPECT_EQ(PartitionOf("abc", 7), 0x44bc2cf5ad770999ULL % 7);
}

TEST(PartitionTest, SpreadsIdsEvenly) {
  constexpr uint32_t kParts = 16;
  int counts[kParts] = {};
  for (int i = 0; i < 16000; ++i) ++counts[PartitionOf(absl::StrCat("c", i), kParts)];
  for (int c : counts) {
    EXPECT_GT(c, 800);
    EXPECT_LT(c, 1200);
  }
}

}  // namespace
}  // namespace cohort
