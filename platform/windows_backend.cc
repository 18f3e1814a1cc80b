// SPDX-License-Identifier: Apache-2.0
// Windows backend: VirtualAlloc reservations with copy-on-write file views
// and committed memory placed at exact addresses inside them. Also Cygwin's
// backend, because Cygwin's mmap(MAP_FIXED) cannot place a view inside a
// reservation reliably (V8 moved Cygwin onto these calls for that reason).
// The Cygwin build (//platform:cygwin) differs in one line, the HANDLE taken
// from the File's fd (win32_memory_windows.cc); it cannot be compiled here,
// as Debian has no Cygwin toolchain.
//
// Windows cannot map a view over part of a reservation, so a region becomes a
// row of allocations: one per mapping, and one reserved piece per gap between
// mappings. Placing a mapping splits the gap piece that holds it:
//  - With placeholders (VirtualAlloc2 and MapViewOfFile3, Windows 10 1803 and
//    later, looked up at run time): the pieces are placeholders; VirtualFree
//    with MEM_PRESERVE_PLACEHOLDER splits off exactly the mapping's pages and
//    MEM_REPLACE_PLACEHOLDER puts the view or the memory there. The range is
//    never free, so no other thread can take it.
//  - Otherwise, as Chromium's PartitionAlloc does without placeholders: the
//    piece is released and the mapping and the rest of the piece are placed
//    again at the same addresses. Another allocation may take the range in
//    between; then the piece is reserved again and the placement retried a
//    bounded number of times. This backend's own threads take turns (one
//    mutex), so only other allocators in the process can race it; if one
//    keeps part of the range, the error names the range and says so.
// Wine 8 exports VirtualAlloc2 but refuses MEM_RESERVE_PLACEHOLDER (error 87),
// so the choice is made by trying one placeholder when the backend starts.
// Only the second way runs under Wine, where the Windows build is tested; the
// placeholder way follows Microsoft's documentation and has not run here.
#include <windows.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "platform/memory_backend.h"
#include "platform/win32_memory_windows.h"

namespace granule {
namespace {

using internal::Failed;
using internal::kMemCoalescePlaceholders;
using internal::kMemPreservePlaceholder;
using internal::kMemReplacePlaceholder;
using internal::Placeholders;
using internal::Pointer;
using internal::ReleaseAllocation;
using internal::ReserveAt;
using internal::RoundUp;
using internal::Section;
using internal::SplitPlaceholder;
using internal::Succeeded;
using Call = internal::Win32Call;

// Placements lost to another thread are retried this often (fallback only).
constexpr int kPlacementAttempts = 16;

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

class WindowsBackend final : public MemoryBackend {
 public:
  explicit WindowsBackend(PageGeometry geometry)
      : geometry_(geometry),
        placeholders_(
            internal::FindPlaceholders(geometry.allocation_granularity())) {}

  const BackendTraits& traits() const override {
    static constexpr BackendTraits kTraits = {
        /*name=*/"windows",
        /*can_release_partially=*/false,
        /*fixed_placement_reliable=*/true,  // Placeholders or the retry loop.
        /*enforces_protection=*/true,
        /*shares_file_pages=*/true,
        // Views inside a reservation need placeholders split for each one;
        // an AddressArena reserves per slot here instead.
        /*carves_reservations=*/false,
    };
    return kTraits;
  }
  PageGeometry geometry() const override { return geometry_; }

 protected:
  absl::StatusOr<uintptr_t> ReserveRaw(size_t size, size_t alignment) override;
  absl::Status MapFileRaw(uintptr_t address, const File& file,
                          uint64_t file_offset, size_t length,
                          Protection protection) override;
  absl::Status MapZeroedRaw(uintptr_t address, size_t length,
                            Protection protection) override;
  absl::Status ProtectRaw(uintptr_t address, size_t length,
                          Protection protection, bool file_backed) override {
    Call call = internal::ProtectPages(address, length,
                                       ToWin32(protection, file_backed));
    return call.ok() ? absl::OkStatus() : call.status();
  }
  absl::Status ReleaseRaw(uintptr_t base, size_t size,
                          absl::Span<const MappingView> mappings) override;

 private:
  struct Piece {
    uintptr_t start;
    uintptr_t end;
    bool empty() const { return start >= end; }
  };
  // Puts a mapping at `address`; on failure leaves the range as it was.
  using PlaceFn = std::function<Call(uintptr_t address)>;
  // Removes a mapping `place` put there (the retry loop's rollback).
  using UndoFn = std::function<void(uintptr_t address)>;

  size_t granularity() const { return geometry_.allocation_granularity(); }
  // Reservations cover whole granules: the rest of a last granule could not
  // be allocated by anyone else anyway.
  uintptr_t ReservationEnd(uintptr_t base, size_t size) const {
    return RoundUp(base + size, granularity());
  }
  // Where the reserved piece after a mapping ending at `end` starts. Without
  // placeholders reservations start on the granularity, so the rest of the
  // mapping's last granule stays free (and no one else can allocate there).
  uintptr_t GapStart(uintptr_t end) const {
    return placeholders_.usable() ? end : RoundUp(end, granularity());
  }

