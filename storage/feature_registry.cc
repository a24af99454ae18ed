// Parser and compiler of the feature registry format (docs/feature-registry.md).
#include "storage/feature_registry.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace cohort::storage {
namespace {

using Op = FeatureProgram::Op;

constexpr int32_t kMaxWindowDays = 36500;
constexpr int64_t kMaxAgeDays = 36500;

struct AggInfo {
  absl::string_view name;
  Op op;
};
constexpr AggInfo kAggs[] = {
    {"count", Op::kCount},
    {"sum_amount", Op::kSumAmount},
    {"sum_quantity", Op::kSumQuantity},
    {"active_days", Op::kActiveDays},
    {"distinct_categories", Op::kDistinctCategories},
    {"distinct_channels", Op::kDistinctChannels},
    {"category_share", Op::kCategoryShare},
    {"top_category", Op::kTopCategory},
    {"top_category_share", Op::kTopCategoryShare},
};
constexpr AggInfo kFns[] = {
    {"ratio", Op::kRatio},
    {"abandon_rate", Op::kAbandonRate},
    {"days_since_last", Op::kDaysSinceLast},
    {"tenure_days", Op::kTenureDays},
};

template <size_t N>
std::string Names(const AggInfo (&table)[N], absl::string_view separator) {
  std::vector<absl::string_view> names;
  for (const AggInfo& info : table) names.push_back(info.name);
  return absl::StrJoin(names, separator);
}

absl::string_view TypeName(FeatureType type) {
  switch (type) {
    case FeatureType::kDouble:
      return "double";
    case FeatureType::kInt64:
      return "int64";
    case FeatureType::kString:
      return "string";
    case FeatureType::kBool:
      return "bool";
  }
  return "?";
}

// [a-z][a-z0-9_]{0,63}
bool IsFeatureName(absl::string_view s) {
  if (s.empty() || s.size() > 64 || !absl::ascii_islower(s[0])) return false;
  for (char c : s) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

// [a-z0-9_]{1,64}, as Attribute::name.
bool IsAttributeName(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

std::optional<FeatureType> ParseType(absl::string_view s) {
  if (s == "double") return FeatureType::kDouble;
  if (s == "int64") return FeatureType::kInt64;
  if (s == "string") return FeatureType::kString;
  if (s == "bool") return FeatureType::kBool;
  return std::nullopt;
}

absl::StatusOr<FeatureScalar> ParseValue(FeatureType type, absl::string_view text) {
  switch (type) {
    case FeatureType::kDouble: {
      double d = 0;
      if (absl::SimpleAtod(text, &d) && std::isfinite(d)) return FeatureScalar(d);
      break;
    }
    case FeatureType::kInt64: {
      int64_t i = 0;
      if (absl::SimpleAtoi(text, &i)) return FeatureScalar(i);
      break;
    }
    case FeatureType::kBool:
      if (text == "true") return FeatureScalar(true);
      if (text == "false") return FeatureScalar(false);
      break;
    case FeatureType::kString:
      return FeatureScalar(std::string(text));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("default='", text, "' is not a valid ", TypeName(type),
                   type == FeatureType::kBool ? " (use true or false)" : "",
                   type == FeatureType::kDouble ? " (a finite number)" : "",
                   type == FeatureType::kInt64 ? " (a whole number)" : ""));
}

FeatureScalar ZeroValue(FeatureType type) {
  switch (type) {
    case FeatureType::kDouble:
      return 0.0;
    case FeatureType::kInt64:
      return int64_t{0};
    case FeatureType::kString:
      return std::string();
    case FeatureType::kBool:
      return false;
  }
  return 0.0;
}

// Compiles the declarations of one registry text, line by line.
class Compiler {
 public:
  // `names` maps every feature name declared anywhere in the text to its first line, so a
  // reference to a later feature is reported as such.
  explicit Compiler(absl::flat_hash_map<std::string, int> names) : all_names_(std::move(names)) {}

  // Compiles one non-empty declaration; the error message lacks the "<origin>:<line>: "
  // prefix.
  absl::Status AddLine(int line, absl::string_view content);

  // Completes `plan` once every line is compiled: filter value ids, windows per filter.
  void FinishPlan();

  std::vector<FeatureDef> features;
  absl::flat_hash_map<std::string, size_t> index;
  EvalPlan plan;

 private:
  absl::Status CheckKeys(const FeatureDef& def, absl::string_view what,
                         std::initializer_list<absl::string_view> allowed) const;
  absl::Status CompileAttribute(FeatureDef& def);
  absl::Status CompileWindow(FeatureDef& def);
  absl::Status CompileDerived(FeatureDef& def);
  absl::StatusOr<EventFilter> ParseFilter(const FeatureDef& def) const;
  absl::StatusOr<size_t> ResolveOperand(const FeatureDef& def, absl::string_view key) const;
  AggregateGroup& Group(EventFilter filter, int32_t days, size_t* index);

  absl::flat_hash_map<std::string, int> all_names_;
};

const std::string* Param(const FeatureDef& def, absl::string_view key) {
  auto it = def.params.find(key);
  return it == def.params.end() ? nullptr : &it->second;
}

absl::Status Compiler::AddLine(int line, absl::string_view content) {
  std::vector<absl::string_view> tokens =
      absl::StrSplit(content, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (tokens.size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected '<name> <type> <source> key=value ...', got '", content, "'"));
  }
  FeatureDef def;
  def.line = line;
  def.declaration = std::string(content);
  if (!IsFeatureName(tokens[0])) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid feature name '", tokens[0],
        "': a name is 1..64 characters of [a-z0-9_] starting with a lowercase letter"));
  }
  def.name = std::string(tokens[0]);
  if (auto it = index.find(def.name); it != index.end()) {
    return absl::InvalidArgumentError(absl::StrCat("duplicate feature '", def.name,
                                                   "' (first declared on line ",
                                                   features[it->second].line, ")"));
  }
  std::optional<FeatureType> type = ParseType(tokens[1]);
  if (!type.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown type '", tokens[1], "' of feature '",
                                                   def.name,
                                                   "' (expected double, int64, string or bool)"));
  }
  def.type = *type;
  if (tokens[2] == "attribute") {
    def.source = FeatureSource::kAttribute;
  } else if (tokens[2] == "window") {
    def.source = FeatureSource::kWindow;
  } else if (tokens[2] == "derived") {
    def.source = FeatureSource::kDerived;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown source '", tokens[2], "' of feature '",
                                                   def.name,
                                                   "' (expected attribute, window or derived)"));
  }
  for (size_t i = 3; i < tokens.size(); ++i) {
    const size_t eq = tokens[i].find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", tokens[i], "' is not of the form key=value"));
    }
    const absl::string_view key = tokens[i].substr(0, eq);
    if (!def.params.emplace(std::string(key), std::string(tokens[i].substr(eq + 1))).second) {
      return absl::InvalidArgumentError(absl::StrCat("parameter '", key, "' is given twice"));
    }
  }
  def.default_value = ZeroValue(def.type);
  if (const std::string* text = Param(def, "default")) {
    absl::StatusOr<FeatureScalar> value = ParseValue(def.type, *text);
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          value.status().message(), " for ", TypeName(def.type), " feature '", def.name, "'"));
    }
    def.default_value = *std::move(value);
  }
  if (const std::string* text = Param(def, "max_age")) {
    int64_t days = 0;
    if (text->size() < 2 || text->back() != 'd' ||
        !absl::SimpleAtoi(absl::string_view(*text).substr(0, text->size() - 1), &days) ||
        days < 1 || days > kMaxAgeDays || !absl::ascii_isdigit((*text)[0])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad max_age='", *text, "': expected <N>d with N a whole number of days in 1..",
          kMaxAgeDays, ", e.g. max_age=730d"));
    }
    def.max_age = absl::Hours(24 * days);
  }
  switch (def.source) {
    case FeatureSource::kAttribute:
      COHORT_RETURN_IF_ERROR(CompileAttribute(def));
      break;
    case FeatureSource::kWindow:
      COHORT_RETURN_IF_ERROR(CompileWindow(def));
      break;
    case FeatureSource::kDerived:
      COHORT_RETURN_IF_ERROR(CompileDerived(def));
      break;
  }
  index.emplace(def.name, features.size());
  features.push_back(std::move(def));
  return absl::OkStatus();
}

