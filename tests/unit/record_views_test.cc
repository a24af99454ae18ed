// storage/record_views.h against protobuf's own parser: the views decoded from serialized
// records equal the views of the parsed messages, unknown fields are skipped, and a byte
// string decodes exactly when protobuf parses it (every truncation and random corruption of
// valid records).
#include "storage/record_views.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "storage/records.pb.h"

namespace cohort::storage {
namespace {

using records::Aggregates;
using records::AttributeSet;

std::string RandomLabel(std::mt19937_64& rng) {
  static const std::string kLabels[] = {"",    "purchase",     "view",
                                        "web", "électronique", std::string("a\0b", 3)};
  return kLabels[rng() % 6];
}

int64_t RandomInt(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return 0;
    case 1:
      return static_cast<int64_t>(rng() % 1000);
    case 2:
      return -static_cast<int64_t>(rng() % 1000000);
    default:
      return static_cast<int64_t>(rng());  // any 64-bit value
  }
}

double RandomDouble(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return 0;
    case 1:
      return -0.0;
    case 2:
      return std::numeric_limits<double>::quiet_NaN();
    case 3:
      return std::numeric_limits<double>::infinity();
    default:
      return static_cast<double>(RandomInt(rng)) / 7.0;
  }
}

void FillCell(std::mt19937_64& rng, records::Cell* cell) {
  cell->set_type(RandomLabel(rng));
  cell->set_channel(RandomLabel(rng));
  cell->set_category(RandomLabel(rng));
  cell->set_count(RandomInt(rng));
  cell->set_quantity(RandomInt(rng));
  cell->set_amount(RandomDouble(rng));
  cell->set_first_us(RandomInt(rng));
  cell->set_last_us(RandomInt(rng));
}

Aggregates RandomAggregates(std::mt19937_64& rng) {
  Aggregates a;
  for (int i = static_cast<int>(rng() % 4); i > 0; --i) FillCell(rng, a.add_lifetime());
  for (int d = static_cast<int>(rng() % 6); d > 0; --d) {
    records::DayBucket* day = a.add_days();
    day->set_day(static_cast<int32_t>(RandomInt(rng)));
    for (int i = static_cast<int>(rng() % 4); i > 0; --i) FillCell(rng, day->add_cells());
  }
  return a;
}

AttributeSet RandomAttributes(std::mt19937_64& rng) {
  AttributeSet set;
  for (int i = static_cast<int>(rng() % 4); i > 0; --i) {
    records::AttributeVersions* a = set.add_attributes();
    a->set_name(RandomLabel(rng));
    for (int j = static_cast<int>(rng() % 4); j > 0; --j) {
      records::StoredAttribute* v = a->add_versions();
      switch (rng() % 6) {
        case 0:
          v->set_string_value(RandomLabel(rng));
          break;
        case 1:
          v->set_int_value(RandomInt(rng));
          break;
        case 2:
          v->set_double_value(RandomDouble(rng));
          break;
        case 3:
          v->set_bool_value(rng() % 2 == 0);
          break;
        case 4:
          v->set_timestamp_us(RandomInt(rng));
          break;
        default:
          break;  // no value
      }
      v->set_source(RandomLabel(rng));
      v->set_event_us(RandomInt(rng));
      v->set_written_us(RandomInt(rng));
    }
  }
  return set;
}

bool SameDouble(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

void ExpectSameCell(const CellView& a, const CellView& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.channel, b.channel);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.quantity, b.quantity);
  EXPECT_TRUE(SameDouble(a.amount, b.amount)) << a.amount << " vs " << b.amount;
  EXPECT_EQ(a.first_us, b.first_us);
  EXPECT_EQ(a.last_us, b.last_us);
}

void ExpectSame(const AggregatesView& got, const AggregatesView& want) {
  ASSERT_EQ(got.lifetime().size(), want.lifetime().size());
  for (size_t i = 0; i < got.lifetime().size(); ++i) {
    ExpectSameCell(got.lifetime()[i], want.lifetime()[i]);
  }
  ASSERT_EQ(got.days().size(), want.days().size());
  for (size_t d = 0; d < got.days().size(); ++d) {
    EXPECT_EQ(got.days()[d].day, want.days()[d].day);
    const auto got_cells = got.cells(got.days()[d]);
    const auto want_cells = want.cells(want.days()[d]);
    ASSERT_EQ(got_cells.size(), want_cells.size());
    for (size_t i = 0; i < got_cells.size(); ++i) ExpectSameCell(got_cells[i], want_cells[i]);
  }
}

