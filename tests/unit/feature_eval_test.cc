// EvaluateFeatures on hand-built records: day boundaries of windows, lifetime minus later
// buckets, as_of visibility, statuses, derived features and category/channel aggregates.
#include "storage/feature_eval.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/feature_registry.h"
#include "storage/records.pb.h"

namespace cohort::storage {
namespace {

// Midnight UTC starting the reference day D (2026-03-10) and times relative to it.
absl::Time Day(int offset, int hour = 0, int minute = 0, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 10 + offset, hour, minute, second),
                         absl::UTCTimeZone());
}

// Builds one customer's records the way the store's merge operators maintain them.
class Customer {
 public:
  Customer& Event(absl::Time t, const std::string& type, const std::string& channel = "web",
                  const std::string& category = "", int64_t quantity = 1, double amount = 0) {
    const Key key{type, channel, category};
    const int64_t us = absl::ToUnixMicros(t);
    Add(lifetime_[key], key, us, quantity, amount);
    Add(days_[DayOf(t)][key], key, us, quantity, amount);
    return *this;
  }

  // Drops the buckets of days before `day`, as the retention compaction filter does.
  Customer& DropBucketsBefore(int32_t day) {
    days_.erase(days_.begin(), days_.lower_bound(day));
    return *this;
  }

  Customer& Attr(const std::string& name, records::StoredAttribute value, absl::Time t) {
    value.set_event_us(absl::ToUnixMicros(t));
    attributes_[name].push_back(std::move(value));
    return *this;
  }

  CustomerRecords Records() {
    aggregates_.Clear();
    for (const auto& [key, cell] : lifetime_) *aggregates_.add_lifetime() = cell;
    for (const auto& [day, cells] : days_) {
      records::DayBucket* bucket = aggregates_.add_days();
      bucket->set_day(day);
      for (const auto& [key, cell] : cells) *bucket->add_cells() = cell;
    }
    attribute_set_.Clear();
    for (auto& [name, versions] : attributes_) {
      records::AttributeVersions* a = attribute_set_.add_attributes();
      a->set_name(name);
      std::sort(versions.begin(), versions.end(),
                [](const auto& x, const auto& y) { return x.event_us() > y.event_us(); });
      for (const auto& v : versions) *a->add_versions() = v;
    }
    CustomerRecords records;
    if (!lifetime_.empty() || !days_.empty()) records.aggregates = &aggregates_;
    if (!attributes_.empty()) records.attributes = &attribute_set_;
    return records;
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;

  static void Add(records::Cell& cell, const Key& key, int64_t us, int64_t quantity,
                  double amount) {
    if (cell.count() == 0) {
      cell.set_type(std::get<0>(key));
      cell.set_channel(std::get<1>(key));
      cell.set_category(std::get<2>(key));
      cell.set_first_us(us);
      cell.set_last_us(us);
    }
    cell.set_count(cell.count() + 1);
    cell.set_quantity(cell.quantity() + quantity);
    cell.set_amount(cell.amount() + amount);
    cell.set_first_us(std::min(cell.first_us(), us));
    cell.set_last_us(std::max(cell.last_us(), us));
  }

  std::map<Key, records::Cell> lifetime_;
  std::map<int32_t, std::map<Key, records::Cell>> days_;
  std::map<std::string, std::vector<records::StoredAttribute>> attributes_;
  records::Aggregates aggregates_;
  records::AttributeSet attribute_set_;
};

records::StoredAttribute Str(const std::string& v) {
  records::StoredAttribute a;
  a.set_string_value(v);
  return a;
}
records::StoredAttribute Int(int64_t v) {
  records::StoredAttribute a;
  a.set_int_value(v);
  return a;
}
records::StoredAttribute Bool(bool v) {
  records::StoredAttribute a;
  a.set_bool_value(v);
  return a;
}

// The features of one registry text evaluated for one customer, looked up by name.
class Features {
 public:
  Features(const std::string& registry_text, Customer& customer, absl::Time as_of,
           std::vector<std::string> names = {}) {
    auto registry = FeatureRegistry::Parse(registry_text, "test");
    EXPECT_TRUE(registry.ok()) << registry.status();
    registry_ = *registry;
    if (names.empty()) {
      for (const FeatureDef& def : registry_->features()) names.push_back(def.name);
    }
    for (const std::string& name : names) selection_.indices.push_back(*registry_->Find(name));
    names_ = names;
    vector_ = EvaluateFeatures(*registry_, selection_, customer.Records(), as_of);
  }

