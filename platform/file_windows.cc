// File on Windows: a HANDLE from CreateFileW. Shared for reading and for
// deletion, so a newer image can be renamed over the path while this one is
// open (and mapped), as on POSIX.
#include <windows.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file.h"
#include "platform/win32_windows.h"

namespace granule {
namespace {

const intptr_t kClosed = reinterpret_cast<intptr_t>(INVALID_HANDLE_VALUE);

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

absl::StatusOr<File> File::OpenForReading(const std::string& path) {
  absl::StatusOr<std::wstring> wide = internal::WidePath(path);
  if (!wide.ok()) return wide.status();
  const char* access = "GENERIC_READ | GENERIC_EXECUTE";
  HANDLE handle = Open(*wide, GENERIC_READ | GENERIC_EXECUTE);
  if (handle == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED) {
    access = "GENERIC_READ";  // Readable but not executable.
    handle = Open(*wide, GENERIC_READ);
  }
  if (handle == INVALID_HANDLE_VALUE) {
    return internal::Win32Error(
        GetLastError(),
        absl::StrFormat("CreateFileW('%s', %s, FILE_SHARE_READ | "
                        "FILE_SHARE_DELETE, OPEN_EXISTING)",
                        path, access));
  }
  File file(path, reinterpret_cast<intptr_t>(handle), 0);  // Owns the handle.
  // Devices (NUL, CON, pipes) first: they have no file information.
  BY_HANDLE_FILE_INFORMATION info;
  if (GetFileType(handle) != FILE_TYPE_DISK) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s' is not a regular file", path));
  }
  if (!GetFileInformationByHandle(handle, &info)) {
    return internal::Win32Error(
        GetLastError(),
        absl::StrFormat("GetFileInformationByHandle('%s')", path));
  }
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s' is not a regular file", path));
  }
  file.size_ = (uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
  return file;
}

File::File(File&& other) noexcept
    : path_(std::move(other.path_)),
      handle_(std::exchange(other.handle_, kClosed)),
      size_(other.size_) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    Close();
    path_ = std::move(other.path_);
    handle_ = std::exchange(other.handle_, kClosed);
    size_ = other.size_;
  }
  return *this;
}

File::~File() { Close(); }

void File::Close() {
  if (handle_ != kClosed) CloseHandle(AsHandle(handle_));
  handle_ = kClosed;
}

absl::Status File::ReadAt(uint64_t offset, absl::Span<uint8_t> out) const {
  if (offset > size_ || out.size() > size_ - offset) {
    return absl::OutOfRangeError(absl::StrFormat(
        "read of %u bytes at offset %u of '%s' runs past its end (%u bytes)",
        out.size(), offset, path_, size_));
  }
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
    if (!ReadFile(AsHandle(handle_), out.data() + done, want, &got,
                  &position) &&
        GetLastError() != ERROR_HANDLE_EOF) {
      return internal::Win32Error(
          GetLastError(),
          absl::StrFormat("ReadFile('%s', %u bytes at offset %u)", path_, want,
                          at));
    }
    if (got == 0) {
      return absl::OutOfRangeError(absl::StrFormat(
          "'%s' ended at offset %u while reading %u bytes at offset %u: it "
          "shrank after it was opened",
          path_, at, out.size(), offset));
    }
    done += got;
  }
  return absl::OkStatus();
}

}  // namespace granule
