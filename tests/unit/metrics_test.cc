// Prometheus metrics (docs/metrics.md) of a real in-process store node, scraped over HTTP:
// RPC counters and histograms from the interceptor, the store's ingest and feature
// counters, RocksDB health per column family, build and process info, and `promtool check
// metrics` on the page. Also the pieces alone: MetricsServer, reason labels, unknown methods.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "featurestore_test_node.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "services/common/metrics/grpc_server_metrics.h"
#include "services/common/metrics/metrics_server.h"
#include "services/featurestore/store_metrics.h"

namespace cohort::featurestore::test {
namespace {

using Labels = std::map<std::string, std::string>;

constexpr const char* kCodes[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};
constexpr const char* kColumnFamilies[] = {"default", "aggregates", "attributes", "history",
                                           "dedup"};
constexpr const char* kStore = "cohort.v1.FeatureStore";

// GET `path` from 127.0.0.1:port over HTTP/1.0; the body of a 200 response, or the failure
// as a test failure and "".
std::string HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ADD_FAILURE() << "cannot connect to 127.0.0.1:" << port;
    ::close(fd);
    return "";
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string reply;
  char buffer[8192];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) reply.append(buffer, n);
  ::close(fd);
  const size_t end_of_headers = reply.find("\r\n\r\n");
  if (end_of_headers == std::string::npos || !absl::StartsWith(reply, "HTTP/1.1 200")) {
    ADD_FAILURE() << "bad HTTP reply: " << reply.substr(0, 200);
    return "";
  }
  return reply.substr(end_of_headers + 4);
}

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

// One scraped page in the Prometheus text format, parsed.
class Page {
 public:
  explicit Page(std::string text) : text_(std::move(text)) {
    for (absl::string_view line : absl::StrSplit(text_, '\n', absl::SkipEmpty())) {
      if (absl::ConsumePrefix(&line, "# TYPE ")) {
        std::vector<std::string> parts = absl::StrSplit(line, ' ');
        if (parts.size() == 2) types_[parts[0]] = parts[1];
        continue;
      }
      if (absl::StartsWith(line, "#")) continue;
      Sample sample;
      size_t i = 0;
      while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
      sample.name = std::string(line.substr(0, i));
      if (i < line.size() && line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
          const size_t eq = line.find('=', i);
          const std::string name(line.substr(i, eq - i));
          std::string value;
          for (i = eq + 2; i < line.size() && line[i] != '"'; ++i) {
            if (line[i] == '\\' && i + 1 < line.size()) {
              ++i;
              value.push_back(line[i] == 'n' ? '\n' : line[i]);
            } else {
              value.push_back(line[i]);
            }
          }
          sample.labels[name] = value;
          ++i;                                         // closing quote
          if (i < line.size() && line[i] == ',') ++i;  // next label
        }
        ++i;  // '}'
      }
      const std::string value(absl::StripAsciiWhitespace(line.substr(i)));
      sample.value = std::strtod(value.c_str(), nullptr);
      samples_.push_back(std::move(sample));
    }
  }

  const std::string& text() const { return text_; }
  // The TYPE of a family ("counter", "gauge", "histogram"...), or "" if not declared.
  std::string Type(const std::string& family) const {
    auto it = types_.find(family);
    return it == types_.end() ? "" : it->second;
  }
  // The value of the sample with exactly these labels.
  std::optional<double> Value(const std::string& name, const Labels& labels = {}) const {
    for (const Sample& s : samples_) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return std::nullopt;
  }
  // Every sample of `name`, in page order.
  std::vector<Sample> Series(const std::string& name) const {
    std::vector<Sample> out;
    for (const Sample& s : samples_) {
      if (s.name == name) out.push_back(s);
    }
    return out;
  }

 private:
  std::string text_;
  std::map<std::string, std::string> types_;
  std::vector<Sample> samples_;
};

