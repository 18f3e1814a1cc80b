// SPDX-License-Identifier: Apache-2.0
// POSIX backend: mmap, mprotect, munmap (Linux, macOS, the BSDs).
//
// A reservation is an anonymous PROT_NONE mapping; file ranges and zeroed
// memory are placed inside it with MAP_FIXED, which replaces the reserved
// pages atomically, so the range is never open to another mapping.
//
// mmap aligns only to the page size, so a reservation over-reserves by the
// alignment and keeps the slack on both sides reserved (PROT_NONE, no
// memory) until release, which unmaps the whole original range: trimming it
// would cost two munmap calls per load, as much as the mapping itself.
//
// A region that one file mapping fills (ReserveMappingFile) needs no
// reservation at all where the address just below the last such region is
// free: the file is mapped there directly, one mmap that must not replace
// anything (MAP_FIXED_NOREPLACE; a kernel that ignores the flag takes the
// address as a hint, and a mapping placed elsewhere is undone), and one
// munmap releases it. The kernel would put an unhinted mapping about there
// too (it fills address space downwards), but at page alignment only. When
// the address is taken the region is reserved as above.
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_format.h"
#include "platform/checked.h"
#include "platform/memory/memory_backend.h"
#include "platform/mutex.h"
#include "platform/status_macros.h"

namespace granule {
namespace {

int ToPosix(Protection protection) {
  switch (protection) {
    case Protection::kNone:
      return PROT_NONE;
    case Protection::kRead:
      return PROT_READ;
    case Protection::kReadWrite:
      return PROT_READ | PROT_WRITE;
    case Protection::kReadExecute:
      return PROT_READ | PROT_EXEC;
  }
  return PROT_NONE;
}

// Fails rather than replacing a mapping already there (Linux 4.17+,
// FreeBSD's MAP_EXCL); elsewhere the address is a hint, checked after.
#if defined(MAP_FIXED_NOREPLACE)
constexpr int kNoReplace = MAP_FIXED_NOREPLACE;
#elif defined(MAP_EXCL)
constexpr int kNoReplace = MAP_FIXED | MAP_EXCL;
#else
constexpr int kNoReplace = 0;
#endif

// Where the next region goes is kept on this boundary, the image alignment,
// so releasing the lowest region gives back exactly the address it took.
constexpr uintptr_t kPlacementUnit = uintptr_t{64} << 10;

// The placement boundary at or below `address`.
uintptr_t PlacementBoundary(uintptr_t address) {
  return static_cast<uintptr_t>(checked::AlignDown(address, kPlacementUnit));
}

absl::Status CallFailed(int error, const std::string& call) {
  return absl::ErrnoToStatus(error, absl::StrFormat("posix: %s failed", call));
}

class PosixBackend final : public MemoryBackend {
 public:
  explicit PosixBackend(PageGeometry geometry) : geometry_(geometry) {}

  const BackendTraits& traits() const override {
    static constexpr BackendTraits kTraits = {
        /*name=*/"posix",
        /*can_release_partially=*/true,
        /*enforces_protection=*/true,
        /*shares_file_pages=*/true,
        /*carves_reservations=*/true,
    };
    return kTraits;
  }
  PageGeometry geometry() const override { return geometry_; }

 protected:
  absl::StatusOr<uintptr_t> ReserveRaw(size_t size, size_t alignment) override {
    // MemoryBackend::Reserve has checked that size + alignment fits.
    const size_t padded = size + alignment - geometry_.page_size();
    void* p = mmap(nullptr, padded, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      return CallFailed(
          errno, absl::StrFormat("mmap(NULL, %u, none, anonymous)", padded));
    }
    const uintptr_t start = reinterpret_cast<uintptr_t>(p);
    const uintptr_t base = (start + alignment - 1) & ~(alignment - 1);
    if (padded != size) {
      MutexLock lock(&mutex_);
      reservations_[base] = {start, padded};
      // Before the region is returned, so the thread that releases it (which
      // was handed it after this) sees the count.
      reservations_held_.fetch_add(1, std::memory_order_release);
    }
    return base;
  }

