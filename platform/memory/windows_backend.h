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
// mappings. Placing a mapping splits the gap piece that holds it. How it is
// split is the one thing the two strategies do differently, so each is its
// own class, chosen once by NewHostMemoryBackend:
//  - windows_placeholder_backend.cc: VirtualAlloc2 and MapViewOfFile3
//    (Windows 10 1803 and later, looked up at run time). The range is never
//    free, so no other thread can take it.
//  - windows_remapping_backend.cc: as Chromium's PartitionAlloc does without
//    placeholders, the piece is released and placed again, retrying when
//    another allocation takes part of it in between.
// Wine 8 exports VirtualAlloc2 but refuses MEM_RESERVE_PLACEHOLDER (error 87),
// so the choice is made by trying one placeholder when the backend is made.
// Only the remapping strategy runs under Wine, where the
// Windows build is tested; the placeholder strategy follows Microsoft's
// documentation and has not run here (docs/porting.md).
#ifndef GRANULE_PLATFORM_MEMORY_WINDOWS_BACKEND_H_
#define GRANULE_PLATFORM_MEMORY_WINDOWS_BACKEND_H_

#include <windows.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "platform/memory/memory_backend.h"
#include "platform/memory/win32_memory_windows.h"

namespace granule::internal {

class WindowsBackend : public MemoryBackend {
 public:
  explicit WindowsBackend(PageGeometry geometry) : geometry_(geometry) {}

  const BackendTraits& traits() const final;
  PageGeometry geometry() const final { return geometry_; }

 protected:
  // One allocation or reserved piece of a region: [start, end).
  struct Piece {
    uintptr_t start;
    uintptr_t end;
    bool empty() const { return start >= end; }
  };
  // Puts a mapping at `address`; on failure leaves the range as it was.
  using PlaceFn = std::function<Win32Call(uintptr_t address)>;
  // Removes a mapping `place` put there (the remapping strategy's rollback).
  using UndoFn = std::function<void(uintptr_t address)>;

  // The strategy: how a piece is split around a mapping, where the reserved
  // piece after a mapping starts, and the calls that place a view or memory
  // into a split piece.
  virtual absl::Status PlaceInPiece(const char* operation, const Piece& piece,
                                    uintptr_t address, size_t length,
                                    const PlaceFn& place,
                                    const UndoFn& undo) = 0;
  virtual uintptr_t GapStart(uintptr_t mapping_end) const = 0;
  virtual Win32Call MapViewAt(const Section& section, const File& file,
                              uint64_t view_offset, size_t bytes,
                              uintptr_t at) = 0;
  // Takes back a view MapViewAt placed, leaving the piece as it was before.
  virtual void UnmapViewAt(uintptr_t at) = 0;
  virtual Win32Call AllocateAt(uintptr_t at, size_t length,
                               DWORD protection) = 0;

  size_t granularity() const { return geometry_.allocation_granularity(); }

 private:
  absl::Status MapFileRaw(uintptr_t address, const File& file,
                          uint64_t file_offset, size_t length,
                          Protection protection) final;
  absl::Status MapZeroedRaw(uintptr_t address, size_t length,
                            Protection protection) final;
  absl::Status ProtectRaw(uintptr_t address, size_t length,
                          Protection protection, bool file_backed) final;
  absl::Status ReleaseRaw(uintptr_t base, size_t size,
                          absl::Span<const MappingView> mappings) final;

  absl::StatusOr<Piece> FindPiece(const char* operation, uintptr_t address,
                                  size_t length) const;
  absl::Status Place(const char* operation, uintptr_t address, size_t length,
                     const PlaceFn& place, const UndoFn& undo);
  std::vector<Piece> Gaps(uintptr_t base, size_t size,
                          absl::Span<const MappingView> mappings) const;

  const PageGeometry geometry_;
};

// What a placement call returned: `got` must be `at`. A view or allocation
// the system put elsewhere is taken back with `undo` and reported as
// ERROR_INVALID_ADDRESS; `text` names the call for the error.
template <typename TextFn, typename UndoFn>
Win32Call Landed(void* got, uintptr_t at, const TextFn& text,
                 const UndoFn& undo) {
  if (got == Pointer(at)) return Succeeded();
  Win32Call call = Failed(text());
  if (got != nullptr) {
    undo(got);
    call.error = ERROR_INVALID_ADDRESS;
  }
  return call;
}

std::unique_ptr<MemoryBackend> NewPlaceholderBackend(
    PageGeometry geometry, const Placeholders& placeholders);
std::unique_ptr<MemoryBackend> NewRemappingBackend(PageGeometry geometry);

}  // namespace granule::internal

#endif  // GRANULE_PLATFORM_MEMORY_WINDOWS_BACKEND_H_
