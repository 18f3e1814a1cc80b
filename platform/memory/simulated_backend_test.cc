// SPDX-License-Identifier: Apache-2.0
// What only the simulator does: foreign geometries.
#include "platform/memory/simulated_backend.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

constexpr size_t kKiB = 1024;

SimulatedBackend Machine(size_t page, size_t granularity) {
  return SimulatedBackend(*PageGeometry::Create(page, granularity));
}

// Guile's 64 KiB-page crash, reproduced: on a 64 KiB-page kernel a segment
// that starts
// on a 4 KiB boundary cannot be made writable.
TEST(SimulatedBackendTest, SixtyFourKiBPagesRejectFourKiBProtect) {
  SimulatedBackend machine = Machine(64 * kKiB, 64 * kKiB);
  absl::StatusOr<Region> region = machine.Reserve(128 * kKiB, 64 * kKiB);
  ASSERT_TRUE(region.ok());
  ASSERT_TRUE(region->MapZeroed(0, 128 * kKiB, Protection::kRead).ok());
  absl::Status status =
      region->Protect(4 * kKiB, 4 * kKiB, Protection::kReadWrite);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            absl::StrFormat("simulated: protect RW at offset 0x1000 (address "
                            "%#x): not a multiple of the page size 64 KiB",
                            region->base() + 4 * kKiB));
  EXPECT_EQ(region->ProtectionAt(4 * kKiB), Protection::kRead);
  // The 64 KiB-aligned layout works on the same machine.
  EXPECT_TRUE(
      region->Protect(64 * kKiB, 4 * kKiB, Protection::kReadWrite).ok());
  EXPECT_EQ(region->ProtectionAt(64 * kKiB), Protection::kReadWrite);
}

// Windows: 4 KiB pages protect at 4 KiB, but views are placed at 64 KiB.
TEST(SimulatedBackendTest, WindowsSplitsPageFromGranularity) {
  SimulatedBackend machine = Machine(4 * kKiB, 64 * kKiB);
  absl::StatusOr<Region> region = machine.Reserve(4 * kKiB, 4 * kKiB);
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(region->base() % (64 * kKiB), 0u);
  EXPECT_EQ(region->size(), 4 * kKiB);

  absl::StatusOr<Region> big = machine.Reserve(256 * kKiB, 64 * kKiB);
  ASSERT_TRUE(big.ok());
  absl::Status misplaced = big->MapZeroed(4 * kKiB, 4 * kKiB);
  EXPECT_THAT(misplaced.message(),
              HasSubstr("placement is not a multiple of the allocation "
                        "granularity 64 KiB"));
  ASSERT_TRUE(big->MapZeroed(64 * kKiB, 64 * kKiB).ok());
  EXPECT_TRUE(big->Protect(68 * kKiB, 4 * kKiB, Protection::kRead).ok());
  EXPECT_EQ(big->ProtectionAt(68 * kKiB), Protection::kRead);
  EXPECT_EQ(big->ProtectionAt(72 * kKiB), Protection::kReadWrite);
}

}  // namespace
}  // namespace granule
