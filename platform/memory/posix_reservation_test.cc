// SPDX-License-Identifier: Apache-2.0
// The POSIX backend keeps a reservation's alignment slack reserved instead of
// trimming it (two munmap calls per load saved), so release must return the
// whole original mmap range: nothing of it may stay mapped.
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "platform/memory/memory_backend.h"

namespace granule {
namespace {

struct Range {
  uintptr_t start = 0, end = 0;
};

// The /proc/self/maps entry holding `address`: the kernel's view, so the
// slack around a region shows as part of one PROT_NONE mapping.
Range MappingHolding(uintptr_t address) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    uintptr_t start = 0, end = 0;
    char dash = 0;
    fields >> std::hex >> start >> dash >> end;
    if (start <= address && address < end) return {start, end};
  }
  return {};
}

bool IsMapped(uintptr_t page, size_t page_size) {
  unsigned char resident = 0;
  return mincore(reinterpret_cast<void*>(page), page_size, &resident) == 0 ||
         errno != ENOMEM;
}

TEST(PosixReservationTest, ReleaseUnmapsTheSlackKeptAroundTheRegion) {
  absl::StatusOr<MemoryBackend*> backend = HostMemoryBackend();
  ASSERT_TRUE(backend.ok()) << backend.status();
  const size_t page = (*backend)->geometry().page_size();
  constexpr size_t kAlignment = size_t{1} << 20;
  absl::StatusOr<Region> region = (*backend)->Reserve(3 * page, kAlignment);
  ASSERT_TRUE(region.ok()) << region.status();
  const uintptr_t base = region->base();
  EXPECT_EQ(base % kAlignment, 0u);

  const Range whole = MappingHolding(base);
  ASSERT_LT(whole.start, whole.end) << "the region is not in /proc/self/maps";
  // The slack (alignment - one page, split between the two ends) is still
  // reserved: the kernel's mapping reaches past the region on some side.
  EXPECT_GE((base - whole.start) + (whole.end - (base + region->size())),
            kAlignment - page);

  ASSERT_TRUE(region->Release().ok());
  for (uintptr_t at = whole.start; at < whole.end; at += page) {
    ASSERT_FALSE(IsMapped(at, page))
        << "page " << std::hex << at << " of the reservation [" << whole.start
        << ", " << whole.end << ") outlived its release (region at " << base
        << ")";
  }
}

}  // namespace
}  // namespace granule
