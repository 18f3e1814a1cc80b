// SPDX-License-Identifier: Apache-2.0
// File's POSIX calls: open, fstat, pread, close. file.cc holds the rest.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file_os.h"

namespace granule::internal {

absl::StatusOr<intptr_t> OpenFileForReading(const std::string& path) {
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno,
                               absl::StrFormat("open('%s') failed", path));
  }
  return fd;
}

absl::StatusOr<uint64_t> RegularFileSize(intptr_t handle,
                                         const std::string& path) {
  struct stat st;
  if (fstat(static_cast<int>(handle), &st) != 0) {
    return absl::ErrnoToStatus(errno,
                               absl::StrFormat("fstat('%s') failed", path));
  }
  if (!S_ISREG(st.st_mode)) return NotRegularFileError(path);
  return static_cast<uint64_t>(st.st_size);
}

void CloseFile(intptr_t handle) {
  // close() is not retried on EINTR: on Linux the fd is released regardless.
  close(static_cast<int>(handle));
}

absl::Status ReadFileAt(intptr_t handle, const std::string& path,
                        uint64_t offset, absl::Span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(static_cast<int>(handle), out.data() + done,
                      out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::ErrnoToStatus(
          errno, absl::StrFormat("pread('%s', %u bytes at offset %u) failed",
                                 path, out.size() - done, offset + done));
    }
    if (n == 0) return FileShrankError(path, offset + done, out.size(), offset);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace granule::internal
