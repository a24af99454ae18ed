#include "common/validation.h"

#include <string>

#include "gtest/gtest.h"

namespace cohort {
namespace {

TEST(ValidationTest, AcceptsIdsOfOneTo128Bytes) {
  EXPECT_TRUE(ValidateId("c", "customer_id").ok());
  EXPECT_TRUE(ValidateId(std::string(128, 'x'), "customer_id").ok());
  EXPECT_TRUE(ValidateId("kunde-\xc3\xa4", "customer_id").ok());  // UTF-8 "ä"
}

TEST(ValidationTest, RejectsEmptyLongControlAndBadUtf8) {
  auto empty = ValidateId("", "customer_id");
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.message().find("customer_id is empty"), std::string::npos);
  auto longer = ValidateId(std::string(129, 'x'), "customer_id");
  EXPECT_NE(longer.message().find("129 bytes"), std::string::npos) << longer;
  EXPECT_FALSE(ValidateId("a\nb", "customer_id").ok());
  EXPECT_FALSE(ValidateId(std::string("a\0b", 3), "customer_id").ok());
  EXPECT_FALSE(ValidateId("\xc3", "customer_id").ok());          // truncated sequence
  EXPECT_FALSE(ValidateId("\xc0\xaf", "customer_id").ok());      // overlong
  EXPECT_FALSE(ValidateId("\xed\xa0\x80", "customer_id").ok());  // surrogate
}

}  // namespace
}  // namespace cohort
