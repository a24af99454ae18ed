// report.json (the report tree as JSON) and report.md (the same tree rendered as Markdown:
// sections, bullet values, tables for lists of records).
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "tools/train/stages.h"

namespace cohort::train {
namespace {

std::string Scalar(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      return absl::StrFormat("%.6g", v.number_value());
    case google::protobuf::Value::kStringValue:
      return v.string_value();
    case google::protobuf::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    default:
      return "";
  }
}

void Render(const google::protobuf::Struct& s, int level, std::string& out) {
  // Sorted keys: deterministic output.
  std::map<std::string, const google::protobuf::Value*> fields;
  for (const auto& [k, v] : s.fields()) fields[k] = &v;
  for (const auto& [k, v] : fields) {
    if (v->has_struct_value() || v->has_list_value()) continue;
    absl::StrAppend(&out, "- ", k, ": ", Scalar(*v), "\n");
  }
  for (const auto& [k, v] : fields) {
    if (v->has_struct_value()) {
      absl::StrAppend(&out, "\n", std::string(static_cast<size_t>(level), '#'), " ", k, "\n\n");
      Render(v->struct_value(), level + 1, out);
    } else if (v->has_list_value()) {
      const google::protobuf::ListValue& list = v->list_value();
      absl::StrAppend(&out, "\n", std::string(static_cast<size_t>(level), '#'), " ", k, "\n\n");
      if (list.values_size() > 0 && list.values(0).has_struct_value()) {
        std::vector<std::string> cols;
        std::map<std::string, bool> seen;
        for (const auto& [ck, cv] : list.values(0).struct_value().fields()) seen[ck] = true;
        for (const auto& [ck, unused] : seen) cols.push_back(ck);
        absl::StrAppend(&out, "| ", absl::StrJoin(cols, " | "), " |\n|");
        for (size_t i = 0; i < cols.size(); ++i) out += "---|";
        out += "\n";
        for (const google::protobuf::Value& row : list.values()) {
          std::vector<std::string> cells;
          for (const std::string& c : cols) {
            auto it = row.struct_value().fields().find(c);
            cells.push_back(it == row.struct_value().fields().end() ? "" : Scalar(it->second));
          }
          absl::StrAppend(&out, "| ", absl::StrJoin(cells, " | "), " |\n");
        }
      } else {
        std::vector<std::string> items;
        for (const google::protobuf::Value& item : list.values()) items.push_back(Scalar(item));
        absl::StrAppend(&out, absl::StrJoin(items, ", "), "\n");
      }
    }
  }
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << contents;
  f.close();
  if (!f) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteReport(const std::string& dir, const google::protobuf::Struct& report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  std::string json;
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.add_whitespace = true;
  const auto status = google::protobuf::util::MessageToJsonString(report, &json, json_options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("report to JSON: ", status.ToString()));
  }
  std::string md = "# cohort-train report\n\n";
  Render(report, 2, md);
  if (absl::Status s = WriteFile(dir + "/report.json", json); !s.ok()) return s;
  return WriteFile(dir + "/report.md", md);
}

}  // namespace cohort::train
