// Point-in-time evaluation of compiled features (docs/feature-registry.md has the semantics).
//
// One evaluation makes at most three passes over a customer's aggregates:
//   1. lifetime cells: lifetime groups, first/last visible event, found-ness;
//   2. buckets on or after the cutoff day (usually none): subtracted from lifetime groups;
//   3. buckets before the cutoff, newest first: window groups, stopping at the oldest day any
//      selected window needs (or, rarely, later when a latest-event time must be found).
// A cell's type/channel/category are looked up once among the registry's filter values
// (EvalPlan); filters then match by integer tests. The window groups of one filter nest (they
// all end at the cutoff), so a cell is added to one segment per matching filter (the shortest
// window holding its day) and windows are prefix sums of segments.
#include "storage/feature_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "common/time_util.h"

namespace cohort::storage {
namespace {

using Op = FeatureProgram::Op;

constexpr int64_t kMicrosPerDay = kSecondsPerDay * 1000000;

struct CategoryCount {
  absl::string_view name;
  int64_t count = 0;
  bool visible = false;  // at least one event of the category is visible
};

// What the needed features of one evaluation read from a group.
struct GroupNeeds {
  bool active = false;
  bool categories = false;
  bool channels = false;
  bool active_days = false;
  bool last_event = false;
};

struct GroupState {
  int64_t count = 0;
  int64_t quantity = 0;
  double amount = 0;
  int64_t active_days = 0;
  int32_t last_day = std::numeric_limits<int32_t>::min();
  absl::InlinedVector<CategoryCount, 8> categories;
  absl::InlinedVector<absl::string_view, 5> channels;
  std::optional<int64_t> last_us;   // latest visible matching event known so far
  std::optional<int64_t> first_us;  // earliest visible matching event
  bool unresolved = false;          // a visible event may be later than last_us: scan the buckets
  bool seen_in_bucket = false;