  absl::StatusOr<uintptr_t> ReserveMappingFileRaw(
      size_t size, size_t alignment, const File& file, uint64_t file_offset,
      size_t length, Protection protection) override {
    if (length == size) {
      if (std::optional<uintptr_t> base =
              MapBelowLastPlacement(size, alignment, file, file_offset,
                                    protection)) {
        return *base;
      }
    }
    GRANULE_ASSIGN_OR_RETURN(
        uintptr_t base,
        MemoryBackend::ReserveMappingFileRaw(size, alignment, file,
                                             file_offset, length, protection));
    // The next region goes below this one's whole reservation.
    placement_top_.store(PlacementBoundary(ReservationStart(base)),
                         std::memory_order_relaxed);
    return base;
  }

  absl::Status MapFileRaw(uintptr_t address, const File& file,
                          uint64_t file_offset, size_t length,
                          Protection protection) override {
    void* p =
        mmap(reinterpret_cast<void*>(address), length, ToPosix(protection),
             MAP_PRIVATE | MAP_FIXED, static_cast<int>(file.native_handle()),
             static_cast<off_t>(file.window_start() + file_offset));
    if (p == MAP_FAILED) {
      return CallFailed(
          errno, absl::StrFormat("mmap(%#x, %u, %s, '%s' at offset %#x)",
                                 address, length, ProtectionName(protection),
                                 file.path(),
                                 file.window_start() + file_offset));
    }
    return absl::OkStatus();
  }

  absl::Status MapZeroedRaw(uintptr_t address, size_t length,
                            Protection protection) override {
    void* p =
        mmap(reinterpret_cast<void*>(address), length, ToPosix(protection),
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) {
      return CallFailed(errno,
                        absl::StrFormat("mmap(%#x, %u, %s, anonymous)", address,
                                        length, ProtectionName(protection)));
    }
    return absl::OkStatus();
  }

  absl::Status ProtectRaw(uintptr_t address, size_t length,
                          Protection protection, bool) override {
    if (mprotect(reinterpret_cast<void*>(address), length,
                 ToPosix(protection)) != 0) {
      return CallFailed(
          errno, absl::StrFormat("mprotect(%#x, %u, %s)", address, length,
                                 ProtectionName(protection)));
    }
    return absl::OkStatus();
  }

  absl::Status PopulateRaw(uintptr_t address, size_t length) override {
#ifdef MADV_POPULATE_WRITE
    // Linux 5.14+: one call faults every page in writable (private copies of
    // file pages). Older kernels answer EINVAL for the unknown advice.
    if (!populate_unsupported_.load(std::memory_order_relaxed)) {
      if (madvise(reinterpret_cast<void*>(address), length,
                  MADV_POPULATE_WRITE) == 0) {
        return absl::OkStatus();
      }
      if (errno != EINVAL) {
        return CallFailed(
            errno, absl::StrFormat("madvise(%#x, %u, POPULATE_WRITE)", address,
                                   length));
      }
      populate_unsupported_.store(true, std::memory_order_relaxed);
    }
#endif
    // Elsewhere, a write to each page does the same, one fault at a time.
    // Writing back the byte read leaves the contents as they were.
    for (size_t at = 0; at < length; at += geometry_.page_size()) {
      volatile uint8_t* page = reinterpret_cast<uint8_t*>(address + at);
      *page = *page;
    }
    return absl::OkStatus();
  }

  absl::Status AdviseRaw(uintptr_t address, size_t length,
                         AccessAdvice advice) override {
    const int posix_advice =
        advice == AccessAdvice::kRandom ? MADV_RANDOM : MADV_WILLNEED;
    if (madvise(reinterpret_cast<void*>(address), length, posix_advice) != 0) {
      return CallFailed(errno,
                        absl::StrFormat("madvise(%#x, %u, %s)", address, length,
                                        AccessAdviceName(advice)));
    }
    return absl::OkStatus();
  }

  absl::Status ResetRaw(uintptr_t address, size_t size,
                        absl::Span<const MappingView> mappings) override {
    if (mappings.empty()) return absl::OkStatus();
    // One fixed PROT_NONE mapping replaces every mapping in the slot, so the
    // range is never open to another mapping (munmap would open it).
    void* p = mmap(reinterpret_cast<void*>(address), size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
                   0);
    if (p == MAP_FAILED) {
      return CallFailed(errno, absl::StrFormat("mmap(%#x, %u, none, fixed)",
                                               address, size));
    }
    return absl::OkStatus();
  }

