// ConnectionTable: the HTTP server's open connections, so that a few slow or idle clients cannot
// take every worker. It admits a connection when the server and its source address are under
// their limits; at a limit it makes room by shutting down the connection (of that address, or
// any) that has waited longest for a request, and refuses only when every connection is busy
// with a request. Thread-safe; a socket stays open while its Ticket lives, so the table may
// shut it down from another thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace nkd::syncd {

// How many connections the server keeps and how long each may take (DESIGN.md §6).
struct ConnectionLimits {
  std::size_t max_connections = 64;
  std::size_t max_connections_per_address = 16;
  // Between requests on a kept-alive connection (and before the first one).
  std::chrono::milliseconds idle_timeout{5'000};
  // HTTPS: from the connection's acceptance to the end of the TLS handshake, so a client that
  // never sends its ClientHello (or sends it a byte at a time) does not keep a connection.
  std::chrono::milliseconds handshake_timeout{10'000};
  // From a request's first byte to the end of its headers.
  std::chrono::milliseconds header_timeout{10'000};
  // From the end of the headers to the end of the response (body upload, handling, download).
  std::chrono::milliseconds request_timeout{30'000};
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_requests_per_connection = 100;
};

class ConnectionTable {
 public:
  // Why a connection was closed or refused; reported to `on_drop`. kTlsHandshake (a handshake
  // that failed or ran past its deadline) is reported by the server, not by the table.
  enum class DropReason { kRefusedBusy, kEvicted, kTlsHandshake };
  static const char* to_string(DropReason reason);

  ConnectionTable(ConnectionLimits limits, std::function<void(DropReason)> on_drop)
      : limits_(limits), on_drop_(std::move(on_drop)) {}

  // One admitted connection; removes it from the table when it goes (before the socket closes).
  class Ticket {
   public:
    Ticket(ConnectionTable& table, std::uint64_t id) : table_(&table), id_(id) {}
    Ticket(Ticket&& other) noexcept : table_(other.table_), id_(other.id_) {
      other.table_ = nullptr;
    }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();
    // Waiting for a request (evictable) or busy with one (not).
    void set_waiting(bool waiting);

   private:
    ConnectionTable* table_;
    std::uint64_t id_;
  };

  // Registers `socket` from `address`, or nullopt when it must be refused (table full of busy
  // connections, or the server is stopping).
  [[nodiscard]] std::optional<Ticket> admit(int socket, const std::string& address);
  // Shuts every connection down and refuses new ones (the server is stopping).
  void shut_down_all();

 private:
  struct Entry {
    int socket = -1;
    std::string address;
    bool waiting = true;
    bool evicted = false;
    // When it began to wait, as an order rather than a time: only "who waited longest" counts.
    std::uint64_t waiting_since = 0;
  };
  // Shuts down the connection that has waited longest among those `eligible` selects.
  bool evict_oldest_waiting(const std::function<bool(const Entry&)>& eligible);
  std::size_t live_count(const std::string* address) const;

  const ConnectionLimits limits_;
  const std::function<void(DropReason)> on_drop_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_wait_ = 1;  // the next waiting_since
  bool stopping_ = false;
};

}  // namespace nkd::syncd
