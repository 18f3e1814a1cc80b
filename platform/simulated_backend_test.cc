// SPDX-License-Identifier: Apache-2.0
// What only the simulator does: foreign geometries, and fault injection.
#include "platform/simulated_backend.h"

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

TEST(SimulatedBackendTest, CountsRawCalls) {
  SimulatedBackend machine = Machine(16 * kKiB, 16 * kKiB);
  EXPECT_EQ(machine.calls(), 0u);
  absl::StatusOr<Region> region = machine.Reserve(64 * kKiB, 16 * kKiB);
  ASSERT_TRUE(region.ok());
  ASSERT_TRUE(region->MapZeroed(0, 16 * kKiB).ok());
  ASSERT_TRUE(region->Protect(0, 16 * kKiB, Protection::kRead).ok());
  // Rejected arguments never reach the raw layer.
  EXPECT_FALSE(region->Protect(8 * kKiB, 1, Protection::kRead).ok());
  EXPECT_EQ(machine.calls(), 3u);
}

// Every raw call of a small load-like sequence fails once in turn; each
// failure is reported as a Status and leaves nothing alive.
TEST(SimulatedBackendTest, EveryInjectedFailureLeavesNothingBehind) {
  absl::StatusOr<std::string> path =
      testing::WriteTempFile("fault", testing::PatternBytes(128 * kKiB));
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok());

  SimulatedBackend machine = Machine(64 * kKiB, 64 * kKiB);
  auto load = [&]() -> absl::Status {
    absl::StatusOr<Region> region = machine.Reserve(192 * kKiB, 64 * kKiB);
    if (!region.ok()) return region.status();
    if (absl::Status s = region->MapFile(0, *file, 0, 128 * kKiB); !s.ok()) {
      return s;
    }
    if (absl::Status s = region->MapZeroed(128 * kKiB, 64 * kKiB); !s.ok()) {
      return s;
    }
    return region->Protect(64 * kKiB, 64 * kKiB, Protection::kReadWrite);
  };

  const std::vector<std::string> expected = {"reserve", "map file",
                                             "map zeroed", "protect"};
  std::vector<std::string> failed;
  for (uint64_t k = 1; k <= 10; ++k) {
    machine.FailNthCallFromNow(k);
    absl::Status status = load();
    EXPECT_EQ(machine.live_regions(), 0u) << "after failing call " << k;
    EXPECT_EQ(machine.live_mappings(), 0u) << "after failing call " << k;
    if (status.ok()) break;
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
    ASSERT_LT(failed.size(), expected.size()) << status;
    EXPECT_THAT(status.message(),
                HasSubstr("injected failure of " + expected[failed.size()]));
    failed.push_back(expected[failed.size()]);
  }
  EXPECT_EQ(failed, expected);
}

}  // namespace
}  // namespace granule