absl::Status Compiler::CheckKeys(const FeatureDef& def, absl::string_view what,
                                 std::initializer_list<absl::string_view> allowed) const {
  for (const auto& [key, value] : def.params) {
    bool ok = key == "default" || key == "max_age";
    for (absl::string_view a : allowed) ok = ok || key == a;
    if (!ok) {
      std::vector<absl::string_view> keys(allowed);
      keys.push_back("default");
      keys.push_back("max_age");
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", key, "' for ", what,
                                                     " (allowed: ", absl::StrJoin(keys, ", "),
                                                     ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status Compiler::CompileAttribute(FeatureDef& def) {
  COHORT_RETURN_IF_ERROR(CheckKeys(def, "an attribute feature", {"attr"}));
  const std::string* attr = Param(def, "attr");
  if (attr == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute feature '", def.name, "' is missing attr=<attribute name>"));
  }
  if (!IsAttributeName(*attr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attr='", *attr, "' is not an attribute name (1..64 characters of [a-z0-9_])"));
  }
  def.program.op = Op::kAttribute;
  def.program.attribute = *attr;
  return absl::OkStatus();
}

absl::StatusOr<EventFilter> Compiler::ParseFilter(const FeatureDef& def) const {
  EventFilter filter;
  for (auto [key, field] : {std::pair{"type", &filter.type}, std::pair{"channel", &filter.channel},
                            std::pair{"category", &filter.category}}) {
    if (const std::string* value = Param(def, key)) {
      if (value->empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            key, "= is empty; give a value or leave the parameter out to match every ", key));
      }
      *field = *value;
    }
  }
  return filter;
}

AggregateGroup& Compiler::Group(EventFilter filter, int32_t days, size_t* index) {
  std::vector<EventFilter>& filters = plan.filters;
  std::vector<AggregateGroup>& groups = plan.groups;
  size_t f = 0;
  while (f < filters.size() &&
         !(filters[f].type == filter.type && filters[f].channel == filter.channel &&
           filters[f].category == filter.category)) {
    ++f;
  }
  if (f == filters.size()) filters.push_back(std::move(filter));
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].filter == f && groups[g].days == days) {
      *index = g;
      return groups[g];
    }
  }
  *index = groups.size();
  groups.push_back(AggregateGroup{.filter = f, .days = days});
  return groups.back();
}

