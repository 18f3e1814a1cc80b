// SPDX-License-Identifier: Apache-2.0
#include "platform/win32_windows.h"

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace granule::internal {
namespace {

absl::StatusCode CodeFor(DWORD error) {
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
      return absl::StatusCode::kNotFound;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
      return absl::StatusCode::kPermissionDenied;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
      return absl::StatusCode::kAlreadyExists;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_COMMITMENT_LIMIT:
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
      return absl::StatusCode::kResourceExhausted;
    case ERROR_INVALID_PARAMETER:
    case ERROR_INVALID_NAME:
      return absl::StatusCode::kInvalidArgument;
    case ERROR_INVALID_ADDRESS:
      return absl::StatusCode::kFailedPrecondition;
    case ERROR_CALL_NOT_IMPLEMENTED:
    case ERROR_NOT_SUPPORTED:
    case ERROR_INVALID_FUNCTION:
      return absl::StatusCode::kUnimplemented;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

std::string Win32ErrorText(DWORD error) {
  char* buffer = nullptr;
  const DWORD length = FormatMessageA(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
          FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, error, MAKELANGID(LANG_ENGLISH, SUBLANG_DEFAULT),
      reinterpret_cast<char*>(&buffer), 0, nullptr);
  if (length == 0 || buffer == nullptr) {
    return "no text for this error";
  }
  absl::string_view text(buffer, length);
  while (!text.empty() &&
         (text.back() == '\r' || text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::string result(text);
  LocalFree(buffer);
  return result;
}

absl::Status Win32Error(DWORD error, const std::string& call) {
  return absl::Status(CodeFor(error),
                      absl::StrFormat("windows: %s failed: error %u (%s)", call,
                                      error, Win32ErrorText(error)));
}

absl::StatusOr<std::wstring> WidePath(const std::string& path) {
  if (path.empty()) return std::wstring();
  const int length =
      MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path.data(),
                          static_cast<int>(path.size()), nullptr, 0);
  if (length <= 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("path '%s' is not valid UTF-8", path));
  }
  std::wstring wide(static_cast<size_t>(length), L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path.data(),
                      static_cast<int>(path.size()), wide.data(), length);
  return wide;
}

}  // namespace granule::internal
