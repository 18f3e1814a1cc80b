// SPDX-License-Identifier: Apache-2.0
// File over a caller's descriptor or memory, and windows of a file: the
// OS-neutral half. The handle comes from file_descriptor_posix.cc and
// file_descriptor_windows.cc.
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file.h"
#include "platform/file_os.h"
#include "platform/status_macros.h"

namespace granule {

absl::StatusOr<File> File::ForDescriptor(int fd, const std::string& name) {
  GRANULE_ASSIGN_OR_RETURN(internal::DescriptorHandle handle,
                           internal::HandleForDescriptor(fd, name));
  File file(name, handle.handle, 0);
  file.owns_handle_ = handle.owned;  // Closed from here on if owned.
  absl::StatusOr<uint64_t> size =
      internal::RegularFileSize(handle.handle, name);
  if (!size.ok()) {
    // The first call on the caller's descriptor: say which one it was.
    return absl::Status(size.status().code(),
                        absl::StrFormat("fd %d: %s", fd,
                                        size.status().message()));
  }
  file.size_ = *size;
  return file;
}

File File::OverMemory(const std::string& name, const uint8_t* data,
                      uint64_t size) {
  File file(name, internal::kNoFileHandle, size);
  file.memory_ = data;
  return file;
}

absl::Status File::RestrictToWindow(uint64_t offset, uint64_t length) {
  // Written so that an offset or length near 2^64 cannot wrap the check.
  if (length == 0 || offset > size_ || length > size_ - offset) {
    return absl::OutOfRangeError(absl::StrFormat(
        "'%s': window offset %u length %u %s (the file has %u bytes)", path_,
        offset, length, length == 0 ? "is empty" : "runs past its end", size_));
  }
  window_start_ += offset;
  size_ = length;
  return absl::OkStatus();
}

}  // namespace granule
