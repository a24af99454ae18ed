#include "storage/input_checks.h"

#include <cmath>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "common/validation.h"

namespace cohort::storage::internal {
namespace {

absl::Time Horizon(absl::Time now, int32_t retention_days) {
  return now - absl::Hours(24) * retention_days;
}

bool IsAttributeName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxAttributeNameBytes) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

absl::Status CheckValue(const AttributeValue& value, absl::string_view field) {
  if (const auto* d = std::get_if<double>(&value); d != nullptr && !std::isfinite(*d)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not a finite number"));
  }
  if (const auto* s = std::get_if<std::string>(&value); s != nullptr) {
    if (s->size() > kMaxAttributeStringBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " is ", s->size(), " bytes; the limit is ", kMaxAttributeStringBytes));
    }
    if (!IsValidUtf8(*s))
      return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
  }
  if (const auto* t = std::get_if<absl::Time>(&value);
      t != nullptr && (*t == absl::InfiniteFuture() || *t == absl::InfinitePast())) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not a finite time"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckEvent(const Event& event, absl::Time now, int32_t retention_days) {
  COHORT_RETURN_IF_ERROR(ValidateId(event.event_id, "event_id"));
  COHORT_RETURN_IF_ERROR(ValidateId(event.customer_id, "customer_id"));
  if (event.type.empty()) return absl::InvalidArgumentError("type is empty");
  COHORT_RETURN_IF_ERROR(ValidateLabel(event.type, "type", kMaxTypeBytes));
  COHORT_RETURN_IF_ERROR(ValidateLabel(event.channel, "channel", kMaxChannelBytes));
  COHORT_RETURN_IF_ERROR(ValidateLabel(event.category, "category", kMaxCategoryBytes));
  COHORT_RETURN_IF_ERROR(ValidateLabel(event.item_id, "item_id", kMaxItemIdBytes));
  const absl::Time horizon = Horizon(now, retention_days);
  if (event.time < horizon) {
    return absl::InvalidArgumentError(
        absl::StrCat("time ", FormatRfc3339(event.time), " is before the retention horizon ",
                     FormatRfc3339(horizon), " (retention_days=", retention_days, ")"));
  }
  if (event.time > now + kMaxFutureSkew) {
    return absl::InvalidArgumentError(absl::StrCat("time ", FormatRfc3339(event.time),
                                                   " is more than 1 day after the node's clock (",
                                                   FormatRfc3339(now), ")"));
  }
  if (!std::isfinite(event.amount)) return absl::InvalidArgumentError("amount is not finite");
  if (std::fabs(event.amount) >= kMaxAbsAmount) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount ", event.amount, " is out of range (|amount| must be < 1e12)"));
  }
  if (event.quantity < 0) {
    return absl::InvalidArgumentError(absl::StrCat("quantity ", event.quantity, " is negative"));
  }
  if (event.quantity >= kMaxQuantity) {
    return absl::InvalidArgumentError(
        absl::StrCat("quantity ", event.quantity, " is out of range (must be < 1e9)"));
  }
  return absl::OkStatus();
}

absl::Status CheckAttribute(const Attribute& attribute, absl::Time now, absl::string_view field) {
  if (!IsAttributeName(attribute.name)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".name '", attribute.name.substr(0, 80),
                                                   "' must match [a-z0-9_]{1,64}"));
  }
  COHORT_RETURN_IF_ERROR(
      ValidateLabel(attribute.source, absl::StrCat(field, ".source"), kMaxAttributeSourceBytes));
  if (attribute.event_time < absl::UnixEpoch()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".event_time ", FormatRfc3339(attribute.event_time), " is before 1970-01-01"));
  }
  if (attribute.event_time > now + kMaxFutureSkew) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".event_time ", FormatRfc3339(attribute.event_time),
                     " is more than 1 day after the node's clock (", FormatRfc3339(now), ")"));
  }
  return CheckValue(attribute.value, absl::StrCat(field, ".value"));
}

absl::Status CheckAsOf(absl::Time as_of, absl::Time now, int32_t retention_days) {
  const absl::Time horizon = Horizon(now, retention_days);
  if (as_of < horizon) {
    return absl::InvalidArgumentError(
        absl::StrCat("as_of ", FormatRfc3339(as_of), " is before the retention horizon ",
                     FormatRfc3339(horizon), " (retention_days=", retention_days, ")"));
  }
  if (as_of > now + kMaxFutureSkew) {
    return absl::InvalidArgumentError(absl::StrCat("as_of ", FormatRfc3339(as_of),
                                                   " is more than 1 day after the node's clock (",
                                                   FormatRfc3339(now), ")"));
  }
  return absl::OkStatus();
}

}  // namespace cohort::storage::internal
