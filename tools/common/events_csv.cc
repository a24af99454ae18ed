#include "tools/common/events_csv.h"

#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace cohort::tools {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t seconds = absl::ToUnixSeconds(t);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return out;
}

// Checks that the first record of `csv` is `expected` (comma-separated column names).
absl::Status CheckHeader(CsvReader& csv, absl::string_view expected) {
  std::vector<std::string> fields;
  absl::StatusOr<bool> read = csv.Next(&fields);
  if (!read.ok()) return read.status();
  if (!*read) {
    return absl::InvalidArgumentError(absl::StrCat(
        csv.path(), ":1: the file is empty; the header line ", expected, " is required"));
  }
  std::vector<std::string> want = absl::StrSplit(expected, ',');
  for (std::string& f : fields) f = std::string(absl::StripAsciiWhitespace(f));
  if (fields != want) {
    return absl::InvalidArgumentError(absl::StrCat(csv.Where(), ": the header must be ", expected,
                                                   " but is ", absl::StrJoin(fields, ",")));
  }
  return absl::OkStatus();
}

// Error naming the row, the 0-based column index and its name.
class RowErrors {
 public:
  RowErrors(const CsvReader& csv, absl::string_view header)
      : csv_(csv), names_(absl::StrSplit(header, ',')) {}

  absl::Status Bad(size_t column, absl::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat(csv_.Where(), ": column ", column + 1, " (", names_[column], "): ", problem));
  }
  absl::Status CheckCount(const std::vector<std::string>& fields) const {
    if (fields.size() == names_.size()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(csv_.Where(), ": expected ", names_.size(), " fields, got ", fields.size()));
  }
  absl::Status Required(const std::vector<std::string>& fields, size_t column) const {
    if (!fields[column].empty()) return absl::OkStatus();
    return Bad(column, "is empty but required");
  }

 private:
  const CsvReader& csv_;
  std::vector<std::string> names_;
};

absl::StatusOr<absl::Time> ParseTs(const RowErrors& errors, const std::string& text,
                                   size_t column) {
  absl::StatusOr<absl::Time> t = ParseEventTime(text);
  if (!t.ok()) return errors.Bad(column, t.status().message());
  return t;
}

absl::StatusOr<double> ParseFinite(const RowErrors& errors, const std::string& text,
                                   size_t column) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
    return errors.Bad(column, absl::StrCat("'", text, "' is not a finite number"));
  }
  return value;
}

absl::StatusOr<int64_t> ParseInt(const RowErrors& errors, const std::string& text, size_t column) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return errors.Bad(column, absl::StrCat("'", text, "' is not an integer"));
  }
  return value;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventsCsvReader>> EventsCsvReader::Open(const std::string& path) {
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> csv, CsvReader::Open(path));
  COHORT_RETURN_IF_ERROR(CheckHeader(*csv, kEventsCsvHeader));
  return std::unique_ptr<EventsCsvReader>(new EventsCsvReader(std::move(csv)));
}

absl::StatusOr<bool> EventsCsvReader::Next(v1::Event* event) {
  event->Clear();
  COHORT_ASSIGN_OR_RETURN(bool more, csv_->Next(&fields_));
  if (!more) return false;
  const RowErrors errors(*csv_, kEventsCsvHeader);
  COHORT_RETURN_IF_ERROR(errors.CheckCount(fields_));
  for (size_t column : {0, 1, 2, 3}) COHORT_RETURN_IF_ERROR(errors.Required(fields_, column));
  COHORT_ASSIGN_OR_RETURN(absl::Time ts, ParseTs(errors, fields_[2], 2));
  int64_t quantity = 0;
  if (!fields_[7].empty()) {
    COHORT_ASSIGN_OR_RETURN(quantity, ParseInt(errors, fields_[7], 7));
    if (quantity < 0) return errors.Bad(7, absl::StrCat("'", fields_[7], "' is negative"));
  }
  double amount = 0;
  if (!fields_[8].empty()) {
    COHORT_ASSIGN_OR_RETURN(amount, ParseFinite(errors, fields_[8], 8));
  }
  event->set_event_id(std::move(fields_[0]));
  event->set_customer_id(std::move(fields_[1]));
  *event->mutable_time() = ToTimestamp(ts);
  event->set_type(std::move(fields_[3]));
  event->set_channel(std::move(fields_[4]));
  event->set_item_id(std::move(fields_[5]));
  event->set_category(std::move(fields_[6]));
  event->set_quantity(quantity);
  event->set_amount(amount);
  return true;
}

absl::StatusOr<std::unique_ptr<AttributesCsvReader>> AttributesCsvReader::Open(
    const std::string& path) {
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> csv, CsvReader::Open(path));
  COHORT_RETURN_IF_ERROR(CheckHeader(*csv, kAttributesCsvHeader));
  return std::unique_ptr<AttributesCsvReader>(new AttributesCsvReader(std::move(csv)));
}

absl::StatusOr<bool> AttributesCsvReader::Next(v1::CustomerAttributes* row) {
  row->Clear();
  COHORT_ASSIGN_OR_RETURN(bool more, csv_->Next(&fields_));
  if (!more) return false;
  const RowErrors errors(*csv_, kAttributesCsvHeader);
  COHORT_RETURN_IF_ERROR(errors.CheckCount(fields_));
  for (size_t column : {0, 1, 2, 5}) COHORT_RETURN_IF_ERROR(errors.Required(fields_, column));
  COHORT_ASSIGN_OR_RETURN(absl::Time ts, ParseTs(errors, fields_[5], 5));
  v1::Attribute attribute;
  const std::string& type = fields_[2];
  const std::string& text = fields_[3];
  v1::AttributeValue* value = attribute.mutable_value();
  if (type == "string") {
    value->set_string_value(text);
  } else if (type == "int") {
    COHORT_ASSIGN_OR_RETURN(int64_t v, ParseInt(errors, text, 3));
    value->set_int_value(v);
  } else if (type == "double") {
    COHORT_ASSIGN_OR_RETURN(double v, ParseFinite(errors, text, 3));
    value->set_double_value(v);
  } else if (type == "bool") {
    std::string lower = absl::AsciiStrToLower(text);
    if (lower == "true" || lower == "1") {
      value->set_bool_value(true);
    } else if (lower == "false" || lower == "0") {
      value->set_bool_value(false);
    } else {
      return errors.Bad(3, absl::StrCat("'", text, "' is not a bool (true, false, 1 or 0)"));
    }
  } else if (type == "timestamp") {
    COHORT_ASSIGN_OR_RETURN(absl::Time t, ParseTs(errors, text, 3));
    *value->mutable_timestamp_value() = ToTimestamp(t);
  } else {
    return errors.Bad(
        2, absl::StrCat("'", type, "' is not one of string, int, double, bool, timestamp"));
  }
  attribute.set_name(std::move(fields_[1]));
  attribute.set_source(std::move(fields_[4]));
  *attribute.mutable_event_time() = ToTimestamp(ts);
  row->set_customer_id(std::move(fields_[0]));
  *row->add_attributes() = std::move(attribute);
  return true;
}

}  // namespace cohort::tools