  bool found() const { return vector_.found; }
  const FeatureValue& operator[](const std::string& name) const {
    auto it = std::find(names_.begin(), names_.end(), name);
    EXPECT_NE(it, names_.end()) << name;
    return vector_.values.at(it - names_.begin());
  }
  int64_t Int(const std::string& name) const { return std::get<int64_t>((*this)[name].value); }
  double Double(const std::string& name) const { return std::get<double>((*this)[name].value); }
  FeatureStatus Status(const std::string& name) const { return (*this)[name].status; }
  const FeatureVector& vector() const { return vector_; }

 private:
  std::shared_ptr<const FeatureRegistry> registry_;
  FeatureSelection selection_;
  std::vector<std::string> names_;
  FeatureVector vector_;
};

constexpr FeatureStatus kPresent = FeatureStatus::kPresent;
constexpr FeatureStatus kDefaulted = FeatureStatus::kDefaulted;
constexpr FeatureStatus kStale = FeatureStatus::kStale;
constexpr FeatureStatus kNotFound = FeatureStatus::kNotFound;

constexpr char kWindows[] =
    "p1 int64 window agg=count days=1 type=purchase\n"
    "p2 int64 window agg=count days=2 type=purchase\n"
    "p7 int64 window agg=count days=7 type=purchase\n"
    "p_life int64 window agg=count days=lifetime type=purchase\n"
    "spend7 double window agg=sum_amount days=7 type=purchase\n"
    "spend7_int int64 window agg=sum_amount days=7 type=purchase\n"
    "spend_life double window agg=sum_amount days=lifetime type=purchase\n"
    "qty_life int64 window agg=sum_quantity days=lifetime type=purchase\n"
    "views7 double window agg=count days=7 type=view\n"
    "all7 int64 window agg=count days=7\n";

TEST(FeatureEvalTest, EventAtLastSecondOfDayVersusMidnight) {
  Customer c;
  c.Event(Day(-1, 23, 59, 59), "purchase").Event(Day(0), "purchase");
  // as_of exactly at midnight: day D is not visible, its first second neither.
  Features at_midnight(kWindows, c, Day(0));
  EXPECT_EQ(at_midnight.Int("p1"), 1);
  EXPECT_EQ(at_midnight.Int("p_life"), 1);
  // One microsecond later the whole of day D is visible, window 1d is [D, D+1).
  Features just_after(kWindows, c, Day(0) + absl::Microseconds(1));
  EXPECT_EQ(just_after.Int("p1"), 1);
  EXPECT_EQ(just_after.Int("p2"), 2);
  EXPECT_EQ(just_after.Int("p_life"), 2);
  // Mid-day as_of rounds up to D+1 too.
  Features midday(kWindows, c, Day(0, 12));
  EXPECT_EQ(midday.Int("p1"), 1);
  EXPECT_EQ(midday.Int("p2"), 2);
}

TEST(FeatureEvalTest, SevenDayWindowIncludesDayMinus7AndExcludesDayMinus8) {
  Customer c;
  c.Event(Day(-7, 0, 0, 0), "purchase", "web", "", 1, 10)
      .Event(Day(-8, 23, 59, 59), "purchase", "web", "", 1, 100)
      .Event(Day(-1, 23, 59, 59), "purchase", "app", "", 1, 1.25);
  Features f(kWindows, c, Day(0));
  EXPECT_EQ(f.Int("p7"), 2);
  EXPECT_DOUBLE_EQ(f.Double("spend7"), 11.25);
  EXPECT_EQ(f.Int("spend7_int"), 11);  // int64 sums truncate
  EXPECT_EQ(f.Int("p_life"), 3);
  // One day later day -7 has left the window.
  Features later(kWindows, c, Day(1));
  EXPECT_EQ(later.Int("p7"), 1);
}

TEST(FeatureEvalTest, LifetimeSubtractsBucketsOnOrAfterTheCutoff) {
  Customer c;
  c.Event(Day(-100), "purchase", "web", "", 2, 10)
      .Event(Day(-5), "purchase", "web", "", 3, 20)
      .Event(Day(0, 9), "purchase", "web", "", 4, 40)
      .Event(Day(2), "purchase", "web", "", 5, 80)
      .Event(Day(-100), "view");
  Features now(kWindows, c, Day(0));
  EXPECT_EQ(now.Int("p_life"), 2);
  EXPECT_DOUBLE_EQ(now.Double("spend_life"), 30);
  EXPECT_EQ(now.Int("qty_life"), 5);
  Features later(kWindows, c, Day(3));
  EXPECT_EQ(later.Int("p_life"), 4);
  EXPECT_DOUBLE_EQ(later.Double("spend_life"), 150);
  EXPECT_EQ(later.Int("qty_life"), 14);
  // Older buckets dropped by retention do not change lifetime values.
  c.DropBucketsBefore(DayOf(Day(-10)));
  Features retained(kWindows, c, Day(0));
  EXPECT_EQ(retained.Int("p_life"), 2);
  EXPECT_DOUBLE_EQ(retained.Double("spend_life"), 30);
}

TEST(FeatureEvalTest, FiltersAndTypedCounts) {
  Customer c;
  c.Event(Day(-1), "view").Event(Day(-2), "view").Event(Day(-3), "click");
  Features f(kWindows, c, Day(0));
  EXPECT_EQ(f["views7"].value, FeatureScalar(2.0));  // double-typed count
  EXPECT_EQ(f.Int("all7"), 3);
  EXPECT_EQ(f.Int("p7"), 0);  // known customer, no purchases: 0, PRESENT
  EXPECT_EQ(f.Status("p7"), kPresent);
  EXPECT_EQ(f.Status("spend_life"), kPresent);
}

constexpr char kAttributes[] =
    "tier string attribute attr=loyalty_tier default=none\n"
    "tier_fresh string attribute attr=loyalty_tier max_age=30d\n"
    "consent bool attribute attr=marketing_consent default=true\n"
    "birth_year int64 attribute attr=birth_year default=-1\n"
    "birth_year_d double attribute attr=birth_year\n"
    "tier_as_int int64 attribute attr=loyalty_tier default=7\n"
    "buys int64 window agg=count days=30 type=purchase\n";

TEST(FeatureEvalTest, AttributeVersionsAfterAsOfAreInvisible) {
  Customer c;
  c.Attr("loyalty_tier", Str("silver"), Day(-40)).Attr("loyalty_tier", Str("gold"), Day(-10));
  Features before_gold(kAttributes, c, Day(-10) - absl::Microseconds(1));
  EXPECT_EQ(before_gold["tier"].value, FeatureScalar(std::string("silver")));
  Features at_gold(kAttributes, c, Day(-10));  // event time <= as_of is visible
  EXPECT_EQ(at_gold["tier"].value, FeatureScalar(std::string("gold")));
  EXPECT_EQ(at_gold.Status("tier"), kPresent);
  // Before any version the customer is unknown.
  Features before_all(kAttributes, c, Day(-41));
  EXPECT_FALSE(before_all.found());
  EXPECT_EQ(before_all["tier"].value, FeatureScalar(std::string("none")));
  EXPECT_EQ(before_all.Status("tier"), kNotFound);
  EXPECT_EQ(before_all["consent"].value, FeatureScalar(true));
}

TEST(FeatureEvalTest, AttributeStatuses) {
  Customer c;
  c.Attr("loyalty_tier", Str("gold"), Day(-31)).Attr("birth_year", Int(1990), Day(-400));
  Features f(kAttributes, c, Day(0));
  EXPECT_TRUE(f.found());
  // max_age=30d: 31 days old is STALE, value kept; exactly 30 days old is not.
  EXPECT_EQ(f["tier_fresh"].value, FeatureScalar(std::string("gold")));
  EXPECT_EQ(f.Status("tier_fresh"), kStale);
  Features edge(kAttributes, c, Day(-1));
  EXPECT_EQ(edge.Status("tier_fresh"), kPresent);
  EXPECT_EQ(f.Status("tier"), kPresent);  // no max_age: never stale
  // Absent attribute: its default, DEFAULTED.
  EXPECT_EQ(f["consent"].value, FeatureScalar(true));
  EXPECT_EQ(f.Status("consent"), kDefaulted);
  // int -> int64 and int -> double are served; string -> int64 is a mismatch.
  EXPECT_EQ(f.Int("birth_year"), 1990);
  EXPECT_DOUBLE_EQ(f.Double("birth_year_d"), 1990.0);
  EXPECT_EQ(f["tier_as_int"].value, FeatureScalar(int64_t{7}));
  EXPECT_EQ(f.Status("tier_as_int"), kDefaulted);
  // An attribute-only customer has zero events, PRESENT.
  EXPECT_EQ(f.Int("buys"), 0);
  EXPECT_EQ(f.Status("buys"), kPresent);
}

TEST(FeatureEvalTest, BoolAndDoubleAttributeMismatch) {
  Customer c;
  c.Attr("marketing_consent", Bool(false), Day(-3)).Attr("birth_year", Bool(true), Day(-3));
  Features f(kAttributes, c, Day(0));
  EXPECT_EQ(f["consent"].value, FeatureScalar(false));
  EXPECT_EQ(f.Status("consent"), kPresent);
  EXPECT_EQ(f["birth_year"].value, FeatureScalar(int64_t{-1}));
  EXPECT_EQ(f.Status("birth_year"), kDefaulted);
}

TEST(FeatureEvalTest, UnknownCustomerIsNotFoundWithDefaults) {
  Customer nobody;
  Features f(kAttributes, nobody, Day(0));
  EXPECT_FALSE(f.found());
  ASSERT_EQ(f.vector().values.size(), 7u);
  for (const FeatureValue& v : f.vector().values) EXPECT_EQ(v.status, kNotFound);
  EXPECT_EQ(f["birth_year"].value, FeatureScalar(int64_t{-1}));
  // Events only after the cutoff: still unknown as of then.
  Customer future;
  future.Event(Day(0), "purchase");
  Features g(kAttributes, future, Day(0));
  EXPECT_FALSE(g.found());
  EXPECT_EQ(g.Status("buys"), kNotFound);
}

constexpr char kDerived[] =
    "buys int64 window agg=count days=30 type=purchase\n"
    "spend double window agg=sum_amount days=30 type=purchase\n"
    "carts int64 window agg=count days=30 type=add_to_cart\n"
    "aov double derived fn=ratio num=spend den=buys default=-1\n"
    "abandon double derived fn=abandon_rate num=buys den=carts\n"
    "recency double derived fn=days_since_last type=purchase default=9999\n"
    "recency_whole int64 derived fn=days_since_last type=purchase\n"
    "last_seen double derived fn=days_since_last\n"
    "web_recency double derived fn=days_since_last channel=web\n"
    "tenure double derived fn=tenure_days\n"
    "buys_stale int64 window agg=count days=30 type=purchase max_age=10d\n"
    "recency_stale double derived fn=days_since_last max_age=10d\n";

TEST(FeatureEvalTest, RatioWithZeroDenominatorIsDefaulted) {
  Customer c;
  c.Event(Day(-2), "view");
  Features f(kDerived, c, Day(0));
  EXPECT_EQ(f["aov"].value, FeatureScalar(-1.0));
  EXPECT_EQ(f.Status("aov"), kDefaulted);
  EXPECT_EQ(f.Status("abandon"), kDefaulted);
  Customer buyer;
  buyer.Event(Day(-2), "purchase", "web", "", 1, 30).Event(Day(-3), "purchase", "web", "", 1, 15);
  Features g(kDerived, buyer, Day(0));
  EXPECT_DOUBLE_EQ(g.Double("aov"), 22.5);
  EXPECT_EQ(g.Status("aov"), kPresent);
}

TEST(FeatureEvalTest, DerivedFeaturesComputeUnselectedOperands) {
  Customer c;
  c.Event(Day(-2), "purchase", "web", "", 1, 30).Event(Day(-3), "purchase", "web", "", 1, 15);
  Features f(kDerived, c, Day(0), {"aov"});
  ASSERT_EQ(f.vector().values.size(), 1u);
  EXPECT_DOUBLE_EQ(f.Double("aov"), 22.5);
}

TEST(FeatureEvalTest, AbandonRateIsClamped) {
  Customer more_buys;
  more_buys.Event(Day(-1), "purchase").Event(Day(-1), "purchase").Event(Day(-2), "purchase");
  more_buys.Event(Day(-1), "add_to_cart").Event(Day(-2), "add_to_cart");
  Features f(kDerived, more_buys, Day(0));
  EXPECT_DOUBLE_EQ(f.Double("abandon"), 0.0);  // 1 - 3/2 clamped to 0
  Customer abandoner;
  abandoner.Event(Day(-1), "purchase");
  for (int i = 0; i < 4; ++i) abandoner.Event(Day(-i - 1), "add_to_cart");
  Features g(kDerived, abandoner, Day(0));
  EXPECT_DOUBLE_EQ(g.Double("abandon"), 0.75);
}

TEST(FeatureEvalTest, DaysSinceLastAndTenure) {
  Customer c;
  c.Event(Day(-50, 6), "view", "app")
      .Event(Day(-3, 18), "purchase", "web")
      .Event(Day(-1, 12), "view", "app")
      .Event(Day(1), "purchase", "web");  // after the cutoff of as_of D
  Features f(kDerived, c, Day(0));
  EXPECT_DOUBLE_EQ(f.Double("recency"), 2.25);
  EXPECT_EQ(f.Int("recency_whole"), 2);
  EXPECT_DOUBLE_EQ(f.Double("last_seen"), 0.5);
  EXPECT_DOUBLE_EQ(f.Double("web_recency"), 2.25);
  EXPECT_DOUBLE_EQ(f.Double("tenure"), 49.75);
  // Mid-day as_of sees the whole day: an event later that day gives a negative recency.
  Features midday(kDerived, c, Day(-3, 12));
  EXPECT_DOUBLE_EQ(midday.Double("recency"), -0.25);
  // Before any purchase: DEFAULTED, while the customer is known from views.
  Features early(kDerived, c, Day(-10));
  EXPECT_EQ(early["recency"].value, FeatureScalar(9999.0));
  EXPECT_EQ(early.Status("recency"), kDefaulted);
  EXPECT_DOUBLE_EQ(early.Double("last_seen"), 39.75);
  EXPECT_DOUBLE_EQ(early.Double("tenure"), 39.75);
  // Attribute-only customer: no events, recency and tenure DEFAULTED.
  Customer attrs;
  attrs.Attr("region", Str("north"), Day(-5));
  Features g(kDerived, attrs, Day(0));
  EXPECT_TRUE(g.found());
  EXPECT_EQ(g.Status("tenure"), kDefaulted);
  EXPECT_EQ(g.Status("last_seen"), kDefaulted);
  EXPECT_EQ(g.Status("buys_stale"), kPresent);  // no event to be stale
}

TEST(FeatureEvalTest, DaysSinceLastWhenLaterEventsShareTheLifetimeCell) {
  // The lifetime cell's last_us lies after the cutoff, so the latest visible event comes from
  // the buckets.
  Customer c;
  c.Event(Day(-20, 12), "purchase").Event(Day(-6, 12), "purchase").Event(Day(5), "purchase");
  Features f(kDerived, c, Day(0));
  EXPECT_DOUBLE_EQ(f.Double("recency"), 5.5);
  EXPECT_DOUBLE_EQ(f.Double("last_seen"), 5.5);
  EXPECT_DOUBLE_EQ(f.Double("tenure"), 19.5);
}

TEST(FeatureEvalTest, WindowAndDerivedStalenessFollowsTheLatestEvent) {
  Customer c;
  c.Event(Day(-11), "purchase");
  Features f(kDerived, c, Day(0));  // latest event 11 days old, max_age 10 days
  EXPECT_EQ(f.Int("buys_stale"), 1);
  EXPECT_EQ(f.Status("buys_stale"), kStale);
  EXPECT_DOUBLE_EQ(f.Double("recency_stale"), 11.0);
  EXPECT_EQ(f.Status("recency_stale"), kStale);
  EXPECT_EQ(f.Status("buys"), kPresent);
  c.Event(Day(-2), "view");  // any recent event keeps the customer fresh
  Features g(kDerived, c, Day(0));
  EXPECT_EQ(g.Status("buys_stale"), kPresent);
  EXPECT_EQ(g.Status("recency_stale"), kPresent);
}

constexpr char kCategories[] =
    "top string window agg=top_category days=30 type=purchase default=unknown\n"
    "top_share double window agg=top_category_share days=30 type=purchase\n"
    "toys_share double window agg=category_share days=30 type=purchase category=toys\n"
    "cats int64 window agg=distinct_categories days=30 type=purchase\n"
    "channels int64 window agg=distinct_channels days=30\n"
    "active int64 window agg=active_days days=30\n"
    "active7 int64 window agg=active_days days=7 type=purchase\n"
    "cats_life int64 window agg=distinct_categories days=lifetime\n"
    "channels_life int64 window agg=distinct_channels days=lifetime\n"
    "top_life string window agg=top_category days=lifetime type=purchase\n"
    "toys_web_share double window agg=category_share days=30 channel=web category=toys\n";

TEST(FeatureEvalTest, TopCategoryTiesGoToTheSmallestName) {
  Customer c;
  c.Event(Day(-1), "purchase", "web", "books")
      .Event(Day(-2), "purchase", "web", "books")
      .Event(Day(-3), "purchase", "app", "apparel")
      .Event(Day(-3), "purchase", "web", "apparel")
      .Event(Day(-4), "purchase", "web", "toys")
      .Event(Day(-4), "purchase", "store", "")  // no category: counts in the total only
      .Event(Day(-5), "view", "web", "electronics");
  Features f(kCategories, c, Day(0));
  EXPECT_EQ(f["top"].value, FeatureScalar(std::string("apparel")));
  EXPECT_DOUBLE_EQ(f.Double("top_share"), 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(f.Double("toys_share"), 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(f.Double("toys_web_share"), 1.0 / 5.0);
  EXPECT_EQ(f.Int("cats"), 3);
  EXPECT_EQ(f.Int("channels"), 3);
  EXPECT_EQ(f.Int("active"), 5);
  EXPECT_EQ(f.Int("cats_life"), 4);
  EXPECT_EQ(f["top_life"].value, FeatureScalar(std::string("apparel")));
  // One more books purchase breaks the tie.
  c.Event(Day(-6), "purchase", "web", "books");
  Features g(kCategories, c, Day(0));
  EXPECT_EQ(g["top"].value, FeatureScalar(std::string("books")));
}

TEST(FeatureEvalTest, CategoryAggregatesWithoutEventsAreDefaulted) {
  Customer c;
  c.Event(Day(-1), "view", "web", "toys").Event(Day(-2), "purchase", "web", "");
  Features f(kCategories, c, Day(0));
  EXPECT_EQ(f["top"].value, FeatureScalar(std::string("unknown")));
  EXPECT_EQ(f.Status("top"), kDefaulted);
  EXPECT_EQ(f.Status("top_share"), kDefaulted);
  EXPECT_DOUBLE_EQ(f.Double("toys_share"), 0.0);  // one purchase, none of them toys
  EXPECT_EQ(f.Status("toys_share"), kPresent);
  EXPECT_EQ(f.Int("cats"), 0);
  Customer viewer;
  viewer.Event(Day(-1), "view", "web", "toys");
  Features g(kCategories, viewer, Day(0));
  EXPECT_EQ(g.Status("toys_share"), kDefaulted);  // no purchases at all
}

TEST(FeatureEvalTest, DistinctCountsAndActiveDays) {
  Customer c;
  c.Event(Day(-1, 1), "purchase", "web", "toys")
      .Event(Day(-1, 2), "view", "app", "toys")
      .Event(Day(-8), "purchase", "store", "books")
      .Event(Day(-40), "click", "email", "home")
      .Event(Day(0), "view", "loyalty", "beauty");  // after the cutoff
  Features f(kCategories, c, Day(0));
  EXPECT_EQ(f.Int("active"), 2);   // days -1 and -8
  EXPECT_EQ(f.Int("active7"), 1);  // only day -1 within 7 days
  EXPECT_EQ(f.Int("channels"), 3);
  // Lifetime: distinct values among cells whose first event is before the cutoff.
  EXPECT_EQ(f.Int("cats_life"), 3);
  EXPECT_EQ(f.Int("channels_life"), 4);
  Features later(kCategories, c, Day(1));
  EXPECT_EQ(later.Int("cats_life"), 4);
  EXPECT_EQ(later.Int("channels_life"), 5);
  // The click on day -40 sets the lifetime channel even when its bucket is gone.
  c.DropBucketsBefore(DayOf(Day(-30)));
  Features retained(kCategories, c, Day(0));
  EXPECT_EQ(retained.Int("channels_life"), 4);
}

TEST(FeatureEvalTest, ShippedRegistryEvaluatesEveryFeature) {
  auto registry = FeatureRegistry::LoadFile(COHORT_SOURCE_DIR "/storage/features.registry");
  ASSERT_TRUE(registry.ok()) << registry.status();
  Customer c;
  c.Event(Day(-400), "purchase", "store", "grocery", 1, 12)
      .Event(Day(-20), "add_to_cart", "web", "electronics")
      .Event(Day(-20), "purchase", "web", "electronics", 1, 300)
      .Event(Day(-3), "view", "app", "apparel")
      .Event(Day(-2), "email_open", "email", "")
      .Attr("region", Str("north"), Day(-100))
      .Attr("marketing_consent", Bool(true), Day(-800));
  FeatureSelection all;
  for (size_t i = 0; i < (*registry)->features().size(); ++i) all.indices.push_back(i);
  const FeatureVector v = EvaluateFeatures(**registry, all, c.Records(), Day(0, 8));
  ASSERT_TRUE(v.found);
  ASSERT_EQ(v.values.size(), all.indices.size());
  auto get = [&](const std::string& name) { return v.values[*(*registry)->Find(name)]; };
  EXPECT_EQ(get("purchases_lifetime").value, FeatureScalar(int64_t{2}));
  EXPECT_EQ(get("spend_lifetime").value, FeatureScalar(312.0));
  EXPECT_EQ(get("aov_lifetime").value, FeatureScalar(156.0));
  EXPECT_EQ(get("purchases_365d").value, FeatureScalar(int64_t{1}));
  EXPECT_EQ(get("cart_abandon_rate_30d").value, FeatureScalar(0.0));
  EXPECT_EQ(get("top_category_365d").value, FeatureScalar(std::string("electronics")));
  EXPECT_EQ(get("category_share_electronics_365d").value, FeatureScalar(1.0));
  EXPECT_EQ(get("email_opens_30d").value, FeatureScalar(int64_t{1}));
  EXPECT_EQ(get("region").value, FeatureScalar(std::string("north")));
  EXPECT_EQ(get("marketing_consent").status, kStale);
  EXPECT_EQ(get("loyalty_tier").status, kDefaulted);
  for (size_t i = 0; i < v.values.size(); ++i) {
    const FeatureDef& def = (*registry)->features()[i];
    EXPECT_EQ(v.values[i].value.index(), def.default_value.index()) << def.name;
  }
}

}  // namespace
}  // namespace cohort::storage
