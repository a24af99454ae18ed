// Internal to cohort-datagen: formatting of the three CSV outputs.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tools/datagen/internal/catalog.h"
#include "tools/datagen/internal/csv_writer.h"
#include "tools/datagen/internal/events.h"
#include "tools/datagen/internal/profile.h"

namespace cohort::datagen::internal {

inline constexpr absl::string_view kEventsHeader =
    "event_id,customer_id,ts,type,channel,item_id,category,quantity,amount\n";
inline constexpr absl::string_view kAttributesHeader = "customer_id,name,type,value,source,ts\n";
inline constexpr absl::string_view kTruthHeader =
    "customer_id,archetype,churned,active_from,active_until,activity,favorite_category,"
    "price_tier,region,loyalty_tier,marketing_consent,purchase_rate_30d,p_purchase_30d\n";

void WriteHeader(CsvWriter& out, absl::string_view header);

// One line per event; event ids are "<customer_id>-<n>", n counting from 0 in time order.
void WriteEvents(CsvWriter& out, absl::string_view customer_id, const Catalog& catalog,
                 absl::Span<const Event> events);

// The customer's attribute rows; returns how many were written.
int WriteAttributes(CsvWriter& out, absl::string_view customer_id, const CustomerProfile& c);

// The customer's planted truth (one row).
void WriteTruth(CsvWriter& out, absl::string_view customer_id, const CustomerProfile& c);

}  // namespace cohort::datagen::internal
