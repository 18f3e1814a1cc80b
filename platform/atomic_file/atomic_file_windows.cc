// SPDX-License-Identifier: Apache-2.0
// WriteFileAtomically for Windows: a new temporary file next to the target,
// the extents written at their offsets, the size set (a sparse file where the
// file system has them, zeros otherwise), FlushFileBuffers, then MoveFileExW
// over the target with MOVEFILE_WRITE_THROUGH, which also makes the rename
// durable (Windows has no directory fsync).
#include <windows.h>
#include <winioctl.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/atomic_file/atomic_file.h"
#include "platform/atomic_file/atomic_file_os.h"
#include "platform/status_macros.h"
#include "platform/win32_windows.h"

namespace granule {
namespace {

absl::Status CallFailed(const std::string& call) {
  return internal::Win32Error(GetLastError(), call);
}

// The temporary file until it is renamed: closed and deleted on every early
// return, so a failure leaves nothing behind.
class TemporaryFile {
 public:
  TemporaryFile() = default;
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (handle_ != INVALID_HANDLE_VALUE) CloseHandle(handle_);
    if (!wide_name_.empty()) DeleteFileW(wide_name_.c_str());
  }

  // CREATE_NEW never opens someone else's file; a name already taken (a
  // crashed writer's leftover) moves on to the next one.
  absl::Status Create(const std::string& path) {
    static std::atomic<unsigned> counter{0};
    for (int attempt = 0;; ++attempt) {
      name_ = absl::StrFormat("%s.tmp.%u.%u", path, GetCurrentProcessId(),
                              counter.fetch_add(1));
      GRANULE_ASSIGN_OR_RETURN(std::wstring wide, internal::WidePath(name_));
      handle_ = CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE,
                            FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr,
                            CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
      if (handle_ != INVALID_HANDLE_VALUE) {
        wide_name_ = std::move(wide);
        return absl::OkStatus();
      }
      if (GetLastError() != ERROR_FILE_EXISTS || attempt == 100) {
        return CallFailed(
            absl::StrFormat("CreateFileW(%s, CREATE_NEW)", name_));
      }
    }
  }

  HANDLE handle() const { return handle_; }
  const std::string& name() const { return name_; }
  const std::wstring& wide_name() const { return wide_name_; }

  // Closes the handle, reporting what CloseHandle says.
  absl::Status Close() {
    HANDLE handle = std::exchange(handle_, INVALID_HANDLE_VALUE);
    if (!CloseHandle(handle)) {
      return CallFailed(absl::StrFormat("CloseHandle(%s)", name_));
    }
    return absl::OkStatus();
  }

  // After a successful rename the name belongs to the target.
  void Release() { wide_name_.clear(); }

 private:
  HANDLE handle_ = INVALID_HANDLE_VALUE;
  std::string name_;
  std::wstring wide_name_;
};

absl::Status WriteAll(HANDLE handle, const std::string& name, uint64_t offset,
                      absl::Span<const uint8_t> bytes) {
  constexpr size_t kChunk = size_t{1} << 30;  // WriteFile takes a DWORD.
  size_t done = 0;
  while (done < bytes.size()) {
    const DWORD want =
        static_cast<DWORD>(std::min(bytes.size() - done, kChunk));
    const uint64_t at = offset + done;
    OVERLAPPED position = {};
    position.Offset = static_cast<DWORD>(at);
    position.OffsetHigh = static_cast<DWORD>(at >> 32);
    DWORD written = 0;
    if (!WriteFile(handle, bytes.data() + done, want, &written, &position) ||
        written == 0) {
      // Zero bytes written for a non-empty buffer would loop forever.
      if (written == 0 && GetLastError() == ERROR_SUCCESS) {
        SetLastError(ERROR_WRITE_FAULT);
      }
      return CallFailed(absl::StrFormat("WriteFile(%s, %u bytes at offset %u)",
                                        name, want, at));
    }
    done += written;
  }
  return absl::OkStatus();
}

// Before any write, so the gaps the writes skip become holes. Best effort: a
// file system without sparse files stores zeros, which read the same; only
// the disk space differs.
void MakeSparse(const TemporaryFile& temp) {
  DWORD returned;
  DeviceIoControl(temp.handle(), FSCTL_SET_SPARSE, nullptr, 0, nullptr, 0,
                  &returned, nullptr);
}

absl::Status SetSize(const TemporaryFile& temp, uint64_t size) {
  FILE_END_OF_FILE_INFO end;
  end.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
  if (!SetFileInformationByHandle(temp.handle(), FileEndOfFileInfo, &end,
                                  sizeof end)) {
    return CallFailed(
        absl::StrFormat("SetFileInformationByHandle(%s, FileEndOfFileInfo, %u)",
                        temp.name(), size));
  }
  return absl::OkStatus();
}

}  // namespace

namespace internal {

// File offsets and sizes are LONGLONGs.
const FileSizeLimit kHostFileSizeLimit = {
    static_cast<uint64_t>(std::numeric_limits<LONGLONG>::max()),
    "the largest file size Windows accepts"};

absl::Status WriteCheckedFileAtomically(const std::string& path, uint64_t size,
                                        absl::Span<const FileExtent> extents,
                                        uint32_t /*posix_mode*/) {
  GRANULE_ASSIGN_OR_RETURN(std::wstring wide_path, internal::WidePath(path));
  TemporaryFile temp;
  GRANULE_RETURN_IF_ERROR(temp.Create(path));
  MakeSparse(temp);
  for (const FileExtent& extent : extents) {
    GRANULE_RETURN_IF_ERROR(
        WriteAll(temp.handle(), temp.name(), extent.offset, extent.bytes));
  }
  GRANULE_RETURN_IF_ERROR(SetSize(temp, size));
  if (!FlushFileBuffers(temp.handle())) {
    return CallFailed(absl::StrFormat("FlushFileBuffers(%s)", temp.name()));
  }
  GRANULE_RETURN_IF_ERROR(temp.Close());
  if (!MoveFileExW(temp.wide_name().c_str(), wide_path.c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return CallFailed(
        absl::StrFormat("MoveFileExW(%s, %s, MOVEFILE_REPLACE_EXISTING | "
                        "MOVEFILE_WRITE_THROUGH)",
                        temp.name(), path));
  }
  temp.Release();
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace granule
