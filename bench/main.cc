// cohort-bench: load generator for Cohort and its baselines. See docs/benchmarks.md.
//
//   cohort-bench --target=cohort --shard_map=map.json --batch=10 --concurrency=8
//   cohort-bench --target=redis --redis=127.0.0.1:6379 --batch=10 --concurrency=8
//   cohort-bench --target=inproc --shard_map=map.json --checkpoints=DIR --batch=10
//   cohort-bench --target=scorer --scorer=127.0.0.1:7200 --batch=1 --concurrency=8
//   cohort-bench --load_redis --shard_map=map.json --redis=127.0.0.1:6379
//   cohort-bench --make_checkpoints=DIR --shard_map=map.json
//   cohort-bench --compact_checkpoints=DIR --shard_map=map.json --registry=FILE
//   cohort-bench --print_event_bytes
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/driver.h"
#include "bench/keygen.h"
#include "bench/redis_workload.h"
#include "bench/report.h"
#include "bench/score_workload.h"
#include "bench/store_size.h"
#include "bench/workloads.h"
#include "common/status_macros.h"
#include "services/common/grpc_status.h"
#include "services/common/process.h"
#include "services/common/shard_router.h"

ABSL_FLAG(std::string, target, "cohort",
          "cohort (gRPC via ShardRouter) | redis | inproc | scorer (Score via --scorer)");
ABSL_FLAG(std::string, workload, "",
          "get_features | ingest | ingest_stream (the last two: cohort only) | score (scorer "
          "only); default: score for --target=scorer, else get_features");
ABSL_FLAG(std::string, mode, "closed", "closed (concurrency N) | open (fixed --rate)");
ABSL_FLAG(int32_t, concurrency, 4, "Worker threads (requests in flight at most).");
ABSL_FLAG(double, rate, 1000, "Open loop: requests per second over all workers.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "Unmeasured warm-up, e.g. 2s.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Measured duration, e.g. 10s.");
ABSL_FLAG(std::string, keys, "uniform", "uniform | zipfian");
ABSL_FLAG(double, zipf_theta, 0.99, "Zipfian skew in (0, 1).");
ABSL_FLAG(int64_t, customers, 100000, "Customers in the dataset (ids <prefix>%08d from 0).");
ABSL_FLAG(std::string, id_prefix, "cust-", "Customer id prefix (as cohort-datagen).");
ABSL_FLAG(int32_t, batch, 1, "Customers per read request / events per ingest request.");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the key generators.");
ABSL_FLAG(int32_t, events_per_customer, 1,
          "ingest, ingest_stream: consecutive events per drawn customer (1..batch).");
ABSL_FLAG(std::string, shard_map, "", "Shard-map JSON of the cluster (cohort, inproc).");
ABSL_FLAG(std::string, redis, "127.0.0.1:6379", "Redis host:port (redis).");
ABSL_FLAG(std::string, scorer, "", "cohort-scorer host:port (scorer).");
ABSL_FLAG(std::vector<std::string>, score_models, {},
          "scorer: model names to ask for (default: every loaded model, and all three "
          "families segmentation, propensity and recommend must be served).");
ABSL_FLAG(int32_t, score_k, 10, "scorer: recommendations per customer (1..100).");
ABSL_FLAG(absl::Duration, score_wait, absl::Seconds(60),
          "scorer: how long to wait for the scorer to serve models.");
ABSL_FLAG(std::string, checkpoints, "", "inproc: directory holding one checkpoint per node id.");
ABSL_FLAG(std::string, registry, "", "inproc: feature registry (default: beside cohort-store).");
ABSL_FLAG(std::string, layout, "packed",
          "cohort get_features: how vectors carry values, packed | messages "
          "(GetFeaturesRequest.layout).");
ABSL_FLAG(std::string, label, "", "Free text copied into the JSON.");
ABSL_FLAG(std::string, json_out, "", "Append the run's JSON line to this file.");
ABSL_FLAG(bool, load_redis, false, "Copy every feature vector of the cluster into --redis.");
ABSL_FLAG(std::string, make_checkpoints, "",
          "Checkpoint every node into <dir>/<node id> (dir must be absolute) and exit.");
ABSL_FLAG(std::string, compact_checkpoints, "",
          "Open <dir>/<node id> of every node in-process (as --make_checkpoints wrote them), "
          "compact them fully, print their on-disk bytes (JSON) and exit.");
ABSL_FLAG(bool, print_event_bytes, false,
          "Print the mean serialized size of the ingest workloads' events (JSON) and exit.");

namespace cohort::bench {
namespace {

absl::StatusOr<std::unique_ptr<ShardRouter>> Router() {
  if (absl::GetFlag(FLAGS_shard_map).empty()) {
    return absl::InvalidArgumentError("--shard_map is required for this target");
  }
  ShardRouterOptions options;
  options.deadline = absl::Seconds(10);
  return ShardRouter::Create(absl::GetFlag(FLAGS_shard_map), options);
}

absl::Status MakeCheckpoints(const std::string& root) {
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router, Router());
  // The nodes run on this machine (a local cluster): create the parent they write into.
  std::error_code error;
  std::filesystem::create_directories(root, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create --make_checkpoints directory ", root, ": ", error.message()));
  }
  for (const NodeSpec& node : router->map()->nodes()) {
    ShardRouter::NodeHandle handle = router->HandleFor(node);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(10)));
    v1::CheckpointRequest request;
    request.set_directory(absl::StrCat(root, "/", node.id));
    v1::CheckpointResponse response;
    const grpc::Status status = handle.stub->Checkpoint(&context, request, &response);
    if (!status.ok()) return NodeError(node, FromGrpcStatus(status));
    std::fprintf(stderr, "checkpoint of %s: %s\n", node.id.c_str(), response.directory().c_str());
  }
  return absl::OkStatus();
}

