#include "state/etcd_sealed_values.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "common/json_fields.h"

namespace nkd::state {
namespace {

constexpr std::string_view kPkiPrefix = "pki/";
constexpr std::string_view kConfigsPrefix = "configs/";

// A sealed value as etcd holds it: the sealed text itself (a PKI), or inside the JSON of a
// published config, whose digest stays plain.
struct SealedEntry {
  std::string key;
  std::string place;
  std::string sealed;
  nlohmann::json config;  // null for a PKI
};

// A config whose JSON does not parse is reported, never skipped: skipped, it would be neither
// counted nor sealed again.
Result<SealedEntry> entry_of(const EtcdKeyValue& stored) {
  if (stored.key.starts_with(kPkiPrefix)) {
    return SealedEntry{.key = stored.key,
                       .place = pki_place(stored.key.substr(kPkiPrefix.size())),
                       .sealed = stored.value,
                       .config = nullptr};
  }
  const std::string cluster_and_node = stored.key.substr(kConfigsPrefix.size());
  const auto slash = cluster_and_node.find('/');
  auto config = nlohmann::json::parse(stored.value, nullptr, /*allow_exceptions=*/false);
  if (slash == std::string::npos || !config.is_object()) {
    return Error{ErrorCode::kParse, "state store (etcd): " + stored.key +
                                        " is not a published config; delete the key, the next "
                                        "reconcile publishes it again"};
  }
  return SealedEntry{
      .key = stored.key,
      .place = config_place(cluster_and_node.substr(0, slash), cluster_and_node.substr(slash + 1)),
      .sealed = json_string(config, "content"),
      .config = std::move(config)};
}

// Every sealed value, a page at a time: a thousand clusters' configs are over a hundred MiB,
// more than one range answers within the request timeout.
constexpr std::int64_t kEntriesPerPage = 200;

template <typename Visit>
Status for_each_entry(EtcdClient& client, Visit visit) {
  for (std::string_view prefix : {kPkiPrefix, kConfigsPrefix}) {
    std::string after;
    for (;;) {
      NKD_ASSIGN_OR_RETURN(auto page,
                           client.list(prefix, {.limit = kEntriesPerPage, .after = after}));
      for (const EtcdKeyValue& stored : page.values) {
        NKD_ASSIGN_OR_RETURN(auto entry, entry_of(stored));
        visit(std::move(entry));
      }
      if (page.values.size() < static_cast<std::size_t>(kEntriesPerPage)) break;
      after = page.values.back().key;
    }
  }
  return ok_status();
}

Result<std::vector<SealedEntry>> all_entries(EtcdClient& client) {
  std::vector<SealedEntry> entries;
  NKD_RETURN_IF_ERROR(
      for_each_entry(client, [&](SealedEntry entry) { entries.push_back(std::move(entry)); }));
  return entries;
}

}  // namespace

Result<std::map<std::string, std::int64_t>> EtcdSealedValues::sealed_value_counts() {
  std::map<std::string, std::int64_t> counts;
  NKD_RETURN_IF_ERROR(for_each_entry(connection_.client(), [&](const SealedEntry& entry) {
    ++counts[SecretSealer::key_id_of(entry.sealed).value_or("")];
  }));
  return counts;
}

Result<std::int64_t> EtcdSealedValues::reseal_all() {
  const SecretSealer& sealer = connection_.sealer();
  if (!sealer.seals()) {
    return Error{ErrorCode::kPermissionDenied,
                 "no state key to seal with: set state.encryption.keyFile in syncd.yaml"};
  }
  NKD_ASSIGN_OR_RETURN(auto entries, all_entries(connection_.client()));
  std::int64_t resealed = 0;
  for (const SealedEntry& listed : entries) {
    if (!sealer.needs_resealing(listed.sealed)) continue;
    NKD_ASSIGN_OR_RETURN(
        const bool rewritten,
        connection_.until_committed<bool>(
            "sealing " + listed.place + " again", [&]() -> Result<std::optional<bool>> {
              NKD_ASSIGN_OR_RETURN(auto stored, connection_.client().get(listed.key));
              if (!stored) return std::optional<bool>(false);  // deleted meanwhile
              NKD_ASSIGN_OR_RETURN(auto found, entry_of(*stored));
              SealedEntry* entry = &found;
              if (!sealer.needs_resealing(entry->sealed)) return std::optional<bool>(false);
              NKD_ASSIGN_OR_RETURN(const std::string plain,
                                   sealer.unseal_for_resealing(entry->sealed, entry->place));
              NKD_ASSIGN_OR_RETURN(std::string sealed, sealer.seal(plain, entry->place));
              std::string value = std::move(sealed);
              if (!entry->config.is_null()) {
                entry->config["content"] = std::move(value);
                value = entry->config.dump();
              }
              EtcdTxn txn;
              txn.expect(entry->key, stored->mod_revision).put(entry->key, std::move(value));
              NKD_ASSIGN_OR_RETURN(const bool written, connection_.client().commit(txn));
              return written ? std::optional<bool>(true) : std::nullopt;
            }));
    if (rewritten) ++resealed;
  }
  return resealed;
}

}  // namespace nkd::state
