#include "tools/common/events_csv.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tools/common/csv.h"

namespace cohort::tools {
namespace {

using ::cohort::testing::TempDir;
using ::testing::HasSubstr;

constexpr char kHeader[] =
    "event_id,customer_id,ts,type,channel,item_id,category,quantity,amount\n";

class EventsCsvTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out << contents;
    return path;
  }

  // Reads every event; row errors are collected and skipped.
  std::vector<v1::Event> ReadAll(const std::string& path, std::vector<std::string>* errors) {
    absl::StatusOr<std::unique_ptr<EventsCsvReader>> reader = EventsCsvReader::Open(path);
    EXPECT_TRUE(reader.ok()) << reader.status();
    std::vector<v1::Event> events;
    if (!reader.ok()) return events;
    for (;;) {
      v1::Event event;
      absl::StatusOr<bool> more = (*reader)->Next(&event);
      if (!more.ok()) {
        EXPECT_EQ(more.status().code(), absl::StatusCode::kInvalidArgument) << more.status();
        errors->push_back(std::string(more.status().message()));
        continue;
      }
      if (!*more) break;
      events.push_back(event);
    }
    return events;
  }

  TempDir dir_{"events_csv_test"};
};

TEST_F(EventsCsvTest, ReadsBothTimeFormsAndOptionalFields) {
  std::string path =
      Write("e.csv", absl::StrCat(kHeader,
                                  "e1,c1,2026-03-01T12:30:00Z,purchase,web,sku-1,"
                                  "shoes,2,19.5\n"
                                  "e2,c2,1772368200,view,app,,,,\n"
                                  "e3,c1,2026-03-01T13:30:00.25+01:00,click,,,,,\n"));
  std::vector<std::string> errors;
  std::vector<v1::Event> events = ReadAll(path, &errors);
  EXPECT_THAT(errors, ::testing::IsEmpty());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event_id(), "e1");
  EXPECT_EQ(events[0].customer_id(), "c1");
  EXPECT_EQ(events[0].time().seconds(), 1772368200);
  EXPECT_EQ(events[0].type(), "purchase");
  EXPECT_EQ(events[0].channel(), "web");
  EXPECT_EQ(events[0].item_id(), "sku-1");
  EXPECT_EQ(events[0].category(), "shoes");
  EXPECT_EQ(events[0].quantity(), 2);
  EXPECT_DOUBLE_EQ(events[0].amount(), 19.5);

  EXPECT_EQ(events[1].time().seconds(), 1772368200);  // same instant as Unix seconds
  EXPECT_EQ(events[1].item_id(), "");
  EXPECT_EQ(events[1].category(), "");
  EXPECT_EQ(events[1].quantity(), 0);
  EXPECT_EQ(events[1].amount(), 0);

  EXPECT_EQ(events[2].time().seconds(), 1772368200);  // 13:30+01:00 = 12:30Z
  EXPECT_EQ(events[2].time().nanos(), 250000000);
  EXPECT_EQ(events[2].channel(), "");
}

TEST_F(EventsCsvTest, QuotedFieldsFollowRfc4180) {
  std::string path =
      Write("q.csv", absl::StrCat(kHeader,
                                  "\"e,1\",c1,0,view,web,\"item \"\"42\"\"\",\"a,b\",1,\"2.5\"\r\n"
                                  "e2,c2,0,view,web,\"two\nlines\",,,\r\n"
                                  "e3,\"\",0,view,web,,,,\n"
                                  "e4,c4,0,view,web,\"x\"y,,,\n"
                                  "e5,c5,0,view,web,x\"y,,,\n"
                                  "\n"
                                  "e6,c6,0,view,web,,,,\n"));
  std::vector<std::string> errors;
  std::vector<v1::Event> events = ReadAll(path, &errors);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event_id(), "e,1");
  EXPECT_EQ(events[0].item_id(), "item \"42\"");
  EXPECT_EQ(events[0].category(), "a,b");
  EXPECT_DOUBLE_EQ(events[0].amount(), 2.5);
  EXPECT_EQ(events[1].item_id(), "two\nlines");
  EXPECT_EQ(events[1].amount(), 0);  // CRLF stripped from the last field
  EXPECT_EQ(events[2].event_id(), "e6");
  ASSERT_EQ(errors.size(), 3u);
  // Line numbers count the physical lines, including the one inside the quoted field.
  EXPECT_THAT(errors[0], HasSubstr(absl::StrCat(path, ":5: column 2 (customer_id): is empty")));
  EXPECT_THAT(errors[1], HasSubstr(absl::StrCat(path, ":6: column 6: unexpected text after")));
  EXPECT_THAT(errors[2], HasSubstr(absl::StrCat(path, ":7: column 6: quote inside an unquoted")));
}

