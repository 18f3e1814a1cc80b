// SPDX-License-Identifier: Apache-2.0
// File's Windows calls: a HANDLE from CreateFileW, shared for reading and for
// deletion, so a newer image can be renamed over the path while this one is
// open (and mapped), as on POSIX. file.cc holds the rest.
#include <windows.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file_os.h"
#include "platform/status_macros.h"
#include "platform/win32_windows.h"

namespace granule::internal {
namespace {

HANDLE AsHandle(intptr_t handle) { return reinterpret_cast<HANDLE>(handle); }

// Execute access lets the backend make a view's pages executable. Backup
// semantics let a directory open, so it can be told apart from a missing file.
HANDLE Open(const std::wstring& path, DWORD access) {
  return CreateFileW(path.c_str(), access, FILE_SHARE_READ | FILE_SHARE_DELETE,
                     nullptr, OPEN_EXISTING,
                     FILE_ATTRIBUTE_NORMAL | FILE_FLAG_BACKUP_SEMANTICS,
                     nullptr);
}

}  // namespace

absl::StatusOr<intptr_t> OpenFileForReading(const std::string& path) {
  GRANULE_ASSIGN_OR_RETURN(std::wstring wide, WidePath(path));
  const char* access = "GENERIC_READ | GENERIC_EXECUTE";
  HANDLE handle = Open(wide, GENERIC_READ | GENERIC_EXECUTE);
  if (handle == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED) {
    access = "GENERIC_READ";  // Readable but not executable.
    handle = Open(wide, GENERIC_READ);
  }
  if (handle == INVALID_HANDLE_VALUE) {
    return Win32Error(GetLastError(),
                      absl::StrFormat("CreateFileW('%s', %s, FILE_SHARE_READ | "
                                      "FILE_SHARE_DELETE, OPEN_EXISTING)",
                                      path, access));
  }
  return reinterpret_cast<intptr_t>(handle);
}

absl::StatusOr<uint64_t> RegularFileSize(intptr_t handle,
                                         const std::string& path) {
  // Devices (NUL, CON, pipes) first: they have no file information.
  if (GetFileType(AsHandle(handle)) != FILE_TYPE_DISK) {
    return NotRegularFileError(path);
  }
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(AsHandle(handle), &info)) {
    return Win32Error(
        GetLastError(),
        absl::StrFormat("GetFileInformationByHandle('%s')", path));
  }
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    return NotRegularFileError(path);
  }
  return (uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
}

void CloseFile(intptr_t handle) { CloseHandle(AsHandle(handle)); }

absl::Status ReadFileAt(intptr_t handle, const std::string& path,
                        uint64_t offset, absl::Span<uint8_t> out) {
  // ReadFile takes a DWORD count; an OVERLAPPED offset on a synchronous
  // handle reads there without moving a shared file pointer.
  constexpr size_t kChunk = size_t{1} << 30;
  size_t done = 0;
  while (done < out.size()) {
    const DWORD want = static_cast<DWORD>(std::min(out.size() - done, kChunk));
    const uint64_t at = offset + done;
    OVERLAPPED position = {};
    position.Offset = static_cast<DWORD>(at);
    position.OffsetHigh = static_cast<DWORD>(at >> 32);
    DWORD got = 0;
    if (!ReadFile(AsHandle(handle), out.data() + done, want, &got, &position) &&
        GetLastError() != ERROR_HANDLE_EOF) {
      return Win32Error(GetLastError(),
                        absl::StrFormat("ReadFile('%s', %u bytes at offset %u)",
                                        path, want, at));
    }
    if (got == 0) return FileShrankError(path, at, out.size(), offset);
    done += got;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ReadCachedFileAt(intptr_t, const std::string&, uint64_t,
                                      absl::Span<uint8_t>) {
  // Windows has no read that refuses to wait for the disk on a synchronous
  // handle: say "cannot tell".
  return false;
}

}  // namespace granule::internal
