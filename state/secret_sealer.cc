#include "state/secret_sealer.h"

#include <openssl/evp.h>

#include <algorithm>

#include "common/crypto.h"
#include "common/openssl_handles.h"
#include "common/private_files.h"
#include "common/secret_file.h"

namespace nkd::state {
namespace {

constexpr std::string_view kSealedPrefix = "nkd-sealed:v1:";
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}
unsigned char* bytes_of(std::string& text) { return reinterpret_cast<unsigned char*>(text.data()); }

// The header is authenticated with the place, so neither the key id nor the place can be
// swapped without the value failing to open.
std::string associated_data(std::string_view header, std::string_view place) {
  std::string data(header);
  data += place;
  return data;
}

Result<std::string> encrypt(const Secret& key, std::string_view plaintext, std::string_view aad) {
  ERR_clear_error();  // so a failure below reports its own reasons
  const std::string nonce = random_bytes(kNonceBytes);
  EvpCipherCtxPtr context(EVP_CIPHER_CTX_new());
  int length = 0;
  std::string sealed = nonce;
  sealed.resize(kNonceBytes + plaintext.size() + kTagBytes);
  unsigned char* out = bytes_of(sealed) + kNonceBytes;
  if (!context ||
      EVP_EncryptInit_ex2(context.get(), EVP_aes_256_gcm(), bytes_of(key.reveal()), bytes_of(nonce),
                          nullptr) != 1 ||
      EVP_EncryptUpdate(context.get(), nullptr, &length, bytes_of(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(context.get(), out, &length, bytes_of(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context.get(), out + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out + plaintext.size()) !=
          1) {
    return openssl_error("sealing a state value");
  }
  return sealed;
}

// nullopt when authentication fails.
Result<std::optional<std::string>> decrypt(const Secret& key, std::string_view sealed,
                                           std::string_view aad) {
  const std::string_view nonce = sealed.substr(0, kNonceBytes);
  const std::string_view body = sealed.substr(kNonceBytes, sealed.size() - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  ERR_clear_error();
  EvpCipherCtxPtr context(EVP_CIPHER_CTX_new());
  std::string plaintext(body.size(), '\0');
  int length = 0;
  if (!context ||
      EVP_DecryptInit_ex2(context.get(), EVP_aes_256_gcm(), bytes_of(key.reveal()), bytes_of(nonce),
                          nullptr) != 1 ||
      EVP_DecryptUpdate(context.get(), nullptr, &length, bytes_of(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(context.get(), bytes_of(plaintext), &length, bytes_of(body),
                        static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1) {
    return openssl_error("opening a state value");
  }
  if (EVP_DecryptFinal_ex(context.get(), bytes_of(plaintext) + length, &length) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(plaintext.data(), plaintext.size());  // unauthenticated: never used
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::move(plaintext));
}

Result<Secret> read_key_file(const std::string& path) {
  NKD_RETURN_IF_ERROR(check_not_shared(path, "state key file", kKeyFileForbiddenBits));
  NKD_ASSIGN_OR_RETURN(Secret text, read_secret_file(path, "state key file"));
  std::string trimmed = text.reveal();
  std::erase_if(trimmed, [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
  Secret key(base64_decode(trimmed));
  if (key.reveal().size() != SecretSealer::kKeyBytes) {
    return Error{ErrorCode::kInvalidArgument,
                 "state key file " + path +
                     " does not hold the base64 of 32 bytes; make one with "
                     "`(umask 077; openssl rand -base64 32 > " +
                     path + ")`"};
  }
  return key;
}

}  // namespace

std::string SecretSealer::key_id_for(const Secret& key) {
  return "k" + sha256_hex("nkd state key id\n" + key.reveal()).substr(0, 16);
}

Result<SecretSealer> SecretSealer::from_keys(const std::vector<Secret>& keys) {
  SecretSealer sealer;
  for (const Secret& key : keys) {
    if (key.reveal().size() != kKeyBytes) {
      return Error{ErrorCode::kInvalidArgument,
                   "a state key must be 32 bytes, not " + std::to_string(key.reveal().size())};
    }
    std::string id = key_id_for(key);
    if (sealer.find(id) != nullptr) {
      return Error{ErrorCode::kInvalidArgument,
                   "state key " + id + " is given twice; list each key file once"};
    }
    sealer.keys_.push_back(Key{.id = std::move(id), .bytes = key});
  }
  return sealer;
}

Result<SecretSealer> SecretSealer::from_settings(const EncryptionSettings& settings) {
  if (settings.key_file.empty()) {
    if (!settings.previous_key_files.empty()) {
      return Error{ErrorCode::kInvalidArgument,
                   "state.encryption.previousKeyFiles is set without keyFile: name the key that "
                   "seals new values in state.encryption.keyFile"};
    }
    return SecretSealer();
  }
  std::vector<std::string> files{settings.key_file};
  files.insert(files.end(), settings.previous_key_files.begin(), settings.previous_key_files.end());
  std::vector<Secret> keys;
  for (const std::string& file : files) {
    NKD_ASSIGN_OR_RETURN(Secret key, read_key_file(file));
    keys.push_back(std::move(key));
  }
  return from_keys(keys);
}

const std::string& SecretSealer::current_key_id() const {
  static const std::string kNone;
  return keys_.empty() ? kNone : keys_.front().id;
}

std::vector<std::string> SecretSealer::key_ids() const {
  std::vector<std::string> ids;
  for (const Key& key : keys_) ids.push_back(key.id);
  return ids;
}

const SecretSealer::Key* SecretSealer::find(std::string_view id) const {
  const auto found =
      std::find_if(keys_.begin(), keys_.end(), [&](const Key& key) { return key.id == id; });
  return found == keys_.end() ? nullptr : &*found;
}

std::optional<std::string> SecretSealer::key_id_of(std::string_view stored) {
  if (!stored.starts_with(kSealedPrefix)) return std::nullopt;
  stored.remove_prefix(kSealedPrefix.size());
  const auto colon = stored.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return std::string(stored.substr(0, colon));
}

bool SecretSealer::needs_resealing(std::string_view stored) const {
  if (!seals()) return false;
  const auto id = key_id_of(stored);
  return !id || *id != current_key_id();
}

Result<std::string> SecretSealer::seal(std::string_view plaintext, std::string_view place) const {
  if (!seals()) return std::string(plaintext);
  const Key& key = keys_.front();
  const std::string header = std::string(kSealedPrefix) + key.id + ":";
  NKD_ASSIGN_OR_RETURN(std::string sealed,
                       encrypt(key.bytes, plaintext, associated_data(header, place)));
  return header + base64_encode(sealed);
}

Result<std::string> SecretSealer::unseal(std::string_view stored, std::string_view place) const {
  return open(stored, place, /*plaintext_allowed=*/!seals());
}

Result<std::string> SecretSealer::unseal_for_resealing(std::string_view stored,
                                                       std::string_view place) const {
  return open(stored, place, /*plaintext_allowed=*/true);
}

Result<std::string> SecretSealer::open(std::string_view stored, std::string_view place,
                                       bool plaintext_allowed) const {
  const auto id = key_id_of(stored);
  if (!id) {
    if (stored.starts_with(kSealedPrefix)) {
      return Error{ErrorCode::kParse, "the state value " + std::string(place) +
                                          " has a damaged header; restore the state from a "
                                          "backup"};
    }
    if (plaintext_allowed) return std::string(stored);
    return Error{ErrorCode::kPermissionDenied,
                 "the state value " + std::string(place) +
                     " is not sealed although a state key is given: it was written without "
                     "the key, or planted; if nkd wrote it, `nkd state rotate-key` seals it"};
  }
  const Key* key = find(*id);
  if (key == nullptr) {
    return Error{ErrorCode::kPermissionDenied,
                 "the state value " + std::string(place) + " is sealed with key " + *id +
                     ", which this nkd was not given; name that key's file in syncd.yaml's "
                     "state.encryption (keyFile or previousKeyFiles)"};
  }
  const std::size_t header_size = kSealedPrefix.size() + id->size() + 1;
  const std::string sealed = base64_decode(stored.substr(header_size));
  if (sealed.size() < kNonceBytes + kTagBytes) {
    return Error{ErrorCode::kPermissionDenied, "the state value " + std::string(place) +
                                                   " is sealed but truncated; restore the "
                                                   "state file from a backup"};
  }
  NKD_ASSIGN_OR_RETURN(
      std::optional<std::string> plaintext,
      decrypt(key->bytes, sealed, associated_data(stored.substr(0, header_size), place)));
  if (!plaintext) {
    return Error{ErrorCode::kPermissionDenied,
                 "the state value " + std::string(place) + " fails authentication with key " + *id +
                     ": it was altered or moved from another place; restore the state "
                     "file from a backup"};
  }
  return std::move(*plaintext);
}

}  // namespace nkd::state
