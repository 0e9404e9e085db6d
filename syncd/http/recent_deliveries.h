// RecentDeliveries: the webhook deliveries a forge sent lately, so that a captured or repeated
// delivery is answered without a second sync. Each forge has its own set. An entry lives `ttl`
// and the set holds at most `capacity` entries per forge: at capacity the oldest entry goes
// first, so memory stays bounded however many deliveries arrive. Only verified deliveries are
// remembered, so a sender without the secret cannot fill the set. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "syncd/http/webhooks.h"

namespace nkd::syncd {

class RecentDeliveries {
 public:
  using Clock = std::chrono::steady_clock;

  RecentDeliveries(std::size_t capacity_per_kind, std::chrono::milliseconds ttl)
      : capacity_(capacity_per_kind > 0 ? capacity_per_kind : 1), ttl_(ttl) {}

  // Records the delivery `keys` name (its ID, and for forges whose ID is not signed, the
  // signature too) and returns true, or returns false without recording when any of them was
  // seen within `ttl`.
  [[nodiscard]] bool first_sighting(WebhookKind kind, std::initializer_list<std::string> keys,
                                    Clock::time_point now);
  [[nodiscard]] std::size_t size(WebhookKind kind) const;

 private:
  struct Seen {
    std::unordered_map<std::string, Clock::time_point> expires;
    // Keys in the order they came (and so in order of expiry); each points into `expires`,
    // whose keys keep their address when the map rehashes.
    std::deque<const std::string*> order;
  };
  void forget_expired(Seen& seen, Clock::time_point now) const;

  const std::size_t capacity_;
  const std::chrono::milliseconds ttl_;
  mutable std::mutex mutex_;
  std::array<Seen, kWebhookKinds.size()> by_kind_;
};

}  // namespace nkd::syncd
