// FeatureRegistry parsing: the shipped registry, the compiled form of declarations, and one
// test per class of parse error (line number and a message naming the problem).
#include "storage/feature_registry.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::storage {
namespace {

using ::testing::HasSubstr;

const FeatureDef& Def(const FeatureRegistry& r, absl::string_view name) {
  std::optional<size_t> i = r.Find(name);
  EXPECT_TRUE(i.has_value()) << name;
  return r.features()[i.value_or(0)];
}

TEST(FeatureRegistryTest, ShippedRegistryParses) {
  auto registry = FeatureRegistry::LoadFile(COHORT_SOURCE_DIR "/storage/features.registry");
  ASSERT_TRUE(registry.ok()) << registry.status();
  const FeatureRegistry& r = **registry;
  EXPECT_GE(r.features().size(), 40u);
  for (const char* name : {"purchases_7d",
                           "purchases_30d",
                           "purchases_90d",
                           "purchases_365d",
                           "spend_7d",
                           "spend_30d",
                           "spend_90d",
                           "spend_365d",
                           "views_30d",
                           "add_to_cart_30d",
                           "returns_90d",
                           "returns_365d",
                           "purchases_lifetime",
                           "spend_lifetime",
                           "recency_days",
                           "days_since_last_seen",
                           "aov_365d",
                           "aov_lifetime",
                           "cart_abandon_rate_30d",
                           "cart_abandon_rate_90d",
                           "return_rate_365d",
                           "tenure_days",
                           "distinct_categories_365d",
                           "channels_used_365d",
                           "active_days_30d",
                           "email_opens_30d",
                           "store_visits_90d",
                           "top_category_365d",
                           "top_category_share_365d",
                           "category_share_electronics_365d",
                           "category_share_apparel_365d",
                           "category_share_grocery_365d",
                           "category_share_beauty_365d",
                           "region",
                           "loyalty_tier",
                           "marketing_consent",
                           "birth_year",
                           "signup_channel"}) {
    EXPECT_TRUE(r.Find(name).has_value()) << name;
  }
  const FeatureDef& consent = Def(r, "marketing_consent");
  EXPECT_EQ(consent.type, FeatureType::kBool);
  EXPECT_EQ(consent.source, FeatureSource::kAttribute);
  EXPECT_EQ(consent.default_value, FeatureScalar(false));
  EXPECT_EQ(consent.max_age, absl::Hours(24 * 730));
  EXPECT_EQ(Def(r, "birth_year").default_value, FeatureScalar(int64_t{0}));
  EXPECT_EQ(Def(r, "top_category_365d").type, FeatureType::kString);
  EXPECT_EQ(Def(r, "spend_lifetime").program.op, FeatureProgram::Op::kSumAmount);
  EXPECT_EQ(Def(r, "recency_days").source, FeatureSource::kDerived);
  // purchases and spend over the same window read one aggregate group.
  EXPECT_EQ(Def(r, "purchases_30d").program.group, Def(r, "spend_30d").program.group);
  EXPECT_NE(Def(r, "purchases_30d").program.group, Def(r, "purchases_90d").program.group);
  for (const FeatureDef& def : r.features()) {
    EXPECT_GT(def.line, 0) << def.name;
    EXPECT_THAT(def.declaration, ::testing::StartsWith(def.name));
  }
}

TEST(FeatureRegistryTest, CommentsBlankLinesAndCompiledForm) {
  auto registry = FeatureRegistry::Parse(
      "# header\n"
      "\n"
      "  buys int64 window agg=count days=30 type=purchase   # trailing comment\r\n"
      "spend double\twindow agg=sum_amount days=lifetime type=purchase default=-1.5\n"
      "aov double derived fn=ratio num=spend den=buys max_age=10d\n"
      "share double window agg=category_share days=30 type=purchase category=toys\n"
      "tier string attribute attr=loyalty_tier default=none\n",
      "test.registry");
  ASSERT_TRUE(registry.ok()) << registry.status();
  const FeatureRegistry& r = **registry;
  ASSERT_EQ(r.features().size(), 5u);
  const FeatureDef& buys = r.features()[0];
  EXPECT_EQ(buys.name, "buys");
  EXPECT_EQ(buys.line, 3);
  EXPECT_EQ(buys.declaration, "buys int64 window agg=count days=30 type=purchase");
  EXPECT_EQ(buys.params.at("days"), "30");
  EXPECT_EQ(buys.default_value, FeatureScalar(int64_t{0}));
  EXPECT_FALSE(buys.max_age.has_value());
  EXPECT_EQ(r.features()[1].default_value, FeatureScalar(-1.5));
  const FeatureDef& aov = r.features()[2];
  EXPECT_EQ(aov.program.op, FeatureProgram::Op::kRatio);
  EXPECT_EQ(aov.program.num, 1u);
  EXPECT_EQ(aov.program.den, 0u);
  EXPECT_EQ(aov.max_age, absl::Hours(240));
  // category= of category_share names the share, not a filter: same group as `buys`.
  const FeatureDef& share = r.features()[3];
  EXPECT_EQ(share.program.category, "toys");
  EXPECT_EQ(share.program.group, buys.program.group);
  const EvalPlan& plan = r.plan();
  const AggregateGroup& group = plan.groups[buys.program.group];
  EXPECT_EQ(group.days, 30);
  EXPECT_TRUE(group.categories);
  const EventFilter& filter = plan.filters[group.filter];
  EXPECT_EQ(filter.type, "purchase");
  EXPECT_FALSE(filter.category.has_value());
  ASSERT_GE(filter.type_id, 0);
  EXPECT_EQ(plan.types[filter.type_id], "purchase");
  EXPECT_EQ(filter.category_id, -1);
  EXPECT_EQ(plan.windows[group.filter], std::vector<size_t>{buys.program.group});
  EXPECT_EQ(plan.lifetime[group.filter], static_cast<int>(r.features()[1].program.group));
  EXPECT_EQ(r.features()[4].default_value, FeatureScalar(std::string("none")));
  EXPECT_EQ(r.features()[4].program.attribute, "loyalty_tier");
  EXPECT_EQ(r.Find("aov"), 2u);
  EXPECT_EQ(r.Find("nope"), std::nullopt);
}

TEST(FeatureRegistryTest, EmptyTextHasNoFeatures) {
  auto registry = FeatureRegistry::Parse("# nothing\n\n", "empty");
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_TRUE((*registry)->features().empty());
}

TEST(FeatureRegistryTest, MissingFileIsNotFound) {
  auto registry = FeatureRegistry::LoadFile("/nonexistent/cohort/features.registry");
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(registry.status().message()),
              HasSubstr("/nonexistent/cohort/features.registry"));
}

