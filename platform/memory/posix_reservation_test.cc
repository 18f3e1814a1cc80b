// SPDX-License-Identifier: Apache-2.0
// The POSIX backend keeps a reservation's alignment slack reserved instead of
// trimming it (two munmap calls per load saved), so release must return the
// whole original mmap range: nothing of it may stay mapped. A region that a
// file mapping fills is placed below the last one without a reservation
// where that address is free, and never over a mapping already there.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "platform/memory/memory_backend.h"
#include "testing/host_backend_fixture.h"
#include "testing/temp_file.h"

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

// Whether /proc/self/maps lists a fresh PROT_NONE mapping where it is.
// qemu-user writes the file itself and lists a guest's mapping only where
// the host mapping holding it is all guest pages; a 32-bit guest's
// PROT_NONE mapping can merge on the host with the range qemu reserves for
// the whole guest, and is then left out.
bool MapsListsProtNoneMappings(size_t page) {
  void* p = mmap(nullptr, 3 * page, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  const uintptr_t at = reinterpret_cast<uintptr_t>(p);
  const Range listed = MappingHolding(at + page);
  munmap(p, 3 * page);
  return listed.start <= at && at + 3 * page <= listed.end;
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
  if (!MapsListsProtNoneMappings(page)) {
    GTEST_SKIP() << "/proc/self/maps does not list a PROT_NONE mapping here "
                    "(qemu-user's own view of it), so the reservation's "
                    "extent cannot be read from it";
  }
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

constexpr size_t kUnit = size_t{64} << 10;

bool AllUnmapped(uintptr_t start, size_t length, size_t page) {
  for (uintptr_t at = start; at < start + length; at += page) {
    if (IsMapped(at, page)) return false;
  }
  return true;
}

class PosixPlacementTest : public testing::HostBackendTest {
 protected:
  void SetUp() override {
    HostBackendTest::SetUp();
    if (kUnit % granule_ != 0) GTEST_SKIP() << "pages above 64 KiB";
  }

  // A 64 KiB region that the file's first 64 KiB fill.
  absl::StatusOr<Region> Fill() {
    return backend_->ReserveMappingFile(kUnit, kUnit, file_, 0, kUnit,
                                        Protection::kRead);
  }

  // Fills regions until the 64 KiB below the last one are free (the first
  // region of a process is reserved, with slack below it); holds them.
  // Returns that address, or 0 if three regions never left it free.
  uintptr_t FillUntilFreeBelow() {
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<Region> region = Fill();
      EXPECT_TRUE(region.ok()) << region.status();
      if (!region.ok()) return 0;
      const uintptr_t below = region->base() - kUnit;
      held_.push_back(*std::move(region));
      if (AllUnmapped(below, kUnit, page_)) return below;
    }
    return 0;
  }

  // Whether the system maps at a free address when asked to, without
  // replacing: qemu-user, for one, places such a mapping elsewhere, and the
  // backend then reserves (correct, one call dearer). A probe mapping there,
  // undone.
  static bool MapsAtAFreeAddress(uintptr_t address) {
#ifdef MAP_FIXED_NOREPLACE
    constexpr int kNoReplace = MAP_FIXED_NOREPLACE;
#else
    constexpr int kNoReplace = 0;
#endif
    void* p = mmap(reinterpret_cast<void*>(address), kUnit, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | kNoReplace, -1, 0);
    if (p == MAP_FAILED) return false;
    munmap(p, kUnit);
    return reinterpret_cast<uintptr_t>(p) == address;
  }

  File file_ = testing::OpenTempFile(testing::PatternBytes(kUnit));
  std::vector<Region> held_;
};

TEST_F(PosixPlacementTest, AFilledRegionGoesJustBelowTheLastWhereThatIsFree) {
  const uintptr_t below = FillUntilFreeBelow();
  if (below == 0) GTEST_SKIP() << "no free 64 KiB below three regions";
  if (!MapsAtAFreeAddress(below)) {
    GTEST_SKIP() << "this system does not map at a free address asked for";
  }
  absl::StatusOr<Region> next = Fill();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->base(), below);
  // No reservation around it: the kernel's mapping is the region itself.
  const Range held = MappingHolding(below);
  EXPECT_EQ(held.start, below);
  EXPECT_EQ(held.end, below + kUnit);
  // Released, its address is the next region's again.
  ASSERT_TRUE(next->Release().ok());
  EXPECT_TRUE(AllUnmapped(below, kUnit, page_));
  absl::StatusOr<Region> again = Fill();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->base(), below);
}

TEST_F(PosixPlacementTest, AFilledRegionNeverReplacesAMapping) {
  const uintptr_t below = FillUntilFreeBelow();
  if (below == 0) GTEST_SKIP() << "no free 64 KiB below three regions";
  // Another mapping takes the address the next region would go to.
  void* taken = mmap(reinterpret_cast<void*>(below), kUnit,
                     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(taken, MAP_FAILED);
  if (reinterpret_cast<uintptr_t>(taken) != below) {
    munmap(taken, kUnit);
    GTEST_SKIP() << "the kernel did not take the address hint";
  }
  std::memset(taken, 0x5A, kUnit);

  absl::StatusOr<Region> next = Fill();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->base() % kUnit, 0u);
  EXPECT_TRUE(next->base() + next->size() <= below ||
              below + kUnit <= next->base())
      << "the region at " << std::hex << next->base()
      << " overlaps the mapping at " << below;
  const std::vector<uint8_t> bytes = testing::PatternBytes(kUnit);
  EXPECT_EQ(std::memcmp(next->data(), bytes.data(), kUnit), 0);
  const auto* kept = static_cast<const uint8_t*>(taken);
  EXPECT_TRUE(std::all_of(kept, kept + kUnit,
                          [](uint8_t b) { return b == 0x5A; }));
  munmap(taken, kUnit);
}

}  // namespace
}  // namespace granule
