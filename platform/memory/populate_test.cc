// SPDX-License-Identifier: Apache-2.0
// Region::Populate on every backend: what it refuses, that it changes no byte
// and no protection, that the simulator records it and can fail it.
#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/host_backend_fixture.h"
#include "platform/memory/malloc_backend.h"
#include "platform/memory/simulated_backend.h"
#include "testing/temp_file.h"
#include "testing/fault_injecting_backend.h"

namespace granule {
namespace {

using ::granule::testing::OpenTempFile;
using ::granule::testing::PatternBytes;
using ::testing::HasSubstr;

class PopulateTest : public testing::HostBackendTest {
 protected:
  // Four pages of patterned file bytes mapped RW (private), then the last
  // page made R, on `backend`.
  Region MapFourPages(MemoryBackend& backend, const File& file) {
    absl::StatusOr<Region> region = backend.Reserve(4 * page_, granule_);
    EXPECT_TRUE(region.ok()) << region.status();
    EXPECT_TRUE(
        region->MapFile(0, file, 0, 4 * page_, Protection::kReadWrite).ok());
    EXPECT_TRUE(region->Protect(3 * page_, page_, Protection::kRead).ok());
    return std::move(*region);
  }

  void ExpectUnchanged(const Region& region,
                       const std::vector<uint8_t>& bytes) {
    EXPECT_EQ(std::memcmp(region.data(), bytes.data(), bytes.size()), 0);
    for (size_t page = 0; page < 3; ++page) {
      EXPECT_EQ(region.ProtectionAt(page * page_), Protection::kReadWrite);
    }
    EXPECT_EQ(region.ProtectionAt(3 * page_), Protection::kRead);
  }
};

TEST_F(PopulateTest, ChangesNoByteAndNoProtectionOnEveryBackend) {
  const std::vector<uint8_t> bytes = PatternBytes(4 * page_, 7);
  const File file = OpenTempFile(bytes, "populate");
  SimulatedBackend simulated(backend_->geometry());
  for (MemoryBackend* backend : {backend_, &HeapMemoryBackend(),
                                 static_cast<MemoryBackend*>(&simulated)}) {
    SCOPED_TRACE(backend->traits().name);
    Region region = MapFourPages(*backend, file);
    ASSERT_TRUE(region.Populate(0, 3 * page_).ok());
    ExpectUnchanged(region, bytes);
    region.data()[page_] ^= 1;  // Still writable.
    EXPECT_EQ(region.data()[page_], bytes[page_] ^ 1);
  }
}

TEST_F(PopulateTest, RefusesWhatIsNotWholeReadWritePagesOfOneMapping) {
  const File file = OpenTempFile(PatternBytes(4 * page_), "populate-bad");
  Region region = MapFourPages(*backend_, file);
  absl::Status status = region.Populate(0, 4 * page_);
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("are R, not RW"));
  status = region.Populate(1, page_);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("not whole pages"));
  status = region.Populate(0, 0);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  status = region.Populate(0, 5 * page_);
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("not inside one mapping"));
  ASSERT_TRUE(region.Release().ok());
  status = region.Populate(0, page_);
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("released"));
}

TEST_F(PopulateTest, SimulatorCountsEachCallAndCanFailIt) {
  const std::vector<uint8_t> bytes = PatternBytes(4 * page_, 3);
  const File file = OpenTempFile(bytes, "populate-sim");
  testing::FaultInjectingBackend simulated(backend_->geometry());
  Region region = MapFourPages(simulated, file);
  EXPECT_EQ(simulated.populate_calls(), 0u);
  ASSERT_TRUE(region.Populate(0, page_).ok());
  ASSERT_TRUE(region.Populate(page_, 2 * page_).ok());
  EXPECT_EQ(simulated.populate_calls(), 2u);
  // A refused request never reaches the backend.
  EXPECT_FALSE(region.Populate(0, 4 * page_).ok());
  EXPECT_EQ(simulated.populate_calls(), 2u);

  simulated.FailNthCallFromNow(1);
  absl::Status status = region.Populate(0, page_);
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("injected failure of populate"));
  ExpectUnchanged(region, bytes);
  EXPECT_EQ(simulated.live_mappings(), 1u);
}

}  // namespace
}  // namespace granule