Labels Rpc(const std::string& method, const std::string& service = kStore) {
  return {{"grpc_service", service}, {"grpc_method", method}};
}
Labels Rpc(const std::string& method, const std::string& code, const std::string& service) {
  return {{"grpc_service", service}, {"grpc_method", method}, {"grpc_code", code}};
}

std::vector<std::string> StoreMethods() {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(kStore);
  std::vector<std::string> methods;
  if (service == nullptr) return methods;
  for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i)->name());
  return methods;
}

// The directory of PATH holding `program`, or "".
std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    const std::filesystem::path candidate = std::filesystem::path(std::string(dir)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

class MetricsNodeTest : public StoreNodeTest {
 protected:
  void SetUp() override {
    StoreNodeTest::SetUp();
    options_.metrics_listen = "127.0.0.1:0";
    options_.metrics_port_file = (dir_ / "metrics_port").string();
    StartNode();
  }

  Page Scrape() {
    EXPECT_GT(node_->metrics_port(), 0);
    return Page(HttpGet(node_->metrics_port(), "/metrics"));
  }
};

TEST_F(MetricsNodeTest, PortFileNamesTheBoundAddress) {
  ASSERT_GT(node_->metrics_port(), 0);
  EXPECT_NE(node_->metrics_port(), node_->port());
  EXPECT_EQ(node_->metrics_address(), absl::StrCat("127.0.0.1:", node_->metrics_port()));
  std::ifstream in(dir_ / "metrics_port");
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str(), node_->metrics_address() + "\n");
}

