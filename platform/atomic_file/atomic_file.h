// SPDX-License-Identifier: Apache-2.0
// Writing a whole file so that readers never see part of it.
#ifndef GRANULE_PLATFORM_ATOMIC_FILE_ATOMIC_FILE_H_
#define GRANULE_PLATFORM_ATOMIC_FILE_ATOMIC_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace granule {

struct FileExtent {
  uint64_t offset;
  absl::Span<const uint8_t> bytes;
};

// Writes a file of `size` bytes holding `extents` (sorted, non-overlapping,
// inside `size`) to `path`: first to a temporary file in the same directory,
// which is fsynced and renamed over `path`, then the directory is fsynced.
// Bytes no extent covers read as zeros and are left as holes where the file
// system supports sparse files. On any error the temporary file is removed
// and `path` is untouched; the error names the path and the system call.
// On POSIX the file gets `posix_mode` before it is renamed into place, so it
// is never visible with wider permissions; Windows files take the
// directory's inherited ACL and ignore it.
absl::Status WriteFileAtomically(const std::string& path, uint64_t size,
                                 absl::Span<const FileExtent> extents,
                                 uint32_t posix_mode = 0644);

}  // namespace granule

#endif  // GRANULE_PLATFORM_ATOMIC_FILE_ATOMIC_FILE_H_
