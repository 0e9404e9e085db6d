// RAII owners for libgit2 handles, and the library's process-wide init. Every git_* object the
// project creates is held by one of these; nothing frees by hand.
#pragma once

#include <git2.h>

#include <memory>
#include <string>

#include "common/result.h"

namespace nkd::source {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* handle) const {
    if (handle != nullptr) Free(handle);
  }
};

using RepositoryPtr = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using ObjectPtr = std::unique_ptr<git_object, Deleter<git_object, git_object_free>>;
using CommitPtr = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using TreeEntryPtr = std::unique_ptr<git_tree_entry, Deleter<git_tree_entry, git_tree_entry_free>>;
using BlobPtr = std::unique_ptr<git_blob, Deleter<git_blob, git_blob_free>>;
using RemotePtr = std::unique_ptr<git_remote, Deleter<git_remote, git_remote_free>>;
using ReferencePtr = std::unique_ptr<git_reference, Deleter<git_reference, git_reference_free>>;
using OdbPtr = std::unique_ptr<git_odb, Deleter<git_odb, git_odb_free>>;
using DiffPtr = std::unique_ptr<git_diff, Deleter<git_diff, git_diff_free>>;

// Initializes libgit2 once for the process (thread-safe, idempotent).
void ensure_initialized();

// The last libgit2 error as an Error, prefixed with what was being done.
Error last_error(std::string_view doing, ErrorCode code = ErrorCode::kIo);

}  // namespace nkd::source
