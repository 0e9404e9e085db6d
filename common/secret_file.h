// Reading small files that hold text or a secret (tokens, passwords, webhook secrets). Errors
// name the file and what it was for, so a config mistake is obvious from the log line.
#pragma once

#include <string>

#include "common/result.h"
#include "common/secret.h"

namespace nkd {

// The whole file; kNotFound with "cannot read <what> <path>; check ..." when it cannot be read.
[[nodiscard]] Result<std::string> read_text_file(const std::string& path, const std::string& what);
// The file with trailing newlines removed (editors add one), as a Secret.
[[nodiscard]] Result<Secret> read_secret_file(const std::string& path, const std::string& what);

}  // namespace nkd
