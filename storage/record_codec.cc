#include "storage/record_codec.h"

#include <map>
#include <set>
#include <variant>

#include "common/time_util.h"

namespace cohort::storage::internal {
namespace {

absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

void AddTo(const records::Cell& cell, TypeTotal* total) {
  total->count += cell.count();
  total->quantity += cell.quantity();
  total->amount += cell.amount();
}

}  // namespace

records::Aggregates AggregatesOfEvent(const Event& event) {
  records::Aggregates aggregates;
  records::Cell* cell = aggregates.add_lifetime();
  cell->set_type(event.type);
  cell->set_channel(event.channel);
  cell->set_category(event.category);
  cell->set_count(1);
  cell->set_quantity(event.quantity);
  cell->set_amount(event.amount);
  const int64_t us = absl::ToUnixMicros(event.time);
  cell->set_first_us(us);
  cell->set_last_us(us);
  records::DayBucket* bucket = aggregates.add_days();
  bucket->set_day(DayOf(event.time));
  *bucket->add_cells() = *cell;
  return aggregates;
}

records::HistoryItem HistoryItemOfEvent(const Event& event) {
  records::HistoryItem item;
  item.set_event_id(event.event_id);
  item.set_time_us(absl::ToUnixMicros(event.time));
  item.set_type(event.type);
  item.set_channel(event.channel);
  item.set_item_id(event.item_id);
  item.set_category(event.category);
  item.set_quantity(event.quantity);
  item.set_amount(event.amount);
  return item;
}

records::StoredAttribute StoredOf(const Attribute& attribute, int64_t written_us) {
  records::StoredAttribute stored;
  std::visit(
      [&stored](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          stored.set_string_value(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          stored.set_int_value(v);
        } else if constexpr (std::is_same_v<T, double>) {
          stored.set_double_value(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          stored.set_bool_value(v);
        } else {
          stored.set_timestamp_us(absl::ToUnixMicros(v));
        }
      },
      attribute.value);
  stored.set_source(attribute.source);
  stored.set_event_us(absl::ToUnixMicros(attribute.event_time));
  stored.set_written_us(written_us);
  return stored;
}

Attribute AttributeOf(const std::string& name, const records::StoredAttribute& stored) {
  Attribute attribute;
  attribute.name = name;
  switch (stored.kind_case()) {
    case records::StoredAttribute::kStringValue:
      attribute.value = stored.string_value();
      break;
    case records::StoredAttribute::kIntValue:
      attribute.value = stored.int_value();
      break;
    case records::StoredAttribute::kDoubleValue:
      attribute.value = stored.double_value();
      break;
    case records::StoredAttribute::kBoolValue:
      attribute.value = stored.bool_value();
      break;
    case records::StoredAttribute::kTimestampUs:
      attribute.value = FromMicros(stored.timestamp_us());
      break;
    case records::StoredAttribute::KIND_NOT_SET:
      attribute.value = std::string();
      break;
  }
  attribute.source = stored.source();
  attribute.event_time = FromMicros(stored.event_us());
  return attribute;
}

Interaction InteractionOf(const records::HistoryItem& item) {
  Interaction interaction;
  interaction.event_id = item.event_id();
  interaction.time = FromMicros(item.time_us());
  interaction.type = item.type();
  interaction.channel = item.channel();
  interaction.item_id = item.item_id();
  interaction.category = item.category();
  interaction.quantity = item.quantity();
  interaction.amount = item.amount();
  return interaction;
}

void FillFromAggregates(const records::Aggregates& aggregates, Profile* profile) {
  std::set<std::string> channels;
  std::map<std::string, TypeTotal> by_type, by_category;
  for (const records::Cell& cell : aggregates.lifetime()) {
    if (cell.count() > 0) {
      const absl::Time first = FromMicros(cell.first_us()), last = FromMicros(cell.last_us());
      if (!profile->first_seen || first < *profile->first_seen) profile->first_seen = first;
      if (!profile->last_seen || last > *profile->last_seen) profile->last_seen = last;
    }
    if (!cell.channel().empty()) channels.insert(cell.channel());
    AddTo(cell, &by_type[cell.type()]);
    if (cell.type() == kPurchaseType && !cell.category().empty()) {
      AddTo(cell, &by_category[cell.category()]);
    }
  }
  profile->channels.assign(channels.begin(), channels.end());
  for (auto& [key, total] : by_type) {
    total.key = key;
    profile->lifetime.push_back(std::move(total));
  }
  for (auto& [key, total] : by_category) {
    total.key = key;
    profile->categories.push_back(std::move(total));
  }
  for (const records::DayBucket& bucket : aggregates.days()) {
    for (const records::Cell& cell : bucket.cells()) {
      DailyAggregate daily;
      daily.day = bucket.day();
      daily.type = cell.type();
      daily.channel = cell.channel();
      daily.category = cell.category();
      daily.count = cell.count();
      daily.quantity = cell.quantity();
      daily.amount = cell.amount();
      profile->daily.push_back(std::move(daily));
    }
  }
}

void FillFromAttributes(const records::AttributeSet& attributes, Profile* profile) {
  for (const records::AttributeVersions& versions : attributes.attributes()) {
    if (versions.versions_size() == 0) continue;
    profile->attributes.push_back(AttributeOf(versions.name(), versions.versions(0)));
  }
}

}  // namespace cohort::storage::internal
