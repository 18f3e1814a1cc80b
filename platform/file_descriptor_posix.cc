// SPDX-License-Identifier: Apache-2.0
// A descriptor of granule's own on the caller's open file: fcntl(F_DUPFD_
// CLOEXEC), so a fork+exec in another thread cannot inherit it, and the
// caller may close its fd at any time after the load.
#include <fcntl.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file_os.h"

namespace granule::internal {

absl::StatusOr<intptr_t> DuplicateForReading(int fd, const std::string& name) {
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s': fd %d is not a file descriptor", name, fd));
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrFormat("'%s': fcntl(fd %d, F_GETFL) failed", name, fd));
  }
  if ((flags & O_ACCMODE) == O_WRONLY) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "'%s': fd %d is open for writing only (O_WRONLY); it must be "
        "readable",
        name, fd));
  }
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    return absl::ErrnoToStatus(
        errno,
        absl::StrFormat("'%s': fcntl(fd %d, F_DUPFD_CLOEXEC) failed", name, fd));
  }
  return copy;
}

}  // namespace granule::internal
