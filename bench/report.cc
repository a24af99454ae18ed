#include "bench/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cohort::bench {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      out += absl::StrFormat("\\u%04x", static_cast<int>(ch));
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

namespace {

double Us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

double Ops(const RunResult& r) {
  return r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0.0;
}

}  // namespace

std::string ReportJson(const RunDescription& run, const RunResult& result) {
  const Histogram& h = result.latency;
  return absl::StrFormat(
      "{\"label\":%s,\"workload\":%s,\"target\":%s,\"mode\":%s,\"concurrency\":%d,"
      "\"rate\":%.1f,\"batch\":%d,\"keys\":%s,\"zipf_theta\":%.3f,\"customers\":%d,"
      "\"warmup_s\":%.3f,\"duration_s\":%.3f,\"measured_s\":%.3f,\"ops\":%d,\"errors\":%d,"
      "\"first_error\":%s,\"found_fraction\":%.4f,\"throughput_ops_s\":%.1f,"
      "\"throughput_keys_s\":%.1f,\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
      "\"p99_9\":%.1f,\"max\":%.1f,\"mean\":%.1f},\"models\":%s,\"layout\":%s,\"events_per_"
      "customer\":%d}",
      JsonString(run.label), JsonString(run.workload), JsonString(run.target), JsonString(run.mode),
      run.concurrency, run.rate, run.batch, JsonString(run.keys), run.zipf_theta, run.customers,
      run.warmup_s, run.duration_s, result.seconds, result.ops, result.errors,
      JsonString(result.first_error), run.found_fraction, Ops(result), Ops(result) * run.batch,
      Us(h.ValueAtPercentile(50)), Us(h.ValueAtPercentile(90)), Us(h.ValueAtPercentile(99)),
      Us(h.ValueAtPercentile(99.9)), Us(h.max()), h.mean() / 1000.0, JsonString(run.models),
      JsonString(run.layout), run.events_per_customer);
}

std::string ReportLine(const RunDescription& run, const RunResult& result) {
  const Histogram& h = result.latency;
  auto ms = [](uint64_t ns) { return static_cast<double>(ns) / 1e6; };
  std::string load = run.mode == "open"
                         ? absl::StrFormat("open r=%.0f/s c=%d", run.rate, run.concurrency)
                         : absl::StrFormat("closed c=%d", run.concurrency);
  return absl::StrFormat(
      "%-6s %-12s b=%-3d %s %s: %.0f ops/s (%.0f keys/s) p50=%.3fms p90=%.3fms p99=%.3fms "
      "p99.9=%.3fms errors=%d",
      run.target, run.workload, run.batch, load, run.keys, Ops(result), Ops(result) * run.batch,
      ms(h.ValueAtPercentile(50)), ms(h.ValueAtPercentile(90)), ms(h.ValueAtPercentile(99)),
      ms(h.ValueAtPercentile(99.9)), result.errors);
}

}  // namespace cohort::bench