  absl::Status ReleaseRaw(uintptr_t base, size_t size,
                          absl::Span<const MappingView>) override {
    // Mappings placed with MAP_FIXED are part of the range; one call frees
    // them and the reservation's slack.
    const std::optional<Reservation> padded = TakeReservation(base);
    const Reservation whole = padded.value_or(Reservation{base, size});
    if (munmap(reinterpret_cast<void*>(whole.start), whole.size) != 0) {
      return CallFailed(
          errno, absl::StrFormat("munmap(%#x, %u)", whole.start, whole.size));
    }
    if (!padded) {
      // The lowest region placed gives its addresses back to the next one.
      // (Not one reserved because that address was taken: the next goes
      // where the kernel found room, below it.)
      uintptr_t lowest = PlacementBoundary(base);
      placement_top_.compare_exchange_strong(
          lowest, PlacementBoundary(base + size + kPlacementUnit - 1),
          std::memory_order_relaxed);
    }
    return absl::OkStatus();
  }

 private:
  struct Reservation {
    uintptr_t start;
    size_t size;
  };

  // Maps the file range, `size` bytes, at the highest address aligned to
  // `alignment` that ends at or below the last placement, if nothing is
  // mapped there; nullopt (and nothing mapped) if anything is, or if the
  // system refuses for any other reason (ReserveRaw's path then reports it).
  std::optional<uintptr_t> MapBelowLastPlacement(size_t size,
                                                 size_t alignment,
                                                 const File& file,
                                                 uint64_t file_offset,
                                                 Protection protection) {
    const uintptr_t top = placement_top_.load(std::memory_order_relaxed);
    if (top < size + alignment) return std::nullopt;  // None yet, or no room.
    const uintptr_t base =
        static_cast<uintptr_t>(checked::AlignDown(top - size, alignment));
    void* p = mmap(reinterpret_cast<void*>(base), size, ToPosix(protection),
                   MAP_PRIVATE | kNoReplace,
                   static_cast<int>(file.native_handle()),
                   static_cast<off_t>(file.window_start() + file_offset));
    if (p == MAP_FAILED) return std::nullopt;
    if (reinterpret_cast<uintptr_t>(p) != base) {
      munmap(p, size);  // The hint was not taken: placed elsewhere.
      return std::nullopt;
    }
    placement_top_.store(PlacementBoundary(base),
                         std::memory_order_relaxed);
    return base;
  }

  // Where the region at `base` begins with its slack.
  uintptr_t ReservationStart(uintptr_t base) {
    if (reservations_held_.load(std::memory_order_acquire) == 0) return base;
    MutexLock lock(&mutex_);
    auto it = reservations_.find(base);
    return it == reservations_.end() ? base : it->second.start;
  }

  // The range mmap returned for the region at `base`, forgotten here;
  // nullopt for a region with no slack.
  // Regions that a file mapping fills have none; with no reservation held
  // the lookup takes no lock.
  std::optional<Reservation> TakeReservation(uintptr_t base) {
    if (reservations_held_.load(std::memory_order_acquire) == 0) {
      return std::nullopt;
    }
    MutexLock lock(&mutex_);
    auto it = reservations_.find(base);
    if (it == reservations_.end()) return std::nullopt;
    const Reservation whole = it->second;
    reservations_.erase(it);
    reservations_held_.fetch_sub(1, std::memory_order_relaxed);
    return whole;
  }

  const PageGeometry geometry_;
  Mutex mutex_;
  // Regions reserved with slack around them, by base.
  std::map<uintptr_t, Reservation> reservations_ ABSL_GUARDED_BY(mutex_);
  // reservations_.size(), readable without the lock.
  std::atomic<size_t> reservations_held_{0};
  std::atomic<bool> populate_unsupported_{false};
  // Regions that a file mapping fills are placed just below this address
  // (0: none placed yet). Only a hint: the kernel checks every placement.
  std::atomic<uintptr_t> placement_top_{0};
};

}  // namespace

std::unique_ptr<MemoryBackend> internal::NewHostMemoryBackend(
    PageGeometry geometry) {
  return std::make_unique<PosixBackend>(geometry);
}

}  // namespace granule
