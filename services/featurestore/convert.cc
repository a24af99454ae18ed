#include "services/featurestore/convert.h"

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"

namespace cohort::featurestore {

namespace {

// Bounds of google.protobuf.Timestamp: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

absl::StatusOr<absl::Time> FromProto(const google::protobuf::Timestamp& ts,
                                     absl::string_view field) {
  if (ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".nanos is ", ts.nanos(), "; it must lie in [0, 999999999]"));
  }
  if (ts.seconds() < kMinTimestampSeconds || ts.seconds() > kMaxTimestampSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".seconds is ", ts.seconds(),
                     "; a timestamp must lie between 0001-01-01 and 9999-12-31"));
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void ToProto(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // floor
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

absl::StatusOr<storage::Durability> FromProto(v1::Durability durability,
                                              storage::Durability node_default) {
  switch (durability) {
    case v1::DURABILITY_UNSPECIFIED:
      return node_default;
    case v1::DURABILITY_SYNC:
      return storage::Durability::kSync;
    case v1::DURABILITY_ASYNC:
      return storage::Durability::kAsync;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("durability ", static_cast<int>(durability),
                       " is unknown; use DURABILITY_UNSPECIFIED, DURABILITY_SYNC or "
                       "DURABILITY_ASYNC"));
  }
}

absl::string_view DurabilityName(storage::Durability durability) {
  return durability == storage::Durability::kSync ? "sync" : "async";
}

absl::StatusOr<storage::Event> FromProto(const v1::Event& event, absl::string_view field) {
  if (!event.has_time()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".time is missing; every event needs its event time"));
  }
  absl::StatusOr<absl::Time> time = FromProto(event.time(), absl::StrCat(field, ".time"));
  if (!time.ok()) return time.status();
  storage::Event out;
  out.event_id = event.event_id();
  out.customer_id = event.customer_id();
  out.time = *time;
  out.type = event.type();
  out.channel = event.channel();
  out.item_id = event.item_id();
  out.category = event.category();
  out.quantity = event.quantity();
  out.amount = event.amount();
  return out;
}

v1::EventResult::Outcome ToProto(storage::IngestOutcome outcome) {
  switch (outcome) {
    case storage::IngestOutcome::kApplied:
      return v1::EventResult::OUTCOME_APPLIED;
    case storage::IngestOutcome::kDuplicate:
      return v1::EventResult::OUTCOME_DUPLICATE;
    case storage::IngestOutcome::kRejected:
      return v1::EventResult::OUTCOME_REJECTED;
  }
  return v1::EventResult::OUTCOME_UNSPECIFIED;
}

absl::StatusOr<storage::CustomerAttributes> FromProto(const v1::CustomerAttributes& customer,
                                                      absl::string_view field) {
  storage::CustomerAttributes out;
  out.customer_id = customer.customer_id();
  out.attributes.reserve(customer.attributes_size());
  for (int i = 0; i < customer.attributes_size(); ++i) {
    const v1::Attribute& in = customer.attributes(i);
    const std::string name = absl::StrCat(field, ".attributes[", i, "]");
    storage::Attribute attr;
    attr.name = in.name();
    attr.source = in.source();
    const v1::AttributeValue& value = in.value();
    switch (value.kind_case()) {
      case v1::AttributeValue::kStringValue:
        attr.value = value.string_value();
        break;
      case v1::AttributeValue::kIntValue:
        attr.value = value.int_value();
        break;
      case v1::AttributeValue::kDoubleValue:
        attr.value = value.double_value();
        break;
      case v1::AttributeValue::kBoolValue:
        attr.value = value.bool_value();
        break;
      case v1::AttributeValue::kTimestampValue: {
        absl::StatusOr<absl::Time> t =
            FromProto(value.timestamp_value(), absl::StrCat(name, ".value.timestamp_value"));
        if (!t.ok()) return t.status();
        attr.value = *t;
        break;
      }
      case v1::AttributeValue::KIND_NOT_SET:
        return absl::InvalidArgumentError(absl::StrCat(
            name, ".value is not set; set one of string_value, int_value, double_value, ",
            "bool_value or timestamp_value"));
    }
    if (!in.has_event_time()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ".event_time is missing; it orders writers (when the source observed it)"));
    }
    absl::StatusOr<absl::Time> t = FromProto(in.event_time(), absl::StrCat(name, ".event_time"));
    if (!t.ok()) return t.status();
    attr.event_time = *t;
    out.attributes.push_back(std::move(attr));
  }
  return out;
}

void ToProto(const storage::Attribute& attribute, v1::Attribute* out) {
  out->set_name(attribute.name);
  out->set_source(attribute.source);
  ToProto(attribute.event_time, out->mutable_event_time());
  v1::AttributeValue* value = out->mutable_value();
  std::visit(Overloaded{
                 [&](const std::string& v) { value->set_string_value(v); },
                 [&](int64_t v) { value->set_int_value(v); },
                 [&](double v) { value->set_double_value(v); },
                 [&](bool v) { value->set_bool_value(v); },
                 [&](absl::Time v) { ToProto(v, value->mutable_timestamp_value()); },
             },
             attribute.value);
}

