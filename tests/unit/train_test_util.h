// Helpers for the cohort-train tests: a temp directory with cohort-datagen output, and a
// training run on it through the cohort_train library.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/datagen/generator.h"
#include "tools/datagen/sink.h"
#include "tools/train/trainer.h"

namespace cohort::train::testing {

// A temporary directory removed at destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = getenv("TMPDIR");
    std::string templ =
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/train-test-XXXXXX");
    if (mkdtemp(templ.data()) != nullptr) path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes <dir>/events.csv and <dir>/truth.csv (and <dir>/attributes.csv if `attributes`) for
// `customers` customers (seed 42, 365 days ending 2026-03-01, 1000 items).
inline absl::Status GenerateData(const std::string& dir, int64_t customers,
                                 bool attributes = false) {
  datagen::GeneratorOptions options;
  options.customers = customers;
  absl::StatusOr<std::unique_ptr<datagen::ByteSink>> events =
      datagen::OpenFileSink(dir + "/events.csv");
  if (!events.ok()) return events.status();
  absl::StatusOr<std::unique_ptr<datagen::ByteSink>> truth =
      datagen::OpenFileSink(dir + "/truth.csv");
  if (!truth.ok()) return truth.status();
  datagen::GeneratorOutputs outputs;
  outputs.events = events->get();
  outputs.truth = truth->get();
  std::unique_ptr<datagen::ByteSink> attributes_sink;
  if (attributes) {
    absl::StatusOr<std::unique_ptr<datagen::ByteSink>> a =
        datagen::OpenFileSink(dir + "/attributes.csv");
    if (!a.ok()) return a.status();
    attributes_sink = *std::move(a);
    outputs.attributes = attributes_sink.get();
  }
  absl::StatusOr<datagen::GenerationStats> stats = datagen::Generate(options, outputs);
  if (!stats.ok()) return stats.status();
  if (absl::Status s = (*events)->Close(); !s.ok()) return s;
  if (attributes_sink != nullptr) {
    if (absl::Status s = attributes_sink->Close(); !s.ok()) return s;
  }
  return (*truth)->Close();
}

// Options for a quiet run on GenerateData's output in `dir`, writing under `out`.
inline TrainOptions OptionsFor(const std::string& dir, const std::string& out) {
  TrainOptions o;
  o.events_csv = dir + "/events.csv";
  o.truth_csv = dir + "/truth.csv";
  o.registry_path = COHORT_BINARY_DIR "/features.registry";
  o.models_dir = out + "/models";
  o.report_dir = out + "/report";
  o.work_dir = dir;
  o.progress = false;
  return o;
}

// The number at a dotted path of the report ("recommend.models.ease.ndcg_at_10"), or NaN.
inline double ReportNumber(const google::protobuf::Struct& report, const std::string& path) {
  const google::protobuf::Struct* s = &report;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    auto it = s->fields().find(key);
    if (it == s->fields().end()) return std::numeric_limits<double>::quiet_NaN();
    if (dot == std::string::npos) {
      return it->second.has_number_value() ? it->second.number_value()
                                           : std::numeric_limits<double>::quiet_NaN();
    }
    if (!it->second.has_struct_value()) return std::numeric_limits<double>::quiet_NaN();
    s = &it->second.struct_value();
    start = dot + 1;
  }
}

}  // namespace cohort::train::testing
