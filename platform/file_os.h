// SPDX-License-Identifier: Apache-2.0
// The seam between File's OS-neutral half (file.cc: ownership, range checks,
// the errors every OS shares) and each OS's file calls (file_posix.cc,
// file_windows.cc). Only those files include it.
#ifndef GRANULE_PLATFORM_FILE_OS_H_
#define GRANULE_PLATFORM_FILE_OS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace granule::internal {

// The handle of no file: -1 is never an fd, and it is INVALID_HANDLE_VALUE.
inline constexpr intptr_t kNoFileHandle = -1;

// Opens `path` for reading; errors name the path, the call and the OS error.
absl::StatusOr<intptr_t> OpenFileForReading(const std::string& path);

// The size of the open `handle`; NotRegularFileError when it is a directory,
// a device or anything else that is not a regular file.
absl::StatusOr<uint64_t> RegularFileSize(intptr_t handle,
                                         const std::string& path);

void CloseFile(intptr_t handle);

// The handle a File over the caller's descriptor `fd` reads through, and
// whether the File owns (closes) it (file_descriptor_posix.cc, _windows.cc).
struct DescriptorHandle {
  intptr_t handle;
  bool owned;
};
absl::StatusOr<DescriptorHandle> HandleForDescriptor(int fd,
                                                     const std::string& name);

// Reads all of `out` at `offset`, which the caller has checked lies inside
// the size the file had when opened; FileShrankError if it ends sooner.
absl::Status ReadFileAt(intptr_t handle, const std::string& path,
                        uint64_t offset, absl::Span<uint8_t> out);

// Reads all of `out` at `offset` (checked as for ReadFileAt) only if the page
// cache holds it: true when read, false when the system would have to wait
// for the disk or cannot say.
absl::StatusOr<bool> ReadCachedFileAt(intptr_t handle, const std::string& path,
                                      uint64_t offset, absl::Span<uint8_t> out);

// The errors every OS gives in the same words.
absl::Status NotRegularFileError(const std::string& path);
absl::Status FileShrankError(const std::string& path, uint64_t end,
                             size_t length, uint64_t offset);

}  // namespace granule::internal

#endif  // GRANULE_PLATFORM_FILE_OS_H_
