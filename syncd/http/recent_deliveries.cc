#include "syncd/http/recent_deliveries.h"

namespace nkd::syncd {

bool RecentDeliveries::first_sighting(WebhookKind kind, std::initializer_list<std::string> keys,
                                      Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Seen& seen = by_kind_[static_cast<std::size_t>(kind)];
  forget_expired(seen, now);
  for (const std::string& key : keys) {
    if (!key.empty() && seen.expires.contains(key)) return false;
  }
  for (const std::string& key : keys) {
    if (key.empty()) continue;
    if (seen.order.size() >= capacity_) {
      seen.expires.erase(*seen.order.front());
      seen.order.pop_front();
    }
    const auto [entry, inserted] = seen.expires.emplace(key, now + ttl_);
    if (inserted) seen.order.push_back(&entry->first);
  }
  return true;
}

std::size_t RecentDeliveries::size(WebhookKind kind) const {
  std::lock_guard lock(mutex_);
  return by_kind_[static_cast<std::size_t>(kind)].expires.size();
}

void RecentDeliveries::forget_expired(Seen& seen, Clock::time_point now) const {
  while (!seen.order.empty()) {
    const auto entry = seen.expires.find(*seen.order.front());
    if (entry != seen.expires.end() && entry->second > now) return;
    if (entry != seen.expires.end()) seen.expires.erase(entry);
    seen.order.pop_front();
  }
}

}  // namespace nkd::syncd
