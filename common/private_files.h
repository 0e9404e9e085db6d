// Files and directories that hold private keys or tokens (rendered configs, the state store, the
// Git mirror): only their owner may read them, from the moment they exist. Directories are made
// 0700 and files 0600 with the mode given at creation (never chmod-ed after the bytes are in); an
// existing file is narrowed to 0600, since it may predate this rule. An existing directory is left
// as it is: it may be one the user chose (`--out /tmp`). Errors name the path and say what to
// check.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.h"

namespace nkd {

inline constexpr unsigned kPrivateFileMode = 0600;
inline constexpr unsigned kPrivateDirectoryMode = 0700;

// `directory` and every missing directory above it, each created 0700.
[[nodiscard]] Status create_private_directories(const std::filesystem::path& directory);
// Creates or narrows `path` to 0600 without writing to it.
[[nodiscard]] Status prepare_private_file(const std::filesystem::path& path);
// Writes `content` to `path` (replacing it) as a 0600 file.
[[nodiscard]] Status write_private_file(const std::filesystem::path& path, std::string_view content);

// Mode bits that let another user read or write what a path holds (the daemon's state file and
// directory); and, for a key file, any access by others or a write by the group (it may be
// 0640 root:nkd, as the packaged /etc/nkd's secret files are).
inline constexpr unsigned kSharedReadWriteBits = 0066;
inline constexpr unsigned kKeyFileForbiddenBits = 0027;
// kPermissionDenied when `path` (what it is: "state file") has any of `forbidden_bits`, naming its
// mode and the chmod that fixes it; ok when it does not exist. Refused rather than narrowed: what
// others could read may already have been copied, which the operator must hear about.
[[nodiscard]] Status check_not_shared(const std::filesystem::path& path, std::string_view what,
                                      unsigned forbidden_bits);

}  // namespace nkd
