// SPDX-License-Identifier: Apache-2.0
// A memfd holds the bytes; /proc/self/fd/N opens it as a regular file, so
// File::OpenForReading runs its usual open and fstat on it.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "platform/status_macros.h"
#include "testing/fuzz/fuzz_input.h"

namespace granule::fuzz {
namespace {

absl::StatusOr<int> InputFd() {
  static const int fd = memfd_create("granule-fuzz-input", MFD_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, "memfd_create failed");
  return fd;
}

absl::Status WriteAll(int fd, const uint8_t* data, size_t size) {
  if (ftruncate(fd, 0) != 0) {
    return absl::ErrnoToStatus(errno, "ftruncate of the input memfd failed");
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = pwrite(fd, data + done, size - done, done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "pwrite to the memfd failed");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<File> FileWithBytes(const uint8_t* data, size_t size) {
  GRANULE_ASSIGN_OR_RETURN(int fd, InputFd());
  GRANULE_RETURN_IF_ERROR(WriteAll(fd, data, size));
  return File::OpenForReading(absl::StrCat("/proc/self/fd/", fd));
}

}  // namespace granule::fuzz
