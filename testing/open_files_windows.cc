// SPDX-License-Identifier: Apache-2.0
#include <windows.h>

#include "absl/strings/str_format.h"
#include "testing/open_files.h"

namespace granule::testing {

absl::StatusOr<size_t> OpenFileCount() {
  DWORD handles = 0;
  if (!GetProcessHandleCount(GetCurrentProcess(), &handles)) {
    return absl::UnavailableError(absl::StrFormat(
        "GetProcessHandleCount failed: error %u", GetLastError()));
  }
  return static_cast<size_t>(handles);
}

}  // namespace granule::testing
