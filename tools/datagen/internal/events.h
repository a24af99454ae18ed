// Internal to cohort-datagen: simulation of one customer's events.
#pragma once

#include <cstdint>
#include <vector>

#include "tools/datagen/internal/catalog.h"
#include "tools/datagen/internal/profile.h"
#include "tools/datagen/internal/rng.h"
#include "tools/datagen/vocabulary.h"

namespace cohort::datagen::internal {

inline constexpr int32_t kNoItem = -1;

// One generated event; item/quantity/amount are kNoItem/0/-1 where they do not apply.
struct Event {
  int64_t ts = 0;  // Unix seconds
  int64_t amount_cents = -1;
  int32_t item = kNoItem;
  uint32_t seq = 0;  // generation order; breaks ties of ts so sorting is deterministic
  uint16_t quantity = 0;
  EventType type = EventType::kView;
  Channel channel = Channel::kWeb;
};

// Simulates customers' sessions (online browsing funnels, store visits, email opens and
// clicks, returns) for events in [window_start, window_end). Holds a reference to
// `catalog`, which must outlive it. Not thread-safe; use one per thread.
class EventSimulator {
 public:
  EventSimulator(const Catalog& catalog, int64_t window_start, int64_t window_end)
      : catalog_(catalog), window_start_(window_start), window_end_(window_end) {}

  // Replaces `*events` with the events of customer `index` (whose profile is `profile`),
  // sorted by time. A pure function of (seed, index, profile, catalog, window).
  void Simulate(uint64_t seed, int64_t index, const CustomerProfile& profile,
                std::vector<Event>* events);

 private:
  void OnlineSession(int64_t t, Channel channel, int32_t first_item, bool click);
  void StoreVisit(int64_t t);
  void EmailOpen(int64_t t);
  void Purchase(int64_t t, int32_t item, int quantity, Channel channel);
  enum class SessionKind : uint8_t { kOnline, kStore, kEmail };
  struct SessionStart {
    int64_t ts;
    uint32_t order;
    SessionKind kind;
  };
  // Adds the start times of a Poisson process of `per_week` sessions (times activity) within
  // the customer's active window, placed in the day by `hour_cumulative` (24 entries).
  void CollectSessions(double per_week, const double* hour_cumulative, SessionKind kind);
  void Emit(int64_t ts, EventType type, Channel channel, int32_t item = kNoItem, int quantity = 0,
            int64_t amount_cents = -1);
  int32_t SampleItem();
  int32_t NextItem(int32_t previous);
  int Quantity(int32_t item);

  const Catalog& catalog_;
  const int64_t window_start_;
  const int64_t window_end_;
  // Per-customer state, reset by Simulate.
  Rng rng_{0};
  const CustomerProfile* profile_ = nullptr;
  const ArchetypeParams* params_ = nullptr;
  std::vector<Event>* events_ = nullptr;
  int64_t limit_ = 0;  // events at or after this time are dropped
  int32_t last_purchase_ = kNoItem;
  uint32_t seq_ = 0;
  std::vector<SessionStart> sessions_;
  std::vector<int32_t> cart_items_;
  std::vector<int> cart_quantities_;
};

}  // namespace cohort::datagen::internal
