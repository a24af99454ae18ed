// bench/driver.h: schedules, accounting and errors of the closed- and open-loop drivers.
// No timing assertions: only counts fixed by the schedule and lower bounds that sleeps
// guarantee.
#include <atomic>
#include <chrono>
#include <thread>

#include "absl/status/status.h"
#include "bench/driver.h"
#include "gtest/gtest.h"

namespace cohort::bench {
namespace {

TEST(BenchDriverTest, RejectsBadOptions) {
  const OpFactory factory = [](int) -> absl::StatusOr<Op> {
    return Op([] { return absl::OkStatus(); });
  };
  DriverOptions options;
  options.concurrency = 0;
  EXPECT_EQ(RunLoad(options, factory).status().code(), absl::StatusCode::kInvalidArgument);
  options.concurrency = 1;
  options.mode = LoopMode::kOpen;
  options.rate = 0;
  EXPECT_EQ(RunLoad(options, factory).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BenchDriverTest, FactoryErrorIsReturned) {
  const OpFactory factory = [](int index) -> absl::StatusOr<Op> {
    if (index == 1) return absl::UnavailableError("no connection");
    return Op([] { return absl::OkStatus(); });
  };
  DriverOptions options;
  options.concurrency = 3;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(50);
  const auto result = RunLoad(options, factory);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
}

TEST(BenchDriverTest, ClosedLoopCountsSuccessesAndErrors) {
  std::atomic<int> calls{0};
  const OpFactory factory = [&](int) -> absl::StatusOr<Op> {
    return Op([&] {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return ++calls % 2 == 0 ? absl::OkStatus() : absl::InternalError("odd call");
    });
  };
  DriverOptions options;
  options.concurrency = 2;
  options.warmup = absl::Milliseconds(20);
  options.duration = absl::Milliseconds(100);
  const auto result = RunLoad(options, factory);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->ops, 0u);
  EXPECT_GT(result->errors, 0u);
  EXPECT_EQ(result->latency.count(), result->ops);  // only successes are in the histogram
  EXPECT_LE(result->ops + result->errors, static_cast<uint64_t>(calls.load()));  // warm-up
  EXPECT_GE(result->latency.min(), 200000u);  // every op slept 200 us
  EXPECT_NE(result->first_error.find("odd call"), std::string::npos);
  EXPECT_GE(result->seconds, 0.1);
}

TEST(BenchDriverTest, OpenLoopRunsExactlyTheScheduleOfTheMeasuredWindow) {
  const OpFactory factory = [](int) -> absl::StatusOr<Op> {
    return Op([] { return absl::OkStatus(); });
  };
  DriverOptions options;
  options.mode = LoopMode::kOpen;
  options.concurrency = 3;
  options.rate = 1000;  // one request per ms
  options.warmup = absl::Milliseconds(50);
  options.duration = absl::Milliseconds(200);
  const auto result = RunLoad(options, factory);
  ASSERT_TRUE(result.ok()) << result.status();
  // Requests k = 50 .. 249 are due in [50 ms, 250 ms): exactly 200, however fast the op.
  EXPECT_EQ(result->ops, 200u);
  EXPECT_EQ(result->errors, 0u);
}

TEST(BenchDriverTest, OpenLoopChargesAStallToTheRequestsItDelayed) {
  // One worker; request 100 (due at 100 ms) stalls for 30 ms. Requests 101..110 are due
  // while it stalls, so measured from their intended send times each waited >= 20 ms.
  // A closed-loop measurement would record one slow request; the open loop records 11.
  const OpFactory factory = [](int) -> absl::StatusOr<Op> {
    return Op([k = 0]() mutable {
      if (k++ == 100) std::this_thread::sleep_for(std::chrono::milliseconds(30));
      return absl::OkStatus();
    });
  };
  DriverOptions options;
  options.mode = LoopMode::kOpen;
  options.concurrency = 1;
  options.rate = 1000;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(200);
  const auto result = RunLoad(options, factory);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->ops, 200u);
  // At least 11 of 200 values are >= 20 ms: the 190th smallest (p95) is.
  EXPECT_GE(result->latency.ValueAtPercentile(95), 20000000u);
  EXPECT_GE(result->latency.max(), 30000000u);
}

}  // namespace
}  // namespace cohort::bench