TEST_F(MetricsNodeTest, RpcCountersAndLatencyByMethodAndCode) {
  v1::IngestResponse ingest;
  ASSERT_TRUE(
      Ingest({MakeEvent("e1", Customer(true), now_ - absl::Hours(1), "view")}, &ingest).ok());
  v1::GetFeaturesResponse features;
  EXPECT_EQ(GetFeatures({}, {}, &features).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetProfileRequest profile_request;
  profile_request.set_customer_id(Customer(false));
  v1::GetProfileResponse profile;
  EXPECT_EQ(stub_->GetProfile(Context().get(), profile_request, &profile).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  for (int i = 0; i < 2; ++i) {
    v1::ListFeaturesResponse list;
    ASSERT_TRUE(stub_->ListFeatures(Context().get(), v1::ListFeaturesRequest(), &list).ok());
  }
  // A bidirectional stream with one batch.
  {
    std::unique_ptr<grpc::ClientContext> context = Context();
    auto stream = stub_->IngestStream(context.get());
    v1::IngestRequest batch;
    *batch.add_events() = MakeEvent("s1", Customer(true, 1), now_ - absl::Hours(1), "view");
    ASSERT_TRUE(stream->Write(batch));
    v1::IngestResponse ack;
    ASSERT_TRUE(stream->Read(&ack));
    ASSERT_TRUE(stream->WritesDone());
    EXPECT_TRUE(stream->Finish().ok());
  }

  const Page page = Scrape();
  EXPECT_EQ(page.Type("cohort_grpc_server_started_total"), "counter");
  EXPECT_EQ(page.Type("cohort_grpc_server_handled_total"), "counter");
  EXPECT_EQ(page.Type("cohort_grpc_server_handling_seconds"), "histogram");

  EXPECT_EQ(page.Value("cohort_grpc_server_started_total", Rpc("Ingest")), 1);
  EXPECT_EQ(page.Value("cohort_grpc_server_handled_total", Rpc("Ingest", "OK", kStore)), 1);
  EXPECT_EQ(page.Value("cohort_grpc_server_handled_total",
                       Rpc("GetFeatures", "INVALID_ARGUMENT", kStore)),
            1);
  EXPECT_EQ(page.Value("cohort_grpc_server_handled_total",
                       Rpc("GetProfile", "FAILED_PRECONDITION", kStore)),
            1);
  EXPECT_EQ(page.Value("cohort_grpc_server_handled_total", Rpc("GetProfile", "OK", kStore)), 0);
  EXPECT_EQ(page.Value("cohort_grpc_server_started_total", Rpc("ListFeatures")), 2);
  EXPECT_EQ(page.Value("cohort_grpc_server_handled_total", Rpc("ListFeatures", "OK", kStore)), 2);
  EXPECT_EQ(page.Value("cohort_grpc_server_started_total", Rpc("IngestStream")), 1);
  EXPECT_EQ(page.Value("cohort_grpc_server_handled_total", Rpc("IngestStream", "OK", kStore)), 1);
  EXPECT_EQ(page.Value("cohort_grpc_server_started_total", Rpc("NodeInfo")), 0);

  // Latency histogram: the contract's buckets, counts matching the calls.
  EXPECT_EQ(page.Value("cohort_grpc_server_handling_seconds_count", Rpc("Ingest")), 1);
  EXPECT_EQ(page.Value("cohort_grpc_server_handling_seconds_count", Rpc("ListFeatures")), 2);
  EXPECT_GT(*page.Value("cohort_grpc_server_handling_seconds_sum", Rpc("Ingest")), 0);
  std::vector<std::string> bounds;
  for (const Sample& s : page.Series("cohort_grpc_server_handling_seconds_bucket")) {
    if (s.labels.at("grpc_method") != "Ingest") continue;
    bounds.push_back(s.labels.at("le"));
    if (s.labels.at("le") == "+Inf") {
      EXPECT_EQ(s.value, 1);
    }
  }
  EXPECT_THAT(bounds, ::testing::ElementsAre("5e-05", "0.0001", "0.00025", "0.0005", "0.001",
                                             "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                             "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"));
}

TEST_F(MetricsNodeTest, EveryMethodHasEveryCodeSeriesFromTheStart) {
  const Page page = Scrape();
  const std::vector<std::string> methods = StoreMethods();
  ASSERT_EQ(methods.size(), 12u);
  std::vector<std::pair<std::string, std::string>> all;  // (service, method)
  for (const std::string& m : methods) all.emplace_back(kStore, m);
  all.emplace_back("grpc.health.v1.Health", "Check");
  all.emplace_back("grpc.health.v1.Health", "Watch");
  all.emplace_back("grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo");
  for (const auto& [service, method] : all) {
    EXPECT_EQ(page.Value("cohort_grpc_server_started_total", Rpc(method, service)), 0) << method;
    EXPECT_EQ(page.Value("cohort_grpc_server_handling_seconds_count", Rpc(method, service)), 0)
        << method;
    for (const char* code : kCodes) {
      EXPECT_EQ(page.Value("cohort_grpc_server_handled_total", Rpc(method, code, service)), 0)
          << method << " " << code;
    }
  }
  // Nothing else: 14 methods x 17 codes.
  EXPECT_EQ(page.Series("cohort_grpc_server_handled_total").size(), all.size() * 17);
}

TEST_F(MetricsNodeTest, IngestOutcomesRejectionReasonsAndLag) {
  const std::string alice = Customer(true);
  v1::Event applied = MakeEvent("e1", alice, now_ - absl::Hours(2), "view");
  v1::Event no_customer = MakeEvent("e2", "", now_ - absl::Hours(2), "view");
  v1::Event no_time = MakeEvent("e3", alice, now_, "view");
  no_time.clear_time();
  v1::Event negative = MakeEvent("e4", alice, now_ - absl::Hours(2), "purchase");
  negative.set_quantity(-1);
  v1::Event untyped = MakeEvent("e5", alice, now_ - absl::Hours(2), "");
  v1::Event nan = MakeEvent("e6", alice, now_ - absl::Hours(2), "purchase");
  nan.set_amount(std::nan(""));
  v1::IngestResponse response;
  ASSERT_TRUE(
      Ingest({applied, applied, no_customer, no_time, negative, untyped, nan}, &response).ok());
  ASSERT_EQ(response.applied(), 1u);
  ASSERT_EQ(response.duplicates(), 1u);
  ASSERT_EQ(response.rejected(), 5u);

  const Page page = Scrape();
  EXPECT_EQ(page.Type("cohort_store_ingest_events_total"), "counter");
  EXPECT_EQ(page.Value("cohort_store_ingest_events_total", {{"result", "applied"}}), 1);
  EXPECT_EQ(page.Value("cohort_store_ingest_events_total", {{"result", "duplicate"}}), 1);
  EXPECT_EQ(page.Value("cohort_store_ingest_events_total", {{"result", "rejected"}}), 5);
  const std::map<std::string, double> reasons = {
      {"customer_id", 1}, {"event_id", 0}, {"time", 1},     {"type", 1},   {"channel", 0},
      {"item_id", 0},     {"category", 0}, {"quantity", 1}, {"amount", 1}, {"other", 0}};
  for (const auto& [reason, count] : reasons) {
    EXPECT_EQ(page.Value("cohort_store_ingest_rejected_total", {{"reason", reason}}), count)
        << reason;
  }
  EXPECT_EQ(page.Series("cohort_store_ingest_rejected_total").size(), reasons.size());

  // Lag of the one applied event: about 2 h, so in (3600, 10800].
  EXPECT_EQ(page.Type("cohort_store_event_lag_seconds"), "histogram");
  EXPECT_EQ(page.Value("cohort_store_event_lag_seconds_count"), 1);
  EXPECT_EQ(page.Value("cohort_store_event_lag_seconds_bucket", {{"le", "3600"}}), 0);
  EXPECT_EQ(page.Value("cohort_store_event_lag_seconds_bucket", {{"le", "10800"}}), 1);
  EXPECT_EQ(page.Value("cohort_store_event_lag_seconds_bucket", {{"le", "1"}}), 0);
  EXPECT_TRUE(page.Value("cohort_store_event_lag_seconds_bucket", {{"le", "2592000"}}));
  EXPECT_GE(*page.Value("cohort_store_event_lag_seconds_sum"), 7200);
}

TEST_F(MetricsNodeTest, FeatureValueStatusesOwnershipAndEpoch) {
  const std::string alice = Customer(true, 0), stranger = Customer(true, 1);
  v1::IngestResponse ingest;
  ASSERT_TRUE(
      Ingest({MakeEvent("e1", alice, now_ - absl::Hours(3), "purchase", 12.5)}, &ingest).ok());
  v1::GetFeaturesResponse features;
  ASSERT_TRUE(GetFeatures({alice, stranger}, {}, &features).ok());
  const double per_customer = features.feature_names_size();
  ASSERT_GT(per_customer, 0);

  Page page = Scrape();
  auto status = [&page](const std::string& s) {
    return page.Value("cohort_store_feature_values_total", {{"status", s}}).value_or(-1);
  };
  EXPECT_GT(status("present"), 0);
  EXPECT_EQ(status("not_found"), per_customer);  // every value of the unknown customer
  EXPECT_GE(status("stale"), 0);
  EXPECT_EQ(status("present") + status("defaulted") + status("stale"), per_customer);
  EXPECT_EQ(page.Value("cohort_store_owned_partitions"), 32);  // [0,16) and [32,48)
  EXPECT_EQ(page.Value("cohort_store_shard_map_epoch"), 3);
  EXPECT_EQ(page.Type("cohort_store_shard_map_epoch"), "gauge");

  // A new map (epoch 4) hands store-0 everything; the gauges follow once it is installed.
  WriteMap(absl::StrCat(R"({"epoch": 4, "partitions": 64, "nodes": [
    {"id": "store-0", "address": "127.0.0.1:7100", "ranges": [{"begin": 0, "end": 64}]}]})"));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (;;) {
    v1::NodeInfoResponse info;
    ASSERT_TRUE(stub_->NodeInfo(Context().get(), v1::NodeInfoRequest(), &info).ok());
    if (info.shard_map_epoch() == 4) break;
    ASSERT_LT(absl::Now(), deadline) << "the node did not install epoch 4";
    absl::SleepFor(absl::Milliseconds(20));
  }
  page = Scrape();
  EXPECT_EQ(page.Value("cohort_store_shard_map_epoch"), 4);
  EXPECT_EQ(page.Value("cohort_store_owned_partitions"), 64);
}

// After a bulk load and a quiet period the node compacts by itself, once, and counts it as
// automatic; reads answer the same afterwards.
TEST_F(MetricsNodeTest, AutomaticCompactionAfterAQuietBulkLoad) {
  options_.auto_compact_quiet = absl::Milliseconds(200);
  options_.auto_compact_min_writes = 20;
  options_.auto_compact_ratio = 1.0;
  StartNode();
  std::vector<std::string> customers;
  std::vector<v1::Event> events;
  for (int c = 0; c < 3; ++c) {
    customers.push_back(Customer(true, c));
    for (int e = 0; e < 10; ++e) {
      const bool purchase = e % 3 == 0;
      events.push_back(MakeEvent(absl::StrCat("c", c, "-e", e), customers.back(),
                                 now_ - absl::Hours(1 + 24 * e), purchase ? "purchase" : "view",
                                 purchase ? 5.0 * (e + 1) : 0));
    }
  }
  v1::IngestResponse ingest;
  ASSERT_TRUE(Ingest(events, &ingest).ok());
  ASSERT_EQ(ingest.applied(), 30u);
  v1::GetFeaturesRequest read;  // as of a fixed time: the answer does not move with the clock
  for (const std::string& id : customers) read.add_customer_ids(id);
  *read.mutable_as_of() = Ts(now_);
  v1::GetFeaturesResponse before;
  ASSERT_TRUE(stub_->GetFeatures(Context().get(), read, &before).ok());

  const auto compactions = [&](const std::string& trigger) {
    return Scrape().Value("cohort_store_compactions_total", {{"trigger", trigger}}).value_or(-1);
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (compactions("auto") < 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));  // polling interval, not a correctness assumption
  }
  EXPECT_EQ(compactions("auto"), 1);
  EXPECT_EQ(compactions("rpc"), 0);
  v1::GetFeaturesResponse after;
  ASSERT_TRUE(stub_->GetFeatures(Context().get(), read, &after).ok());
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());

  // A Compact call counts as rpc.
  v1::CompactResponse compacted;
  ASSERT_TRUE(stub_->Compact(Context().get(), v1::CompactRequest(), &compacted).ok());
  EXPECT_EQ(compactions("rpc"), 1);
}