int ValueId(const std::optional<std::string>& value, std::vector<std::string>& values) {
  if (!value.has_value()) return -1;
  auto it = std::find(values.begin(), values.end(), *value);
  if (it == values.end()) it = values.insert(values.end(), *value);
  return static_cast<int>(it - values.begin());
}

void Compiler::FinishPlan() {
  for (EventFilter& f : plan.filters) {
    f.type_id = ValueId(f.type, plan.types);
    f.channel_id = ValueId(f.channel, plan.channels);
    f.category_id = ValueId(f.category, plan.categories);
  }
  plan.windows.assign(plan.filters.size(), {});
  plan.lifetime.assign(plan.filters.size(), -1);
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const AggregateGroup& group = plan.groups[g];
    if (group.days == 0) {
      plan.lifetime[group.filter] = static_cast<int>(g);
    } else {
      plan.windows[group.filter].push_back(g);
    }
  }
  for (std::vector<size_t>& windows : plan.windows) {
    std::sort(windows.begin(), windows.end(),
              [&](size_t a, size_t b) { return plan.groups[a].days < plan.groups[b].days; });
  }
}

absl::Status Compiler::CompileWindow(FeatureDef& def) {
  COHORT_RETURN_IF_ERROR(
      CheckKeys(def, "a window feature", {"agg", "days", "type", "channel", "category"}));
  const std::string* agg = Param(def, "agg");
  if (agg == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("window feature '", def.name, "' is missing agg=<", Names(kAggs, "|"), ">"));
  }
  const AggInfo* info = nullptr;
  for (const AggInfo& a : kAggs) {
    if (a.name == *agg) info = &a;
  }
  if (info == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown agg '", *agg, "' (expected one of ", Names(kAggs, ", "), ")"));
  }
  const Op op = info->op;
  const std::string* days_text = Param(def, "days");
  if (days_text == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("window feature '", def.name, "' is missing days=<N|lifetime>"));
  }
  int32_t days = 0;
  if (*days_text != "lifetime" &&
      (!absl::SimpleAtoi(*days_text, &days) || days < 1 || days > kMaxWindowDays ||
       !absl::ascii_isdigit((*days_text)[0]))) {
    return absl::InvalidArgumentError(absl::StrCat("bad days='", *days_text,
                                                   "': expected a whole number of days in 1..",
                                                   kMaxWindowDays, " or 'lifetime'"));
  }
  if (op == Op::kActiveDays && days == 0) {
    return absl::InvalidArgumentError(
        "agg=active_days needs days=<N>: per-day data is not kept for the whole lifetime");
  }
  // Result types.
  const bool fraction = op == Op::kCategoryShare || op == Op::kTopCategoryShare;
  if (op == Op::kTopCategory) {
    if (def.type != FeatureType::kString) {
      return absl::InvalidArgumentError(
          absl::StrCat("agg=top_category yields a category name: declare feature '", def.name,
                       "' as string, not ", TypeName(def.type)));
    }
  } else if (fraction) {
    if (def.type != FeatureType::kDouble) {
      return absl::InvalidArgumentError(
          absl::StrCat("agg=", *agg, " yields a fraction: declare feature '", def.name,
                       "' as double, not ", TypeName(def.type)));
    }
  } else if (def.type != FeatureType::kDouble && def.type != FeatureType::kInt64) {
    return absl::InvalidArgumentError(
        absl::StrCat("agg=", *agg, " yields a number: declare feature '", def.name,
                     "' as double or int64, not ", TypeName(def.type)));
  }
  COHORT_ASSIGN_OR_RETURN(EventFilter filter, ParseFilter(def));
  if (op == Op::kCategoryShare) {
    // category= names the share's numerator, not a filter.
    if (!filter.category.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("agg=category_share of feature '", def.name,
                       "' is missing category=<category> (the category whose share is computed)"));
    }
    def.program.category = *std::move(filter.category);
    filter.category.reset();
  }
  def.program.op = op;
  AggregateGroup& group = Group(std::move(filter), days, &def.program.group);
  group.categories =
      group.categories || op == Op::kDistinctCategories || fraction || op == Op::kTopCategory;
  group.channels = group.channels || op == Op::kDistinctChannels;
  group.active_days = group.active_days || op == Op::kActiveDays;
  return absl::OkStatus();
}

