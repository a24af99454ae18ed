// cohort-scorer: the stateless scoring tier. Parses flags into ScorerOptions, starts the
// scorer, serves until SIGTERM/SIGINT, then drains. Usage: cohort-scorer --help.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/common/process.h"
#include "services/scoring/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7200",
          "host:port to serve gRPC on; port 0 binds a free port");
ABSL_FLAG(std::string, port_file, "",
          "if set, the bound host:port is written here (atomically) once the scorer serves");
ABSL_FLAG(std::string, shard_map, "", "path of the shard-map JSON file (required)");
ABSL_FLAG(std::string, models_dir, "", "model artifacts folder (required)");
ABSL_FLAG(std::string, registry, "",
          "feature registry file (default: features.registry next to the executable)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9200",
          "ip:port to serve Prometheus metrics on; port 0 binds a free port; empty disables");
ABSL_FLAG(std::string, metrics_port_file, "",
          "if set, the bound metrics host:port is written here (atomically)");
ABSL_FLAG(int32_t, fetch_deadline_ms, 200, "deadline of every store fetch, in milliseconds");
ABSL_FLAG(int32_t, reload_interval_s, 2,
          "seconds between scans of --models_dir for new versions; 0 disables polling");

namespace {

std::string ExecutableDir() {
  std::string path(4096, '\0');
  ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0) return ".";
  path.resize(static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

int main(int argc, char** argv) {
  cohort::BlockTerminationSignals();
  cohort::DisableMutexDeadlockDetection();
  absl::SetProgramUsageMessage(
      "Cohort scorer: serves cohort.v1.Scoring over a sharded store.\nUsage: cohort-scorer "
      "--shard_map=FILE --models_dir=DIR [--listen=HOST:PORT] [--port_file=FILE] ...");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    std::fprintf(stderr, "cohort-scorer: unexpected argument '%s'; every option is a --flag\n",
                 args[1]);
    return 2;
  }
  cohort::scoring::ScorerOptions o;
  o.listen = absl::GetFlag(FLAGS_listen);
  o.port_file = absl::GetFlag(FLAGS_port_file);
  o.shard_map_path = absl::GetFlag(FLAGS_shard_map);
  o.models_dir = absl::GetFlag(FLAGS_models_dir);
  o.registry_path = absl::GetFlag(FLAGS_registry);
  if (o.registry_path.empty()) o.registry_path = ExecutableDir() + "/features.registry";
  o.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  o.metrics_port_file = absl::GetFlag(FLAGS_metrics_port_file);
  const int32_t deadline_ms = absl::GetFlag(FLAGS_fetch_deadline_ms);
  const int32_t reload_s = absl::GetFlag(FLAGS_reload_interval_s);
  if (deadline_ms <= 0 || reload_s < 0) {
    std::fprintf(stderr,
                 "cohort-scorer: --fetch_deadline_ms must be positive and --reload_interval_s "
                 "not negative\n");
    return 2;
  }
  o.fetch_deadline = absl::Milliseconds(deadline_ms);
  o.reload_interval = absl::Seconds(reload_s);
  auto server = cohort::scoring::ScorerServer::Start(o);
  if (!server.ok()) {
    std::string message = absl::StrReplaceAll(server.status().message(), {{"\n", " "}});
    std::fprintf(stderr, "cohort-scorer: cannot start: %s\n", message.c_str());
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  const int signal = cohort::WaitForTerminationSignal();
  cohort::LogLine("cohort-scorer", absl::StrCat(signal == SIGTERM ? "SIGTERM" : "SIGINT",
                                                " received, shutting down"));
  (*server)->Shutdown();
  return 0;
}
