// SPDX-License-Identifier: Apache-2.0
// What both Windows placement strategies share (windows_backend.h): a
// region's pieces, mapping a file view or memory into one, protection, and
// release. The strategy is chosen once, here, when the backend is made.
#include "platform/memory/windows_backend.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "platform/status_macros.h"

namespace granule::internal {
namespace {

DWORD ToWin32(Protection protection, bool file_backed) {
  switch (protection) {
    case Protection::kNone:
      return PAGE_NOACCESS;
    case Protection::kRead:
      return PAGE_READONLY;
    case Protection::kReadWrite:
      // A copy-on-write view refuses PAGE_READWRITE (error 87).
      return file_backed ? PAGE_WRITECOPY : PAGE_READWRITE;
    case Protection::kReadExecute:
      return PAGE_EXECUTE_READ;
  }
  return PAGE_NOACCESS;
}

}  // namespace

const BackendTraits& WindowsBackend::traits() const {
  static constexpr BackendTraits kTraits = {
      /*name=*/"windows",
      /*can_release_partially=*/false,
      /*enforces_protection=*/true,
      /*shares_file_pages=*/true,
      // Views inside a reservation need placeholders split for each one;
      // an AddressArena reserves per slot here instead.
      /*carves_reservations=*/false,
  };
  return kTraits;
}

absl::Status WindowsBackend::ProtectRaw(uintptr_t address, size_t length,
                                        Protection protection,
                                        bool file_backed) {
  Win32Call call = ProtectPages(address, length, ToWin32(protection, file_backed));
  return call.ok() ? absl::OkStatus() : call.status();
}

absl::StatusOr<WindowsBackend::Piece> WindowsBackend::FindPiece(
    const char* operation, uintptr_t address, size_t length) const {
  MEMORY_BASIC_INFORMATION info;
  if (VirtualQuery(Pointer(address), &info, sizeof info) == 0) {
    return Failed(absl::StrFormat("VirtualQuery(%#x)", address)).status();
  }
  const Piece piece{
      reinterpret_cast<uintptr_t>(info.AllocationBase),
      reinterpret_cast<uintptr_t>(info.BaseAddress) + info.RegionSize};
  if (info.State != MEM_RESERVE || address + length > piece.end) {
    return absl::InternalError(absl::StrFormat(
        "windows: %s at [%#x, %#x): expected one reserved piece of the region "
        "there, found %s pages at [%#x, %#x)",
        operation, address, address + length, MemoryStateName(info.State),
        reinterpret_cast<uintptr_t>(info.BaseAddress), piece.end));
  }
  return piece;
}

absl::Status WindowsBackend::Place(const char* operation, uintptr_t address,
                                   size_t length, const PlaceFn& place,
                                   const UndoFn& undo) {
  GRANULE_ASSIGN_OR_RETURN(Piece piece, FindPiece(operation, address, length));
  return PlaceInPiece(operation, piece, address, length, place, undo);
}

absl::Status WindowsBackend::MapFileRaw(uintptr_t address, const File& file,
                                        uint64_t file_offset, size_t length,
                                        Protection protection) {
  const Section section(file);
  if (!section.failure().ok()) return section.failure().status();
  // A view may not reach past the file's end; the system rounds it up to
  // whole pages, which is `length`.
  const size_t bytes = static_cast<size_t>(
      std::min<uint64_t>(length, file.size() - file_offset));
  const DWORD wanted = ToWin32(protection, /*file_backed=*/true);
  const uint64_t view_offset = file.window_start() + file_offset;
  const PlaceFn place = [&](uintptr_t at) -> Win32Call {
    Win32Call mapped = MapViewAt(section, file, view_offset, bytes, at);
    if (!mapped.ok()) return mapped;
    // The view starts at the section's widest protection; narrow it now.
    Win32Call narrowed = ProtectPages(at, length, wanted);
    if (!narrowed.ok()) UnmapViewAt(at);
    return narrowed;
  };
  return Place("map file", address, length, place,
               [](uintptr_t at) { UnmapViewOfFile(Pointer(at)); });
}

absl::Status WindowsBackend::MapZeroedRaw(uintptr_t address, size_t length,
                                          Protection protection) {
  const DWORD wanted = ToWin32(protection, /*file_backed=*/false);
  return Place(
      "map zeroed", address, length,
      [&](uintptr_t at) { return AllocateAt(at, length, wanted); },
      [](uintptr_t at) { ReleaseAllocation(at); });
}

std::vector<WindowsBackend::Piece> WindowsBackend::Gaps(
    uintptr_t base, size_t size, absl::Span<const MappingView> mappings) const {
  // Reservations cover whole granules: the rest of a last granule could not
  // be allocated by anyone else anyway.
  const uintptr_t end = RoundUp(base + size, granularity());
  std::vector<Piece> gaps;
  uintptr_t cursor = base;
  for (const MappingView& m : mappings) {  // Sorted by address.
    if (cursor < m.address) gaps.push_back({cursor, m.address});
    cursor = std::min(GapStart(m.address + m.length), end);
  }
  if (cursor < end) gaps.push_back({cursor, end});
  return gaps;
}

absl::Status WindowsBackend::ReleaseRaw(
    uintptr_t base, size_t size, absl::Span<const MappingView> mappings) {
  absl::Status first_error;
  auto note = [&first_error](absl::Status status) {
    if (first_error.ok()) first_error = std::move(status);
  };
  // Every gap is checked before anything is freed: a freed range may be
  // taken by another thread at once, and that allocation is not ours.
  std::vector<Piece> ours;
  for (const Piece& gap : Gaps(base, size, mappings)) {
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(Pointer(gap.start), &info, sizeof info) != 0 &&
        info.State == MEM_RESERVE &&
        reinterpret_cast<uintptr_t>(info.AllocationBase) == gap.start &&
        gap.start + info.RegionSize == gap.end) {
      ours.push_back(gap);
    } else {
      note(absl::InternalError(absl::StrFormat(
          "windows: release of the region at %#x: [%#x, %#x) is not one "
          "reserved piece of it (there: %s); left alone",
          base, gap.start, gap.end, DescribeAllocations(gap.start, gap.end))));
    }
  }
  for (const MappingView& m : mappings) {
    if (!m.file_backed) {
      if (Win32Call call = ReleaseAllocation(m.address); !call.ok())
        note(call.status());
    } else if (!UnmapViewOfFile(Pointer(m.address))) {
      note(Failed(absl::StrFormat("UnmapViewOfFile(%#x)", m.address)).status());
    }
  }
  for (const Piece& gap : ours) {
    if (Win32Call call = ReleaseAllocation(gap.start); !call.ok())
      note(call.status());
  }
  return first_error;
}

std::unique_ptr<MemoryBackend> NewHostMemoryBackend(PageGeometry geometry) {
  const Placeholders placeholders =
      FindPlaceholders(geometry.allocation_granularity());
  if (placeholders.usable()) {
    return NewPlaceholderBackend(geometry, placeholders);
  }
  return NewRemappingBackend(geometry);
}

}  // namespace granule::internal
