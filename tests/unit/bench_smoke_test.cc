// cohort-bench end to end, ~1 s per run: a real store node (in-process gRPC server on
// 127.0.0.1:0, real RocksDB in a temp dir) with 20 customers, the cohort-bench binary run
// against it (closed and open loop, ingest, in-process on a checkpoint) and against a
// loopback redis-server if one is installed. Checks the JSON shape, never timings.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bench/keygen.h"
#include "bench/redis_workload.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/shard_router.h"
#include "services/featurestore/node_options.h"
#include "services/featurestore/server.h"
#include "test_util.h"

extern char** environ;

namespace cohort::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kCustomers = 20;

std::string MapJson(int epoch, const std::string& address) {
  return absl::StrCat(R"({"epoch": )", epoch, R"(, "partitions": 64, "nodes": [
    {"id": "store-0", "address": ")",
                      address, R"(", "ranges": [{"begin": 0, "end": 64}]}]})");
}

// Runs `argv` to completion; returns (exit code, stdout).
std::pair<int, std::string> RunCommand(const std::vector<std::string>& args) {
  std::vector<std::string> quoted;
  for (const std::string& a : args) quoted.push_back("'" + a + "'");
  const std::string command = absl::StrJoin(quoted, " ") + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

void ExpectRunJson(const std::string& output, const std::string& target) {
  EXPECT_THAT(output, HasSubstr(absl::StrCat("\"target\":\"", target, "\"")));
  for (const char* key :
       {"\"throughput_ops_s\":", "\"throughput_keys_s\":", "\"latency_us\":{\"p50\":", "\"p90\":",
        "\"p99\":", "\"p99_9\":", "\"max\":", "\"mean\":", "\"errors\":0,", "\"measured_s\":"}) {
    EXPECT_THAT(output, HasSubstr(key)) << output;
  }
  EXPECT_THAT(output, Not(HasSubstr("\"ops\":0,"))) << output;
}

class BenchSmokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteMap(MapJson(1, "127.0.0.1:1"));
    featurestore::NodeOptions options;
    options.data_dir = Path("data");
    options.listen = "127.0.0.1:0";
    options.node_id = "store-0";
    options.shard_map_path = Path("map.json");
    options.registry_path = COHORT_SOURCE_DIR "/storage/features.registry";
    options.shard_map_poll_interval = absl::Milliseconds(20);
    options.drain_timeout = absl::Seconds(5);
    auto node = featurestore::StoreNode::Start(options);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = *std::move(node);
    WriteMap(MapJson(2, node_->address()));

    auto router = ShardRouter::Create(Path("map.json"));
    ASSERT_TRUE(router.ok()) << router.status();
    router_ = *std::move(router);
    std::vector<v1::Event> events;
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    for (int i = 0; i < kCustomers; ++i) {
      v1::Event e;
      e.set_event_id(absl::StrCat("seed-", i));
      e.set_customer_id(CustomerId("cust-", i));
      e.mutable_time()->set_seconds(now - 3600);
      e.set_type("purchase");
      e.set_channel("web");
      e.set_quantity(1);
      e.set_amount(10 + i);
      events.push_back(e);
    }
    auto ingested = router_->Ingest(events);
    ASSERT_TRUE(ingested.ok()) << ingested.status();
    ASSERT_EQ(ingested->applied(), static_cast<uint32_t>(kCustomers));
  }

  void TearDown() override {
    if (redis_pid_ > 0) {
      kill(redis_pid_, SIGTERM);
      waitpid(redis_pid_, nullptr, 0);
    }
    router_.reset();
    node_.reset();
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  void WriteMap(const std::string& json) {
    std::ofstream(Path("map.json.tmp"), std::ios::trunc) << json;
    std::filesystem::rename(Path("map.json.tmp"), Path("map.json"));
  }

  std::vector<std::string> Bench(std::vector<std::string> flags) {
    std::vector<std::string> args = {COHORT_BENCH_BINARY,
                                     "--shard_map=" + Path("map.json"),
                                     absl::StrCat("--customers=", kCustomers),
                                     "--warmup=200ms",
                                     "--duration=1s",
                                     "--concurrency=2"};
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  testing::TempDir dir_{"bench_smoke_test"};
  std::unique_ptr<featurestore::StoreNode> node_;
  std::unique_ptr<ShardRouter> router_;
  pid_t redis_pid_ = -1;
};

TEST_F(BenchSmokeTest, CohortClosedAndOpenLoopAndIngest) {
  auto [code, out] = RunCommand(Bench(
      {"--target=cohort", "--batch=10", "--keys=zipfian", "--json_out=" + Path("results.jsonl")}));
  ASSERT_EQ(code, 0) << out;
  ExpectRunJson(out, "cohort");
  EXPECT_THAT(out, HasSubstr("\"found_fraction\":1.0000"));
  EXPECT_THAT(out, HasSubstr("p99.9="));  // the one-line summary

  std::tie(code, out) = RunCommand(Bench(
      {"--target=cohort", "--mode=open", "--rate=200", "--json_out=" + Path("results.jsonl")}));
  ASSERT_EQ(code, 0) << out;
  ExpectRunJson(out, "cohort");
  EXPECT_THAT(out, HasSubstr("\"mode\":\"open\""));

  std::tie(code, out) = RunCommand(Bench({"--target=cohort", "--workload=ingest", "--batch=5"}));
  ASSERT_EQ(code, 0) << out;
  ExpectRunJson(out, "cohort");

  std::tie(code, out) =
      RunCommand(Bench({"--target=cohort", "--workload=ingest_stream", "--batch=5"}));
  ASSERT_EQ(code, 0) << out;
  ExpectRunJson(out, "cohort");
  EXPECT_THAT(out, HasSubstr("\"workload\":\"ingest_stream\""));

  std::ifstream results(Path("results.jsonl"));
  std::string line;
  int lines = 0;
  while (std::getline(results, line)) {
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.back(), '}');
    ++lines;
  }
  EXPECT_EQ(lines, 2);
}

