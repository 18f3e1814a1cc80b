// SPDX-License-Identifier: Apache-2.0
#include "platform/memory/win32_memory_windows.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "platform/page_geometry.h"

#if defined(__CYGWIN__)
#include <io.h>  // get_osfhandle: Cygwin's File holds an fd, not a HANDLE.
#endif

namespace granule::internal {
namespace {

template <typename Fn>
Fn Lookup(const char* name) {
  for (const char* dll : {"kernelbase.dll", "kernel32.dll"}) {
    if (HMODULE module = GetModuleHandleA(dll)) {
      if (FARPROC f = GetProcAddress(module, name)) {
        return reinterpret_cast<Fn>(reinterpret_cast<void*>(f));
      }
    }
  }
  return nullptr;
}

HANDLE Win32Handle(const File& file) {
#if defined(__CYGWIN__)
  return reinterpret_cast<HANDLE>(
      get_osfhandle(static_cast<int>(file.native_handle())));
#else
  return reinterpret_cast<HANDLE>(file.native_handle());
#endif
}

}  // namespace

Win32Call ReserveAt(uintptr_t start, uintptr_t end) {
  void* p =
      VirtualAlloc(Pointer(start), end - start, MEM_RESERVE, PAGE_NOACCESS);
  if (p == Pointer(start)) return Succeeded();
  Win32Call call = Failed(absl::StrFormat(
      "VirtualAlloc(%#x, %u, MEM_RESERVE, PAGE_NOACCESS)", start, end - start));
  if (p != nullptr) {  // Not where asked: give it back.
    VirtualFree(p, 0, MEM_RELEASE);
    call.error = ERROR_INVALID_ADDRESS;
  }
  return call;
}

Win32Call ReleaseAllocation(uintptr_t start) {
  if (VirtualFree(Pointer(start), 0, MEM_RELEASE)) return Succeeded();
  return Failed(absl::StrFormat("VirtualFree(%#x, 0, MEM_RELEASE)", start));
}

Win32Call ProtectPages(uintptr_t address, size_t length, DWORD protection) {
  DWORD old;
  if (VirtualProtect(Pointer(address), length, protection, &old)) {
    return Succeeded();
  }
  return Failed(absl::StrFormat("VirtualProtect(%#x, %u, %#x)", address, length,
                                protection));
}

Win32Call SplitPlaceholder(uintptr_t start, size_t length) {
  if (VirtualFree(Pointer(start), length,
                  MEM_RELEASE | kMemPreservePlaceholder)) {
    return Succeeded();
  }
  return Failed(absl::StrFormat(
      "VirtualFree(%#x, %u, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)", start,
      length));
}

const char* MemoryStateName(DWORD state) {
  switch (state) {
    case MEM_FREE:
      return "free";
    case MEM_RESERVE:
      return "reserved";
    case MEM_COMMIT:
      return "committed";
  }
  return "unknown";
}

std::string DescribeAllocations(uintptr_t start, uintptr_t end) {
  std::string text;
  for (uintptr_t at = start; at < end;) {
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(Pointer(at), &info, sizeof info) == 0) break;
    const uintptr_t run_end =
        reinterpret_cast<uintptr_t>(info.BaseAddress) + info.RegionSize;
    if (info.State != MEM_FREE) {
      const char* type = info.Type == MEM_MAPPED  ? "mapped"
                         : info.Type == MEM_IMAGE ? "image"
                                                  : "private";
      absl::StrAppendFormat(&text, "%s[%#x, %#x) %s %s (allocation at %#x)",
                            text.empty() ? "" : "; ", at,
                            std::min(run_end, end), MemoryStateName(info.State),
                            type,
                            reinterpret_cast<uintptr_t>(info.AllocationBase));
    }
    at = run_end;
  }
  return text.empty() ? "nothing" : text;
}

