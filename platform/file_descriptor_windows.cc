// SPDX-License-Identifier: Apache-2.0
// A HANDLE of granule's own on the file behind a C runtime descriptor:
// _get_osfhandle, then ReOpenFile for reading, not inheritable, so the caller
// may close its fd at any time after the load. Not DuplicateHandle: a
// duplicate shares the file object and its position, and ReadFile at an
// offset on a synchronous handle moves that position, the caller's too.
#include <io.h>
#include <windows.h>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file_os.h"
#include "platform/win32_windows.h"

namespace granule::internal {

absl::StatusOr<DescriptorHandle> HandleForDescriptor(int fd,
                                                     const std::string& name) {
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s': fd %d is not a file descriptor", name, fd));
  }
  const intptr_t os_handle = _get_osfhandle(fd);
  if (os_handle == -1 || os_handle == -2) {  // -2: no stream behind it.
    return absl::InvalidArgumentError(absl::StrFormat(
        "'%s': fd %d is not an open C runtime descriptor", name, fd));
  }
  // A read of no bytes at the current position moves nothing and fails on a
  // handle without read access (a write-only fd), which the POSIX backend
  // refuses too; ReOpenFile alone would not, as it opens the file anew.
  const HANDLE given = reinterpret_cast<HANDLE>(os_handle);
  char unused = 0;
  DWORD read = 0;
  if (!ReadFile(given, &unused, 0, &read, nullptr)) {
    return Win32Error(
        GetLastError(),
        absl::StrFormat("ReadFile('%s', fd %d, 0 bytes): not readable", name,
                        fd));
  }
  constexpr DWORD kShareAll =
      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
  HANDLE own = ReOpenFile(given, GENERIC_READ, kShareAll, 0);
  if (own == INVALID_HANDLE_VALUE) {
    return Win32Error(
        GetLastError(),
        absl::StrFormat("ReOpenFile('%s', fd %d, GENERIC_READ)", name, fd));
  }
  return DescriptorHandle{reinterpret_cast<intptr_t>(own), /*owned=*/true};
}

}  // namespace granule::internal
