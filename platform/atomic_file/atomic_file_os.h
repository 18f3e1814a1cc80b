// SPDX-License-Identifier: Apache-2.0
// The seam between WriteFileAtomically's OS-neutral checks (atomic_file.cc)
// and each OS's file calls (atomic_file_posix.cc, atomic_file_windows.cc).
// Only those files include it.
#ifndef GRANULE_PLATFORM_ATOMIC_FILE_ATOMIC_FILE_OS_H_
#define GRANULE_PLATFORM_ATOMIC_FILE_ATOMIC_FILE_OS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "platform/atomic_file/atomic_file.h"

namespace granule::internal {

// The largest file size the OS's file calls take, and how an error names
// that limit ("file size N exceeds <name>").
struct FileSizeLimit {
  uint64_t largest;
  const char* name;
};
extern const FileSizeLimit kHostFileSizeLimit;

// WriteFileAtomically after the checks: `size` is within kHostFileSizeLimit
// and `extents` are sorted, do not overlap and lie inside `size`.
absl::Status WriteCheckedFileAtomically(const std::string& path, uint64_t size,
                                        absl::Span<const FileExtent> extents,
                                        uint32_t posix_mode);

}  // namespace granule::internal

#endif  // GRANULE_PLATFORM_ATOMIC_FILE_ATOMIC_FILE_OS_H_
