#include "services/common/metrics/build_info.h"

#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace cohort::metrics {

void AddBuildInfo(prometheus::Registry& registry, const std::string& component,
                  const std::string& version) {
  prometheus::BuildGauge()
      .Name("cohort_build_info")
      .Help("Always 1; the labels say which Cohort component and version this process runs.")
      .Register(registry)
      .Add({{"component", component}, {"version", version}})
      .Set(1);
}

}  // namespace cohort::metrics
