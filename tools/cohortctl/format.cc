#include "tools/cohortctl/format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cohort::cohortctl {

std::string FormatDouble(double value) {
  char buffer[64];
  std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string FormatValue(const v1::FeatureValue& value, bool for_humans) {
  switch (value.kind_case()) {
    case v1::FeatureValue::kDoubleValue:
      return for_humans ? absl::StrFormat("%.6g", value.double_value())
                        : FormatDouble(value.double_value());
    case v1::FeatureValue::kIntValue:
      return absl::StrCat(value.int_value());
    case v1::FeatureValue::kStringValue:
      return value.string_value();
    case v1::FeatureValue::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case v1::FeatureValue::KIND_NOT_SET:
      break;
  }
  return "";
}

std::string JsonValue(const v1::FeatureValue& value) {
  switch (value.kind_case()) {
    case v1::FeatureValue::kDoubleValue:
      return std::isfinite(value.double_value()) ? FormatDouble(value.double_value()) : "null";
    case v1::FeatureValue::kStringValue:
      return JsonString(value.string_value());
    case v1::FeatureValue::KIND_NOT_SET:
      return "null";
    default:
      return FormatValue(value);
  }
}

std::string StatusName(v1::FeatureStatus status) {
  switch (status) {
    case v1::FEATURE_STATUS_PRESENT:
      return "PRESENT";
    case v1::FEATURE_STATUS_NOT_FOUND:
      return "NOT_FOUND";
    case v1::FEATURE_STATUS_DEFAULTED:
      return "DEFAULTED";
    case v1::FEATURE_STATUS_STALE:
      return "STALE";
    default:
      return "UNSPECIFIED";
  }
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      if (i + 1 == row.size()) {
        line += row[i];
      } else {
        line += row[i];
        line.append(width[i] - row[i].size() + 2, ' ');
      }
    }
    std::printf("%s\n", line.c_str());
  };
  print(header);
  for (const auto& row : rows) print(row);
}

}  // namespace cohort::cohortctl