  absl::StatusOr<Piece> FindPiece(const char* operation, uintptr_t address,
                                  size_t length) const;
  absl::Status Place(const char* operation, uintptr_t address, size_t length,
                     const PlaceFn& place, const UndoFn& undo);
  absl::Status PlaceInPlaceholder(const Piece& piece, uintptr_t address,
                                  size_t length, const PlaceFn& place);
  absl::Status PlaceByRemapping(const char* operation, const Piece& piece,
                                uintptr_t address, size_t length,
                                const PlaceFn& place, const UndoFn& undo);
  std::vector<Piece> Gaps(uintptr_t base, size_t size,
                          absl::Span<const MappingView> mappings) const;

  const PageGeometry geometry_;
  const Placeholders placeholders_;
  // Held while a range is released to be placed again (no placeholders).
  std::mutex remapping_;
};

// Takes the piece back after a failed placement, waiting a bounded number
// of turns for a transient allocation that took part of it to go away.
Call ReserveAgain(uintptr_t start, uintptr_t end) {
  Call call;
  for (int attempt = 0; attempt < kPlacementAttempts; ++attempt) {
    call = ReserveAt(start, end);
    if (call.ok() || call.error != ERROR_INVALID_ADDRESS) break;
    SwitchToThread();
  }
  return call;
}

absl::StatusOr<uintptr_t> WindowsBackend::ReserveRaw(size_t size,
                                                     size_t alignment) {
  // MemoryBackend::Reserve has checked that size + alignment fits.
  const size_t whole = RoundUp(size, granularity());
  if (placeholders_.usable()) {
    return internal::ReservePlaceholder(placeholders_, whole, alignment,
                                        granularity());
  }
  std::lock_guard<std::mutex> lock(remapping_);
  return internal::ReserveAligned(whole, alignment, granularity(),
                                  kPlacementAttempts);
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
        operation, address, address + length,
        internal::MemoryStateName(info.State),
        reinterpret_cast<uintptr_t>(info.BaseAddress), piece.end));
  }
  return piece;
}

absl::Status WindowsBackend::Place(const char* operation, uintptr_t address,
                                   size_t length, const PlaceFn& place,
                                   const UndoFn& undo) {
  absl::StatusOr<Piece> piece = FindPiece(operation, address, length);
  if (!piece.ok()) return piece.status();
  if (placeholders_.usable()) {
    return PlaceInPlaceholder(*piece, address, length, place);
  }
  return PlaceByRemapping(operation, *piece, address, length, place, undo);
}

absl::Status WindowsBackend::PlaceInPlaceholder(const Piece& piece,
                                                uintptr_t address,
                                                size_t length,
                                                const PlaceFn& place) {
  // Splits at the front only: the documented shape of a split.
  Call split;
  if (address > piece.start) {
    split = SplitPlaceholder(piece.start, address - piece.start);
  }
  if (split.ok() && address + length < piece.end) {
    split = SplitPlaceholder(address, length);
  }
  Call placed = split.ok() ? place(address) : split;
  if (placed.ok()) return absl::OkStatus();
  // Join the pieces again: a gap stays one placeholder.
  VirtualFree(Pointer(piece.start), piece.end - piece.start,
              MEM_RELEASE | kMemCoalescePlaceholders);
  return placed.status();
}

