// SPDX-License-Identifier: Apache-2.0
// WriteFileAtomically's checks, the same on every OS: nothing is created
// until the size and every extent are known to fit.
#include "platform/atomic_file/atomic_file.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/atomic_file/atomic_file_os.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

absl::Status CheckExtents(uint64_t size, absl::Span<const FileExtent> extents) {
  if (size > internal::kHostFileSizeLimit.largest) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "file size %u exceeds %s", size, internal::kHostFileSizeLimit.name));
  }
  uint64_t previous_end = 0;
  for (size_t i = 0; i < extents.size(); ++i) {
    const uint64_t offset = extents[i].offset;
    const uint64_t length = extents[i].bytes.size();
    // Written so that an offset near 2^64 cannot wrap around the check.
    if (offset > size || length > size - offset) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "extent %d (offset %u, %u bytes) runs past the file size %u", i,
          offset, length, size));
    }
    if (i > 0 && offset < previous_end) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "extent %d (offset %u, %u bytes) starts before extent %d ends at %u",
          i, offset, length, i - 1, previous_end));
    }
    previous_end = offset + length;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, uint64_t size,
                                 absl::Span<const FileExtent> extents,
                                 uint32_t posix_mode) {
  GRANULE_RETURN_IF_ERROR(CheckExtents(size, extents));
  return internal::WriteCheckedFileAtomically(path, size, extents,
                                             posix_mode);
}

}  // namespace granule