TEST_F(EventsCsvTest, UnterminatedQuoteIsReported) {
  std::string path = Write("u.csv", absl::StrCat(kHeader, "e1,c1,0,view,web,\"open,,,\n"));
  std::vector<std::string> errors;
  EXPECT_TRUE(ReadAll(path, &errors).empty());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr(":2: column 6: quoted field opened on line 2 never closes"));
}

TEST_F(EventsCsvTest, HeaderErrors) {
  auto open_error = [&](const std::string& contents) {
    absl::StatusOr<std::unique_ptr<EventsCsvReader>> reader =
        EventsCsvReader::Open(Write("h.csv", contents));
    EXPECT_FALSE(reader.ok());
    EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(reader.status().message());
  };
  EXPECT_THAT(open_error(""), HasSubstr("h.csv:1: the file is empty; the header line event_id,"));
  EXPECT_THAT(open_error("e1,c1,0,view,web,,,,\n"),
              HasSubstr("h.csv:1: the header must be event_id,customer_id,ts,type,channel,"
                        "item_id,category,quantity,amount but is e1,c1,0,view,web,,,,"));
  EXPECT_THAT(open_error("event_id,customer_id,ts,type,channel\n"),
              HasSubstr("but is event_id,customer_id,ts,type,channel"));
  // A byte-order mark and CRLF are fine.
  EXPECT_TRUE(EventsCsvReader::Open(Write("bom.csv", absl::StrCat("\xEF\xBB\xBF",
                                                                  "event_id,"
                                                                  "customer_id,ts,type,channel,"
                                                                  "item_id,category,quantity,"
                                                                  "amount\r\n")))
                  .ok());
  absl::StatusOr<std::unique_ptr<EventsCsvReader>> missing =
      EventsCsvReader::Open((dir_ / "absent.csv").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("absent.csv"));
}

TEST_F(EventsCsvTest, BadValuesNameFileLineAndColumn) {
  std::string path = Write("b.csv", absl::StrCat(kHeader,
                                                 "e1,c1,0,view,web,,,abc,\n"
                                                 "e2,c1,0,view,web,,,-1,\n"
                                                 "e3,c1,0,view,web,,,,1.5x\n"
                                                 "e4,c1,0,view,web,,,,nan\n"
                                                 "e5,c1,yesterday,view,web,,,,\n"
                                                 "e6,c1,0,view\n"
                                                 "e7,c1,0,,web,,,,\n"
                                                 "e8,c1,0,view,web,,,3,4\n"));
  std::vector<std::string> errors;
  std::vector<v1::Event> events = ReadAll(path, &errors);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event_id(), "e8");
  ASSERT_EQ(errors.size(), 7u);
  EXPECT_THAT(errors[0],
              HasSubstr(absl::StrCat(path, ":2: column 8 (quantity): 'abc' is not an integer")));
  EXPECT_THAT(errors[1],
              HasSubstr(absl::StrCat(path, ":3: column 8 (quantity): '-1' is negative")));
  EXPECT_THAT(errors[2], HasSubstr(absl::StrCat(
                             path, ":4: column 9 (amount): '1.5x' is not a finite number")));
  EXPECT_THAT(errors[3],
              HasSubstr(absl::StrCat(path, ":5: column 9 (amount): 'nan' is not a finite number")));
  EXPECT_THAT(errors[4],
              HasSubstr(absl::StrCat(path, ":6: column 3 (ts): time 'yesterday' is neither")));
  EXPECT_THAT(errors[5], HasSubstr(absl::StrCat(path, ":7: expected 9 fields, got 4")));
  EXPECT_THAT(errors[6],
              HasSubstr(absl::StrCat(path, ":8: column 4 (type): is empty but required")));
}

