// SPDX-License-Identifier: Apache-2.0
// Host page geometry on Windows, and on Cygwin, whose getpagesize() reports
// the 64 KiB allocation granularity as its page size: GetSystemInfo gives the
// two units apart (4 KiB pages, 64 KiB granularity on x86_64 and arm64).
#include <windows.h>

#include "platform/page_geometry.h"

namespace granule::internal {

absl::StatusOr<RawHostGeometry> QueryHostGeometry() {
  SYSTEM_INFO info;
  GetSystemInfo(&info);  // Cannot fail.
  return RawHostGeometry{info.dwPageSize, info.dwAllocationGranularity,
                         "GetSystemInfo"};
}

}  // namespace granule::internal
