// SPDX-License-Identifier: Apache-2.0
#include "platform/memory/address_arena.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "testing/host_backend_fixture.h"
#include "platform/memory/simulated_backend.h"
#include "testing/fault_probe.h"
#include "testing/temp_file.h"
#include "testing/fault_injecting_backend.h"

namespace granule {
namespace {

constexpr size_t kKiB = 1024;
constexpr size_t kUnit = AddressArena::kSlotUnit;


TEST(AddressArenaTest, ReusesAReleasedSlot) {
  testing::FaultInjectingBackend backend(*PageGeometry::Create(4 * kKiB, 4 * kKiB));
  std::shared_ptr<AddressArena> arena = AddressArena::Create(backend);
  absl::StatusOr<Region> first = arena->Reserve(3 * kUnit, kUnit);
  ASSERT_TRUE(first.ok()) << first.status();
  const uintptr_t base = first->base();
  EXPECT_EQ(base % kUnit, 0u);
  EXPECT_EQ(first->size(), 3 * kUnit);
  ASSERT_TRUE(first->Release().ok());
  const uint64_t calls = backend.calls();
  absl::StatusOr<Region> second = arena->Reserve(3 * kUnit, kUnit);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->base(), base);
  EXPECT_EQ(backend.calls(), calls) << "a reused slot costs no call";
  const AddressArena::Usage usage = arena->usage();
  EXPECT_EQ(usage.regions, 1u);
  EXPECT_EQ(usage.reserved_bytes, AddressArena::kDefaultRegionSize);
  EXPECT_EQ(usage.slot_bytes, 3 * kUnit);
  EXPECT_EQ(usage.live_slots, 1u);
}

TEST(AddressArenaTest, SlotsAreRegionsOnTheLedger) {
  SimulatedBackend backend(*PageGeometry::Create(4 * kKiB, 4 * kKiB));
  {
    std::shared_ptr<AddressArena> arena = AddressArena::Create(backend);
    EXPECT_EQ(backend.live_regions(), 0u) << "no address space until used";
    absl::StatusOr<Region> slot = arena->Reserve(kUnit, kUnit);
    ASSERT_TRUE(slot.ok());
    ASSERT_TRUE(slot->MapZeroed(0, kUnit).ok());
    EXPECT_EQ(backend.live_regions(), 2u);  // The arena's region and the slot.
    EXPECT_EQ(backend.live_mappings(), 1u);
    arena.reset();  // The slot keeps the arena alive.
    ASSERT_TRUE(slot->Release().ok());
    EXPECT_EQ(backend.live_mappings(), 0u);
  }
  EXPECT_EQ(backend.live_regions(), 0u);
}

TEST(AddressArenaTest, GrowsByAnotherRegionAndShrinksBack) {
  SimulatedBackend backend(*PageGeometry::Create(4 * kKiB, 4 * kKiB));
  std::shared_ptr<AddressArena> arena =
      AddressArena::Create(backend, 4 * kUnit);
  std::vector<Region> slots;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Region> slot = arena->Reserve(kUnit, kUnit);
    ASSERT_TRUE(slot.ok()) << slot.status();
    slots.push_back(*std::move(slot));
  }
  EXPECT_EQ(arena->usage().regions, 2u);
  EXPECT_EQ(arena->usage().reserved_bytes, 8 * kUnit);
  // Larger than a region: a region of its own size.
  absl::StatusOr<Region> big = arena->Reserve(9 * kUnit, kUnit);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(arena->usage().regions, 3u);
  EXPECT_EQ(arena->usage().reserved_bytes, 17 * kUnit);
  big = absl::CancelledError("dropped");
  slots.clear();
  EXPECT_EQ(arena->usage().regions, 1u);
  EXPECT_EQ(arena->usage().reserved_bytes, 4 * kUnit);
  EXPECT_EQ(backend.live_regions(), 1u);
}

TEST(AddressArenaTest, HonoursLargerAlignments) {
  SimulatedBackend backend(*PageGeometry::Create(4 * kKiB, 4 * kKiB));
  std::shared_ptr<AddressArena> arena = AddressArena::Create(backend);
  absl::StatusOr<Region> small = arena->Reserve(kUnit, kUnit);
  ASSERT_TRUE(small.ok());
  for (size_t alignment : {512 * kKiB, 2048 * kKiB}) {
    absl::StatusOr<Region> slot = arena->Reserve(100, alignment);
    ASSERT_TRUE(slot.ok()) << slot.status();
    EXPECT_EQ(slot->base() % alignment, 0u);
    EXPECT_EQ(slot->size(), kUnit);
  }
  // The simulated Windows machine's 64 KiB granularity is the smallest unit.
  SimulatedBackend windows(*PageGeometry::Create(4 * kKiB, 64 * kKiB));
  absl::StatusOr<Region> slot =
      AddressArena::Create(windows)->Reserve(4 * kKiB, 4 * kKiB);
  ASSERT_TRUE(slot.ok());
  EXPECT_EQ(slot->base() % (64 * kKiB), 0u);
}

