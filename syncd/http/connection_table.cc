#include "syncd/http/connection_table.h"

#include <sys/socket.h>

namespace nkd::syncd {

const char* ConnectionTable::to_string(DropReason reason) {
  switch (reason) {
    case DropReason::kRefusedBusy:
      return "busy";
    case DropReason::kEvicted:
      return "evicted";
    case DropReason::kTlsHandshake:
      return "tls_handshake";
  }
  return "busy";
}

ConnectionTable::Ticket::~Ticket() {
  if (table_ == nullptr) return;
  std::lock_guard lock(table_->mutex_);
  table_->entries_.erase(id_);
}

void ConnectionTable::Ticket::set_waiting(bool waiting) {
  std::lock_guard lock(table_->mutex_);
  const auto entry = table_->entries_.find(id_);
  if (entry == table_->entries_.end()) return;
  entry->second.waiting = waiting;
  if (waiting) entry->second.waiting_since = table_->next_wait_++;
}

std::optional<ConnectionTable::Ticket> ConnectionTable::admit(int socket,
                                                              const std::string& address) {
  std::optional<DropReason> dropped;
  std::optional<Ticket> ticket;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return std::nullopt;
    bool room = true;
    if (live_count(&address) >= limits_.max_connections_per_address) {
      room = evict_oldest_waiting([&](const Entry& entry) { return entry.address == address; });
    }
    if (room && live_count(nullptr) >= limits_.max_connections) {
      room = evict_oldest_waiting([](const Entry&) { return true; });
    }
    if (room) {
      const std::uint64_t id = next_id_++;
      entries_.emplace(id, Entry{.socket = socket,
                                 .address = address,
                                 .waiting = true,
                                 .evicted = false,
                                 .waiting_since = next_wait_++});
      ticket.emplace(*this, id);
    }
    dropped = room ? std::nullopt : std::optional(DropReason::kRefusedBusy);
  }
  if (dropped && on_drop_) on_drop_(*dropped);
  return ticket;
}

bool ConnectionTable::evict_oldest_waiting(const std::function<bool(const Entry&)>& eligible) {
  Entry* oldest = nullptr;
  for (auto& [id, entry] : entries_) {
    if (entry.evicted || !entry.waiting || !eligible(entry)) continue;
    if (oldest == nullptr || entry.waiting_since < oldest->waiting_since) oldest = &entry;
  }
  if (oldest == nullptr) return false;
  // The socket is still open: its owner closes it only after removing its entry, under mutex_.
  // Shutting it down wakes the owner's blocked read, which then ends the connection.
  ::shutdown(oldest->socket, SHUT_RDWR);
  oldest->evicted = true;
  if (on_drop_) on_drop_(DropReason::kEvicted);
  return true;
}

std::size_t ConnectionTable::live_count(const std::string* address) const {
  std::size_t count = 0;
  for (const auto& [id, entry] : entries_) {
    if (!entry.evicted && (address == nullptr || entry.address == *address)) ++count;
  }
  return count;
}

void ConnectionTable::shut_down_all() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (auto& [id, entry] : entries_) ::shutdown(entry.socket, SHUT_RDWR);
}

}  // namespace nkd::syncd
