// RAII owners for libvirt's handles, and libvirt's errors as nkd Errors. Every virConnectPtr,
// virDomainPtr, virStoragePoolPtr, virStorageVolPtr and virStreamPtr the provider gets is held
// by one of these; nothing frees by hand. libvirt's handles are reference counted and
// thread-safe; an owner is not (one thread at a time, as with any unique_ptr).
#pragma once

#include <libvirt/libvirt.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace nkd::providers::libvirt {

struct ConnectDeleter {
  void operator()(virConnectPtr connection) const {
    if (connection != nullptr) virConnectClose(connection);
  }
};
struct DomainDeleter {
  void operator()(virDomainPtr domain) const {
    if (domain != nullptr) virDomainFree(domain);
  }
};
struct StoragePoolDeleter {
  void operator()(virStoragePoolPtr pool) const {
    if (pool != nullptr) virStoragePoolFree(pool);
  }
};
struct StorageVolDeleter {
  void operator()(virStorageVolPtr volume) const {
    if (volume != nullptr) virStorageVolFree(volume);
  }
};
struct StreamDeleter {
  void operator()(virStreamPtr stream) const {
    if (stream != nullptr) virStreamFree(stream);
  }
};
// Strings libvirt returns (XML descriptions, paths) are the caller's to free().
struct CStringDeleter {
  void operator()(char* text) const { std::free(text); }
};

using ConnectPtr = std::unique_ptr<virConnect, ConnectDeleter>;
using DomainPtr = std::unique_ptr<virDomain, DomainDeleter>;
using StoragePoolPtr = std::unique_ptr<virStoragePool, StoragePoolDeleter>;
using StorageVolPtr = std::unique_ptr<virStorageVol, StorageVolDeleter>;
using StreamPtr = std::unique_ptr<virStream, StreamDeleter>;
using CStringPtr = std::unique_ptr<char, CStringDeleter>;

// Takes ownership of a string libvirt returned; "" for null.
[[nodiscard]] std::string take_string(char* text);

// Makes libvirt keep its errors to itself: by default it prints every one to stderr, also the
// expected ones (a lookup that finds nothing). Idempotent and thread-safe; the provider calls it
// before its first connection.
void silence_default_error_printing();

// The nkd ErrorCode for a libvirt error number (virErrorNumber): a missing object is kNotFound,
// a dead or slow connection kUnavailable / kTimeout (retried), a refused login or denied access
// kPermissionDenied / kUnauthenticated (stalled until the configuration changes), malformed or
// unsupported XML kInvalidArgument, an object that exists already kConflict, the rest kInternal.
[[nodiscard]] ErrorCode error_code_for(int libvirt_error);

// The calling thread's last libvirt error, as an Error whose message says what failed
// ("defining domain c-workers-0"), libvirt's own words, and for the common codes what to do.
// Resets that error, so that a later call does not report it again.
[[nodiscard]] Error last_error(std::string_view doing);

// The `code` label of a call's outcome in nkd_provider_requests_total: "ok" or the error code.
template <typename T>
[[nodiscard]] std::string outcome_label(const Result<T>& result) {
  return result ? "ok" : error_code_name(result.error().code);
}

// Whether the calling thread's last libvirt error is `libvirt_error` (without resetting it).
[[nodiscard]] bool last_error_is(int libvirt_error);

}  // namespace nkd::providers::libvirt