namespace {

v1::FeatureStatus ToProto(storage::FeatureStatus status) {
  switch (status) {
    case storage::FeatureStatus::kPresent:
      return v1::FEATURE_STATUS_PRESENT;
    case storage::FeatureStatus::kNotFound:
      return v1::FEATURE_STATUS_NOT_FOUND;
    case storage::FeatureStatus::kDefaulted:
      return v1::FEATURE_STATUS_DEFAULTED;
    case storage::FeatureStatus::kStale:
      return v1::FEATURE_STATUS_STALE;
  }
  return v1::FEATURE_STATUS_UNSPECIFIED;
}

}  // namespace

void ToProto(const storage::FeatureValue& value, v1::FeatureValue* out) {
  std::visit(Overloaded{
                 [&](double v) { out->set_double_value(v); },
                 [&](int64_t v) { out->set_int_value(v); },
                 [&](const std::string& v) { out->set_string_value(v); },
                 [&](bool v) { out->set_bool_value(v); },
             },
             value.value);
  out->set_status(ToProto(value.status));
}

void ToProto(absl::string_view customer_id, const storage::FeatureVector& vector,
             v1::ValueLayout layout, v1::FeatureVector* out) {
  out->set_customer_id(std::string(customer_id));
  out->set_found(vector.found);
  const int n = static_cast<int>(vector.values.size());
  if (layout == v1::VALUE_LAYOUT_PACKED) {
    out->mutable_statuses()->Reserve(n);
    for (const storage::FeatureValue& v : vector.values) {
      out->add_statuses(ToProto(v.status));
      std::visit(Overloaded{
                     [&](double x) { out->add_doubles(x); },
                     [&](int64_t x) { out->add_ints(x); },
                     [&](const std::string& x) { out->add_strings(x); },
                     [&](bool x) { out->add_bools(x); },
                 },
                 v.value);
    }
  } else {
    out->mutable_values()->Reserve(n);
    for (const storage::FeatureValue& v : vector.values) ToProto(v, out->add_values());
  }
  for (const storage::Interaction& i : vector.history) ToProto(i, out->add_history());
}

namespace {

void ToProto(const storage::TypeTotal& total, v1::TypeTotal* out) {
  out->set_type(total.key);
  out->set_count(total.count);
  out->set_quantity(total.quantity);
  out->set_amount(total.amount);
}

}  // namespace

void ToProto(const storage::Profile& profile, v1::Profile* out) {
  out->set_customer_id(profile.customer_id);
  out->set_partition(profile.partition);
  for (const storage::Attribute& a : profile.attributes) ToProto(a, out->add_attributes());
  if (profile.first_seen) ToProto(*profile.first_seen, out->mutable_first_seen());
  if (profile.last_seen) ToProto(*profile.last_seen, out->mutable_last_seen());
  for (const std::string& c : profile.channels) out->add_channels(c);
  for (const storage::TypeTotal& t : profile.lifetime) ToProto(t, out->add_lifetime());
  for (const storage::TypeTotal& t : profile.categories) ToProto(t, out->add_categories());
  for (const storage::DailyAggregate& d : profile.daily) {
    v1::DailyAggregate* agg = out->add_daily();
    agg->set_day(d.day);
    agg->set_type(d.type);
    agg->set_channel(d.channel);
    agg->set_category(d.category);
    agg->set_count(d.count);
    agg->set_quantity(d.quantity);
    agg->set_amount(d.amount);
  }
}

void ToProto(const storage::Interaction& interaction, v1::Interaction* out) {
  out->set_event_id(interaction.event_id);
  ToProto(interaction.time, out->mutable_time());
  out->set_type(interaction.type);
  out->set_channel(interaction.channel);
  out->set_item_id(interaction.item_id);
  out->set_category(interaction.category);
  out->set_quantity(interaction.quantity);
  out->set_amount(interaction.amount);
}

absl::string_view FeatureTypeName(storage::FeatureType type) {
  switch (type) {
    case storage::FeatureType::kDouble:
      return "double";
    case storage::FeatureType::kInt64:
      return "int64";
    case storage::FeatureType::kString:
      return "string";
    case storage::FeatureType::kBool:
      return "bool";
  }
  return "unknown";
}

absl::string_view FeatureSourceName(storage::FeatureSource source) {
  switch (source) {
    case storage::FeatureSource::kAttribute:
      return "attribute";
    case storage::FeatureSource::kWindow:
      return "window";
    case storage::FeatureSource::kDerived:
      return "derived";
  }
  return "unknown";
}

}  // namespace cohort::featurestore
