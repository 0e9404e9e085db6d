// FileDescriptor: owns a POSIX file descriptor and closes it on every path out of its scope.
#pragma once

#include <unistd.h>

#include <utility>

namespace nkd {

class FileDescriptor {
 public:
  explicit FileDescriptor(int descriptor) : descriptor_(descriptor) {}
  ~FileDescriptor() {
    if (descriptor_ >= 0) ::close(descriptor_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  // -1 when the open it came from failed.
  [[nodiscard]] int get() const { return descriptor_; }
  // Hands the descriptor to a new owner: it is no longer closed here.
  int release() { return std::exchange(descriptor_, -1); }

 private:
  int descriptor_;
};

}  // namespace nkd
