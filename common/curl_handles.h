// RAII owners for libcurl handles and the library's process-wide init. Every CURL* and
// curl_slist* the project creates is held by one of these; nothing frees by hand.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace nkd::curl {

struct EasyDeleter {
  void operator()(CURL* handle) const {
    if (handle != nullptr) curl_easy_cleanup(handle);
  }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const {
    if (list != nullptr) curl_slist_free_all(list);
  }
};

using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends `line` to `list` (curl_slist_append returns a new head; on failure the old list stays).
inline bool slist_append(SlistPtr& list, const char* line) {
  curl_slist* head = curl_slist_append(list.get(), line);
  if (head == nullptr) return false;
  list.release();
  list.reset(head);
  return true;
}

// curl_global_init once for the process (thread-safe, idempotent).
void ensure_initialized();

}  // namespace nkd::curl
