// SPDX-License-Identifier: Apache-2.0
#include "testing/fault_injecting_backend.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/status_macros.h"
#include "testing/temp_file.h"

namespace granule::testing {
namespace {

using ::testing::HasSubstr;

constexpr size_t kKiB = 1024;

PageGeometry Geometry(size_t page, size_t granularity) {
  return *PageGeometry::Create(page, granularity);
}

TEST(FaultInjectingBackendTest, CountsRawCalls) {
  FaultInjectingBackend machine(Geometry(16 * kKiB, 16 * kKiB));
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
TEST(FaultInjectingBackendTest, EveryInjectedFailureLeavesNothingBehind) {
  absl::StatusOr<std::string> path =
      WriteTempFile("fault", PatternBytes(128 * kKiB));
  ASSERT_TRUE(path.ok());
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok());

  FaultInjectingBackend machine(Geometry(64 * kKiB, 64 * kKiB));
  auto load = [&]() -> absl::Status {
    GRANULE_ASSIGN_OR_RETURN(Region region,
                             machine.Reserve(192 * kKiB, 64 * kKiB));
    GRANULE_RETURN_IF_ERROR(region.MapFile(0, *file, 0, 128 * kKiB));
    GRANULE_RETURN_IF_ERROR(region.MapZeroed(128 * kKiB, 64 * kKiB));
    return region.Protect(64 * kKiB, 64 * kKiB, Protection::kReadWrite);
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
}  // namespace granule::testing
