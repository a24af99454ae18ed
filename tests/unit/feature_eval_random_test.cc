// EvaluateFeatures against a brute-force evaluation straight from event lists, on random
// customers and read times: every feature of the shipped registry plus extra lifetime and
// filtered aggregates. The brute force follows docs/feature-registry.md literally (like
// tests/integration/reference_features.py), so it checks the incremental evaluation: lifetime
// minus later buckets, nested-window segments, latest-event search, statuses.
#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/time_util.h"
#include "gtest/gtest.h"
#include "storage/feature_eval.h"
#include "storage/feature_registry.h"
#include "storage/records.pb.h"

namespace cohort::storage {
namespace {

constexpr int64_t kDayUs = int64_t{86400} * 1000000;

struct Ev {
  int64_t us;
  std::string type, channel, category;
  int64_t quantity;
  double amount;
};

// Records as the store's merge operators would build them from `events`; buckets of days
// before `retained_from` are dropped as by the retention filter.
records::Aggregates Build(const std::vector<Ev>& events, int32_t retained_from) {
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, records::Cell> lifetime;
  std::map<int32_t, std::map<Key, records::Cell>> days;
  auto add = [](records::Cell& c, const Ev& e) {
    if (c.count() == 0) {
      c.set_type(e.type);
      c.set_channel(e.channel);
      c.set_category(e.category);
      c.set_first_us(e.us);
      c.set_last_us(e.us);
    }
    c.set_count(c.count() + 1);
    c.set_quantity(c.quantity() + e.quantity);
    c.set_amount(c.amount() + e.amount);
    c.set_first_us(std::min(c.first_us(), e.us));
    c.set_last_us(std::max(c.last_us(), e.us));
  };
  for (const Ev& e : events) {
    const Key key{e.type, e.channel, e.category};
    add(lifetime[key], e);
    const int32_t day = DayOf(absl::FromUnixMicros(e.us));
    if (day >= retained_from) add(days[day][key], e);
  }
  records::Aggregates out;
  for (const auto& [key, cell] : lifetime) *out.add_lifetime() = cell;
  for (const auto& [day, cells] : days) {
    records::DayBucket* bucket = out.add_days();
    bucket->set_day(day);
    for (const auto& [key, cell] : cells) *bucket->add_cells() = cell;
  }
  return out;
}

// The brute-force value of `def` (status aside from STALE) from the visible events.
FeatureValue BruteForce(const FeatureDef& def, const std::vector<Ev>& visible, int64_t as_of_us,
                        int32_t cutoff) {
  const auto& p = def.params;
  auto param = [&](const char* key) -> const std::string* {
    auto it = p.find(key);
    return it == p.end() ? nullptr : &it->second;
  };
  const FeatureValue defaulted{def.default_value, FeatureStatus::kDefaulted};
  auto number = [&](double x) {
    return FeatureValue{
        def.type == FeatureType::kInt64 ? FeatureScalar(static_cast<int64_t>(x)) : FeatureScalar(x),
        FeatureStatus::kPresent};
  };
  auto matches = [&](const Ev& e, bool category_filter) {
    const std::string* t = param("type");
    const std::string* ch = param("channel");
    const std::string* cat = param("category");
    return (!t || e.type == *t) && (!ch || e.channel == *ch) &&
           (!category_filter || !cat || e.category == *cat);
  };
  if (def.source == FeatureSource::kAttribute) return defaulted;  // no attributes here
  if (def.source == FeatureSource::kWindow) {
    const std::string& agg = p.at("agg");
    int32_t lo = INT32_MIN;
    if (p.at("days") != "lifetime") {
      int32_t n = 0;
      EXPECT_TRUE(absl::SimpleAtoi(p.at("days"), &n));
      lo = cutoff - n;
    }
    std::vector<const Ev*> m;
    for (const Ev& e : visible) {
      if (DayOf(absl::FromUnixMicros(e.us)) >= lo && matches(e, agg != "category_share")) {
        m.push_back(&e);
      }
    }
    std::map<std::string, int64_t> cats;
    std::set<std::string> channels;
    std::set<int32_t> days;
    double amount = 0;
    int64_t quantity = 0;
    for (const Ev* e : m) {
      if (!e->category.empty()) ++cats[e->category];
      if (!e->channel.empty()) channels.insert(e->channel);
      days.insert(DayOf(absl::FromUnixMicros(e->us)));
      amount += e->amount;
      quantity += e->quantity;
    }
    if (agg == "count") return number(static_cast<double>(m.size()));
    if (agg == "sum_amount") return number(amount);
    if (agg == "sum_quantity") return number(static_cast<double>(quantity));
    if (agg == "active_days") return number(static_cast<double>(days.size()));
    if (agg == "distinct_categories") return number(static_cast<double>(cats.size()));
    if (agg == "distinct_channels") return number(static_cast<double>(channels.size()));
    if (m.empty()) return defaulted;
    if (agg == "category_share") {
      return FeatureValue{static_cast<double>(cats[p.at("category")]) / m.size(),
                          FeatureStatus::kPresent};
    }
    if (cats.empty()) return defaulted;
    auto top = cats.begin();  // map order: ties go to the smallest name
    for (auto it = cats.begin(); it != cats.end(); ++it) {
      if (it->second > top->second) top = it;
    }
    if (agg == "top_category") return FeatureValue{top->first, FeatureStatus::kPresent};
    return FeatureValue{static_cast<double>(top->second) / m.size(), FeatureStatus::kPresent};
  }
  const std::string& fn = p.at("fn");
  if (fn == "ratio" || fn == "abandon_rate") return defaulted;  // the caller has the operands
  std::vector<int64_t> times;
  for (const Ev& e : visible) {
    if (fn == "tenure_days" || matches(e, true)) times.push_back(e.us);
  }
  if (times.empty()) return defaulted;
  const int64_t t = fn == "tenure_days" ? *std::min_element(times.begin(), times.end())
                                        : *std::max_element(times.begin(), times.end());
  return number(static_cast<double>(as_of_us - t) / kDayUs);
}

double AsDouble(const FeatureScalar& v) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return 0;
}

constexpr char kExtra[] =
    "\n"
    "cats_lifetime int64 window agg=distinct_categories days=lifetime\n"
    "channels_lifetime int64 window agg=distinct_channels days=lifetime type=view\n"
    "top_lifetime string window agg=top_category days=lifetime\n"
    "share_toys_lifetime double window agg=category_share days=lifetime category=toys\n"
    "qty_web_14d int64 window agg=sum_quantity days=14 channel=web\n"
    "active_views_60d int64 window agg=active_days days=60 type=view\n"
    "spend_app_books_45d double window agg=sum_amount days=45 channel=app category=books\n"
    "views_recency double derived fn=days_since_last type=view max_age=20d\n"
    "app_recency_whole int64 derived fn=days_since_last channel=app\n"
    "purchases_stale int64 window agg=count days=30 type=purchase max_age=15d\n"
    "top_share_lifetime double window agg=top_category_share days=lifetime type=purchase\n";

TEST(FeatureEvalRandomTest, MatchesBruteForce) {
  std::string text;
  {
    auto shipped = FeatureRegistry::LoadFile(COHORT_SOURCE_DIR "/storage/features.registry");
    ASSERT_TRUE(shipped.ok()) << shipped.status();
    for (const FeatureDef& def : (*shipped)->features()) {
      absl::StrAppend(&text, def.declaration, "\n");
    }
  }
  text += kExtra;
  auto registry = FeatureRegistry::Parse(text, "random");
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::vector<FeatureDef>& defs = (*registry)->features();
  FeatureSelection all;
  for (size_t i = 0; i < defs.size(); ++i) all.indices.push_back(i);

  std::mt19937_64 rng(20260310);
  const std::vector<std::string> types = {"purchase", "view",       "add_to_cart", "return",
                                          "click",    "email_open", "store_visit"};
  const std::vector<std::string> channels = {"web", "app", "store", "email", ""};
  const std::vector<std::string> categories = {"electronics", "apparel", "grocery", "beauty",
                                               "toys",        "books",   ""};
  const int32_t d0 = 20522;  // 2026-03-10
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  int compared = 0;
  for (int customer = 0; customer < 300; ++customer) {
    std::vector<Ev> events;
    const int n = static_cast<int>(rng() % 60);
    const int span = 1 + static_cast<int>(rng() % 500);
    for (int i = 0; i < n; ++i) {
      const int64_t us =
          (static_cast<int64_t>(d0 - span) + static_cast<int64_t>(rng() % (span + 10))) * kDayUs +
          static_cast<int64_t>(rng() % kDayUs);
      events.push_back(Ev{us, pick(types), pick(channels), pick(categories),
                          static_cast<int64_t>(rng() % 4),
                          static_cast<double>(rng() % 10000) / 100});
    }
    // Retention keeps 400 days before d0 for most customers, less for some.
    const int32_t retained_from = d0 - (customer % 4 == 0 ? 40 : 400);
    const records::Aggregates aggregates = Build(events, retained_from);
    for (int read = 0; read < 4; ++read) {
      const int64_t day = d0 - static_cast<int64_t>(rng() % 30) + 3;
      const int64_t as_of_us =
          day * kDayUs + (read == 0 ? 0 : static_cast<int64_t>(rng() % kDayUs));
      const absl::Time as_of = absl::FromUnixMicros(as_of_us);
      const int32_t cutoff = ExclusiveEndDay(as_of);
      std::vector<Ev> visible;
      int64_t latest = INT64_MIN;
      for (const Ev& e : events) {
        if (DayOf(absl::FromUnixMicros(e.us)) < cutoff) {
          visible.push_back(e);
          latest = std::max(latest, e.us);
        }
      }
      CustomerRecords records;
      records.aggregates = &aggregates;
      const FeatureVector got = EvaluateFeatures(**registry, all, records, as_of);
      ASSERT_EQ(got.found, !visible.empty());
      // A random subset answers exactly as the full selection: evaluations on one thread
      // reuse working memory, and a subset resets only the groups it reads.
      FeatureSelection subset;
      for (size_t i = 0; i < defs.size(); ++i) {
        if (rng() % 3 == 0) subset.indices.push_back(i);
      }
      const FeatureVector part = EvaluateFeatures(**registry, subset, records, as_of);
      ASSERT_EQ(part.found, got.found);
      ASSERT_EQ(part.values.size(), subset.indices.size());
      for (size_t k = 0; k < subset.indices.size(); ++k) {
        const FeatureValue& full = got.values[subset.indices[k]];
        ASSERT_EQ(part.values[k].status, full.status) << defs[subset.indices[k]].name;
        ASSERT_EQ(part.values[k].value, full.value) << defs[subset.indices[k]].name;
      }
      if (!got.found) continue;
      std::vector<FeatureValue> want;
      for (const FeatureDef& def : defs) {
        FeatureValue v = BruteForce(def, visible, as_of_us, cutoff);
        if (def.program.op == FeatureProgram::Op::kRatio ||
            def.program.op == FeatureProgram::Op::kAbandonRate) {
          const double num = AsDouble(want[def.program.num].value);
          const double den = AsDouble(want[def.program.den].value);
          if (den != 0) {
            double r = num / den;
            if (def.program.op == FeatureProgram::Op::kAbandonRate) r = std::clamp(1 - r, 0.0, 1.0);
            v = FeatureValue{r, FeatureStatus::kPresent};
          }
        }
        if (def.source != FeatureSource::kAttribute && v.status == FeatureStatus::kPresent &&
            def.max_age.has_value() &&
            latest < as_of_us - absl::ToInt64Microseconds(*def.max_age)) {
          v.status = FeatureStatus::kStale;
        }
        want.push_back(std::move(v));
      }
      for (size_t i = 0; i < defs.size(); ++i) {
        const std::string where =
            absl::StrCat(defs[i].name, " customer ", customer, " as_of ", FormatRfc3339(as_of));
        // With buckets dropped by retention, windows reaching past the retained days and the
        // latest-event search are bounded by what is kept; compare only what stays exact.
        const bool exact = retained_from <= cutoff - 366;
        const FeatureProgram::Op op = defs[i].program.op;
        if (!exact && defs[i].source != FeatureSource::kAttribute) {
          const bool lifetime =
              defs[i].params.count("days") && defs[i].params.at("days") == "lifetime";
          if (!lifetime || op == FeatureProgram::Op::kDaysSinceLast) continue;
        }
        ASSERT_EQ(got.values[i].status, want[i].status) << where;
        ASSERT_EQ(got.values[i].value.index(), want[i].value.index()) << where;
        if (const double* d = std::get_if<double>(&want[i].value)) {
          EXPECT_NEAR(std::get<double>(got.values[i].value), *d, 1e-9 * std::max(1.0, std::abs(*d)))
              << where;
        } else {
          EXPECT_EQ(got.values[i].value, want[i].value) << where;
        }
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 10000);
}

}  // namespace
}  // namespace cohort::storage
