// SPDX-License-Identifier: Apache-2.0
// File over a caller's descriptor: the OS-neutral half. The duplicate is
// taken in file_descriptor_posix.cc and file_descriptor_windows.cc.
#include "absl/status/status.h"
#include "platform/file.h"
#include "platform/file_os.h"

namespace granule {

absl::StatusOr<File> File::DuplicateDescriptor(int fd,
                                               const std::string& name) {
  absl::StatusOr<intptr_t> handle = internal::DuplicateForReading(fd, name);
  if (!handle.ok()) return handle.status();
  File file(name, *handle, 0);  // Owns the duplicate from here on.
  absl::StatusOr<uint64_t> size = internal::RegularFileSize(*handle, name);
  if (!size.ok()) return size.status();
  file.size_ = *size;
  return file;
}

}  // namespace granule
