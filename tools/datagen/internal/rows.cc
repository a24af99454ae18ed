#include "tools/datagen/internal/rows.h"

#include <cmath>

namespace cohort::datagen::internal {
namespace {

char* PutItemId(char* p, const Catalog& catalog, int32_t item) {
  p = Put(p, "sku-");
  return PutPadded(p, static_cast<uint64_t>(item) + 1, catalog.id_width());
}

// One attribute row: customer_id,name,type,value,source,ts (value written by `value`).
template <typename ValueFn>
void AttributeRow(CsvWriter& out, absl::string_view customer_id, absl::string_view name,
                  absl::string_view type, ValueFn value, absl::string_view source, int64_t ts) {
  char* p = out.Begin();
  p = Put(p, customer_id);
  p = Put(Put(p, ','), name);
  p = Put(Put(p, ','), type);
  p = value(Put(p, ','));
  p = Put(Put(p, ','), source);
  p = PutTimestamp(Put(p, ','), ts);
  out.Commit(Put(p, '\n'));
}

void StringRow(CsvWriter& out, absl::string_view customer_id, absl::string_view name,
               absl::string_view value, absl::string_view source, int64_t ts) {
  AttributeRow(
      out, customer_id, name, "string", [&](char* p) { return Put(p, value); }, source, ts);
}

}  // namespace

void WriteHeader(CsvWriter& out, absl::string_view header) { out.Commit(Put(out.Begin(), header)); }

void WriteEvents(CsvWriter& out, absl::string_view customer_id, const Catalog& catalog,
                 absl::Span<const Event> events) {
  for (size_t n = 0; n < events.size(); ++n) {
    const Event& e = events[n];
    char* p = out.Begin();
    p = Put(p, customer_id);
    p = PutUint(Put(p, '-'), n);
    p = Put(Put(p, ','), customer_id);
    p = PutTimestamp(Put(p, ','), e.ts);
    p = Put(Put(p, ','), Name(e.type));
    p = Put(Put(p, ','), Name(e.channel));
    *p++ = ',';
    if (e.item != kNoItem) {
      p = PutItemId(p, catalog, e.item);
      p = Put(Put(p, ','), kCategoryNames[catalog.item(e.item).category]);
    } else {
      *p++ = ',';
    }
    *p++ = ',';
    if (e.quantity > 0) p = PutUint(p, e.quantity);
    *p++ = ',';
    if (e.amount_cents >= 0) p = PutCents(p, e.amount_cents);
    out.Commit(Put(p, '\n'));
  }
}

int WriteAttributes(CsvWriter& out, absl::string_view cid, const CustomerProfile& c) {
  int rows = 0;
  auto region = [&] {
    StringRow(out, cid, "region", kRegionNames[c.region], "crm", c.signup_ts);
    ++rows;
  };
  auto region_update = [&] {
    StringRow(out, cid, "region", kRegionNames[c.region_update], "web", c.region_update_ts);
    ++rows;
  };
  auto loyalty = [&] {
    StringRow(out, cid, "loyalty_tier", kLoyaltyTierNames[c.loyalty_tier], "loyalty", c.loyalty_ts);
    ++rows;
  };
  auto loyalty_update = [&] {
    StringRow(out, cid, "loyalty_tier", kLoyaltyTierNames[c.loyalty_update], "crm",
              c.loyalty_update_ts);
    ++rows;
  };
  // A later version comes after the first one, except when *_update_first: then the file
  // holds the newer row first, so a correct importer must resolve by time, not file order.
  if (c.has_region_update && c.region_update_first) region_update();
  region();
  if (c.has_region_update && !c.region_update_first) region_update();
  if (c.has_loyalty_update && c.loyalty_update_first) loyalty_update();
  loyalty();
  if (c.has_loyalty_update && !c.loyalty_update_first) loyalty_update();

  AttributeRow(
      out, cid, "marketing_consent", "bool",
      [&](char* p) { return Put(p, c.marketing_consent ? "true" : "false"); }, "web", c.signup_ts);
  AttributeRow(
      out, cid, "birth_year", "int", [&](char* p) { return PutUint(p, c.birth_year); }, "crm",
      c.signup_ts);
  StringRow(out, cid, "signup_channel", kChannelNames[c.signup_channel], "crm", c.signup_ts);
  AttributeRow(
      out, cid, "signup_ts", "timestamp", [&](char* p) { return PutTimestamp(p, c.signup_ts); },
      "crm", c.signup_ts);
  AttributeRow(
      out, cid, "satisfaction_score", "double",
      [&](char* p) { return PutFixed(p, c.satisfaction_centis / 100.0, 2); }, "crm",
      c.satisfaction_ts);
  return rows + 5;
}

void WriteTruth(CsvWriter& out, absl::string_view cid, const CustomerProfile& c) {
  const double rate = PurchaseRate30d(c);
  char* p = out.Begin();
  p = Put(p, cid);
  p = Put(Put(p, ','), Name(c.archetype));
  p = Put(Put(p, ','), c.churned ? "1" : "0");
  p = PutTimestamp(Put(p, ','), c.active_from);
  p = PutTimestamp(Put(p, ','), c.active_until);
  p = PutFixed(Put(p, ','), c.activity, 4);
  p = Put(Put(p, ','), kCategoryNames[c.favorite_category]);
  p = Put(Put(p, ','), kTierNames[c.top_tier]);
  p = Put(Put(p, ','), kRegionNames[c.final_region()]);
  p = Put(Put(p, ','), kLoyaltyTierNames[c.final_loyalty_tier()]);
  p = Put(Put(p, ','), c.marketing_consent ? "true" : "false");
  p = PutFixed(Put(p, ','), rate, 4);
  p = PutFixed(Put(p, ','), 1.0 - std::exp(-rate), 4);
  out.Commit(Put(p, '\n'));
}

}  // namespace cohort::datagen::internal
