#include "state/etcd_connection.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "state/etcd_records.h"

namespace nkd::state {

void EtcdConnection::back_off(int tried) {
  thread_local std::mt19937 random(std::random_device{}());
  const int ceiling_ms = 1 << std::min(tried, 6);
  std::uniform_int_distribution<int> pause_ms(0, ceiling_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
}

Result<bool> EtcdConnection::commit_for(const std::string& cluster, EtcdTxn txn) {
  if (!fences_.enabled()) return client_->commit(txn);
  const auto lost = [&] {
    return Error{ErrorCode::kConflict,
                 "state store (etcd): this replica does not own cluster " + cluster +
                     " (any more): the write was refused, and the cluster's owner reconciles it"};
  };
  const std::optional<std::int64_t> claimed = fences_.revision_of(cluster);
  if (!claimed) return lost();
  const std::string owner_key = etcd_records::owner_key(cluster);
  txn.expect(owner_key, *claimed);
  NKD_ASSIGN_OR_RETURN(const bool written, client_->commit(txn));
  if (written) return true;
  // Which compare failed: the ownership (refused for good) or one of the caller's (read again).
  NKD_ASSIGN_OR_RETURN(auto owner, client_->get(owner_key));
  if (!owner || owner->mod_revision != *claimed) {
    // Only the claim this write was fenced on: the refresh may have taken the cluster up again
    // at a newer revision meanwhile.
    fences_.drop_if_held_at(cluster, *claimed);
    return lost();
  }
  return false;
}

}  // namespace nkd::state