  // As new, without rewriting the inline storage of the lists (resetting by assignment of a
  // value-initialized state zeroed all of it: a tenth of an evaluation).
  void Reset() {
    count = 0;
    quantity = 0;
    amount = 0;
    active_days = 0;
    last_day = std::numeric_limits<int32_t>::min();
    categories.clear();
    channels.clear();
    last_us.reset();
    first_us.reset();
    unresolved = false;
    seen_in_bucket = false;
  }
};

// Whether the first and the last sizeof(Word) bytes of x and y agree (n >= sizeof(Word)):
// with n <= 2 * sizeof(Word), all n bytes.
template <class Word>
bool SameEnds(const char* x, const char* y, size_t n) {
  Word x0, x1, y0, y1;
  std::memcpy(&x0, x, sizeof(Word));
  std::memcpy(&x1, x + n - sizeof(Word), sizeof(Word));
  std::memcpy(&y0, y, sizeof(Word));
  std::memcpy(&y1, y + n - sizeof(Word), sizeof(Word));
  return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}

// a == b for labels (types, channels, categories: mostly 4 to 16 bytes) without a memcmp
// call: two overlapping word loads per string. A tenth of an evaluation went to memcmp.
bool SameLabel(absl::string_view a, absl::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n > 16) return std::memcmp(a.data(), b.data(), n) == 0;
  if (n >= 8) return SameEnds<uint64_t>(a.data(), b.data(), n);
  if (n >= 4) return SameEnds<uint32_t>(a.data(), b.data(), n);
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

void AddCategory(GroupState& s, absl::string_view name, int64_t count, bool visible) {
  if (name.empty()) return;
  for (CategoryCount& c : s.categories) {
    if (SameLabel(c.name, name)) {
      c.count += count;
      c.visible = c.visible || visible;
      return;
    }
  }
  s.categories.push_back(CategoryCount{name, count, visible});
}

void AddChannel(GroupState& s, absl::string_view name) {
  if (name.empty()) return;
  for (absl::string_view channel : s.channels) {
    if (SameLabel(channel, name)) return;
  }
  s.channels.push_back(name);
}

int64_t SaturatingInt64(double x) {
  if (!(x > -9.2e18)) return std::isnan(x) ? 0 : std::numeric_limits<int64_t>::min();
  if (!(x < 9.2e18)) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(x);  // truncates toward zero
}

FeatureScalar Number(FeatureType type, double x) {
  if (type == FeatureType::kInt64) return SaturatingInt64(x);
  return x;
}

FeatureScalar Number(FeatureType type, int64_t x) {
  if (type == FeatureType::kInt64) return x;
  return static_cast<double>(x);
}

double AsDouble(const FeatureScalar& v) {
  if (const double* d = std::get_if<double>(&v)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return 0;
}

// Whole or fractional days from `from_us` to `to_us`, typed.
FeatureScalar Days(FeatureType type, int64_t from_us, int64_t to_us) {
  const int64_t delta = to_us - from_us;
  if (type == FeatureType::kInt64) return delta / kMicrosPerDay;  // whole days, toward zero
  return static_cast<double>(delta) / static_cast<double>(kMicrosPerDay);
}

void MergeInto(GroupState& into, const GroupState& from) {
  into.count += from.count;
  into.quantity += from.quantity;
  into.amount += from.amount;
  into.active_days += from.active_days;  // segments cover disjoint days
  for (const CategoryCount& c : from.categories) AddCategory(into, c.name, c.count, c.visible);
  for (absl::string_view channel : from.channels) AddChannel(into, channel);
}

// The ids (EvalPlan::types/channels/categories) of one cell's labels; -2 when not listed.
struct CellIds {
  int type = -2;
  int channel = -2;
  int category = -2;
};

int Lookup(const std::vector<std::string>& values, absl::string_view value) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (SameLabel(values[i], value)) return static_cast<int>(i);
  }
  return -2;
}

bool Matches(const EventFilter& f, const CellIds& ids) {
  return (f.type_id < 0 || f.type_id == ids.type) &&
         (f.channel_id < 0 || f.channel_id == ids.channel) &&
         (f.category_id < 0 || f.category_id == ids.category);
}

// One filter read by the features of this evaluation. Its window groups nest (all end at the
// cutoff), so a cell is added once, to the segment of the shortest window holding its day;
// windows are then prefix sums of segments.
struct ActiveFilter {
  const EventFilter* filter = nullptr;
  absl::InlinedVector<size_t, 4> windows;            // active window groups, ascending days
  absl::InlinedVector<int32_t, 4> days;              // their lengths
  absl::InlinedVector<GroupNeeds, 4> segment_needs;  // union of needs of windows k..end
  int lifetime = -1;                                 // active lifetime group, or -1
};

}  // namespace

// What one FeatureSelection needs from the records: computed once per request
// (FeatureEvaluator) and shared, read-only, by the evaluation of every customer.
struct SelectionPlan {
  std::vector<size_t> indices;    // the selection
  std::vector<char> needed;       // per feature: selected or an operand of one
  std::vector<GroupNeeds> needs;  // per group
  std::vector<size_t> groups;     // the groups with needs.active: the only ones read
  absl::InlinedVector<ActiveFilter, 12> active;
  bool any_lifetime = false;                   // some active filter has a lifetime group
  bool any_window = false;                     // some active filter has a window group
  absl::InlinedVector<size_t, 4> last_groups;  // groups whose latest event is needed
  int32_t max_window_days = 0;
};

namespace {

// Working memory of evaluations, kept per thread and reused from one customer to the next.
struct EvalScratch {
  std::vector<GroupState> state;     // per group; those of SelectionPlan::groups are reset
  std::vector<FeatureValue> values;  // per feature; needed ones are computed before read
};

SelectionPlan BuildSelectionPlan(const FeatureRegistry& registry,
                                 const FeatureSelection& selection);

class Evaluator {
 public:
  Evaluator(const FeatureRegistry& registry, const SelectionPlan& selection,
            const RecordViews& records, absl::Time as_of, EvalScratch& scratch)
      : state_(scratch.state),
        values_(scratch.values),
        plan_(registry.plan()),
        features_(registry.features()),
        sel_(selection),
        records_(records),
        as_of_us_(absl::ToUnixMicros(as_of)),
        cutoff_(ExclusiveEndDay(as_of)),
        cutoff_us_(static_cast<int64_t>(cutoff_) * kMicrosPerDay) {}

