// SecretSealer: how the state store keeps what would let a copy of its file act as the cluster
// (the PKI's private keys and tokens, and the Ignition configs that embed them) unreadable
// without the key file named in syncd.yaml's state.encryption (DESIGN.md §8).
//
// A sealed value is text: "nkd-sealed:v1:<key id>:<base64 of nonce, ciphertext, tag>",
// AES-256-GCM with a fresh 96-bit nonce from OpenSSL's DRBG for every value. The associated data
// is the header plus the value's place in the store ("pki/<cluster>", "config/<cluster>/<node>"),
// so a value copied to another place fails to open instead of handing one cluster another's keys.
// The key id (derived from the key, revealing nothing of it) says which key opens a value, so
// keys can be rotated: the first key seals, every key given opens.
//
// Without a key, values are stored as given and the daemon warns once at start. With a key, a
// plaintext value is read only to be sealed (unseal_for_resealing), so a store can be moved to a
// key in place but a value planted in the clear is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/secret.h"
#include "state/state_settings.h"

namespace nkd::state {

// The places the store seals values at, bound into each value (see above).
[[nodiscard]] inline std::string pki_place(std::string_view cluster) {
  return "pki/" + std::string(cluster);
}
[[nodiscard]] inline std::string config_place(std::string_view cluster, std::string_view node) {
  return "config/" + std::string(cluster) + "/" + std::string(node);
}

class SecretSealer {
 public:
  static constexpr std::size_t kKeyBytes = 32;

  // No key: seal() stores plaintext.
  SecretSealer() = default;
  // `keys`: raw 32-byte keys, the first seals. kInvalidArgument for a key of another size or the
  // same key given twice.
  [[nodiscard]] static Result<SecretSealer> from_keys(const std::vector<Secret>& keys);
  // Reads each key file: the base64 of 32 random bytes (`openssl rand -base64 32`), which others
  // may not read and its group may not write (0600, or 0640 root:nkd; else refused, naming the
  // file). No key file: no key.
  [[nodiscard]] static Result<SecretSealer> from_settings(const EncryptionSettings& settings);

  [[nodiscard]] bool seals() const { return !keys_.empty(); }
  // "" without a key.
  [[nodiscard]] const std::string& current_key_id() const;
  [[nodiscard]] std::vector<std::string> key_ids() const;

  // `plaintext` sealed with the current key for `place`; unchanged without a key.
  [[nodiscard]] Result<std::string> seal(std::string_view plaintext, std::string_view place) const;
  // The plaintext of a value stored at `place`. kPermissionDenied naming the key id when no key
  // given opens it; kPermissionDenied when it fails authentication (altered, or moved from
  // another place), or when it is plaintext while a key is given (a value planted by whoever can
  // write the store must not be taken for the cluster's); kParse for a damaged header.
  [[nodiscard]] Result<std::string> unseal(std::string_view stored, std::string_view place) const;
  // unseal(), but plaintext is taken even with a key: for sealing again what was stored before
  // the key was given (SealedValues::reseal_all, the listener's files at start) and nothing else.
  [[nodiscard]] Result<std::string> unseal_for_resealing(std::string_view stored,
                                                         std::string_view place) const;
  // True when `stored` should be sealed again: plaintext while a key is given, or sealed with a
  // key other than the current one.
  [[nodiscard]] bool needs_resealing(std::string_view stored) const;

  // The key id of a sealed value; nullopt for plaintext.
  [[nodiscard]] static std::optional<std::string> key_id_of(std::string_view stored);
  // The id of a raw key, as stored with every value it seals.
  [[nodiscard]] static std::string key_id_for(const Secret& key);

 private:
  struct Key {
    std::string id;
    Secret bytes;
  };
  [[nodiscard]] const Key* find(std::string_view id) const;
  [[nodiscard]] Result<std::string> open(std::string_view stored, std::string_view place,
                                         bool plaintext_allowed) const;

  std::vector<Key> keys_;
};

}  // namespace nkd::state
