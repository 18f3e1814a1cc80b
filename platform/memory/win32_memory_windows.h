// SPDX-License-Identifier: Apache-2.0
// The Win32 memory calls the Windows backend (windows_backend.cc) is built
// from. Each returns a Win32Call that carries GetLastError() and names the
// call with its arguments, so the backend's errors say exactly what failed.
// Included only by *_windows.cc files (and Cygwin's build of them).
#ifndef GRANULE_PLATFORM_MEMORY_WIN32_MEMORY_WINDOWS_H_
#define GRANULE_PLATFORM_MEMORY_WIN32_MEMORY_WINDOWS_H_

#include <windows.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/file.h"
#include "platform/win32_windows.h"

namespace granule::internal {

// Not in mingw-w64 10's headers; values from the Windows SDK's winnt.h.
constexpr ULONG kMemReservePlaceholder = 0x00040000;
constexpr ULONG kMemReplacePlaceholder = 0x00004000;
constexpr ULONG kMemPreservePlaceholder = 0x00000002;
constexpr ULONG kMemCoalescePlaceholders = 0x00000001;

inline void* Pointer(uintptr_t address) {
  return reinterpret_cast<void*>(address);
}
inline uintptr_t RoundUp(uintptr_t value, size_t unit) {
  return (value + unit - 1) & ~(uintptr_t{unit} - 1);
}

// One call's outcome: error 0 on success, else GetLastError() and the call
// as the error message names it.
struct Win32Call {
  DWORD error = 0;
  std::string text;
  bool ok() const { return error == 0; }
  absl::Status status() const { return Win32Error(error, text); }
};
inline Win32Call Succeeded() { return {}; }
// Reads GetLastError(): call it right after the failed call.
inline Win32Call Failed(std::string text) {
  return {GetLastError(), std::move(text)};
}

// VirtualAlloc(MEM_RESERVE) of exactly [start, end). Elsewhere counts as
// ERROR_INVALID_ADDRESS: someone else holds part of the range.
Win32Call ReserveAt(uintptr_t start, uintptr_t end);
// VirtualFree(MEM_RELEASE) of the allocation or placeholder at `start`.
Win32Call ReleaseAllocation(uintptr_t start);
Win32Call ProtectPages(uintptr_t address, size_t length, DWORD protection);
// Splits [start, start + length) off the front of the placeholder at `start`.
Win32Call SplitPlaceholder(uintptr_t start, size_t length);
// "free", "reserved", "committed": a MEMORY_BASIC_INFORMATION State.
const char* MemoryStateName(DWORD state);
// What is allocated in [start, end) right now, for errors: "[a, b) reserved
// private (allocation at c); ..." or "nothing".
std::string DescribeAllocations(uintptr_t start, uintptr_t end);

// VirtualAlloc2, MapViewOfFile3 and UnmapViewOfFile2 (Windows 10 1803+),
// looked up at run time; all null unless the system really makes
// placeholders (Wine 8 exports VirtualAlloc2 but refuses them).
using VirtualAlloc2Fn = PVOID(WINAPI*)(HANDLE, PVOID, SIZE_T, ULONG, ULONG,
                                       MEM_EXTENDED_PARAMETER*, ULONG);
using MapViewOfFile3Fn = PVOID(WINAPI*)(HANDLE, HANDLE, PVOID, ULONG64, SIZE_T,
                                        ULONG, ULONG, MEM_EXTENDED_PARAMETER*,
                                        ULONG);
using UnmapViewOfFile2Fn = BOOL(WINAPI*)(HANDLE, PVOID, ULONG);
struct Placeholders {
  VirtualAlloc2Fn virtual_alloc2 = nullptr;
  MapViewOfFile3Fn map_view_of_file3 = nullptr;
  UnmapViewOfFile2Fn unmap_view_of_file2 = nullptr;
  bool usable() const {
    return virtual_alloc2 && map_view_of_file3 && unmap_view_of_file2;
  }
};
Placeholders FindPlaceholders(size_t granularity);

// Reservations of `size` bytes (whole granules) aligned to `alignment`, a
// power of two at least the granularity. With placeholders: one placeholder
// reserved larger and trimmed at both ends, with no race. Without: reserve
// larger, release, reserve the aligned part exactly; another allocation may
// take it in between, so that is tried `attempts` times.
absl::StatusOr<uintptr_t> ReservePlaceholder(const Placeholders& placeholders,
                                             size_t size, size_t alignment,
                                             size_t granularity);
absl::StatusOr<uintptr_t> ReserveAligned(size_t size, size_t alignment,
                                         size_t granularity, int attempts);

// A copy-on-write section of a whole file, closed when this goes away. With
// execute rights a view's pages can become PAGE_EXECUTE_READ later; a file
// handle without them still maps, for reading and writing only.
class Section {
 public:
  explicit Section(const File& file);
  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;
  ~Section();

  const Win32Call& failure() const { return failure_; }
  HANDLE handle() const { return section_; }
  // A view's ceiling: VirtualProtect can only narrow from it, so views start
  // there and are narrowed at once. No page is left writable and executable.
  DWORD view_protection() const {
    return executable_ ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
  }
  DWORD view_access() const {
    return executable_ ? FILE_MAP_COPY | FILE_MAP_EXECUTE : FILE_MAP_COPY;
  }

 private:
  HANDLE section_ = nullptr;
  bool executable_ = true;
  Win32Call failure_;
};

}  // namespace granule::internal

#endif  // GRANULE_PLATFORM_MEMORY_WIN32_MEMORY_WINDOWS_H_