TEST_F(MetricsNodeTest, RocksDbHealthPerColumnFamily) {
  const std::string alice = Customer(true);
  v1::IngestResponse ingest;
  ASSERT_TRUE(
      Ingest({MakeEvent("e1", alice, now_ - absl::Hours(3), "purchase", 12.5)}, &ingest).ok());
  Page page = Scrape();
  for (const char* name :
       {"cohort_rocksdb_memtable_bytes", "cohort_rocksdb_sst_bytes",
        "cohort_rocksdb_pending_compaction_bytes", "cohort_rocksdb_estimated_keys"}) {
    EXPECT_EQ(page.Type(name), "gauge") << name;
    EXPECT_EQ(page.Series(name).size(), 5u) << name;
    for (const char* cf : kColumnFamilies) {
      EXPECT_TRUE(page.Value(name, {{"cf", cf}}).has_value()) << name << " " << cf;
    }
  }
  EXPECT_GT(*page.Value("cohort_rocksdb_memtable_bytes", {{"cf", "aggregates"}}), 0);
  EXPECT_GE(*page.Value("cohort_rocksdb_estimated_keys", {{"cf", "aggregates"}}), 1);
  EXPECT_EQ(page.Value("cohort_rocksdb_write_stopped"), 0);
  EXPECT_EQ(page.Type("cohort_rocksdb_write_stall_seconds_total"), "counter");
  EXPECT_EQ(page.Value("cohort_rocksdb_write_stall_seconds_total"), 0);
  EXPECT_EQ(page.Type("cohort_rocksdb_block_cache_hits_total"), "counter");
  const double misses_before = page.Value("cohort_rocksdb_block_cache_misses_total").value_or(-1);
  ASSERT_GE(misses_before, 0);
  ASSERT_TRUE(page.Value("cohort_rocksdb_block_cache_hits_total").has_value());

  // A checkpoint flushes the memtables: the data is then in SST files, and reading it goes
  // through the block cache.
  v1::CheckpointRequest checkpoint;
  checkpoint.set_directory((dir_ / "checkpoint").string());
  v1::CheckpointResponse checkpointed;
  ASSERT_TRUE(stub_->Checkpoint(Context().get(), checkpoint, &checkpointed).ok());
  v1::GetFeaturesResponse features;
  ASSERT_TRUE(GetFeatures({alice}, {}, &features).ok());
  page = Scrape();
  EXPECT_GT(*page.Value("cohort_rocksdb_sst_bytes", {{"cf", "aggregates"}}), 0);
  EXPECT_GT(*page.Value("cohort_rocksdb_block_cache_misses_total") +
                *page.Value("cohort_rocksdb_block_cache_hits_total"),
            misses_before);
}