absl::StatusOr<size_t> Compiler::ResolveOperand(const FeatureDef& def,
                                                absl::string_view key) const {
  const std::string* name = Param(def, key);
  if (name == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("derived feature '", def.name, "' is missing ", key, "=<feature>"));
  }
  if (*name == def.name) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, "='", *name, "': a feature cannot refer to itself"));
  }
  auto it = index.find(*name);
  if (it == index.end()) {
    auto later = all_names_.find(*name);
    if (later != all_names_.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          key, "='", *name, "' refers to a feature declared later (line ", later->second,
          "); a derived feature may only use features declared before it"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(key, "='", *name, "' refers to an unknown feature"));
  }
  const FeatureDef& operand = features[it->second];
  if (operand.type != FeatureType::kDouble && operand.type != FeatureType::kInt64) {
    return absl::InvalidArgumentError(absl::StrCat(key, "='", *name, "' refers to a ",
                                                   TypeName(operand.type),
                                                   " feature; operands must be double or int64"));
  }
  return it->second;
}

absl::Status Compiler::CompileDerived(FeatureDef& def) {
  const std::string* fn = Param(def, "fn");
  if (fn == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("derived feature '", def.name, "' is missing fn=<", Names(kFns, "|"), ">"));
  }
  const AggInfo* info = nullptr;
  for (const AggInfo& a : kFns) {
    if (a.name == *fn) info = &a;
  }
  if (info == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown fn '", *fn, "' (expected one of ", Names(kFns, ", "), ")"));
  }
  const Op op = info->op;
  def.program.op = op;
  const std::string what = absl::StrCat("fn=", *fn);
  if (op == Op::kRatio || op == Op::kAbandonRate) {
    COHORT_RETURN_IF_ERROR(CheckKeys(def, what, {"fn", "num", "den"}));
    if (def.type != FeatureType::kDouble) {
      return absl::InvalidArgumentError(absl::StrCat(what, " yields a fraction: declare feature '",
                                                     def.name, "' as double, not ",
                                                     TypeName(def.type)));
    }
    COHORT_ASSIGN_OR_RETURN(def.program.num, ResolveOperand(def, "num"));
    COHORT_ASSIGN_OR_RETURN(def.program.den, ResolveOperand(def, "den"));
    return absl::OkStatus();
  }
  if (def.type != FeatureType::kDouble && def.type != FeatureType::kInt64) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " yields a number of days: declare feature '", def.name,
                     "' as double or int64, not ", TypeName(def.type)));
  }
  if (op == Op::kTenureDays) return CheckKeys(def, what, {"fn"});
  COHORT_RETURN_IF_ERROR(CheckKeys(def, what, {"fn", "type", "channel", "category"}));
  COHORT_ASSIGN_OR_RETURN(EventFilter filter, ParseFilter(def));
  Group(std::move(filter), 0, &def.program.group).last_event = true;
  return absl::OkStatus();
}

