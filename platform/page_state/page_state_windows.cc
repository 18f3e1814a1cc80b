// SPDX-License-Identifier: Apache-2.0
// Page states on Windows. VirtualQuery gives, run by run, whether pages are
// allocated and the protection they have; QueryWorkingSetEx gives, page by
// page, whether a page is in this process's working set (resident) and
// whether it is shared (a file page still in the cache) or private (a copy
// made by a write, or committed memory). Wine implements the second from
// Linux's /proc/self/pagemap, so it answers truthfully there too.
//
// Not available on Windows: whether a page that is not resident was written
// out to the page file. `swapped` is therefore always false here, and
// documented as such; callers learn residency from `resident`.
#include <windows.h>
// After windows.h, which it needs.
#include <psapi.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/page_state/page_state.h"
#include "platform/page_state/page_state_os.h"
#include "platform/status_macros.h"
#include "platform/win32_windows.h"

namespace granule {
namespace {

// The Win32 protection name, for errors.
const char* ProtectionName(DWORD protection) {
  switch (protection & 0xff) {
    case PAGE_NOACCESS:
      return "PAGE_NOACCESS";
    case PAGE_READONLY:
      return "PAGE_READONLY";
    case PAGE_READWRITE:
      return "PAGE_READWRITE";
    case PAGE_WRITECOPY:
      return "PAGE_WRITECOPY";
    case PAGE_EXECUTE:
      return "PAGE_EXECUTE";
    case PAGE_EXECUTE_READ:
      return "PAGE_EXECUTE_READ";
    case PAGE_EXECUTE_READWRITE:
      return "PAGE_EXECUTE_READWRITE";
    case PAGE_EXECUTE_WRITECOPY:
      return "PAGE_EXECUTE_WRITECOPY";
  }
  return "an unknown protection";
}

// A written PAGE_WRITECOPY page is a private copy, writable like
// PAGE_READWRITE: both are kReadWrite. Caching modifiers change nothing a
// Protection says; a guard page faults on first touch like no Protection.
absl::StatusOr<Protection> FromWin32(DWORD protection) {
  const DWORD base = protection & 0xff;
  if ((protection & PAGE_GUARD) == 0) {
    if (base == PAGE_NOACCESS) return Protection::kNone;
    if (base == PAGE_READONLY) return Protection::kRead;
    if (base == PAGE_READWRITE || base == PAGE_WRITECOPY) {
      return Protection::kReadWrite;
    }
    if (base == PAGE_EXECUTE_READ) return Protection::kReadExecute;
  }
  const bool write_execute =
      base == PAGE_EXECUTE_READWRITE || base == PAGE_EXECUTE_WRITECOPY;
  return absl::FailedPreconditionError(absl::StrFormat(
      "protection %s (%#x)%s is %s", ProtectionName(protection), protection,
      (protection & PAGE_GUARD) != 0 ? " with PAGE_GUARD" : "",
      write_execute ? "writable and executable"
                    : "not expressible as a granule Protection"));
}

// Fills mapped and protection for states[i], the page at first + i * page.
absl::Status ApplyVirtualQuery(uintptr_t first, size_t page,
                               std::vector<PageState>& states) {
  size_t i = 0;
  while (i < states.size()) {
    const uintptr_t address = first + i * page;
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(reinterpret_cast<void*>(address), &info, sizeof info) ==
        0) {
      // Past the highest user address: nothing is mapped from here on.
      if (GetLastError() == ERROR_INVALID_PARAMETER) return absl::OkStatus();
      return internal::Win32Error(
          GetLastError(), absl::StrFormat("VirtualQuery(%#x)", address));
    }
    const uintptr_t run_end =
        reinterpret_cast<uintptr_t>(info.BaseAddress) + info.RegionSize;
    const size_t pages = std::min<size_t>((run_end - address + page - 1) / page,
                                          states.size() - i);
    if (info.State != MEM_FREE) {
      // Reserved pages report no protection; they are no-access.
      absl::StatusOr<Protection> protection = info.State == MEM_RESERVE
                                                  ? Protection::kNone
                                                  : FromWin32(info.Protect);
      if (!protection.ok()) {
        return absl::FailedPreconditionError(
            absl::StrFormat("VirtualQuery: pages [%#x, %#x): %s",
                            reinterpret_cast<uintptr_t>(info.BaseAddress),
                            run_end, protection.status().message()));
      }
      for (size_t j = i; j < i + pages; ++j) {
        states[j].mapped = true;
        states[j].protection = *protection;
      }
    }
    i += pages;
  }
  return absl::OkStatus();
}

// Fills resident, file_page and exclusive, a bounded batch per call.
absl::Status ApplyWorkingSet(uintptr_t first, size_t page,
                             std::vector<PageState>& states) {
  constexpr size_t kBatch = 512;
  PSAPI_WORKING_SET_EX_INFORMATION batch[kBatch];
  for (size_t done = 0; done < states.size(); done += kBatch) {
    const size_t count = std::min(kBatch, states.size() - done);
    for (size_t i = 0; i < count; ++i) {
      batch[i] = {};
      batch[i].VirtualAddress =
          reinterpret_cast<void*>(first + (done + i) * page);
    }
    if (!QueryWorkingSetEx(GetCurrentProcess(), batch,
                           static_cast<DWORD>(count * sizeof batch[0]))) {
      const DWORD error = GetLastError();
      const std::string call = absl::StrFormat(
          "QueryWorkingSetEx(%u pages from %#x)", count, first + done * page);
      if (error == ERROR_CALL_NOT_IMPLEMENTED || error == ERROR_NOT_SUPPORTED) {
        return absl::UnimplementedError(absl::StrFormat(
            "%s: this system does not report working sets (error %u: %s)", call,
            error, internal::Win32ErrorText(error)));
      }
      return internal::Win32Error(error, call);
    }
    for (size_t i = 0; i < count; ++i) {
      const PSAPI_WORKING_SET_EX_BLOCK& block = batch[i].VirtualAttributes;
      PageState& state = states[done + i];
      state.resident = block.Valid != 0;
      state.file_page = state.resident && block.Shared != 0;
      // Private pages belong to this process alone (Windows has no fork);
      // a shared page is this process's alone when no other maps it.
      state.exclusive =
          state.resident && (block.Shared == 0 || block.ShareCount == 1);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status internal::FillPageStates(uintptr_t first, size_t page,
                                      std::vector<PageState>& states) {
  GRANULE_RETURN_IF_ERROR(ApplyVirtualQuery(first, page, states));
  return ApplyWorkingSet(first, page, states);
}

}  // namespace granule