TEST_F(MetricsNodeTest, BuildInfoAndProcessMetrics) {
  const Page page = Scrape();
  const std::vector<Sample> build = page.Series("cohort_build_info");
  ASSERT_EQ(build.size(), 1u);
  EXPECT_EQ(build[0].value, 1);
  EXPECT_EQ(build[0].labels.at("component"), "store");
  EXPECT_FALSE(build[0].labels.at("version").empty());
  EXPECT_EQ(page.Type("cohort_build_info"), "gauge");

  EXPECT_EQ(page.Type("process_cpu_seconds_total"), "counter");
  EXPECT_GE(page.Value("process_cpu_seconds_total").value_or(-1), 0);
  const double rss = page.Value("process_resident_memory_bytes").value_or(0);
  EXPECT_GT(rss, 0);
  EXPECT_GE(page.Value("process_virtual_memory_bytes").value_or(0), rss);
  const double fds = page.Value("process_open_fds").value_or(0);
  EXPECT_GT(fds, 2);
  EXPECT_GE(page.Value("process_max_fds").value_or(0), fds);
  EXPECT_GT(page.Value("process_start_time_seconds").value_or(0), 1.5e9);
}

TEST_F(MetricsNodeTest, PromtoolAcceptsThePage) {
  const std::string promtool = FindOnPath("promtool");
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (apt-get install prometheus)";
  // Some traffic first, so histograms and counters have non-zero samples too.
  v1::IngestResponse ingest;
  ASSERT_TRUE(
      Ingest({MakeEvent("e1", Customer(true), now_ - absl::Hours(1), "view")}, &ingest).ok());
  v1::GetFeaturesResponse features;
  EXPECT_FALSE(GetFeatures({}, {}, &features).ok());
  const Page page = Scrape();
  ASSERT_FALSE(page.text().empty());
  const std::string file = (dir_ / "page.txt").string();
  std::ofstream(file) << page.text();
  const std::string command = absl::StrCat(promtool, " check metrics < ", file, " 2>&1");
  std::FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "") << "promtool complained about the page";
}

