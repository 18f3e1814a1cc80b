// SPDX-License-Identifier: Apache-2.0
// An address-space arena: many loads from one reservation.
//
// An arena reserves one large region (address space only, no memory),
// carves slots from it aligned as asked, and takes a released slot back,
// returned to reserved-with-no-access, for the next load. When no free range
// fits it reserves another region; a region that becomes wholly free, other
// than the first, is released. So images sit together in address space
// reserved up front, and a released image's range stays held for the next.
//
// It is not the fastest placement on Linux: mapping into a slot splits the
// arena's mapping and returning the slot merges it again, which measured
// slower over the Guile corpus than an image placed by its own mapping
// (MemoryBackend::ReserveMappingFile), the loader's default.
//
// Slots are Regions like any other: the same checks, the same ledger (a live
// slot counts as a live region of the backend, as do the arena's regions).
// Backends that cannot divide a reservation (BackendTraits::
// carves_reservations false: Windows, whose views need placeholders) get one
// reservation per slot, as without an arena; reserved_bytes() says so.
#ifndef GRANULE_PLATFORM_MEMORY_ADDRESS_ARENA_H_
#define GRANULE_PLATFORM_MEMORY_ADDRESS_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/memory/memory_backend.h"
#include "platform/mutex.h"

namespace granule {

class AddressArena : public std::enable_shared_from_this<AddressArena> {
 public:
  // 64 MiB of address space per region: a few hundred Guile modules. On
  // 64-bit hosts address space is plentiful; 32-bit ones can pass less.
  static constexpr size_t kDefaultRegionSize = size_t{64} << 20;
  // Slots are multiples of this (and of the backend's granularity), which is
  // also the smallest alignment: the 64 KiB every granule image is aligned to.
  static constexpr size_t kSlotUnit = size_t{64} << 10;

  // An arena over `backend`, which must outlive it. No address space is
  // reserved until the first slot. Slots keep the arena alive.
  static std::shared_ptr<AddressArena> Create(
      MemoryBackend& backend, size_t region_size = kDefaultRegionSize);

  AddressArena(const AddressArena&) = delete;
  AddressArena& operator=(const AddressArena&) = delete;
  ~AddressArena();

  MemoryBackend& backend() const { return backend_; }

  // A Region of at least `size` bytes aligned to `alignment` (a power of
  // two), carved from a free range or a new region. Releasing it returns it
  // here. Thread-safe.
  absl::StatusOr<Region> Reserve(size_t size, size_t alignment);

  struct Usage {
    size_t regions;         // Reservations the arena holds (or slots, where
                            // the backend cannot carve).
    size_t reserved_bytes;  // Address space they span.
    size_t slot_bytes;      // Of that, in live slots.
    size_t live_slots;
  };
  Usage usage() const;

 private:
  friend class Region;
  struct Chunk {
    Region region;
    std::map<uintptr_t, size_t> free;  // Free ranges by address: length.
  };

  AddressArena(MemoryBackend& backend, size_t region_size);
  bool carves() const { return backend_.traits().carves_reservations; }
  // Finds an aligned free range in `chunk` and takes it; 0 when none fits.
  static uintptr_t TakeFrom(Chunk& chunk, size_t size, size_t alignment);
  absl::StatusOr<Region> NewSlot(uintptr_t base, size_t size);
  // Region::Release's hand-back of a slot it returned to reserved.
  void ReturnSlot(uintptr_t base, size_t size);

  MemoryBackend& backend_;
  const size_t region_size_;
  mutable Mutex mutex_;
  // In address order, so carving is address-ordered first fit (which keeps
  // fragmentation low: released ranges near the start are reused first).
  std::vector<std::unique_ptr<Chunk>> chunks_ ABSL_GUARDED_BY(mutex_);
  size_t slot_bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  size_t live_slots_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace granule

#endif  // GRANULE_PLATFORM_MEMORY_ADDRESS_ARENA_H_
