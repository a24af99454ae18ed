// cohort_build_info: which component and version a process runs (docs/metrics.md).
#pragma once

#include <string>

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace cohort::metrics {

// Registers cohort_build_info{component, version} = 1 in `registry`. `component` is the
// process kind ("store", "scorer"). Call once per registry.
void AddBuildInfo(prometheus::Registry& registry, const std::string& component,
                  const std::string& version);

}  // namespace cohort::metrics