TEST_F(StoreNodeTest, MetricsServerIsOffWithoutAnAddress) {
  EXPECT_EQ(node_->metrics_port(), 0);
  EXPECT_EQ(node_->metrics_address(), "");
  options_.metrics_port_file = (dir_ / "metrics_port").string();
  node_.reset();
  absl::StatusOr<std::unique_ptr<StoreNode>> node = StoreNode::Start(options_);
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(node.status().message()), ::testing::HasSubstr("metrics_listen"));

  options_.metrics_port_file.clear();
  options_.metrics_listen = "no-port";
  node = StoreNode::Start(options_);
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(node.status().message()), ::testing::HasSubstr("metrics_listen"));
}

TEST(MetricsServerTest, ServesItsCollectablesAndRefusesBadOrTakenAddresses) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("demo_total")
      .Help("A demo.")
      .Register(*registry)
      .Add({})
      .Increment(3);
  absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> server =
      metrics::MetricsServer::Start("127.0.0.1:0", {registry});
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(Page(HttpGet(port, "/metrics")).Value("demo_total"), 3);

  absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> taken =
      metrics::MetricsServer::Start((*server)->address(), {registry});
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable) << taken.status();
  EXPECT_THAT(std::string(taken.status().message()), ::testing::HasSubstr((*server)->address()));
  for (const char* bad : {"nonsense", "127.0.0.1", "127.0.0.1:70000", ":9100"}) {
    EXPECT_EQ(metrics::MetricsServer::Start(bad, {registry}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }

  server->reset();  // stops listening
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  ::close(fd);
}

TEST(RejectionReasonLabelTest, NamesTheFieldOrOther) {
  EXPECT_EQ(RejectionReasonLabel("customer_id is empty"), "customer_id");
  EXPECT_EQ(RejectionReasonLabel("event_id contains control character 0x1"), "event_id");
  EXPECT_EQ(RejectionReasonLabel("events[3].time is missing; every event needs its event time"),
            "time");
  EXPECT_EQ(RejectionReasonLabel("events[0].time.nanos is -1; it must lie in [0, 999999999]"),
            "time");
  EXPECT_EQ(RejectionReasonLabel("time 2001-01-01T00:00:00Z is before the retention horizon"),
            "time");
  EXPECT_EQ(RejectionReasonLabel("item_id is 300 bytes; the limit is 256"), "item_id");
  EXPECT_EQ(RejectionReasonLabel("category is not valid UTF-8"), "category");
  EXPECT_EQ(RejectionReasonLabel("channel is 99 bytes; the limit is 64"), "channel");
  EXPECT_EQ(RejectionReasonLabel("quantity -1 is negative"), "quantity");
  EXPECT_EQ(RejectionReasonLabel("amount is not finite"), "amount");
  EXPECT_EQ(RejectionReasonLabel("type is empty"), "type");
  EXPECT_EQ(RejectionReasonLabel("types are odd"), "other");
  EXPECT_EQ(RejectionReasonLabel("event is bad"), "other");
  EXPECT_EQ(RejectionReasonLabel("events[7 broken"), "other");
  EXPECT_EQ(RejectionReasonLabel(""), "other");
}

TEST(GrpcServerMetricsTest, UnknownMethodsShareOneBoundedSeries) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto grpc_metrics = metrics::GrpcServerMetrics::Create(registry, {{"demo.Service", {"Call"}}});
  grpc_metrics->ForMethod("/demo.Service/Call").started->Increment();
  grpc_metrics->ForMethod("/other.Service/Anything").started->Increment();
  grpc_metrics->ForMethod("/yet.Another/Method").started->Increment();
  grpc_metrics->ForMethod(nullptr).handled[0]->Increment();
  auto server = metrics::MetricsServer::Start("127.0.0.1:0", {registry});
  ASSERT_TRUE(server.ok()) << server.status();
  const Page page(HttpGet((*server)->port(), "/metrics"));
  EXPECT_EQ(page.Value("cohort_grpc_server_started_total", Rpc("Call", "demo.Service")), 1);
  EXPECT_EQ(page.Value("cohort_grpc_server_started_total", Rpc("unknown", "unknown")), 2);
  EXPECT_EQ(page.Value("cohort_grpc_server_handled_total", Rpc("unknown", "OK", "unknown")), 1);
  EXPECT_EQ(page.Series("cohort_grpc_server_started_total").size(), 2u);

  EXPECT_EQ(metrics::StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(metrics::StatusCodeName(grpc::StatusCode::FAILED_PRECONDITION), "FAILED_PRECONDITION");
  EXPECT_EQ(metrics::StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(metrics::StatusCodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace cohort::featurestore::test
