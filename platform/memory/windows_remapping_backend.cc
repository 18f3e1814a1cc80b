// SPDX-License-Identifier: Apache-2.0
// The remapping strategy (windows_backend.h), as Chromium's PartitionAlloc
// places memory without placeholders: the gap piece holding a mapping is
// released, and the mapping and the rest of the piece are placed again at
// the same addresses. Another allocation may take the range in between; then
// the piece is reserved again and the placement retried a bounded number of
// times. This backend's own threads take turns (one mutex), so only other
// allocators in the process can race it; if one keeps part of the range,
// the error names the range and says so.
#include <mutex>

#include "absl/strings/str_format.h"
#include "platform/memory/windows_backend.h"

namespace granule::internal {
namespace {

// Placements lost to another thread are retried this often.
constexpr int kPlacementAttempts = 16;

// Takes the piece back after a failed placement, waiting a bounded number
// of turns for a transient allocation that took part of it to go away.
Win32Call ReserveAgain(uintptr_t start, uintptr_t end) {
  Win32Call call;
  for (int attempt = 0; attempt < kPlacementAttempts; ++attempt) {
    call = ReserveAt(start, end);
    if (call.ok() || call.error != ERROR_INVALID_ADDRESS) break;
    SwitchToThread();
  }
  return call;
}

class RemappingBackend final : public WindowsBackend {
 public:
  using WindowsBackend::WindowsBackend;

 protected:
  absl::StatusOr<uintptr_t> ReserveRaw(size_t size, size_t alignment) override {
    std::lock_guard<std::mutex> lock(remapping_);
    return ReserveAligned(RoundUp(size, granularity()), alignment,
                          granularity(), kPlacementAttempts);
  }

  // Reservations start on the granularity, so the rest of a mapping's last
  // granule stays free (and no one else can allocate there).
  uintptr_t GapStart(uintptr_t mapping_end) const override {
    return RoundUp(mapping_end, granularity());
  }

  absl::Status PlaceInPiece(const char* operation, const Piece& piece,
                            uintptr_t address, size_t length,
                            const PlaceFn& place, const UndoFn& undo) override;

  Win32Call MapViewAt(const Section& section, const File& file,
                      uint64_t view_offset, size_t bytes,
                      uintptr_t at) override {
    void* view = MapViewOfFileEx(section.handle(), section.view_access(),
                                 static_cast<DWORD>(view_offset >> 32),
                                 static_cast<DWORD>(view_offset), bytes,
                                 Pointer(at));
    return Landed(
        view, at,
        [&] {
          return absl::StrFormat(
              "MapViewOfFileEx('%s', copy-on-write, offset %#x, %u bytes, at "
              "%#x)",
              file.path(), view_offset, bytes, at);
        },
        [](void* p) { UnmapViewOfFile(p); });
  }

  void UnmapViewAt(uintptr_t at) override { UnmapViewOfFile(Pointer(at)); }

  Win32Call AllocateAt(uintptr_t at, size_t length, DWORD protection) override {
    void* p = VirtualAlloc(Pointer(at), length, MEM_RESERVE | MEM_COMMIT,
                           protection);
    return Landed(
        p, at,
        [&] {
          return absl::StrFormat("VirtualAlloc(%#x, %u, MEM_RESERVE | "
                                 "MEM_COMMIT, %#x)",
                                 at, length, protection);
        },
        [](void* q) { VirtualFree(q, 0, MEM_RELEASE); });
  }

 private:
  // Held while a range is released to be placed again.
  std::mutex remapping_;
};

absl::Status RemappingBackend::PlaceInPiece(const char* operation,
                                            const Piece& piece,
                                            uintptr_t address, size_t length,
                                            const PlaceFn& place,
                                            const UndoFn& undo) {
  const Piece before{piece.start, address};
  const Piece after{GapStart(address + length), piece.end};
  std::lock_guard<std::mutex> lock(remapping_);
  Win32Call failure;
  for (int attempt = 0; attempt < kPlacementAttempts; ++attempt) {
    if (Win32Call freed = ReleaseAllocation(piece.start); !freed.ok())
      return freed.status();
    Win32Call placed = place(address);
    Win32Call head = placed.ok() && !before.empty()
                         ? ReserveAt(before.start, before.end)
                         : Succeeded();
    Win32Call tail = placed.ok() && head.ok() && !after.empty()
                         ? ReserveAt(after.start, after.end)
                         : Succeeded();
    if (placed.ok() && head.ok() && tail.ok()) return absl::OkStatus();
    failure = !placed.ok() ? placed : !head.ok() ? head : tail;
    if (placed.ok()) {
      undo(address);
      if (head.ok() && !before.empty()) ReleaseAllocation(before.start);
    }
    if (Win32Call restored = ReserveAgain(piece.start, piece.end);
        !restored.ok()) {
      return absl::DataLossError(absl::StrFormat(
          "windows: %s at %#x: the region's range [%#x, %#x) was released to "
          "place the mapping (%s) and another allocation took part of it "
          "(now there: %s): %s",
          operation, address, piece.start, piece.end,
          failure.status().message(),
          DescribeAllocations(piece.start, piece.end),
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

}  // namespace

std::unique_ptr<MemoryBackend> NewRemappingBackend(PageGeometry geometry) {
  return std::make_unique<RemappingBackend>(geometry);
}

}  // namespace granule::internal
