// The real `cohort-store` binary: start-up errors end the process with a non-zero status and
// one line naming the problem; a healthy node writes its port file and exits 0 on SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

extern char** environ;

namespace {

using ::cohort::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kOneNodeMap[] = R"({"epoch": 2, "partitions": 16, "nodes": [
  {"id": "store-0", "address": "127.0.0.1:7100", "ranges": [{"begin": 0, "end": 16}]}]})";

class StoreProcessTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (pid_t pid : children_) {  // a failed test must not leave a node behind
      if (::waitpid(pid, nullptr, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  void WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::trunc) << text;
  }

  std::string ReadFile(const std::string& path) const {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Starts cohort-store with `args`; stdout and stderr go to `log`.
  pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
    std::vector<std::string> argv_storage = {COHORT_STORE_BINARY};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot start " << argv[0];
    if (rc == 0) children_.push_back(pid);
    return pid;
  }

  // Waits (at most `timeout`) for `pid` to exit; returns its exit status, or -1 (timeout,
  // signal).
  int WaitExit(pid_t pid, absl::Duration timeout = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      int status = 0;
      pid_t done = ::waitpid(pid, &status, WNOHANG);
      if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      if (absl::Now() > deadline) return -1;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  // Runs cohort-store to completion; returns (exit status, combined output).
  std::pair<int, std::string> Run(const std::vector<std::string>& args) {
    const std::string log = Path("run.log");
    pid_t pid = Spawn(args, log);
    int code = WaitExit(pid);
    return {code, ReadFile(log)};
  }

  std::vector<std::string> NodeArgs(const std::string& node_id, const std::string& map) {
    return {"--data_dir=" + Path("data"),   "--listen=127.0.0.1:0",
            "--node_id=" + node_id,         "--shard_map=" + Path(map),
            "--metrics_listen=127.0.0.1:0", "--port_file=" + Path("port")};
  }

  TempDir dir_{"featurestore_process_test"};
  std::vector<pid_t> children_;
};

TEST_F(StoreProcessTest, MalformedShardMapStopsStartUp) {
  WriteFile("map.json", R"({"epoch": 1, "partitions": 16, "nodes": [)");
  auto [code, output] = Run(NodeArgs("store-0", "map.json"));
  EXPECT_NE(code, 0);
  EXPECT_THAT(output, AllOf(HasSubstr("cannot start"), HasSubstr("shard map"),
                            HasSubstr(Path("map.json"))));
  EXPECT_FALSE(std::filesystem::exists(Path("port")));
}

TEST_F(StoreProcessTest, NodeIdMissingFromTheMapStopsStartUp) {
  WriteFile("map.json", kOneNodeMap);
  auto [code, output] = Run(NodeArgs("store-9", "map.json"));
  EXPECT_NE(code, 0);
  EXPECT_THAT(output, AllOf(HasSubstr("cannot start"), HasSubstr("'store-9'"),
                            HasSubstr("not in the shard map"), HasSubstr("store-0")));
}

TEST_F(StoreProcessTest, MissingFlagsAndBadValuesStopStartUp) {
  WriteFile("map.json", kOneNodeMap);
  auto [code, output] = Run({"--node_id=store-0", "--shard_map=" + Path("map.json")});
  EXPECT_NE(code, 0);
  EXPECT_THAT(output, HasSubstr("--data_dir is required"));

  std::vector<std::string> args = NodeArgs("store-0", "map.json");
  args.push_back("--durability=sometimes");
  std::tie(code, output) = Run(args);
  EXPECT_NE(code, 0);
  EXPECT_THAT(output, HasSubstr("--durability"));

  args = NodeArgs("store-0", "map.json");
  args.push_back("--registry=" + Path("absent.registry"));
  std::tie(code, output) = Run(args);
  EXPECT_NE(code, 0);
  EXPECT_THAT(output, AllOf(HasSubstr("feature registry"), HasSubstr("absent.registry")));
}

TEST_F(StoreProcessTest, ServesUntilSigtermThenExitsZero) {
  WriteFile("map.json", kOneNodeMap);
  const std::string log = Path("node.log");
  pid_t pid = Spawn(NodeArgs("store-0", "map.json"), log);
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!std::filesystem::exists(Path("port"))) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "exited early:\n" << ReadFile(log);
    ASSERT_LT(absl::Now(), deadline) << "no port file:\n" << ReadFile(log);
    absl::SleepFor(absl::Milliseconds(10));
  }
  const std::string address = ReadFile(Path("port"));
  EXPECT_THAT(address, ::testing::MatchesRegex("127\\.0\\.0\\.1:[0-9]+\n"));

  // A second node on the same data directory cannot open the store (RocksDB's lock).
  std::vector<std::string> second = NodeArgs("store-0", "map.json");
  second.back() = "--port_file=" + Path("port2");
  pid_t other = Spawn(second, Path("other.log"));
  EXPECT_NE(WaitExit(other), 0);
  EXPECT_THAT(ReadFile(Path("other.log")),
              AllOf(HasSubstr("cannot start"), HasSubstr(Path("data"))));

  // Nor can a node listen on an address that is taken.
  std::vector<std::string> same_port = {
      "--data_dir=" + Path("data3"), "--listen=" + address.substr(0, address.size() - 1),
      "--node_id=store-0", "--shard_map=" + Path("map.json"), "--metrics_listen=127.0.0.1:0"};
  pid_t third = Spawn(same_port, Path("third.log"));
  EXPECT_NE(WaitExit(third), 0);
  EXPECT_THAT(ReadFile(Path("third.log")),
              AllOf(HasSubstr("cannot start"), HasSubstr("cannot listen on")));

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(pid), 0) << ReadFile(log);
  const std::string output = ReadFile(log);
  EXPECT_THAT(output, AllOf(HasSubstr("serving on " + address.substr(0, address.size() - 1)),
                            HasSubstr("SIGTERM"), HasSubstr("stopped")));
}

}  // namespace
