// cohort-datagen: writes a deterministic synthetic retail dataset (events, attributes and
// planted truth) as Cohort canonical CSV. See docs/datagen.md.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tools/datagen/generator.h"
#include "tools/datagen/sink.h"

ABSL_FLAG(int64_t, customers, 10000, "Number of customers; ids <id_prefix>00000000 upwards.");
ABSL_FLAG(uint64_t, seed, 42, "Seed; the same flags give byte-identical output.");
ABSL_FLAG(std::string, end, "",
          "Exclusive end of the event window, YYYY-MM-DD (UTC midnight). Default: today's "
          "UTC date (pass it explicitly for reproducible output).");
ABSL_FLAG(int32_t, days, 365, "Events lie in [end - days, end).");
ABSL_FLAG(std::string, events_out, "", "Events CSV path ('-': stdout); empty: not written.");
ABSL_FLAG(std::string, attributes_out, "",
          "Attributes CSV path ('-': stdout); empty: not written.");
ABSL_FLAG(std::string, truth_out, "",
          "Planted ground-truth CSV path ('-': stdout); empty: not written.");
ABSL_FLAG(int32_t, items, 1000, "Catalogue size (item ids sku-00001...).");
ABSL_FLAG(std::string, id_prefix, "cust-", "Prefix of customer ids.");

namespace cohort::datagen {
namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

absl::StatusOr<GeneratorOptions> OptionsFromFlags() {
  GeneratorOptions o;
  o.customers = absl::GetFlag(FLAGS_customers);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.days = absl::GetFlag(FLAGS_days);
  o.items = absl::GetFlag(FLAGS_items);
  o.id_prefix = absl::GetFlag(FLAGS_id_prefix);
  const std::string end = absl::GetFlag(FLAGS_end);
  if (end.empty()) {
    o.end = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  } else if (!absl::ParseCivilTime(end, &o.end)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--end must be a date YYYY-MM-DD, got '", end, "'"));
  }
  if (absl::Status s = ValidateOptions(o); !s.ok()) return s;
  return o;
}

int Run() {
  absl::StatusOr<GeneratorOptions> options = OptionsFromFlags();
  if (!options.ok()) {
    std::fprintf(stderr, "cohort-datagen: %s\n", options.status().ToString().c_str());
    return kExitUsage;
  }
  const std::string paths[] = {absl::GetFlag(FLAGS_events_out), absl::GetFlag(FLAGS_attributes_out),
                               absl::GetFlag(FLAGS_truth_out)};
  int to_stdout = 0, outputs = 0;
  for (const std::string& p : paths) {
    outputs += !p.empty();
    to_stdout += p == "-";
  }
  if (outputs == 0 || to_stdout > 1) {
    std::fprintf(stderr,
                 "cohort-datagen: pass at least one of --events_out, --attributes_out, "
                 "--truth_out, and at most one of them as '-' (stdout)\n");
    return kExitUsage;
  }
  std::unique_ptr<ByteSink> sinks[3];
  for (int i = 0; i < 3; ++i) {
    if (paths[i].empty()) continue;
    absl::StatusOr<std::unique_ptr<ByteSink>> sink = OpenFileSink(paths[i]);
    if (!sink.ok()) {
      std::fprintf(stderr, "cohort-datagen: %s\n", sink.status().ToString().c_str());
      return kExitError;
    }
    sinks[i] = *std::move(sink);
  }

  const absl::Time start = absl::Now();
  absl::StatusOr<GenerationStats> stats = Generate(
      *options, {.events = sinks[0].get(), .attributes = sinks[1].get(), .truth = sinks[2].get()});
  absl::Status status = stats.status();
  for (std::unique_ptr<ByteSink>& sink : sinks) {
    if (sink == nullptr) continue;
    absl::Status closed = sink->Close();
    if (status.ok()) status = closed;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "cohort-datagen: %s\n", status.ToString().c_str());
    return kExitError;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::fprintf(stderr, "%s\n",
               absl::StrFormat("cohort-datagen: customers=%d events=%d attribute_rows=%d "
                               "end=%s days=%d seed=%d elapsed=%.3fs events/s=%.0f",
                               stats->customers, stats->events, stats->attribute_rows,
                               absl::FormatCivilTime(options->end), options->days, options->seed,
                               seconds, seconds > 0 ? stats->events / seconds : 0.0)
                   .c_str());
  return 0;
}

}  // namespace
}  // namespace cohort::datagen

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Generates deterministic synthetic retail data as Cohort canonical CSV.\n"
      "Example: cohort-datagen --customers=10000 --end=2026-03-01 "
      "--events_out=events.csv --attributes_out=attributes.csv --truth_out=truth.csv");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    std::fprintf(stderr, "cohort-datagen: unexpected argument '%s' (see --help)\n", positional[1]);
    return 2;
  }
  return cohort::datagen::Run();
}
