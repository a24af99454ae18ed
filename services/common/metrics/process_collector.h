// The standard process_* metrics of a Linux process, read from /proc/self on each scrape.
#pragma once

#include <memory>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace cohort::metrics {

// Collects process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds and
// process_start_time_seconds (the names and meanings of Prometheus' client libraries).
// A value that cannot be read (no /proc) is left out of the scrape. Thread-safe.
class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace cohort::metrics
