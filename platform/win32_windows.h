// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the Windows files of the platform layer (and Cygwin's use
// of the Win32 backend): Win32 errors as absl::Status values, UTF-8 paths as
// the UTF-16 strings the W functions take. Included only by *_windows.cc.
#ifndef GRANULE_PLATFORM_WIN32_WINDOWS_H_
#define GRANULE_PLATFORM_WIN32_WINDOWS_H_

#include <windows.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace granule::internal {

// "windows: CALL failed: error 5 (Access is denied.)", with a status code
// that fits the error (NotFound for a missing file, and so on). `call` names
// the function and its arguments.
absl::Status Win32Error(DWORD error, const std::string& call);

// FormatMessage's text for `error`, without the trailing line break; a
// placeholder when the system has no text for it.
std::string Win32ErrorText(DWORD error);

// UTF-8 to UTF-16; InvalidArgument naming the path when it is not UTF-8.
absl::StatusOr<std::wstring> WidePath(const std::string& path);

}  // namespace granule::internal

#endif  // GRANULE_PLATFORM_WIN32_WINDOWS_H_
