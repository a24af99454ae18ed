#include "common/time_util.h"

#include "gtest/gtest.h"

namespace cohort {
namespace {

TEST(TimeUtilTest, ParsesRfc3339AndUnixSeconds) {
  auto t = ParseEventTime("2026-03-01T12:30:00Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(absl::ToUnixSeconds(*t), 1772368200);
  auto offset = ParseEventTime("2026-03-01T13:30:00+01:00");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(*offset, *t);
  auto unix = ParseEventTime("1772368200");
  ASSERT_TRUE(unix.ok());
  EXPECT_EQ(*unix, *t);
  EXPECT_EQ(FormatRfc3339(*t), "2026-03-01T12:30:00Z");
}

TEST(TimeUtilTest, RejectsGarbage) {
  EXPECT_EQ(ParseEventTime("yesterday").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEventTime("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEventTime("2026-13-01T00:00:00Z").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TimeUtilTest, DaysRoundDownAndAsOfRoundsUp) {
  EXPECT_EQ(DayOf(absl::FromUnixSeconds(0)), 0);
  EXPECT_EQ(DayOf(absl::FromUnixSeconds(86399)), 0);
  EXPECT_EQ(DayOf(absl::FromUnixSeconds(86400)), 1);
  EXPECT_EQ(DayOf(absl::FromUnixSeconds(-1)), -1);
  EXPECT_EQ(ExclusiveEndDay(absl::FromUnixSeconds(86400)), 1);  // midnight: kept
  EXPECT_EQ(ExclusiveEndDay(absl::FromUnixSeconds(86401)), 2);  // mid-day: next midnight
  EXPECT_EQ(StartOfDay(3), absl::FromUnixSeconds(3 * 86400));
}

}  // namespace
}  // namespace cohort