TEST_F(BenchSmokeTest, InprocOnACheckpoint) {
  auto [code, out] = RunCommand(Bench({"--make_checkpoints=" + Path("ckpt")}));
  ASSERT_EQ(code, 0) << out;
  std::tie(code, out) =
      RunCommand(Bench({"--target=inproc", "--batch=10", "--checkpoints=" + Path("ckpt"),
                        "--registry=" COHORT_SOURCE_DIR "/storage/features.registry"}));
  ASSERT_EQ(code, 0) << out;
  ExpectRunJson(out, "inproc");
  EXPECT_THAT(out, HasSubstr("\"found_fraction\":1.0000"));
}

TEST_F(BenchSmokeTest, RedisLoadedFromTheCluster) {
  if (access("/usr/bin/redis-server", X_OK) != 0) GTEST_SKIP() << "redis-server not installed";
  const std::string port = absl::StrCat(FreePort());
  std::filesystem::create_directories(Path("redis"));
  std::vector<std::string> args = {
      "/usr/bin/redis-server", "--bind", "127.0.0.1", "--port",      port,          "--save", "",
      "--appendonly",          "no",     "--dir",     Path("redis"), "--daemonize", "no"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, Path("redis/log").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  ASSERT_EQ(posix_spawn(&redis_pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  const std::string address = "127.0.0.1:" + port;
  // Wait (bounded) until redis accepts connections.
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    up = RedisCountExisting(address, {"x"}).ok();
    if (!up) usleep(25000);
  }
  ASSERT_TRUE(up) << "redis-server did not come up on " << address;

  auto [code, out] = RunCommand(Bench({"--load_redis", "--redis=" + address}));
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("\"redis_customers\":", kCustomers)));
  std::tie(code, out) = RunCommand(Bench({"--target=redis", "--batch=10", "--redis=" + address}));
  ASSERT_EQ(code, 0) << out;
  ExpectRunJson(out, "redis");
  EXPECT_THAT(out, HasSubstr("\"found_fraction\":1.0000"));
}

}  // namespace
}  // namespace cohort::bench