  FeatureVector Run();

 private:
  CellIds IdsOf(const CellView& cell) const;
  void LifetimePass();
  void LaterBucketsPass(int split);
  void EarlierBucketsPass(int split);
  bool AnyAttributeVisible() const;
  FeatureValue Compute(size_t index) const;
  FeatureValue Attribute(const FeatureDef& def) const;
  FeatureValue Window(const FeatureDef& def) const;
  FeatureValue Derived(const FeatureDef& def) const;

  std::vector<GroupState>& state_;     // per group
  std::vector<FeatureValue>& values_;  // per feature, for needed ones
  const EvalPlan& plan_;
  const std::vector<FeatureDef>& features_;
  const SelectionPlan& sel_;
  const RecordViews& records_;
  const int64_t as_of_us_;
  const int32_t cutoff_;     // first day not visible
  const int64_t cutoff_us_;  // its start

  bool any_event_ = false;           // an event before the cutoff exists
  std::optional<int64_t> first_us_;  // earliest visible event
  std::optional<int64_t> last_us_;   // latest visible event
  bool last_unresolved_ = false;
};

SelectionPlan BuildSelectionPlan(const FeatureRegistry& registry,
                                 const FeatureSelection& selection) {
  const EvalPlan& plan = registry.plan();
  const std::vector<FeatureDef>& features = registry.features();
  SelectionPlan out;
  out.indices = selection.indices;
  std::vector<char>& needed = out.needed;
  std::vector<GroupNeeds>& needs = out.needs;
  const size_t n = features.size();
  needed.assign(n, 0);
  for (size_t i : selection.indices) {
    if (i < n) needed[i] = 1;
  }
  // Operands precede the features using them, so one backward sweep closes the set.
  for (size_t i = n; i-- > 0;) {
    const FeatureProgram& p = features[i].program;
    if (needed[i] && (p.op == Op::kRatio || p.op == Op::kAbandonRate)) {
      needed[p.num] = 1;
      needed[p.den] = 1;
    }
  }
  needs.assign(plan.groups.size(), GroupNeeds{});
  for (size_t i = 0; i < n; ++i) {
    if (!needed[i]) continue;
    const FeatureDef& def = features[i];
    const Op op = def.program.op;
    if (def.source == FeatureSource::kAttribute || op == Op::kRatio || op == Op::kAbandonRate ||
        op == Op::kTenureDays) {
      continue;
    }
    GroupNeeds& g = needs[def.program.group];
    g.active = true;
    g.categories = g.categories || op == Op::kDistinctCategories || op == Op::kCategoryShare ||
                   op == Op::kTopCategory || op == Op::kTopCategoryShare;
    g.channels = g.channels || op == Op::kDistinctChannels;
    g.active_days = g.active_days || op == Op::kActiveDays;
    g.last_event = g.last_event || op == Op::kDaysSinceLast;
  }
  for (size_t f = 0; f < plan.filters.size(); ++f) {
    // A filter with any window read splits its cells at every one of its windows, read or
    // not: a window's double sums then add in the same order whatever the selection, so a
    // feature's value does not depend on which other features are asked for.
    const bool any_window = std::any_of(plan.windows[f].begin(), plan.windows[f].end(),
                                        [&](size_t g) { return needs[g].active; });
    if (any_window) {
      for (size_t g : plan.windows[f]) needs[g].active = true;
    }
  }
  for (size_t g = 0; g < needs.size(); ++g) {
    if (needs[g].active) out.groups.push_back(g);
  }
  for (size_t f = 0; f < plan.filters.size(); ++f) {
    ActiveFilter a;
    a.filter = &plan.filters[f];
    for (size_t g : plan.windows[f]) {
      if (!needs[g].active) continue;
      a.windows.push_back(g);
      a.days.push_back(plan.groups[g].days);
      a.segment_needs.push_back(needs[g]);
    }
    for (size_t k = a.segment_needs.size(); k-- > 1;) {
      GroupNeeds& lower = a.segment_needs[k - 1];
      const GroupNeeds& upper = a.segment_needs[k];
      lower.categories = lower.categories || upper.categories;
      lower.channels = lower.channels || upper.channels;
      lower.active_days = lower.active_days || upper.active_days;
    }
    const int lifetime = plan.lifetime[f];
    if (lifetime >= 0 && needs[lifetime].active) {
      a.lifetime = lifetime;
      if (needs[lifetime].last_event) out.last_groups.push_back(lifetime);
    }
    if (a.windows.empty() && a.lifetime < 0) continue;
    out.any_lifetime = out.any_lifetime || a.lifetime >= 0;
    out.any_window = out.any_window || !a.windows.empty();
    if (!a.days.empty()) out.max_window_days = std::max(out.max_window_days, a.days.back());
    out.active.push_back(std::move(a));
  }
  return out;
}

CellIds Evaluator::IdsOf(const CellView& cell) const {
  CellIds ids;
  if (!plan_.types.empty()) ids.type = Lookup(plan_.types, cell.type);
  if (!plan_.channels.empty()) ids.channel = Lookup(plan_.channels, cell.channel);
  if (!plan_.categories.empty()) ids.category = Lookup(plan_.categories, cell.category);
  return ids;
}

void Evaluator::LifetimePass() {
  for (const CellView& cell : records_.aggregates->lifetime()) {
    const bool visible = cell.first_us < cutoff_us_;
    const bool last_known = cell.last_us < cutoff_us_;
    if (visible) {
      any_event_ = true;
      first_us_ = std::min(first_us_.value_or(cell.first_us), cell.first_us);
      if (last_known) {
        last_us_ = std::max(last_us_.value_or(cell.last_us), cell.last_us);
      } else {
        last_unresolved_ = true;
      }
    }
    if (!sel_.any_lifetime) continue;
    const CellIds ids = IdsOf(cell);
    for (const ActiveFilter& a : sel_.active) {
      if (a.lifetime < 0 || !Matches(*a.filter, ids)) continue;
      GroupState& s = state_[a.lifetime];
      const GroupNeeds& needs = sel_.needs[a.lifetime];
      s.count += cell.count;
      s.quantity += cell.quantity;
      s.amount += cell.amount;
      if (needs.categories) AddCategory(s, cell.category, cell.count, visible);
      if (needs.channels && visible) AddChannel(s, cell.channel);
      if (needs.last_event && visible) {
        s.first_us = std::min(s.first_us.value_or(cell.first_us), cell.first_us);
        if (last_known) {
          s.last_us = std::max(s.last_us.value_or(cell.last_us), cell.last_us);
        } else {
          s.unresolved = true;
        }
      }
    }
  }
}

void Evaluator::LaterBucketsPass(int split) {
  if (!sel_.any_lifetime) return;
  const AggregatesView& aggregates = *records_.aggregates;
  const absl::Span<const DayView> days = aggregates.days();
  for (size_t b = split; b < days.size(); ++b) {
    for (const CellView& cell : aggregates.cells(days[b])) {
      const CellIds ids = IdsOf(cell);
      for (const ActiveFilter& a : sel_.active) {
        if (a.lifetime < 0 || !Matches(*a.filter, ids)) continue;
        GroupState& s = state_[a.lifetime];
        s.count -= cell.count;
        s.quantity -= cell.quantity;
        s.amount -= cell.amount;
        if (sel_.needs[a.lifetime].categories) AddCategory(s, cell.category, -cell.count, false);
      }
    }
  }
  for (const ActiveFilter& a : sel_.active) {
    // Exact zero rather than a rounding residue of the subtraction.
    if (a.lifetime >= 0 && state_[a.lifetime].count == 0) state_[a.lifetime].amount = 0;
  }
}

void Evaluator::EarlierBucketsPass(int split) {
  const AggregatesView& aggregates = *records_.aggregates;
  const absl::Span<const DayView> days = aggregates.days();
  size_t unresolved = 0;
  for (size_t g : sel_.last_groups) unresolved += state_[g].unresolved ? 1 : 0;
  const int32_t oldest_window_day = cutoff_ - sel_.max_window_days;
  bool newest_seen = false;
  // Per active filter: the segment of the bucket being scanned (== windows.size(): none).
  absl::InlinedVector<size_t, 12> segment(sel_.active.size(), 0);
  for (int b = split - 1; b >= 0; --b) {
    const absl::Span<const CellView> cells = aggregates.cells(days[b]);
    const int32_t day = days[b].day;
    if (day < oldest_window_day && unresolved == 0 && !last_unresolved_) break;
    if (!newest_seen && !cells.empty()) {
      // The newest visible bucket holds the latest visible event.
      newest_seen = true;
      any_event_ = true;
      for (const CellView& cell : cells) {
        last_us_ = std::max(last_us_.value_or(cell.last_us), cell.last_us);
      }
      last_unresolved_ = false;
    }
    const int32_t age = cutoff_ - 1 - day;  // 0 for the newest visible day
    bool in_window = false;
    for (size_t f = 0; f < sel_.active.size(); ++f) {
      const ActiveFilter& a = sel_.active[f];
      while (segment[f] < a.days.size() && a.days[segment[f]] <= age) ++segment[f];
      in_window = in_window || segment[f] < a.days.size();
    }
    if (!in_window && unresolved == 0) continue;
    for (const CellView& cell : cells) {
      const CellIds ids = IdsOf(cell);
      for (size_t f = 0; f < sel_.active.size(); ++f) {
        const ActiveFilter& a = sel_.active[f];
        const size_t seg = segment[f];
        const bool in_window = seg < a.windows.size();
        const bool scan_last = a.lifetime >= 0 && state_[a.lifetime].unresolved;
        if ((!in_window && !scan_last) || !Matches(*a.filter, ids)) continue;
        if (in_window) {
          GroupState& s = state_[a.windows[seg]];
          const GroupNeeds& needs = a.segment_needs[seg];
          s.count += cell.count;
          s.quantity += cell.quantity;
          s.amount += cell.amount;
          if (needs.active_days && s.last_day != day) {
            s.last_day = day;
            ++s.active_days;
          }
          if (needs.categories) AddCategory(s, cell.category, cell.count, true);
          if (needs.channels) AddChannel(s, cell.channel);
        }
        if (scan_last) {
          GroupState& s = state_[a.lifetime];
          s.last_us = std::max(s.last_us.value_or(cell.last_us), cell.last_us);
          s.seen_in_bucket = true;
        }
      }
    }
    for (size_t g : sel_.last_groups) {
      GroupState& s = state_[g];
      if (s.seen_in_bucket) {
        s.seen_in_bucket = false;
        s.unresolved = false;
        --unresolved;
      }
    }
  }
  // Windows are prefix sums of their segments.
  for (const ActiveFilter& a : sel_.active) {
    for (size_t k = 1; k < a.windows.size(); ++k) {
      MergeInto(state_[a.windows[k]], state_[a.windows[k - 1]]);
    }
  }
  // Buckets dropped by retention can hide the latest visible event; the earliest one is the
  // best bound left.
  if (!last_us_.has_value()) last_us_ = first_us_;
  for (size_t g : sel_.last_groups) {
    if (!state_[g].last_us.has_value()) state_[g].last_us = state_[g].first_us;
  }
}

bool Evaluator::AnyAttributeVisible() const {
  if (records_.attributes == nullptr) return false;
  const AttributesView& attributes = *records_.attributes;
  for (const AttributeView& a : attributes.attributes()) {
    for (const AttributeVersionView& v : attributes.versions(a)) {
      if (v.event_us <= as_of_us_) return true;
    }
  }
  return false;
}

FeatureVector Evaluator::Run() {
  if (state_.size() < plan_.groups.size()) state_.resize(plan_.groups.size());
  for (size_t g : sel_.groups) state_[g].Reset();
  if (records_.aggregates != nullptr) {
    LifetimePass();
    const absl::Span<const DayView> days = records_.aggregates->days();
    const auto split_it = std::partition_point(days.begin(), days.end(),
                                               [&](const DayView& b) { return b.day < cutoff_; });
    const int split = static_cast<int>(split_it - days.begin());
    LaterBucketsPass(split);
    EarlierBucketsPass(split);
  }
  FeatureVector out;
  out.found = any_event_ || AnyAttributeVisible();
  out.values.reserve(sel_.indices.size());
  if (!out.found) {
    for (size_t i : sel_.indices) {
      out.values.push_back(i < features_.size()
                               ? FeatureValue{features_[i].default_value, FeatureStatus::kNotFound}
                               : FeatureValue{});
    }
    return out;
  }
  if (values_.size() < features_.size()) values_.resize(features_.size());
  for (size_t i = 0; i < features_.size(); ++i) {
    if (sel_.needed[i]) values_[i] = Compute(i);
  }
  for (size_t i : sel_.indices) {
    out.values.push_back(i < features_.size() ? values_[i] : FeatureValue{});
  }
  return out;
}

FeatureValue Evaluator::Compute(size_t index) const {
  const FeatureDef& def = features_[index];
  if (def.source == FeatureSource::kAttribute) return Attribute(def);
  FeatureValue v = def.source == FeatureSource::kWindow ? Window(def) : Derived(def);
  if (v.status == FeatureStatus::kPresent && def.max_age.has_value() && last_us_.has_value() &&
      *last_us_ < as_of_us_ - absl::ToInt64Microseconds(*def.max_age)) {
    v.status = FeatureStatus::kStale;
  }
  return v;
}

FeatureValue Evaluator::Attribute(const FeatureDef& def) const {
  const FeatureValue defaulted{def.default_value, FeatureStatus::kDefaulted};
  if (records_.attributes == nullptr) return defaulted;
  using Stored = records::StoredAttribute;
  const AttributesView& attributes = *records_.attributes;
  const AttributeVersionView* newest = nullptr;
  for (const AttributeView& a : attributes.attributes()) {
    if (!SameLabel(a.name, def.program.attribute)) continue;
    // Versions are stored newest first; the first visible one wins ties.
    for (const AttributeVersionView& v : attributes.versions(a)) {
      if (v.event_us <= as_of_us_ && (newest == nullptr || v.event_us > newest->event_us)) {
        newest = &v;
      }
    }
    break;
  }
  if (newest == nullptr) return defaulted;
  FeatureValue out;
  switch (newest->kind) {
    case Stored::kStringValue:
      if (def.type != FeatureType::kString) return defaulted;
      out.value = std::string(newest->string_value);
      break;
    case Stored::kIntValue:
      if (def.type == FeatureType::kInt64) {
        out.value = newest->int_value;
      } else if (def.type == FeatureType::kDouble) {
        out.value = static_cast<double>(newest->int_value);
      } else {
        return defaulted;
      }
      break;
    case Stored::kDoubleValue:
      if (def.type != FeatureType::kDouble) return defaulted;
      out.value = newest->double_value;
      break;
    case Stored::kBoolValue:
      if (def.type != FeatureType::kBool) return defaulted;
      out.value = newest->bool_value;
      break;
    default:  // timestamps and unset values have no feature type
      return defaulted;
  }
  out.status = def.max_age.has_value() &&
                       newest->event_us < as_of_us_ - absl::ToInt64Microseconds(*def.max_age)
                   ? FeatureStatus::kStale
                   : FeatureStatus::kPresent;
  return out;
}

FeatureValue Evaluator::Window(const FeatureDef& def) const {
  const FeatureProgram& p = def.program;
  const GroupState& s = state_[p.group];
  const FeatureValue defaulted{def.default_value, FeatureStatus::kDefaulted};
  auto present = [](FeatureScalar v) {
    return FeatureValue{std::move(v), FeatureStatus::kPresent};
  };
  switch (p.op) {
    case Op::kCount:
      return present(Number(def.type, s.count));
    case Op::kSumAmount:
      return present(Number(def.type, s.amount));
    case Op::kSumQuantity:
      return present(Number(def.type, s.quantity));
    case Op::kActiveDays:
      return present(Number(def.type, s.active_days));
    case Op::kDistinctCategories: {
      int64_t n = 0;
      for (const CategoryCount& c : s.categories) n += c.visible ? 1 : 0;
      return present(Number(def.type, n));
    }
    case Op::kDistinctChannels:
      return present(Number(def.type, static_cast<int64_t>(s.channels.size())));
    case Op::kCategoryShare: {
      if (s.count <= 0) return defaulted;
      int64_t n = 0;
      for (const CategoryCount& c : s.categories) {
        if (c.name == p.category) n = c.count;
      }
      return present(static_cast<double>(n) / static_cast<double>(s.count));
    }
    case Op::kTopCategory:
    case Op::kTopCategoryShare: {
      const CategoryCount* top = nullptr;
      for (const CategoryCount& c : s.categories) {
        if (c.count <= 0) continue;
        if (top == nullptr || c.count > top->count ||
            (c.count == top->count && c.name < top->name)) {
          top = &c;
        }
      }
      if (top == nullptr || s.count <= 0) return defaulted;
      if (p.op == Op::kTopCategory) return present(std::string(top->name));
      return present(static_cast<double>(top->count) / static_cast<double>(s.count));
    }
    default:
      return defaulted;
  }
}

FeatureValue Evaluator::Derived(const FeatureDef& def) const {
  const FeatureProgram& p = def.program;
  const FeatureValue defaulted{def.default_value, FeatureStatus::kDefaulted};
  switch (p.op) {
    case Op::kRatio:
    case Op::kAbandonRate: {
      const double den = AsDouble(values_[p.den].value);
      if (den == 0) return defaulted;
      double r = AsDouble(values_[p.num].value) / den;
      if (p.op == Op::kAbandonRate) r = std::clamp(1.0 - r, 0.0, 1.0);
      return FeatureValue{r, FeatureStatus::kPresent};
    }
    case Op::kDaysSinceLast: {
      const GroupState& s = state_[p.group];
      if (!s.last_us.has_value()) return defaulted;
      return FeatureValue{Days(def.type, *s.last_us, as_of_us_), FeatureStatus::kPresent};
    }
    case Op::kTenureDays:
      if (!first_us_.has_value()) return defaulted;
      return FeatureValue{Days(def.type, *first_us_, as_of_us_), FeatureStatus::kPresent};
    default:
      return defaulted;
  }
}

}  // namespace

FeatureEvaluator::FeatureEvaluator(const FeatureRegistry& registry,
                                   const FeatureSelection& selection)
    : registry_(registry),
      selection_(std::make_unique<SelectionPlan>(BuildSelectionPlan(registry, selection))) {}

FeatureEvaluator::~FeatureEvaluator() = default;

FeatureVector FeatureEvaluator::Evaluate(const RecordViews& records, absl::Time as_of) const {
  thread_local EvalScratch scratch;
  return Evaluator(registry_, *selection_, records, as_of, scratch).Run();
}

FeatureVector EvaluateFeatures(const FeatureRegistry& registry, const FeatureSelection& selection,
                               const CustomerRecords& records, absl::Time as_of) {
  AggregatesView aggregates;
  AttributesView attributes;
  RecordViews views;
  if (records.aggregates != nullptr) {
    aggregates.Assign(*records.aggregates);
    views.aggregates = &aggregates;
  }
  if (records.attributes != nullptr) {
    attributes.Assign(*records.attributes);
    views.attributes = &attributes;
  }
  return FeatureEvaluator(registry, selection).Evaluate(views, as_of);
}

}  // namespace cohort::storage
