// SPDX-License-Identifier: Apache-2.0
// A HANDLE of granule's own on the file behind a C runtime descriptor:
// _get_osfhandle, then DuplicateHandle with the same access, not inheritable,
// so the caller may close its fd at any time after the load.
#include <io.h>
#include <windows.h>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file_os.h"
#include "platform/win32_windows.h"

namespace granule::internal {

absl::StatusOr<intptr_t> DuplicateForReading(int fd, const std::string& name) {
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s': fd %d is not a file descriptor", name, fd));
  }
  const intptr_t os_handle = _get_osfhandle(fd);
  if (os_handle == -1 || os_handle == -2) {  // -2: no stream behind it.
    return absl::InvalidArgumentError(absl::StrFormat(
        "'%s': fd %d is not an open C runtime descriptor", name, fd));
  }
  HANDLE process = GetCurrentProcess();
  HANDLE copy = nullptr;
  if (!DuplicateHandle(process, reinterpret_cast<HANDLE>(os_handle), process,
                       &copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    return Win32Error(
        GetLastError(),
        absl::StrFormat("DuplicateHandle('%s', fd %d, DUPLICATE_SAME_ACCESS)",
                        name, fd));
  }
  return reinterpret_cast<intptr_t>(copy);
}

}  // namespace granule::internal