Placeholders FindPlaceholders(size_t granularity) {
  Placeholders p;
  p.virtual_alloc2 = Lookup<VirtualAlloc2Fn>("VirtualAlloc2");
  p.map_view_of_file3 = Lookup<MapViewOfFile3Fn>("MapViewOfFile3");
  p.unmap_view_of_file2 = Lookup<UnmapViewOfFile2Fn>("UnmapViewOfFile2");
  if (!p.usable()) return {};
  void* trial = p.virtual_alloc2(nullptr, nullptr, granularity,
                                 MEM_RESERVE | kMemReservePlaceholder,
                                 PAGE_NOACCESS, nullptr, 0);
  if (trial == nullptr) return {};
  VirtualFree(trial, 0, MEM_RELEASE);
  return p;
}

absl::StatusOr<uintptr_t> ReservePlaceholder(const Placeholders& placeholders,
                                             size_t size, size_t alignment,
                                             size_t granularity) {
  const size_t padded = size + alignment - granularity;
  void* p = placeholders.virtual_alloc2(nullptr, nullptr, padded,
                                        MEM_RESERVE | kMemReservePlaceholder,
                                        PAGE_NOACCESS, nullptr, 0);
  if (p == nullptr) {
    return Failed(absl::StrFormat("VirtualAlloc2(NULL, %u, MEM_RESERVE | "
                                  "MEM_RESERVE_PLACEHOLDER, PAGE_NOACCESS)",
                                  padded))
        .status();
  }
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t base = RoundUp(start, alignment);
  const uintptr_t end = base + size;
  Win32Call call;
  if (base > start && (call = SplitPlaceholder(start, base - start)).ok()) {
    ReleaseAllocation(start);
  }
  const uintptr_t kept = call.ok() ? base : start;
  if (call.ok() && start + padded > end &&
      (call = SplitPlaceholder(base, size)).ok()) {
    ReleaseAllocation(end);
  }
  if (!call.ok()) {
    ReleaseAllocation(kept);
    return call.status();
  }
  return base;
}

absl::StatusOr<uintptr_t> ReserveAligned(size_t size, size_t alignment,
                                         size_t granularity, int attempts) {
  const size_t padded = size + alignment - granularity;
  Win32Call last;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    // Top down: regions sit above where allocations look first by default
    // (bottom up: the heap, thread stacks), so when a piece of a region is
    // released to be placed again, those are unlikely to take it meanwhile.
    void* p = VirtualAlloc(nullptr, padded, MEM_RESERVE | MEM_TOP_DOWN,
                           PAGE_NOACCESS);
    if (p == nullptr) {
      return Failed(absl::StrFormat("VirtualAlloc(NULL, %u, MEM_RESERVE | "
                                    "MEM_TOP_DOWN, PAGE_NOACCESS)",
                                    padded))
          .status();
    }
    const uintptr_t start = reinterpret_cast<uintptr_t>(p);
    if (padded == size) return start;  // Aligned to the granularity.
    const uintptr_t base = RoundUp(start, alignment);
    ReleaseAllocation(start);
    last = ReserveAt(base, base + size);
    if (last.ok()) return base;
    if (last.error != ERROR_INVALID_ADDRESS) return last.status();
  }
  return absl::AbortedError(absl::StrFormat(
      "windows: reserving %u bytes aligned to %s: another allocation took the "
      "aligned range %d times; last: %s",
      size, FormatBytes(alignment), attempts, last.status().message()));
}

Section::Section(const File& file) {
  HANDLE handle = Win32Handle(file);
  section_ = CreateFileMappingW(handle, nullptr, PAGE_EXECUTE_WRITECOPY, 0, 0,
                                nullptr);
  if (section_ == nullptr && GetLastError() == ERROR_ACCESS_DENIED) {
    executable_ = false;
    section_ =
        CreateFileMappingW(handle, nullptr, PAGE_WRITECOPY, 0, 0, nullptr);
  }
  if (section_ == nullptr) {
    failure_ = Failed(absl::StrFormat(
        "CreateFileMappingW('%s', %s)", file.path(),
        executable_ ? "PAGE_EXECUTE_WRITECOPY" : "PAGE_WRITECOPY"));
  }
}

Section::~Section() {
  if (section_ != nullptr) CloseHandle(section_);
}

}  // namespace granule::internal
