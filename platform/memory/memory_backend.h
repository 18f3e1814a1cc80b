// SPDX-License-Identifier: Apache-2.0
// The one memory abstraction granule's loader sees.
//
// A MemoryBackend hands out Regions: address ranges reserved with no access,
// aligned to a power of two. Inside a Region a caller maps file ranges
// (private, copy-on-write) or zero-filled memory, and changes protections.
// Releasing the Region (its destructor) returns everything in it.
//
// Every argument is checked here, in OS-neutral code, against the backend's
// PageGeometry, with the strictest rule any supported kernel applies:
//   - placements and file offsets are multiples of the allocation granularity
//     (Windows' rule for views; equal to the page size elsewhere);
//   - protection changes start on a page boundary and lengths round up to
//     whole pages (mprotect's and VirtualProtect's rule);
//   - a protection change stays inside one mapping, and mappings never overlap
//     (VirtualProtect cannot span two views; MapViewOfFile cannot replace one).
// So a request that works on one backend works on all, and the simulated
// backend reproduces a foreign machine's rules here. Backends implement only
// the raw operations, on arguments that already passed these checks.
#ifndef GRANULE_PLATFORM_MEMORY_MEMORY_BACKEND_H_
#define GRANULE_PLATFORM_MEMORY_MEMORY_BACKEND_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "platform/file.h"
#include "platform/memory/protection.h"
#include "platform/page_geometry.h"

namespace granule {

// How a file mapping's pages will be read, so the system can read ahead (or
// not): a hint that changes no byte and no protection.
enum class AccessAdvice {
  // Read only the page a fault needs: no read-around, so bytes between the
  // ranges that are used (64 KiB padding) never enter the page cache.
  kRandom,
  // Read these pages into the page cache now, ahead of use.
  kWillNeed,
};
const char* AccessAdviceName(AccessAdvice advice);  // "random", "willneed"

// What a backend can and cannot do, stated as constants (the PartitionAlloc
// habit) so callers and tests branch on facts, not on backend names.
struct BackendTraits {
  const char* name;
  // munmap can trim a reservation; VirtualFree and free() cannot.
  bool can_release_partially;
  // Protections are enforced by the hardware. The heap backends record them
  // (ProtectionAt answers) but any byte stays writable.
  bool enforces_protection;
  // File mappings share clean pages with other processes through the page
  // cache. False when file bytes are copied into private memory.
  bool shares_file_pages;
  // A reservation can be divided into slots, each mapped and then returned
  // to reserved-with-no-access on its own (AddressArena). Not so on Windows,
  // where views inside a reservation need placeholders.
  bool carves_reservations;
};

class AddressArena;
class MemoryBackend;

// An owned, reserved address range. Move-only; released on destruction.
// Not thread-safe: one owner at a time.
class Region {
 public:
  Region(Region&& other) noexcept;
  Region& operator=(Region&& other) noexcept;
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  ~Region();

  uint8_t* data() const { return reinterpret_cast<uint8_t*>(base_); }
  uintptr_t base() const { return base_; }
  size_t size() const { return size_; }
  MemoryBackend& backend() const { return *backend_; }

  // Maps `length` bytes of `file` from `file_offset` at data() + `offset`,
  // private and copy-on-write: writes (after Protect to kReadWrite, or with
  // an initial kReadWrite) never reach the file. The mapping covers whole
  // pages; bytes of its last page past `length` are unspecified (file
  // contents or zeros), so a loader clears what it needs cleared.
  absl::Status MapFile(size_t offset, const File& file, uint64_t file_offset,
                       size_t length,
                       Protection protection = Protection::kRead);

  // Makes data() + [offset, offset + length) zero-filled private memory.
  absl::Status MapZeroed(size_t offset, size_t length,
                         Protection protection = Protection::kReadWrite);

  // Changes the protection of whole pages inside one mapping.
  absl::Status Protect(size_t offset, size_t length, Protection protection);

