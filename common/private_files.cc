#include "common/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "common/file_descriptor.h"

namespace nkd {
namespace {

namespace fs = std::filesystem;

Error errno_error(const std::string& doing, int error_number) {
  return Error{ErrorCode::kIo, doing + " failed: " + std::strerror(error_number) +
                                   "; check the path and that nkd may write there"};
}

Result<int> open_private(const fs::path& path, int extra_flags) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | extra_flags,
                        kPrivateFileMode);
  if (fd < 0) return errno_error("creating " + path.string(), errno);
  return fd;
}

}  // namespace

Status create_private_directories(const fs::path& directory) {
  std::vector<fs::path> missing;
  for (fs::path dir = directory; !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
    std::error_code error;
    if (fs::exists(dir, error)) break;
    missing.push_back(dir);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), kPrivateDirectoryMode) != 0 && errno != EEXIST) {
      return errno_error("creating directory " + it->string(), errno);
    }
  }
  return ok_status();
}

Status prepare_private_file(const fs::path& path) {
  NKD_ASSIGN_OR_RETURN(auto opened, open_private(path, 0));
  const FileDescriptor fd(opened);
  if (::fchmod(fd.get(), kPrivateFileMode) != 0) {
    return errno_error("setting mode 0600 on " + path.string(), errno);
  }
  return ok_status();
}

Status write_private_file(const fs::path& path, std::string_view content) {
  NKD_ASSIGN_OR_RETURN(auto opened, open_private(path, O_TRUNC));
  const FileDescriptor fd(opened);
  if (::fchmod(fd.get(), kPrivateFileMode) != 0) {
    return errno_error("setting mode 0600 on " + path.string(), errno);
  }
  while (!content.empty()) {
    const ssize_t written = ::write(fd.get(), content.data(), content.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return errno_error("writing " + path.string(), errno);
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  return ok_status();
}

Status check_not_shared(const fs::path& path, std::string_view what, unsigned forbidden_bits) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    if (errno == ENOENT) return ok_status();
    return errno_error("checking the mode of " + path.string(), errno);
  }
  const unsigned mode = status.st_mode & 07777;
  if ((mode & forbidden_bits) == 0) return ok_status();
  unsigned wanted = mode & ~forbidden_bits & 0700;
  if (wanted == 0) wanted = S_ISDIR(status.st_mode) ? kPrivateDirectoryMode : kPrivateFileMode;
  std::ostringstream message;
  message << what << ' ' << path.string() << " is mode " << std::oct << std::setw(4)
          << std::setfill('0') << mode << ": other users may "
          << ((mode & 0044) != 0 ? "read" : "change") << " it; run `chmod " << wanted << ' '
          << path.string()
          << "` (and treat what others could read as disclosed: rotate the keys it held)";
  return Error{ErrorCode::kPermissionDenied, message.str()};
}

}  // namespace nkd
