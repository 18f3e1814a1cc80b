// SPDX-License-Identifier: Apache-2.0
// File's POSIX calls: open, fstat, pread, close. file.cc holds the rest.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
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

namespace {

// A failed read, as a Status. EBADF on a descriptor the caller opened for
// writing only (File::ForDescriptor borrows it unchecked) is said so: the
// check costs a call only when the read has failed.
absl::Status ReadError(intptr_t handle, int error, const std::string& what) {
  if (error == EBADF) {
    const int flags = fcntl(static_cast<int>(handle), F_GETFL);
    if (flags >= 0 && (flags & O_ACCMODE) == O_WRONLY) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: fd %d is open for writing only (O_WRONLY); it must be "
          "readable",
          what, handle));
    }
  }
  return absl::ErrnoToStatus(error, what);
}

}  // namespace

absl::Status ReadFileAt(intptr_t handle, const std::string& path,
                        uint64_t offset, absl::Span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(static_cast<int>(handle), out.data() + done,
                      out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return ReadError(handle, errno,
                       absl::StrFormat("pread('%s', %u bytes at offset %u) "
                                       "failed",
                                       path, out.size() - done, offset + done));
    }
    if (n == 0) return FileShrankError(path, offset + done, out.size(), offset);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ReadCachedFileAt(intptr_t handle, const std::string& path,
                                      uint64_t offset,
                                      absl::Span<uint8_t> out) {
#ifdef RWF_NOWAIT
  // Linux 4.14+: preadv2 fails with EAGAIN instead of reading from disk.
  // Other errors (EOPNOTSUPP on some file systems, ENOSYS on older kernels)
  // and short reads only mean "cannot tell": the caller reads normally.
  struct iovec vector = {out.data(), out.size()};
  ssize_t n;
  do {
    n = preadv2(static_cast<int>(handle), &vector, 1,
                static_cast<off_t>(offset), RWF_NOWAIT);
  } while (n < 0 && errno == EINTR);
  if (n >= 0 && static_cast<size_t>(n) == out.size()) return true;
  if (n < 0 && errno != EAGAIN && errno != EOPNOTSUPP && errno != ENOSYS &&
      errno != EINVAL) {
    return ReadError(handle, errno,
                     absl::StrFormat("preadv2('%s', %u bytes at offset %u, "
                                     "nowait) failed",
                                     path, out.size(), offset));
  }
#else
  (void)handle, (void)path, (void)offset, (void)out;
#endif
  return false;
}

}  // namespace granule::internal