  // Faults in now, writable, the whole pages of [offset, offset + length),
  // which must lie inside one mapping and be read-write, so that later writes
  // (a loader's relocations) take no page fault each. Bytes and protections
  // do not change. Where the system has no way to do this in one call it
  // touches each page; backends whose memory is always present (the heap)
  // do nothing. See LoadOptions::populate_writable.
  absl::Status Populate(size_t offset, size_t length);

  // Advises the system how the whole pages of [offset, offset + length),
  // inside one file mapping, will be read. Backends without file mappings
  // or without such hints (the heap, Windows) do nothing. An error (the
  // system refused the hint) leaves the mapping as it was.
  absl::Status Advise(size_t offset, size_t length, AccessAdvice advice);

  // The protection recorded for the page holding data() + offset: kNone when
  // nothing is mapped there. On backends that enforce protection it is also
  // what the hardware enforces.
  Protection ProtectionAt(size_t offset) const;

  size_t mapping_count() const { return mappings_.size(); }

  // Releases now and reports failure; the destructor calls it too. Afterwards
  // the Region is empty (size() == 0). A slot of an AddressArena goes back to
  // the arena, reserved with no access, for another Region.
  absl::Status Release();

 private:
  friend class AddressArena;
  friend class MemoryBackend;

  struct Mapping {
    size_t offset;
    size_t length;  // Whole pages.
    bool file_backed;
    ProtectionRuns runs;
  };

  Region(MemoryBackend* backend, uintptr_t base, size_t size)
      : backend_(backend), base_(base), size_(size) {}

  // Checks that [offset, offset + length) rounded up to whole pages is a
  // fresh placement inside the region; returns the rounded length.
  absl::StatusOr<size_t> CheckPlacement(const char* operation, size_t offset,
                                        size_t length) const;
  struct PagesInMapping {
    const Mapping* mapping;
    size_t length;  // Rounded up to whole pages.
  };
  // Checks that [offset, offset + length) starts on a page and, rounded up to
  // whole pages, lies inside one mapping (a file mapping if
  // `file_backed_only`). `operation` names the request in errors.
  absl::StatusOr<PagesInMapping> FindPagesInOneMapping(
      const std::string& operation, size_t offset, size_t length,
      bool file_backed_only) const;
  void AddMapping(size_t offset, size_t length, bool file_backed,
                  Protection protection);
  const Mapping* FindMapping(size_t offset) const;
  Mapping* FindMapping(size_t offset) {
    return const_cast<Mapping*>(std::as_const(*this).FindMapping(offset));
  }

  MemoryBackend* backend_;
  uintptr_t base_;
  size_t size_;
  // Sorted by offset, never overlapping. An image's region holds one to a
  // few mappings.
  absl::InlinedVector<Mapping, 2> mappings_;
  std::shared_ptr<AddressArena> arena_;  // Set for an arena's slots.
};

class MemoryBackend {
 public:
  virtual ~MemoryBackend() = default;

  virtual const BackendTraits& traits() const = 0;
  virtual PageGeometry geometry() const = 0;

  // Reserves at least `size` bytes (rounded up to whole pages) with no
  // access, aligned to `alignment`, a power of two; alignments below the
  // allocation granularity are raised to it. Thread-safe.
  absl::StatusOr<Region> Reserve(size_t size, size_t alignment);

  // Reserve(size, alignment) and MapFile(0, file, file_offset, length,
  // protection) on the new region, with the same checks and errors, as one
  // step. Where the system can put a file mapping at a free address of the
  // caller's choosing (POSIX), a region that the mapping fills is made by
  // that one call: no over-sized reservation for the mapping to split, and
  // one munmap to release it. On error nothing is left reserved.
  absl::StatusOr<Region> ReserveMappingFile(size_t size, size_t alignment,
                                            const File& file,
                                            uint64_t file_offset,
                                            size_t length,
                                            Protection protection);

  // The ledger: regions and mappings alive right now on this backend. Tests
  // assert both return to zero, so no error path leaks address space.
  size_t live_regions() const { return live_regions_.load(); }
  size_t live_mappings() const { return live_mappings_.load(); }

