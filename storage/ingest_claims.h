// Exactly-once ingest without a lock across the write (internal to storage/).
//
// An Ingest call works in rounds. In a round it looks its events' dedup keys up and, in the
// same critical section, claims the absent ones that no other call has claimed; it then
// writes the claimed events with no lock held (so concurrent calls share RocksDB's group
// commit) and releases the claims. Events whose keys another call holds are deferred: the
// call waits until that call's round ends and looks them up again, finding them written
// (duplicates) or, if that write failed, free to claim. A waiting call holds no claims, and
// a call only waits for claims made before its own lookup, so rounds cannot deadlock.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/types/span.h"

namespace cohort::storage::internal {

// The end of one round: notified once its claims are released.
struct ClaimFlight {
  absl::Notification done;
};

// What one round decided for its keys (positions into the keys it was given).
struct ClaimPlan {
  std::vector<size_t> duplicates;  // already stored, or repeated within the call
  std::vector<size_t> claimed;     // absent and unclaimed: this round writes them
  std::vector<size_t> deferred;    // held by other calls: look up again after `waits`
  std::vector<std::shared_ptr<ClaimFlight>> waits;
};

// The dedup keys being written right now. Thread-safe.
class DedupClaims {
 public:
  // One round's claims. Destruction releases them and then wakes the calls waiting for
  // them, however the round ended (written, failed or returned early).
  class Round {
   public:
    explicit Round(DedupClaims& claims);
    ~Round();
    Round(const Round&) = delete;
    Round& operator=(const Round&) = delete;

   private:
    friend class DedupClaims;
    DedupClaims& claims_;
    std::shared_ptr<ClaimFlight> flight_;
    std::vector<const std::string*> keys_;  // claimed; owned by the caller
  };

  // Reports, per key, whether it is already stored; an error aborts the round.
  using StoredFn =
      std::function<absl::StatusOr<std::vector<bool>>(absl::Span<const std::string* const> keys)>;

  // Atomically with respect to every other round: calls `stored` on `keys`, then puts each
  // key in plan.duplicates when stored or already in `taken` (this call's earlier keys),
  // in plan.deferred (with the holder's flight in plan.waits) when another round holds it,
  // and otherwise claims it for `round` and adds it to `taken`. On error nothing is claimed.
  // `keys` must outlive `round`; `taken` views them.
  absl::StatusOr<ClaimPlan> LookUpAndClaim(absl::Span<const std::string* const> keys,
                                           const StoredFn& stored,
                                           absl::flat_hash_set<absl::string_view>& taken,
                                           Round& round);

 private:
  std::mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<ClaimFlight>> in_flight_;
};

}  // namespace cohort::storage::internal