absl::Status WindowsBackend::PlaceByRemapping(const char* operation,
                                              const Piece& piece,
                                              uintptr_t address, size_t length,
                                              const PlaceFn& place,
                                              const UndoFn& undo) {
  const Piece before{piece.start, address};
  const Piece after{GapStart(address + length), piece.end};
  std::lock_guard<std::mutex> lock(remapping_);
  Call failure;
  for (int attempt = 0; attempt < kPlacementAttempts; ++attempt) {
    if (Call freed = ReleaseAllocation(piece.start); !freed.ok())
      return freed.status();
    Call placed = place(address);
    Call head = placed.ok() && !before.empty()
                    ? ReserveAt(before.start, before.end)
                    : Succeeded();
    Call tail = placed.ok() && head.ok() && !after.empty()
                    ? ReserveAt(after.start, after.end)
                    : Succeeded();
    if (placed.ok() && head.ok() && tail.ok()) return absl::OkStatus();
    failure = !placed.ok() ? placed : !head.ok() ? head : tail;
    if (placed.ok()) {
      undo(address);
      if (head.ok() && !before.empty()) ReleaseAllocation(before.start);
    }
    if (Call restored = ReserveAgain(piece.start, piece.end); !restored.ok()) {
      return absl::DataLossError(absl::StrFormat(
          "windows: %s at %#x: the region's range [%#x, %#x) was released to "
          "place the mapping (%s) and another allocation took part of it "
          "(now there: %s): %s",
          operation, address, piece.start, piece.end,
          failure.status().message(),
          internal::DescribeAllocations(piece.start, piece.end),
          restored.status().message()));
    }
    if (failure.error != ERROR_INVALID_ADDRESS) return failure.status();
    SwitchToThread();
  }
  return absl::AbortedError(absl::StrFormat(
      "windows: %s at %#x: another allocation took part of [%#x, %#x) on "
      "each of %d attempts; last: %s",
      operation, address, piece.start, piece.end, kPlacementAttempts,
      failure.status().message()));
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
  const bool placeholders = placeholders_.usable();
  const uint64_t view_offset = file.window_start() + file_offset;
  const PlaceFn place = [&](uintptr_t at) -> Call {
    void* view = placeholders
                     ? placeholders_.map_view_of_file3(
                           section.handle(), GetCurrentProcess(), Pointer(at),
                           view_offset, bytes, kMemReplacePlaceholder,
                           section.view_protection(), nullptr, 0)
                     : MapViewOfFileEx(section.handle(), section.view_access(),
                                       static_cast<DWORD>(view_offset >> 32),
                                       static_cast<DWORD>(view_offset), bytes,
                                       Pointer(at));
    if (view != Pointer(at)) {
      Call call = Failed(absl::StrFormat(
          "%s('%s', copy-on-write, offset %#x, %u bytes, at %#x)",
          placeholders ? "MapViewOfFile3" : "MapViewOfFileEx", file.path(),
          view_offset, bytes, at));
      if (view != nullptr) {
        UnmapViewOfFile(view);
        call.error = ERROR_INVALID_ADDRESS;
      }
      return call;
    }
    // The view starts at the section's widest protection; narrow it now.
    Call narrowed = internal::ProtectPages(at, length, wanted);
    if (!narrowed.ok()) {
      if (placeholders) {
        placeholders_.unmap_view_of_file2(GetCurrentProcess(), view,
                                          kMemPreservePlaceholder);
      } else {
        UnmapViewOfFile(view);
      }
    }
    return narrowed;
  };
  return Place("map file", address, length, place,
               [](uintptr_t at) { UnmapViewOfFile(Pointer(at)); });
}

absl::Status WindowsBackend::MapZeroedRaw(uintptr_t address, size_t length,
                                          Protection protection) {
  const DWORD wanted = ToWin32(protection, /*file_backed=*/false);
  const bool placeholders = placeholders_.usable();
  const PlaceFn place = [&](uintptr_t at) -> Call {
    void* p = placeholders
                  ? placeholders_.virtual_alloc2(
                        nullptr, Pointer(at), length,
                        MEM_RESERVE | MEM_COMMIT | kMemReplacePlaceholder,
                        wanted, nullptr, 0)
                  : VirtualAlloc(Pointer(at), length, MEM_RESERVE | MEM_COMMIT,
                                 wanted);
    if (p == Pointer(at)) return Succeeded();
    Call call = Failed(absl::StrFormat(
        "%s(%#x, %u, MEM_RESERVE | MEM_COMMIT%s, %#x)",
        placeholders ? "VirtualAlloc2" : "VirtualAlloc", at, length,
        placeholders ? " | MEM_REPLACE_PLACEHOLDER" : "", wanted));
    if (p != nullptr) {
      VirtualFree(p, 0, MEM_RELEASE);
      call.error = ERROR_INVALID_ADDRESS;
    }
    return call;
  };
  return Place("map zeroed", address, length, place,
               [](uintptr_t at) { ReleaseAllocation(at); });
}

std::vector<WindowsBackend::Piece> WindowsBackend::Gaps(
    uintptr_t base, size_t size, absl::Span<const MappingView> mappings) const {
  const uintptr_t end = ReservationEnd(base, size);
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
  std::vector<Piece> gaps = Gaps(base, size, mappings);
  std::vector<Piece> ours;
  for (const Piece& gap : gaps) {
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
          base, gap.start, gap.end,
          internal::DescribeAllocations(gap.start, gap.end))));
    }
  }
  for (const MappingView& m : mappings) {
    if (!m.file_backed) {
      if (Call call = ReleaseAllocation(m.address); !call.ok())
        note(call.status());
    } else if (!UnmapViewOfFile(Pointer(m.address))) {
      note(Failed(absl::StrFormat("UnmapViewOfFile(%#x)", m.address)).status());
    }
  }
  for (const Piece& gap : ours) {
    if (Call call = ReleaseAllocation(gap.start); !call.ok())
      note(call.status());
  }
  return first_error;
}

}  // namespace

std::unique_ptr<MemoryBackend> internal::NewHostMemoryBackend(
    PageGeometry geometry) {
  return std::make_unique<WindowsBackend>(geometry);
}

}  // namespace granule