// The declaration on a raw line: without the comment and surrounding whitespace.
absl::string_view Content(absl::string_view raw) {
  const size_t hash = raw.find('#');
  if (hash != absl::string_view::npos) raw = raw.substr(0, hash);
  return absl::StripAsciiWhitespace(raw);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FeatureRegistry>> FeatureRegistry::Parse(
    absl::string_view text, absl::string_view origin) {
  const std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  absl::flat_hash_map<std::string, int> names;
  for (size_t i = 0; i < lines.size(); ++i) {
    const absl::string_view content = Content(lines[i]);
    if (content.empty()) continue;
    const absl::string_view name = content.substr(0, content.find_first_of(" \t"));
    names.emplace(std::string(name), static_cast<int>(i + 1));
  }
  Compiler compiler(std::move(names));
  for (size_t i = 0; i < lines.size(); ++i) {
    const absl::string_view content = Content(lines[i]);
    if (content.empty()) continue;
    const absl::Status status = compiler.AddLine(static_cast<int>(i + 1), content);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ":", i + 1, ": ", status.message()));
    }
  }
  compiler.FinishPlan();
  auto registry = std::make_shared<FeatureRegistry>();
  registry->features_ = std::move(compiler.features);
  registry->index_ = std::move(compiler.index);
  registry->plan_ = std::move(compiler.plan);
  return registry;
}

absl::StatusOr<std::shared_ptr<const FeatureRegistry>> FeatureRegistry::LoadFile(
    const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::NotFoundError(
        absl::StrCat("cannot read feature registry '", path, "': it is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read feature registry '", path, "': ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::NotFoundError(absl::StrCat("error reading feature registry '", path, "'"));
  }
  return Parse(text.str(), path);
}

std::optional<size_t> FeatureRegistry::Find(absl::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

}  // namespace cohort::storage
