// SPDX-License-Identifier: Apache-2.0
// Page geometry: the two units every memory operation is measured in.
//
// The page size is the protection unit: mprotect/VirtualProtect change whole
// pages. The allocation granularity is the placement unit: reservations and
// file views start on its multiples. They are equal on Linux, macOS and the
// BSDs; Windows has 4 KiB pages but a 64 KiB granularity, and Cygwin reports
// 64 KiB for both. Keeping them apart is what makes one 64 KiB-aligned image
// valid everywhere.
#ifndef GRANULE_PLATFORM_PAGE_GEOMETRY_H_
#define GRANULE_PLATFORM_PAGE_GEOMETRY_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace granule {

class PageGeometry {
 public:
  // Both values must be powers of two and the granularity a multiple of the
  // page size; anything else is an InvalidArgument naming the value.
  static absl::StatusOr<PageGeometry> Create(uint64_t page_size,
                                             uint64_t allocation_granularity);

  size_t page_size() const { return page_size_; }
  size_t allocation_granularity() const { return allocation_granularity_; }

  // True when both units divide `alignment`: a segment aligned to it can then
  // be placed and protected on its own. This is the shared-path condition.
  bool Divides(uint64_t alignment) const;

  // "page 4 KiB, allocation granularity 64 KiB".
  std::string ToString() const;

  friend bool operator==(const PageGeometry& a, const PageGeometry& b) {
    return a.page_size_ == b.page_size_ &&
           a.allocation_granularity_ == b.allocation_granularity_;
  }
  friend bool operator!=(const PageGeometry& a, const PageGeometry& b) {
    return !(a == b);
  }

 private:
  PageGeometry(size_t page_size, size_t allocation_granularity)
      : page_size_(page_size),
        allocation_granularity_(allocation_granularity) {}

  size_t page_size_;
  size_t allocation_granularity_;
};

// The geometry of the machine this process runs on, asked of the operating
// system once and cached. Never a guess: if the system gives no usable answer
// the error says so.
absl::StatusOr<PageGeometry> HostPageGeometry();

// Formats a byte count the way page sizes are spoken of: "4 KiB", "64 KiB",
// "2 MiB", or plain bytes when it is not a whole number of KiB.
std::string FormatBytes(uint64_t bytes);

bool IsPowerOfTwo(uint64_t value);

namespace internal {

// What the operating system reported, before validation. Implemented once per
// OS (page_geometry_posix.cc, ...).
struct RawHostGeometry {
  uint64_t page_size;
  uint64_t allocation_granularity;
  const char* source;  // Which call answered, for error messages.
};
absl::StatusOr<RawHostGeometry> QueryHostGeometry();

}  // namespace internal
}  // namespace granule

#endif  // GRANULE_PLATFORM_PAGE_GEOMETRY_H_
