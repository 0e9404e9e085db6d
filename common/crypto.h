// Small, pure helpers over OpenSSL used across stages: digests, HMAC, base64, hex and a
// constant-time comparison. None of them touch global state.
#pragma once

#include <string>
#include <string_view>

namespace nkd {

std::string to_hex(std::string_view bytes);
std::string sha256_hex(std::string_view data);
std::string sha512_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
std::string base64_encode(std::string_view data);
// Standard base64 with padding; "" when `text` is not valid base64.
std::string base64_decode(std::string_view text);
// Constant-time equality for signatures and tokens (length is not secret).
bool constant_time_equal(std::string_view left, std::string_view right);
// Cryptographically random bytes from OpenSSL's DRBG.
std::string random_bytes(std::size_t count);

}  // namespace nkd
