#include "services/featurestore/log.h"

#include "services/common/process.h"

namespace cohort::featurestore {

void LogLine(absl::string_view message) { cohort::LogLine("cohort-store", message); }

}  // namespace cohort::featurestore