 protected:
  struct MappingView {
    uintptr_t address;
    size_t length;
    bool file_backed;
  };

  // Raw operations. Arguments have been checked against geometry() and the
  // region; addresses are absolute. ReserveRaw's alignment is a power of two
  // at least the granularity, and size + alignment does not overflow. Each
  // returns an error naming the system call, address, length and errno, and on
  // error leaves no new mapping.
  virtual absl::StatusOr<uintptr_t> ReserveRaw(size_t size,
                                               size_t alignment) = 0;
  // ReserveRaw(size, alignment) with `file`'s range mapped over the first
  // `length` bytes (whole pages, at most `size`), as MapFileRaw would. The
  // default makes the two calls, releasing the reservation if the map fails.
  virtual absl::StatusOr<uintptr_t> ReserveMappingFileRaw(
      size_t size, size_t alignment, const File& file, uint64_t file_offset,
      size_t length, Protection protection);
  virtual absl::Status MapFileRaw(uintptr_t address, const File& file,
                                  uint64_t file_offset, size_t length,
                                  Protection protection) = 0;
  virtual absl::Status MapZeroedRaw(uintptr_t address, size_t length,
                                    Protection protection) = 0;
  virtual absl::Status ProtectRaw(uintptr_t address, size_t length,
                                  Protection protection, bool file_backed) = 0;
  // Faults in a read-write range (Region::Populate checked it). The default
  // does nothing: for backends whose memory is always present.
  virtual absl::Status PopulateRaw(uintptr_t /*address*/, size_t /*length*/) {
    return absl::OkStatus();
  }
  // Passes on Region::Advise (checked: whole pages of one file mapping). The
  // default does nothing: for backends with no such hint.
  virtual absl::Status AdviseRaw(uintptr_t /*address*/, size_t /*length*/,
                                 AccessAdvice /*advice*/) {
    return absl::OkStatus();
  }
  // Returns the reservation and every mapping in it to the system.
  virtual absl::Status ReleaseRaw(uintptr_t base, size_t size,
                                  absl::Span<const MappingView> mappings) = 0;
  // Returns a slot carved from a reservation to reserved with no access: its
  // mappings gone, the range still held (AddressArena). Only called where
  // traits().carves_reservations; the default refuses.
  virtual absl::Status ResetRaw(uintptr_t address, size_t size,
                                absl::Span<const MappingView> mappings);

 private:
  friend class AddressArena;
  friend class Region;
  struct ReserveRequest {
    size_t size;       // Rounded up to whole pages.
    size_t alignment;  // At least the allocation granularity.
  };
  // Reserve's argument checks.
  absl::StatusOr<ReserveRequest> CheckReserve(size_t size,
                                              size_t alignment) const;
  // MapFile's checks of the file range.
  absl::Status CheckFileRange(const File& file, uint64_t file_offset,
                              size_t length) const;
  // A new region's alignment, checked after the raw call.
  absl::Status CheckAligned(uintptr_t base, size_t alignment) const;

  std::atomic<size_t> live_regions_{0};
  std::atomic<size_t> live_mappings_{0};
};

// The backend for this operating system (POSIX mmap, Windows views), created
// once for the life of the process. Fails only when the host page geometry is
// unusable.
absl::StatusOr<MemoryBackend*> HostMemoryBackend();

namespace internal {
// Rounds `value` up to a multiple of `unit` (a power of two); false when
// the result does not fit a size_t.
bool RoundUp(size_t value, size_t unit, size_t* out);

// Defined by the OS's backend file (posix_backend.cc, windows_backend.cc), so
// callers never see an #ifdef; HostMemoryBackend calls it once.
std::unique_ptr<MemoryBackend> NewHostMemoryBackend(PageGeometry geometry);
}  // namespace internal

}  // namespace granule

#endif  // GRANULE_PLATFORM_MEMORY_MEMORY_BACKEND_H_
