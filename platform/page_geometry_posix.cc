// SPDX-License-Identifier: Apache-2.0
// Host page geometry on POSIX systems. On Linux the kernel hands the page size
// to every process in the auxiliary vector; macOS exports vm_page_size; the
// BSDs answer sysconf. Cygwin's sysconf reports its 64 KiB allocation
// granularity as the page size, which is why Cygwin builds use
// page_geometry_windows.cc instead (platform/BUILD.bazel, :cygwin), asking
// Windows for the two units separately.
#include <cerrno>

#include "absl/status/status.h"
#include "platform/page_geometry.h"

#if defined(__linux__)
#include <sys/auxv.h>
#elif defined(__APPLE__)
#include <mach/mach.h>
#endif

namespace granule::internal {

absl::StatusOr<RawHostGeometry> QueryHostGeometry() {
#if defined(__linux__)
  if (unsigned long page = getauxval(AT_PAGESZ); page != 0) {
    return RawHostGeometry{page, page, "getauxval(AT_PAGESZ)"};
  }
#elif defined(__APPLE__)
  if (vm_page_size != 0) {
    return RawHostGeometry{vm_page_size, vm_page_size, "vm_page_size"};
  }
#endif
  errno = 0;
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) {
    // errno stays 0 when the value is merely indeterminate.
    constexpr char kMessage[] =
        "sysconf(_SC_PAGESIZE) gave no page size, and granule does not guess "
        "one";
    if (errno != 0) return absl::ErrnoToStatus(errno, kMessage);
    return absl::FailedPreconditionError(kMessage);
  }
  uint64_t size = static_cast<uint64_t>(page);
  return RawHostGeometry{size, size, "sysconf(_SC_PAGESIZE)"};
}

}  // namespace granule::internal