struct BadCase {
  std::string line;     // declared on line 3, after two valid features
  std::string problem;  // expected in the message
};

class ParseErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseErrorTest, NamesLineAndProblem) {
  const std::string text = absl::StrCat(
      "# registry under test\n"
      "buys int64 window agg=count days=30 type=purchase\n",
      GetParam().line,
      "\n"
      "later int64 window agg=count days=7\n");
  auto registry = FeatureRegistry::Parse(text, "bad.registry");
  ASSERT_FALSE(registry.ok()) << GetParam().line;
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(registry.status().message());
  EXPECT_THAT(message, ::testing::StartsWith("bad.registry:3: ")) << message;
  EXPECT_THAT(message, HasSubstr(GetParam().problem)) << message;
}

INSTANTIATE_TEST_SUITE_P(
    AllProblems, ParseErrorTest,
    ::testing::Values(
        BadCase{"lonely int64", "expected '<name> <type> <source> key=value ...'"},
        BadCase{"Bad_Name int64 window agg=count days=7", "invalid feature name 'Bad_Name'"},
        BadCase{"9lives int64 window agg=count days=7", "invalid feature name '9lives'"},
        BadCase{std::string(65, 'a') + " int64 window agg=count days=7", "invalid feature name"},
        BadCase{"x float window agg=count days=7", "unknown type 'float'"},
        BadCase{"x int64 table agg=count days=7", "unknown source 'table'"},
        BadCase{"x int64 window agg=median days=7", "unknown agg 'median'"},
        BadCase{"x int64 window days=7", "missing agg="},
        BadCase{"x int64 window agg=count type=view", "missing days=<N|lifetime>"},
        BadCase{"x int64 window agg=count days=week", "bad days='week'"},
        BadCase{"x int64 window agg=count days=0", "bad days='0'"},
        BadCase{"x int64 window agg=count days=-3", "bad days='-3'"},
        BadCase{"x int64 window agg=count days=7 colour=red", "unknown parameter 'colour'"},
        BadCase{"x int64 window agg=count days=7 days=8", "parameter 'days' is given twice"},
        BadCase{"x int64 window agg=count days=7 lifetime",
                "'lifetime' is not of the form key=value"},
        BadCase{"x int64 window agg=count days=7 type=", "type= is empty"},
        BadCase{"x int64 window agg=count days=7 default=abc",
                "default='abc' is not a valid int64"},
        BadCase{"x int64 window agg=count days=7 default=1.5",
                "default='1.5' is not a valid int64"},
        BadCase{"x double window agg=count days=7 default=nan",
                "default='nan' is not a valid double"},
        BadCase{"x bool attribute attr=consent default=yes", "default='yes' is not a valid bool"},
        BadCase{"x int64 window agg=count days=7 max_age=30", "bad max_age='30'"},
        BadCase{"x int64 window agg=count days=7 max_age=0d", "bad max_age='0d'"},
        BadCase{"x int64 window agg=count days=7 max_age=3w", "bad max_age='3w'"},
        BadCase{"buys int64 window agg=count days=7",
                "duplicate feature 'buys' (first declared on line 2)"},
        BadCase{"x string window agg=count days=7", "agg=count yields a number"},
        BadCase{"x bool window agg=sum_amount days=7", "agg=sum_amount yields a number"},
        BadCase{"x double window agg=top_category days=7",
                "agg=top_category yields a category name"},
        BadCase{"x int64 window agg=category_share days=7 category=toys", "yields a fraction"},
        BadCase{"x double window agg=category_share days=7", "missing category=<category>"},
        BadCase{"x int64 window agg=active_days days=lifetime", "agg=active_days needs days=<N>"},
        BadCase{"x string attribute", "missing attr=<attribute name>"},
        BadCase{"x string attribute attr=Region", "attr='Region' is not an attribute name"},
        BadCase{"x string attribute attr=region days=7",
                "unknown parameter 'days' for an attribute feature"},
        BadCase{"x double derived num=buys den=buys", "missing fn="},
        BadCase{"x double derived fn=median", "unknown fn 'median'"},
        BadCase{"x double derived fn=ratio num=buys", "missing den=<feature>"},
        BadCase{"x double derived fn=ratio num=buys den=ghost",
                "den='ghost' refers to an unknown feature"},
        BadCase{"x double derived fn=ratio num=later den=buys",
                "num='later' refers to a feature declared later (line 4)"},
        BadCase{"x double derived fn=ratio num=x den=buys", "a feature cannot refer to itself"},
        BadCase{"x int64 derived fn=ratio num=buys den=buys", "fn=ratio yields a fraction"},
        BadCase{"x string derived fn=tenure_days", "fn=tenure_days yields a number of days"},
        BadCase{"x double derived fn=tenure_days type=purchase",
                "unknown parameter 'type' for fn=tenure_days"},
        BadCase{"x double derived fn=days_since_last agg=count",
                "unknown parameter 'agg' for fn=days_since_last"}));

TEST(FeatureRegistryTest, RatioOperandsMustBeNumeric) {
  auto registry = FeatureRegistry::Parse(
      "top string window agg=top_category days=30\n"
      "n int64 window agg=count days=30\n"
      "r double derived fn=ratio num=top den=n\n",
      "x");
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(registry.status().message()),
              HasSubstr("x:3: num='top' refers to a string feature"));
}

TEST(FeatureRegistryTest, ReportsTheFirstBadLine) {
  auto registry = FeatureRegistry::Parse(
      "a int64 window agg=count days=7\n"
      "b int64 window agg=nope days=7\n"
      "c int64 window agg=count\n",
      "x");
  EXPECT_THAT(std::string(registry.status().message()), HasSubstr("x:2: unknown agg 'nope'"));
}

}  // namespace
}  // namespace cohort::storage
