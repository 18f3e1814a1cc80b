// SPDX-License-Identifier: Apache-2.0
#include "platform/page_geometry.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/status_macros.h"

namespace granule {

bool IsPowerOfTwo(uint64_t value) {
  return value != 0 && (value & (value - 1)) == 0;
}

std::string FormatBytes(uint64_t bytes) {
  constexpr uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
  if (bytes != 0 && bytes % kGiB == 0)
    return absl::StrFormat("%u GiB", bytes / kGiB);
  if (bytes != 0 && bytes % kMiB == 0)
    return absl::StrFormat("%u MiB", bytes / kMiB);
  if (bytes != 0 && bytes % kKiB == 0)
    return absl::StrFormat("%u KiB", bytes / kKiB);
  return absl::StrFormat("%u bytes", bytes);
}

absl::StatusOr<PageGeometry> PageGeometry::Create(
    uint64_t page_size, uint64_t allocation_granularity) {
  if (!IsPowerOfTwo(page_size)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("page size %u is not a power of two", page_size));
  }
  if (!IsPowerOfTwo(allocation_granularity)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("allocation granularity %u is not a power of two",
                        allocation_granularity));
  }
  if (allocation_granularity < page_size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "allocation granularity %u is smaller than the page size %u",
        allocation_granularity, page_size));
  }
  return PageGeometry(page_size, allocation_granularity);
}

bool PageGeometry::Divides(uint64_t alignment) const {
  // Both are powers of two and the granularity is the larger, so checking it
  // covers the page size too; the page size check documents the intent.
  return alignment != 0 && alignment % page_size_ == 0 &&
         alignment % allocation_granularity_ == 0;
}

std::string PageGeometry::ToString() const {
  return absl::StrFormat("page %s, allocation granularity %s",
                         FormatBytes(page_size_),
                         FormatBytes(allocation_granularity_));
}

absl::StatusOr<PageGeometry> HostPageGeometry() {
  // Function-local static: queried once, thread-safe initialisation.
  static const absl::StatusOr<PageGeometry>* const geometry =
      new absl::StatusOr<PageGeometry>([]() -> absl::StatusOr<PageGeometry> {
        GRANULE_ASSIGN_OR_RETURN(internal::RawHostGeometry raw,
                                 internal::QueryHostGeometry());
        absl::StatusOr<PageGeometry> checked =
            PageGeometry::Create(raw.page_size, raw.allocation_granularity);
        if (!checked.ok()) {
          return absl::FailedPreconditionError(
              absl::StrFormat("host page geometry from %s is unusable: %s",
                              raw.source, checked.status().message()));
        }
        return checked;
      }());
  return *geometry;
}

}  // namespace granule
