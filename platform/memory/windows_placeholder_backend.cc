// SPDX-License-Identifier: Apache-2.0
// The placeholder strategy (windows_backend.h): every gap of a region is a
// placeholder. VirtualFree with MEM_PRESERVE_PLACEHOLDER splits off exactly
// a mapping's pages and MEM_REPLACE_PLACEHOLDER puts the view or the memory
// there, so the range is never free for another thread to take.
#include "absl/strings/str_format.h"
#include "platform/memory/windows_backend.h"

namespace granule::internal {
namespace {

class PlaceholderBackend final : public WindowsBackend {
 public:
  PlaceholderBackend(PageGeometry geometry, const Placeholders& placeholders)
      : WindowsBackend(geometry), calls_(placeholders) {}

 protected:
  absl::StatusOr<uintptr_t> ReserveRaw(size_t size, size_t alignment) override {
    // MemoryBackend::Reserve has checked that size + alignment fits.
    return ReservePlaceholder(calls_, RoundUp(size, granularity()), alignment,
                              granularity());
  }

  // Placeholders split on pages, so the next gap starts where the mapping
  // ends.
  uintptr_t GapStart(uintptr_t mapping_end) const override {
    return mapping_end;
  }

  absl::Status PlaceInPiece(const char*, const Piece& piece, uintptr_t address,
                            size_t length, const PlaceFn& place,
                            const UndoFn&) override {
    // Splits at the front only: the documented shape of a split.
    Win32Call split;
    if (address > piece.start) {
      split = SplitPlaceholder(piece.start, address - piece.start);
    }
    if (split.ok() && address + length < piece.end) {
      split = SplitPlaceholder(address, length);
    }
    Win32Call placed = split.ok() ? place(address) : split;
    if (placed.ok()) return absl::OkStatus();
    // Join the pieces again: a gap stays one placeholder.
    VirtualFree(Pointer(piece.start), piece.end - piece.start,
                MEM_RELEASE | kMemCoalescePlaceholders);
    return placed.status();
  }

  Win32Call MapViewAt(const Section& section, const File& file,
                      uint64_t view_offset, size_t bytes,
                      uintptr_t at) override {
    void* view = calls_.map_view_of_file3(
        section.handle(), GetCurrentProcess(), Pointer(at), view_offset, bytes,
        kMemReplacePlaceholder, section.view_protection(), nullptr, 0);
    return Landed(
        view, at,
        [&] {
          return absl::StrFormat(
              "MapViewOfFile3('%s', copy-on-write, offset %#x, %u bytes, at "
              "%#x)",
              file.path(), view_offset, bytes, at);
        },
        [](void* p) { UnmapViewOfFile(p); });
  }

  void UnmapViewAt(uintptr_t at) override {
    calls_.unmap_view_of_file2(GetCurrentProcess(), Pointer(at),
                               kMemPreservePlaceholder);
  }

  Win32Call AllocateAt(uintptr_t at, size_t length, DWORD protection) override {
    void* p = calls_.virtual_alloc2(
        nullptr, Pointer(at), length,
        MEM_RESERVE | MEM_COMMIT | kMemReplacePlaceholder, protection, nullptr,
        0);
    return Landed(
        p, at,
        [&] {
          return absl::StrFormat(
              "VirtualAlloc2(%#x, %u, MEM_RESERVE | MEM_COMMIT | "
              "MEM_REPLACE_PLACEHOLDER, %#x)",
              at, length, protection);
        },
        [](void* q) { VirtualFree(q, 0, MEM_RELEASE); });
  }

 private:
  const Placeholders calls_;
};

}  // namespace

std::unique_ptr<MemoryBackend> NewPlaceholderBackend(
    PageGeometry geometry, const Placeholders& placeholders) {
  return std::make_unique<PlaceholderBackend>(geometry, placeholders);
}

}  // namespace granule::internal