std::vector<std::string> SampleIds(const RequestShape& shape, size_t n) {
  Rng rng(shape.seed ^ 0x5eed);
  std::vector<std::string> ids(n);
  DrawIds(shape, rng, ids);
  return ids;
}

absl::Status Run() {
  if (!absl::GetFlag(FLAGS_make_checkpoints).empty()) {
    return MakeCheckpoints(absl::GetFlag(FLAGS_make_checkpoints));
  }
  if (!absl::GetFlag(FLAGS_compact_checkpoints).empty()) {
    COHORT_ASSIGN_OR_RETURN(
        StoreSize size,
        CompactCheckpoints(absl::GetFlag(FLAGS_shard_map), absl::GetFlag(FLAGS_compact_checkpoints),
                           absl::GetFlag(FLAGS_registry)));
    std::printf("%s\n", StoreSizeJson(size).c_str());
    return absl::OkStatus();
  }
  if (absl::GetFlag(FLAGS_print_event_bytes)) {
    std::printf("{\"event_bytes\":%.1f}\n", MeanEventBytes(1000));
    return absl::OkStatus();
  }
  if (absl::GetFlag(FLAGS_load_redis)) {
    COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router, Router());
    double bytes = 0;
    COHORT_ASSIGN_OR_RETURN(uint64_t n,
                            LoadRedisFromCluster(*router, absl::GetFlag(FLAGS_redis), &bytes));
    std::printf("{\"redis_customers\":%llu,\"bytes_per_customer\":%.1f}\n",
                static_cast<unsigned long long>(n), bytes);
    return absl::OkStatus();
  }

  RunDescription run;
  run.label = absl::GetFlag(FLAGS_label);
  run.workload = absl::GetFlag(FLAGS_workload);
  run.target = absl::GetFlag(FLAGS_target);
  if (run.workload.empty()) run.workload = run.target == "scorer" ? "score" : "get_features";
  run.mode = absl::GetFlag(FLAGS_mode);
  run.concurrency = absl::GetFlag(FLAGS_concurrency);
  run.batch = absl::GetFlag(FLAGS_batch);
  run.keys = absl::GetFlag(FLAGS_keys);
  run.customers = static_cast<uint64_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_customers)));
  run.warmup_s = absl::ToDoubleSeconds(absl::GetFlag(FLAGS_warmup));
  run.duration_s = absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration));

  DriverOptions driver;
  if (run.mode == "open") {
    driver.mode = LoopMode::kOpen;
    run.rate = absl::GetFlag(FLAGS_rate);
  } else if (run.mode != "closed") {
    return absl::InvalidArgumentError("--mode must be closed or open");
  }
  driver.concurrency = run.concurrency;
  driver.rate = absl::GetFlag(FLAGS_rate);
  driver.warmup = absl::GetFlag(FLAGS_warmup);
  driver.duration = absl::GetFlag(FLAGS_duration);
  if (run.batch < 1 || run.batch > 1000) {
    return absl::InvalidArgumentError("--batch must be in 1..1000");
  }

  KeyDistribution distribution = KeyDistribution::kUniform;
  if (run.keys == "zipfian") {
    distribution = KeyDistribution::kZipfian;
    run.zipf_theta = absl::GetFlag(FLAGS_zipf_theta);
    if (!(run.zipf_theta > 0 && run.zipf_theta < 1)) {
      return absl::InvalidArgumentError("--zipf_theta must be in (0, 1)");
    }
  } else if (run.keys != "uniform") {
    return absl::InvalidArgumentError("--keys must be uniform or zipfian");
  }
  const KeyGenerator keys(distribution, run.customers, run.zipf_theta);
  RequestShape shape;
  shape.keys = &keys;
  shape.id_prefix = absl::GetFlag(FLAGS_id_prefix);
  shape.batch = run.batch;
  shape.seed = absl::GetFlag(FLAGS_seed);
  shape.events_per_customer = absl::GetFlag(FLAGS_events_per_customer);
  run.events_per_customer = shape.events_per_customer;
  if (shape.events_per_customer < 1 || shape.events_per_customer > shape.batch) {
    return absl::InvalidArgumentError(absl::StrCat("--events_per_customer must be in 1..--batch (",
                                                   shape.batch, "), got ",
                                                   shape.events_per_customer));
  }
  const std::vector<std::string> sample = SampleIds(shape, 200);

  std::unique_ptr<ShardRouter> router;
  std::unique_ptr<InprocStores> stores;
  std::shared_ptr<v1::Scoring::Stub> scorer;
  OpFactory factory;
  if (run.target == "cohort") {
    COHORT_ASSIGN_OR_RETURN(router, Router());
    const std::string run_tag = absl::StrCat(absl::ToUnixNanos(absl::Now()));
    if (run.workload == "ingest") {
      factory = GrpcIngest(router.get(), shape, run_tag);
    } else if (run.workload == "ingest_stream") {
      factory = GrpcIngestStream(router.get(), shape, run_tag);
    } else {
      COHORT_ASSIGN_OR_RETURN(ShardRouter::FeaturesResponse probe, router->GetFeatures(sample, {}));
      size_t found = 0;
      for (const auto& v : probe->vectors()) found += v.found() ? 1 : 0;
      run.found_fraction = static_cast<double>(found) / static_cast<double>(sample.size());
      run.layout = absl::GetFlag(FLAGS_layout);
      if (run.layout != "packed" && run.layout != "messages") {
        return absl::InvalidArgumentError("--layout must be packed or messages");
      }
      factory = GrpcGetFeatures(
          router.get(), shape,
          run.layout == "packed" ? v1::VALUE_LAYOUT_PACKED : v1::VALUE_LAYOUT_MESSAGES);
    }
  } else if (run.target == "redis") {
    COHORT_ASSIGN_OR_RETURN(uint64_t found, RedisCountExisting(absl::GetFlag(FLAGS_redis), sample));
    run.found_fraction = static_cast<double>(found) / static_cast<double>(sample.size());
    factory = RedisGetFeatures(absl::GetFlag(FLAGS_redis), shape);
  } else if (run.target == "inproc") {
    if (absl::GetFlag(FLAGS_checkpoints).empty() || absl::GetFlag(FLAGS_registry).empty()) {
      return absl::InvalidArgumentError("--target=inproc needs --checkpoints and --registry");
    }
    COHORT_ASSIGN_OR_RETURN(
        stores, InprocStores::Open(absl::GetFlag(FLAGS_shard_map), absl::GetFlag(FLAGS_checkpoints),
                                   absl::GetFlag(FLAGS_registry)));
    COHORT_ASSIGN_OR_RETURN(size_t found, stores->GetFeatures(sample));
    run.found_fraction = static_cast<double>(found) / static_cast<double>(sample.size());
    factory = InprocGetFeatures(stores.get(), shape);
  } else if (run.target == "scorer") {
    if (absl::GetFlag(FLAGS_scorer).empty()) {
      return absl::InvalidArgumentError("--target=scorer needs --scorer=HOST:PORT");
    }
    scorer = ScorerStub(absl::GetFlag(FLAGS_scorer));
    COHORT_ASSIGN_OR_RETURN(v1::ListModelsResponse loaded,
                            WaitForModels(*scorer, absl::GetFlag(FLAGS_score_wait)));
    const std::vector<std::string> wanted = absl::GetFlag(FLAGS_score_models);
    COHORT_ASSIGN_OR_RETURN(ScoreModels models,
                            ChooseScoreModels(loaded, wanted, absl::GetFlag(FLAGS_score_k),
                                              /*require_all_families=*/
                                              wanted.empty()));
    size_t found = 0;
    COHORT_RETURN_IF_ERROR(ScoreOnce(*scorer, models, sample, &found));
    run.found_fraction = static_cast<double>(found) / static_cast<double>(sample.size());
    run.models = models.Describe();
    factory = GrpcScore(scorer, std::move(models), shape);
  } else {
    return absl::InvalidArgumentError("--target must be cohort, redis, inproc or scorer");
  }
  const bool ingest = run.workload == "ingest" || run.workload == "ingest_stream";
  const bool valid = run.target == "scorer"
                         ? run.workload == "score"
                         : run.workload == "get_features" || (ingest && run.target == "cohort");
  if (!valid) {
    return absl::InvalidArgumentError(
        "--workload must be get_features, ingest / ingest_stream with --target=cohort, or "
        "score with --target=scorer");
  }

  COHORT_ASSIGN_OR_RETURN(RunResult result, RunLoad(driver, factory));
  const std::string json = ReportJson(run, result);
  std::printf("%s\n", json.c_str());
  std::fprintf(stderr, "%s\n", ReportLine(run, result).c_str());
  if (!absl::GetFlag(FLAGS_json_out).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_json_out), std::ios::app);
    out << json << "\n";
    if (!out) return absl::UnavailableError("cannot append to --json_out");
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace cohort::bench

int main(int argc, char** argv) {
  cohort::DisableMutexDeadlockDetection();
  absl::SetProgramUsageMessage(
      "Load generator for Cohort (gRPC), Redis and in-process RocksDB. See docs/benchmarks.md.");
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = cohort::bench::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "cohort-bench: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
