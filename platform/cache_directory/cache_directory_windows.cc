// SPDX-License-Identifier: Apache-2.0
// The cache directory checks for Windows. Who may write a directory is
// decided by its ACL (and by inheritance from its parents), which these
// checks do not read; rather than trust a directory they cannot judge, they
// refuse every cache directory, and the loader falls back to its heap copy.
// A file's identity is the volume serial number, the file index, the size
// and the last write time.
#include <windows.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/cache_directory/cache_directory.h"
#include "platform/win32_windows.h"

namespace granule {

absl::StatusOr<FileIdentity> IdentifyFile(const File& file) {
  if (file.memory() != nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: a file in memory has no identity to cache it by", file.path()));
  }
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(
          reinterpret_cast<HANDLE>(file.native_handle()), &info)) {
    return internal::Win32Error(
        GetLastError(),
        absl::StrFormat("GetFileInformationByHandle('%s')", file.path()));
  }
  const uint64_t ticks = (uint64_t{info.ftLastWriteTime.dwHighDateTime} << 32) |
                         info.ftLastWriteTime.dwLowDateTime;
  return FileIdentity{
      info.dwVolumeSerialNumber,
      (uint64_t{info.nFileIndexHigh} << 32) | info.nFileIndexLow,
      (uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow,
      static_cast<int64_t>(ticks * 100)};  // 100 ns units.
}

absl::Status PrepareCacheDirectory(const std::string& path) {
  return absl::FailedPreconditionError(absl::StrFormat(
      "cache directory %s refused: on Windows who may write a directory is "
      "decided by its ACL, which granule does not check",
      path));
}

absl::Status CheckCacheEntryOwner(const File& file) {
  return absl::FailedPreconditionError(absl::StrFormat(
      "cache entry %s refused: on Windows granule does not check ACLs",
      file.path()));
}

}  // namespace granule
