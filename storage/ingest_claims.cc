#include "storage/ingest_claims.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cohort::storage::internal {

DedupClaims::Round::Round(DedupClaims& claims)
    : claims_(claims), flight_(std::make_shared<ClaimFlight>()) {}

DedupClaims::Round::~Round() {
  {
    std::lock_guard<std::mutex> lock(claims_.mu_);
    for (const std::string* key : keys_) claims_.in_flight_.erase(*key);
  }
  flight_->done.Notify();
}

absl::StatusOr<ClaimPlan> DedupClaims::LookUpAndClaim(absl::Span<const std::string* const> keys,
                                                      const StoredFn& stored,
                                                      absl::flat_hash_set<absl::string_view>& taken,
                                                      Round& round) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<std::vector<bool>> found = stored(keys);
  if (!found.ok()) return found.status();
  if (found->size() != keys.size()) {
    return absl::InternalError(
        absl::StrCat("dedup lookup answered ", found->size(), " of ", keys.size(), " keys"));
  }
  ClaimPlan plan;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = *keys[i];
    if ((*found)[i] || taken.contains(key)) {
      plan.duplicates.push_back(i);
      continue;
    }
    auto holder = in_flight_.find(key);
    if (holder != in_flight_.end()) {
      plan.deferred.push_back(i);
      plan.waits.push_back(holder->second);
      continue;
    }
    in_flight_.emplace(key, round.flight_);
    round.keys_.push_back(&key);
    taken.insert(key);
    plan.claimed.push_back(i);
  }
  return plan;
}

}  // namespace cohort::storage::internal