TEST(AddressArenaTest, PassesOnBadArgumentsAndFailures) {
  testing::FaultInjectingBackend backend(*PageGeometry::Create(4 * kKiB, 4 * kKiB));
  std::shared_ptr<AddressArena> arena = AddressArena::Create(backend);
  EXPECT_EQ(arena->Reserve(0, kUnit).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(arena->Reserve(kUnit, 3 * kUnit).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(arena->Reserve(~size_t{0} - 10, kUnit).status().code(),
            absl::StatusCode::kResourceExhausted);
  backend.FailNthCallFromNow(1);  // The arena's first region.
  absl::StatusOr<Region> failed = arena->Reserve(kUnit, kUnit);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(backend.live_regions(), 0u);
  EXPECT_EQ(arena->usage().regions, 0u);
  EXPECT_TRUE(arena->Reserve(kUnit, kUnit).ok());
}

// A workload of loads and releases in random order and sizes: the address
// space reserved stays within twice the most ever live at once, plus one
// region. Address-ordered first fit with merging of neighbours keeps holes
// few; released regions beyond the first return to the system.
TEST(AddressArenaTest, FragmentationStaysBounded) {
  SimulatedBackend backend(*PageGeometry::Create(4 * kKiB, 4 * kKiB));
  constexpr size_t kRegion = 64 * kUnit;
  std::shared_ptr<AddressArena> arena = AddressArena::Create(backend, kRegion);
  std::mt19937 random(12345);
  std::vector<Region> live;
  size_t live_bytes = 0, peak = 0, worst_reserved = 0;
  for (int step = 0; step < 20000; ++step) {
    const bool release = !live.empty() && (live.size() > 200 || random() % 2);
    if (release) {
      const size_t victim = random() % live.size();
      live_bytes -= live[victim].size();
      std::swap(live[victim], live.back());
      live.pop_back();
    } else {
      const size_t units = 1 + random() % 16;
      absl::StatusOr<Region> slot = arena->Reserve(units * kUnit, kUnit);
      ASSERT_TRUE(slot.ok()) << slot.status();
      live_bytes += slot->size();
      live.push_back(*std::move(slot));
    }
    peak = std::max(peak, live_bytes);
    const size_t reserved = arena->usage().reserved_bytes;
    worst_reserved = std::max(worst_reserved, reserved);
    ASSERT_LE(reserved, 2 * peak + kRegion) << "step " << step;
  }
  std::printf("peak live %zu KiB, most reserved %zu KiB (%.2fx)\n",
              peak / kKiB, worst_reserved / kKiB,
              double(worst_reserved) / peak);
  live.clear();
  EXPECT_EQ(arena->usage().regions, 1u);
  EXPECT_EQ(arena->usage().slot_bytes, 0u);
}

// A runtime loading the same modules over and over reuses the same slots.
TEST(AddressArenaTest, RepeatedBatchesReuseTheSameAddresses) {
  SimulatedBackend backend(*PageGeometry::Create(4 * kKiB, 4 * kKiB));
  std::shared_ptr<AddressArena> arena = AddressArena::Create(backend);
  std::vector<uintptr_t> first;
  for (int round = 0; round < 10; ++round) {
    std::vector<Region> batch;
    std::vector<uintptr_t> bases;
    for (size_t i = 0; i < 100; ++i) {
      absl::StatusOr<Region> slot = arena->Reserve((1 + i % 5) * kUnit, kUnit);
      ASSERT_TRUE(slot.ok());
      bases.push_back(slot->base());
      batch.push_back(*std::move(slot));
    }
    if (round == 0) first = bases;
    EXPECT_EQ(bases, first) << "round " << round;
  }
  EXPECT_EQ(arena->usage().regions, 1u);
}

// On the host, a returned slot is reserved with no access again: what was
// mapped there is gone, and the next mapping starts from zero.
TEST(AddressArenaTest, ReturnedSlotHoldsNothingOnTheHost) {
  absl::StatusOr<MemoryBackend*> host = HostMemoryBackend();
  ASSERT_TRUE(host.ok());
  std::shared_ptr<AddressArena> arena = AddressArena::Create(**host);
  const size_t page = (*host)->geometry().page_size();
  File file = testing::OpenTempFile(testing::PatternBytes(2 * kUnit));
  absl::StatusOr<Region> slot = arena->Reserve(2 * kUnit, kUnit);
  ASSERT_TRUE(slot.ok());
  ASSERT_TRUE(slot->MapFile(0, file, 0, 2 * kUnit, Protection::kReadWrite).ok());
  uint8_t* p = slot->data();
  std::memset(p, 0xAB, page);
  const uintptr_t base = slot->base();
  ASSERT_TRUE(slot->Release().ok());
  absl::StatusOr<Region> again = arena->Reserve(2 * kUnit, kUnit);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->base(), base);
  EXPECT_EQ(again->ProtectionAt(0), Protection::kNone);
  if ((*host)->traits().enforces_protection) {
    EXPECT_TRUE(testing::ReadFaults(p));
  }
  ASSERT_TRUE(again->MapZeroed(0, kUnit).ok());
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[page - 1], 0);
  const bool carves = (*host)->traits().carves_reservations;
  EXPECT_EQ(arena->usage().regions, 1u);
  EXPECT_EQ(arena->usage().reserved_bytes,
            carves ? AddressArena::kDefaultRegionSize : 2 * kUnit);
}

}  // namespace
}  // namespace granule