void ExpectSame(const AttributesView& got, const AttributesView& want) {
  ASSERT_EQ(got.attributes().size(), want.attributes().size());
  for (size_t i = 0; i < got.attributes().size(); ++i) {
    EXPECT_EQ(got.attributes()[i].name, want.attributes()[i].name);
    const auto got_versions = got.versions(got.attributes()[i]);
    const auto want_versions = want.versions(want.attributes()[i]);
    ASSERT_EQ(got_versions.size(), want_versions.size());
    for (size_t j = 0; j < got_versions.size(); ++j) {
      const AttributeVersionView& g = got_versions[j];
      const AttributeVersionView& w = want_versions[j];
      EXPECT_EQ(g.kind, w.kind);
      EXPECT_EQ(g.event_us, w.event_us);
      switch (w.kind) {
        case records::StoredAttribute::kStringValue:
          EXPECT_EQ(g.string_value, w.string_value);
          break;
        case records::StoredAttribute::kIntValue:
        case records::StoredAttribute::kTimestampUs:
          EXPECT_EQ(g.int_value, w.int_value);
          break;
        case records::StoredAttribute::kDoubleValue:
          EXPECT_TRUE(SameDouble(g.double_value, w.double_value));
          break;
        case records::StoredAttribute::kBoolValue:
          EXPECT_EQ(g.bool_value, w.bool_value);
          break;
        default:
          break;
      }
    }
  }
}

// Decodes `bytes` both ways; they must agree on validity and, when valid, on the content.
template <typename Message, typename View>
void ExpectDecodesLikeProtobuf(const std::string& bytes) {
  Message parsed;
  const bool protobuf_ok = parsed.ParseFromString(bytes);
  View decoded;
  const bool view_ok = decoded.Decode(bytes);
  ASSERT_EQ(view_ok, protobuf_ok) << "bytes of size " << bytes.size();
  if (!view_ok) return;
  View want;
  want.Assign(parsed);
  ExpectSame(decoded, want);
}

TEST(RecordViewsTest, DecodedEqualsParsedForRandomRecords) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 500; ++i) {
    const Aggregates a = RandomAggregates(rng);
    ExpectDecodesLikeProtobuf<Aggregates, AggregatesView>(a.SerializeAsString());
    const AttributeSet s = RandomAttributes(rng);
    ExpectDecodesLikeProtobuf<AttributeSet, AttributesView>(s.SerializeAsString());
  }
}

TEST(RecordViewsTest, ViewsPointIntoTheDecodedBytes) {
  Aggregates a;
  records::Cell* cell = a.add_days()->add_cells();
  cell->set_type("purchase");
  cell->set_count(3);
  const std::string bytes = a.SerializeAsString();
  AggregatesView view;
  ASSERT_TRUE(view.Decode(bytes));
  ASSERT_EQ(view.days().size(), 1u);
  const absl::string_view type = view.cells(view.days()[0])[0].type;
  EXPECT_EQ(type, "purchase");
  EXPECT_GE(type.data(), bytes.data());
  EXPECT_LE(type.data() + type.size(), bytes.data() + bytes.size());
  // Decoding again reuses the view: nothing of the previous record is left.
  ASSERT_TRUE(view.Decode(Aggregates().SerializeAsString()));
  EXPECT_TRUE(view.days().empty());
  EXPECT_TRUE(view.lifetime().empty());
}

// Appends an unknown field of every wire type, and a known field number with the wrong wire
// type, to a message's bytes.
std::string WithUnknownFields(std::string bytes) {
  bytes += std::string("\xa8\x06\x96\x01", 4);                // field 101, varint 150
  bytes += std::string("\xb1\x06", 2) + std::string(8, 'x');  // field 102, fixed64
  bytes += std::string("\xba\x06\x03xyz", 6);                 // field 103, 3 bytes
  bytes += std::string("\xc5\x06", 2) + std::string(4, 'y');  // field 104, fixed32
  bytes += std::string("\xcb\x06\x08\x01\xcc\x06", 6);        // field 105 group {1: varint 1}
  bytes += std::string("\x0d", 1) + std::string(4, 'z');      // field 1 as fixed32
  return bytes;
}

std::string LengthDelimited(int field, const std::string& payload) {
  std::string out(1, static_cast<char>(field << 3 | 2));
  out += static_cast<char>(payload.size());  // payloads here are < 128 bytes
  return out + payload;
}

