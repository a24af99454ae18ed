// Internal to cohortctl: turning served values into text (tables, CSV, JSON).
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cohort/v1/feature_store.pb.h"

namespace cohort::cohortctl {

// The value as text: shortest round-trip form for doubles, "true"/"false" for bools, ""
// when unset. With `for_humans`, doubles are rounded to 6 significant digits (tables).
std::string FormatValue(const v1::FeatureValue& value, bool for_humans = false);
// The value as a JSON value (null when unset).
std::string JsonValue(const v1::FeatureValue& value);
// "PRESENT", "NOT_FOUND", "DEFAULTED", "STALE" or "UNSPECIFIED".
std::string StatusName(v1::FeatureStatus status);
// A double in its shortest round-trip form.
std::string FormatDouble(double value);
// A quoted, escaped JSON string.
std::string JsonString(absl::string_view text);

// Prints rows under a header on stdout, columns padded to their widest cell.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace cohort::cohortctl
