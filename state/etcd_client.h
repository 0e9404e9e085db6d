// EtcdClient: the few etcd v3 calls the etcd state store needs (range, txn, status), spoken
// through etcd's JSON gateway (POST /v3/kv/range, /v3/kv/txn, /v3/maintenance/status; keys and
// values base64) over an HttpClient, so the daemon needs no gRPC stack.
//
// Contract:
// - Keys are relative to the settings' prefix: get("clusters/lab") reads "<prefix>/clusters/lab",
//   and the keys it returns are relative again. Nothing outside the prefix is read or written.
// - Every request is bounded by the settings' timeout (connection included).
// - Failover: a request goes to the member that answered last; when that member cannot be
//   reached (kUnavailable: refused, reset, unresolvable) the next endpoint is tried, each at
//   most once a call. A read is also sent on after a timeout; a write (txn) is not, because it
//   may have been applied: kTimeout is returned and the caller's step is retried from its read,
//   where every compare the store makes sees what the first attempt did.
// - Errors: etcd's own answers (a gRPC status in the body) become kInvalidArgument (a request
//   etcd refuses, e.g. more operations than its --max-txn-ops), kUnavailable (no leader, too
//   many requests) or kInternal; when every member failed, the last member's error is returned.
// - Thread-safe: calls are independent; only the index of the member last used is shared.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_client.h"
#include "common/result.h"
#include "common/secret.h"
#include "state/state_settings.h"

namespace nkd::state {

struct EtcdKeyValue {
  std::string key;  // relative to the prefix
  std::string value;
  std::int64_t mod_revision = 0;  // etcd's revision of the key's last write
  std::int64_t lease = 0;         // the lease the key is attached to (0: none)
};

struct EtcdRange {
  std::vector<EtcdKeyValue> values;  // by key (newest_first: reversed)
  std::int64_t revision = 0;         // the store's revision the range was read at
};

// Holds when the key was last written at `mod_revision` (0: the key does not exist). With
// `whole_prefix`, `key` is a prefix and the compare holds when no key under it was written after
// `mod_revision` (etcd's range compare: keys made later fail it, deleted ones cannot be seen).
struct EtcdCompare {
  std::string key;
  std::int64_t mod_revision = 0;
  bool whole_prefix = false;
};

struct EtcdWrite {
  enum class Kind { kPut, kDelete, kDeletePrefix };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;       // kPut only
  std::int64_t lease = 0;  // kPut only: the lease the key is attached to (0: none)
};

// One etcd transaction: the writes are made, all at once, only when every compare holds.
// etcd refuses a txn that writes one key twice (a put and a delete of it included).
struct EtcdTxn {
  std::vector<EtcdCompare> compares;
  std::vector<EtcdWrite> writes;

  EtcdTxn& expect(std::string key, std::int64_t mod_revision) {
    compares.push_back({.key = std::move(key), .mod_revision = mod_revision});
    return *this;
  }
  EtcdTxn& put(std::string key, std::string value) {
    writes.push_back(
        {.kind = EtcdWrite::Kind::kPut, .key = std::move(key), .value = std::move(value)});
    return *this;
  }
  // The key goes when `lease` ends (expires or is revoked).
  EtcdTxn& put_on_lease(std::string key, std::string value, std::int64_t lease) {
    writes.push_back({.kind = EtcdWrite::Kind::kPut,
                      .key = std::move(key),
                      .value = std::move(value),
                      .lease = lease});
    return *this;
  }
  EtcdTxn& remove(std::string key) {
    writes.push_back({.kind = EtcdWrite::Kind::kDelete, .key = std::move(key)});
    return *this;
  }
};

struct EtcdListOptions {
  std::int64_t limit = 0;  // 0: every key
  bool newest_first = false;
  // Only keys before this one (relative, like the prefix); empty: the whole prefix.
  std::string before;
  // Only keys after this one (relative): the next page after a page that ended with it.
  std::string after;
};

class EtcdClient {
 public:
  // Checks the settings (endpoints present and http(s), https when a CA is given, a client
  // certificate only with its key, a prefix that starts with '/') and reads the TLS files.
  [[nodiscard]] static Result<std::unique_ptr<EtcdClient>> create(const EtcdSettings& settings,
                                                                  std::unique_ptr<HttpClient> http);

  [[nodiscard]] Result<std::optional<EtcdKeyValue>> get(std::string_view key);
  [[nodiscard]] Result<EtcdRange> list(std::string_view prefix,
                                       const EtcdListOptions& options = {});
  // True when the compares held and the writes were made; false when a compare failed (nothing
  // was written).
  [[nodiscard]] Result<bool> commit(const EtcdTxn& txn);
  // As commit(), but says the store revision the writes were made at (a key put by the txn has
  // that mod_revision); nullopt when a compare failed.
  [[nodiscard]] Result<std::optional<std::int64_t>> commit_at(const EtcdTxn& txn);
  // Leases (etcd's TTL'd grants that the keys put on them go with). A grant is not resent after
  // a timeout (an unanswered grant only expires); a renewal and a revocation are, being
  // idempotent.
  [[nodiscard]] Result<std::int64_t> grant_lease(std::int64_t ttl_seconds);
  // The lease's TTL in seconds from now, after renewing it; 0 when etcd no longer knows it (it
  // expired or was revoked: every key on it is gone).
  [[nodiscard]] Result<std::int64_t> renew_lease(std::int64_t lease);
  [[nodiscard]] Status revoke_lease(std::int64_t lease);
  // The member's status: answers when a member is reachable and has a leader.
  [[nodiscard]] Status ping();

  [[nodiscard]] const EtcdSettings& settings() const { return settings_; }

  // Only create() can make a key; public for std::make_unique.
  class ConstructionKey {
    friend class EtcdClient;
    ConstructionKey() = default;
  };
  EtcdClient(ConstructionKey, EtcdSettings settings, std::unique_ptr<HttpClient> http,
             std::string client_cert_pem, Secret client_key_pem);

 private:
  enum class Resend { kOnlyUnreached, kAlsoAfterTimeout };
  [[nodiscard]] Result<std::string> call(std::string_view path, const std::string& body,
                                         Resend resend);
  [[nodiscard]] Result<HttpResponse> call_member(const std::string& endpoint, std::string_view path,
                                                 const std::string& body);
  [[nodiscard]] std::string full_key(std::string_view key) const;

  EtcdSettings settings_;
  std::unique_ptr<HttpClient> http_;
  std::string client_cert_pem_;
  Secret client_key_pem_;
  std::atomic<std::size_t> preferred_endpoint_{0};
};

}  // namespace nkd::state
