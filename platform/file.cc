// SPDX-License-Identifier: Apache-2.0
// File's OS-neutral half: ownership of the handle, the range check before a
// read, and the errors every OS gives in the same words. The OS calls are in
// file_posix.cc and file_windows.cc.
#include "platform/file.h"

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file_os.h"
#include "platform/status_macros.h"

namespace granule {

absl::StatusOr<File> File::OpenForReading(const std::string& path) {
  GRANULE_ASSIGN_OR_RETURN(intptr_t handle, internal::OpenFileForReading(path));
  File file(path, handle, 0);  // Owns the handle from here on, on every path.
  GRANULE_ASSIGN_OR_RETURN(uint64_t size,
                           internal::RegularFileSize(handle, path));
  file.size_ = size;
  return file;
}

File::File(File&& other) noexcept
    : path_(std::move(other.path_)),
      handle_(std::exchange(other.handle_, internal::kNoFileHandle)),
      owns_handle_(other.owns_handle_),
      size_(other.size_),
      window_start_(other.window_start_),
      memory_(other.memory_) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    Close();
    path_ = std::move(other.path_);
    handle_ = std::exchange(other.handle_, internal::kNoFileHandle);
    owns_handle_ = other.owns_handle_;
    size_ = other.size_;
    window_start_ = other.window_start_;
    memory_ = other.memory_;
  }
  return *this;
}

File::~File() { Close(); }

void File::Close() {
  if (handle_ != internal::kNoFileHandle && owns_handle_) {
    internal::CloseFile(handle_);
  }
  handle_ = internal::kNoFileHandle;
}

absl::Status File::ReadAt(uint64_t offset, absl::Span<uint8_t> out) const {
  // Written so that an offset near 2^64 cannot wrap around the check.
  if (offset > size_ || out.size() > size_ - offset) {
    return absl::OutOfRangeError(absl::StrFormat(
        "read of %u bytes at offset %u of '%s' runs past its end (%u bytes)",
        out.size(), offset, path_, size_));
  }
  if (memory_ != nullptr) {  // File::OverMemory. memmove: may be in place.
    std::memmove(out.data(), memory_ + window_start_ + offset, out.size());
    return absl::OkStatus();
  }
  return internal::ReadFileAt(handle_, path_, window_start_ + offset, out);
}

absl::StatusOr<bool> File::ReadAtIfCached(uint64_t offset,
                                          absl::Span<uint8_t> out) const {
  // ReadAt gives the range error, and the bytes of File::OverMemory, which
  // are always at hand.
  if (offset > size_ || out.size() > size_ - offset || memory_ != nullptr) {
    GRANULE_RETURN_IF_ERROR(ReadAt(offset, out));
    return true;
  }
  return internal::ReadCachedFileAt(handle_, path_, window_start_ + offset,
                                    out);
}

namespace internal {

absl::Status NotRegularFileError(const std::string& path) {
  return absl::InvalidArgumentError(
      absl::StrFormat("'%s' is not a regular file", path));
}

absl::Status FileShrankError(const std::string& path, uint64_t end,
                             size_t length, uint64_t offset) {
  return absl::OutOfRangeError(absl::StrFormat(
      "'%s' ended at offset %u while reading %u bytes at offset %u: it "
      "shrank after it was opened",
      path, end, length, offset));
}

}  // namespace internal
}  // namespace granule