TEST(RecordViewsTest, UnknownFieldsAreSkippedAtEveryLevel) {
  records::Cell cell;
  cell.set_type("view");
  cell.set_count(2);
  cell.set_amount(1.5);
  records::DayBucket day;
  day.set_day(20000);
  const std::string bytes = WithUnknownFields(
      LengthDelimited(1, WithUnknownFields(cell.SerializeAsString())) +
      LengthDelimited(2, WithUnknownFields(day.SerializeAsString() +
                                           LengthDelimited(2, cell.SerializeAsString()))));
  ExpectDecodesLikeProtobuf<Aggregates, AggregatesView>(bytes);
  AggregatesView view;
  ASSERT_TRUE(view.Decode(bytes));
  ASSERT_EQ(view.lifetime().size(), 1u);
  EXPECT_EQ(view.lifetime()[0].type, "view");
  EXPECT_EQ(view.lifetime()[0].count, 2);
  ASSERT_EQ(view.days().size(), 1u);
  EXPECT_EQ(view.days()[0].day, 20000);
  EXPECT_EQ(view.cells(view.days()[0]).size(), 1u);

  records::StoredAttribute version;
  version.set_int_value(1990);
  version.set_event_us(5);
  records::AttributeVersions attribute;
  attribute.set_name("birth_year");
  const std::string set_bytes = WithUnknownFields(LengthDelimited(
      1, WithUnknownFields(attribute.SerializeAsString() +
                           LengthDelimited(2, WithUnknownFields(version.SerializeAsString())))));
  ExpectDecodesLikeProtobuf<AttributeSet, AttributesView>(set_bytes);
  AttributesView attributes;
  ASSERT_TRUE(attributes.Decode(set_bytes));
  ASSERT_EQ(attributes.attributes().size(), 1u);
  EXPECT_EQ(attributes.attributes()[0].name, "birth_year");
  const auto versions = attributes.versions(attributes.attributes()[0]);
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].kind, records::StoredAttribute::kIntValue);
  EXPECT_EQ(versions[0].int_value, 1990);
  EXPECT_EQ(versions[0].event_us, 5);
}

TEST(RecordViewsTest, TheLastValueOfAOneofWins) {
  records::StoredAttribute a;
  a.set_string_value("gold");
  records::StoredAttribute b;
  b.set_double_value(2.5);
  records::AttributeVersions attribute;
  attribute.set_name("tier");
  // Two encodings of one version concatenated: protobuf merges them, the double wins.
  const std::string bytes =
      LengthDelimited(1, attribute.SerializeAsString() +
                             LengthDelimited(2, a.SerializeAsString() + b.SerializeAsString()));
  ExpectDecodesLikeProtobuf<AttributeSet, AttributesView>(bytes);
  AttributesView view;
  ASSERT_TRUE(view.Decode(bytes));
  const auto versions = view.versions(view.attributes()[0]);
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].kind, records::StoredAttribute::kDoubleValue);
  EXPECT_EQ(versions[0].double_value, 2.5);
}

TEST(RecordViewsTest, TruncatedRecordsDecodeExactlyWhenProtobufParsesThem) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 40; ++i) {
    const std::string a = RandomAggregates(rng).SerializeAsString();
    for (size_t n = 0; n < a.size(); ++n) {
      ExpectDecodesLikeProtobuf<Aggregates, AggregatesView>(a.substr(0, n));
    }
    const std::string s = RandomAttributes(rng).SerializeAsString();
    for (size_t n = 0; n < s.size(); ++n) {
      ExpectDecodesLikeProtobuf<AttributeSet, AttributesView>(s.substr(0, n));
    }
  }
}

TEST(RecordViewsTest, CorruptedRecordsDecodeExactlyWhenProtobufParsesThem) {
  std::mt19937_64 rng(13);
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string a = RandomAggregates(rng).SerializeAsString();
    std::string s = RandomAttributes(rng).SerializeAsString();
    for (std::string* bytes : {&a, &s}) {
      if (bytes->empty()) continue;
      for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
        (*bytes)[rng() % bytes->size()] = static_cast<char>(rng());
      }
    }
    ExpectDecodesLikeProtobuf<Aggregates, AggregatesView>(a);
    ExpectDecodesLikeProtobuf<AttributeSet, AttributesView>(s);
    rejected += AggregatesView().Decode(a) ? 0 : 1;
  }
  EXPECT_GT(rejected, 100);  // the corruption did produce invalid encodings
}

}  // namespace
}  // namespace cohort::storage