TEST_F(EventsCsvTest, ProgressCountsBytes) {
  std::string contents = absl::StrCat(kHeader, "e1,c1,0,view,web,,,,\n");
  absl::StatusOr<std::unique_ptr<EventsCsvReader>> reader =
      EventsCsvReader::Open(Write("p.csv", contents));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->csv().file_size(), contents.size());
  v1::Event event;
  ASSERT_TRUE(*(*reader)->Next(&event));
  EXPECT_FALSE(*(*reader)->Next(&event));
  EXPECT_EQ((*reader)->csv().bytes_read(), contents.size());
}

TEST_F(EventsCsvTest, AttributesOfEveryType) {
  std::string path = Write("a.csv",
                           "customer_id,name,type,value,source,ts\n"
                           "c1,loyalty_tier,string,gold,crm,2026-01-01T00:00:00Z\n"
                           "c1,visits,int,42,,1767225600\n"
                           "c2,score,double,0.25,model,0\n"
                           "c2,marketing_consent,bool,TRUE,crm,0\n"
                           "c3,signup,timestamp,2025-06-01T00:00:00Z,crm,0\n"
                           "c3,note,string,\"a, \"\"b\"\"\",crm,0\n"
                           "c4,visits,int,4.5,crm,0\n"
                           "c4,flag,bool,maybe,crm,0\n"
                           "c4,x,blob,1,crm,0\n"
                           "c4,x,string,1,crm,\n");
  absl::StatusOr<std::unique_ptr<AttributesCsvReader>> reader = AttributesCsvReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<v1::CustomerAttributes> rows;
  std::vector<std::string> errors;
  for (;;) {
    v1::CustomerAttributes row;
    absl::StatusOr<bool> more = (*reader)->Next(&row);
    if (!more.ok()) {
      errors.push_back(std::string(more.status().message()));
      continue;
    }
    if (!*more) break;
    ASSERT_EQ(row.attributes_size(), 1);
    rows.push_back(row);
  }
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].customer_id(), "c1");
  EXPECT_EQ(rows[0].attributes(0).name(), "loyalty_tier");
  EXPECT_EQ(rows[0].attributes(0).value().string_value(), "gold");
  EXPECT_EQ(rows[0].attributes(0).source(), "crm");
  EXPECT_EQ(rows[0].attributes(0).event_time().seconds(), 1767225600);
  EXPECT_EQ(rows[1].attributes(0).value().int_value(), 42);
  EXPECT_EQ(rows[1].attributes(0).source(), "");
  EXPECT_EQ(rows[1].attributes(0).event_time().seconds(), 1767225600);
  EXPECT_DOUBLE_EQ(rows[2].attributes(0).value().double_value(), 0.25);
  EXPECT_TRUE(rows[3].attributes(0).value().has_bool_value());
  EXPECT_TRUE(rows[3].attributes(0).value().bool_value());
  EXPECT_EQ(rows[4].attributes(0).value().timestamp_value().seconds(), 1748736000);
  EXPECT_EQ(rows[5].attributes(0).value().string_value(), "a, \"b\"");
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_THAT(errors[0], HasSubstr(":8: column 4 (value): '4.5' is not an integer"));
  EXPECT_THAT(errors[1], HasSubstr(":9: column 4 (value): 'maybe' is not a bool"));
  EXPECT_THAT(errors[2], HasSubstr(":10: column 3 (type): 'blob' is not one of string, int"));
  EXPECT_THAT(errors[3], HasSubstr(":11: column 6 (ts): is empty but required"));

  absl::StatusOr<std::unique_ptr<AttributesCsvReader>> wrong =
      AttributesCsvReader::Open(Write("w.csv", kHeader));
  EXPECT_THAT(std::string(wrong.status().message()),
              HasSubstr("the header must be customer_id,name,type,value,source,ts"));
}

TEST(CsvFieldTest, WriterQuotesOnlyWhenNeededAndRoundTrips) {
  std::vector<std::string> fields = {"plain", "a,b", "say \"hi\"", "two\nlines", ""};
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    AppendCsvField(fields[i], &line);
  }
  EXPECT_EQ(line, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",");
  TempDir dir("csv_field_test");
  std::filesystem::path path = dir / "fields.csv";
  {
    std::ofstream out(path);
    out << line << "\n";
  }
  absl::StatusOr<std::unique_ptr<CsvReader>> reader = CsvReader::Open(path.string());
  ASSERT_TRUE(reader.ok());
  std::vector<std::string> read;
  ASSERT_TRUE(*(*reader)->Next(&read));
  EXPECT_EQ(read, fields);
}

}  // namespace
}  // namespace cohort::tools
