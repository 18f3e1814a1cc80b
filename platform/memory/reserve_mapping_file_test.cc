// SPDX-License-Identifier: Apache-2.0
// MemoryBackend::ReserveMappingFile on every backend: Reserve and then
// MapFile at offset 0, as one step, with the same checks and errors, and
// nothing left behind when it fails (the ledger, checked after each test).
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/memory/backend_test_fixture.h"
#include "platform/memory/memory_backend.h"
#include "testing/fault_probe.h"
#include "testing/temp_file.h"

namespace granule::testing {
namespace {

using ::testing::HasSubstr;

class ReserveMappingFileTest : public BackendTest {};

// ReserveMappingFile is Reserve then MapFile at offset 0, in one step.
TEST_P(ReserveMappingFileTest, ReserveMappingFileMapsTheFileAtTheStart) {
  const std::vector<uint8_t> bytes = PatternBytes(2 * unit() + 100);
  File file = OpenTemp(bytes);
  absl::StatusOr<Region> region = backend_->ReserveMappingFile(
      4 * unit(), unit(), file, 0, bytes.size(), Protection::kRead);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_EQ(region->base() % unit(), 0u);
  EXPECT_EQ(region->size(), 4 * unit());
  EXPECT_EQ(region->mapping_count(), 1u);
  EXPECT_EQ(backend_->live_regions(), regions_before_ + 1);
  EXPECT_EQ(backend_->live_mappings(), mappings_before_ + 1);
  EXPECT_EQ(std::memcmp(region->data(), bytes.data(), bytes.size()), 0);
  EXPECT_EQ(region->ProtectionAt(0), Protection::kRead);
  EXPECT_EQ(region->ProtectionAt(3 * unit()), Protection::kNone);
  // The rest of the region is reserved like any other.
  ASSERT_TRUE(region->MapZeroed(3 * unit(), unit()).ok());
  EXPECT_EQ(region->MapZeroed(0, unit()).code(),
            absl::StatusCode::kFailedPrecondition);  // The file is there.
}

// Regions the mapping fills: where the backend places them by itself, each
// is still aligned, its own, and released whole.
TEST_P(ReserveMappingFileTest, RegionsThatTheFileFillsNeverOverlap) {
  const std::vector<uint8_t> bytes = PatternBytes(3 * unit());
  File file = OpenTemp(bytes);
  std::vector<Region> regions;
  for (int i = 0; i < 4; ++i) {
    const size_t length = (i % 2 + 1) * unit();
    absl::StatusOr<Region> region = backend_->ReserveMappingFile(
        length, unit(), file, unit(), length, Protection::kReadWrite);
    ASSERT_TRUE(region.ok()) << region.status();
    EXPECT_EQ(region->base() % unit(), 0u);
    region->data()[0] = static_cast<uint8_t>(i);  // Private, writable.
    regions.push_back(*std::move(region));
  }
  for (size_t i = 0; i < regions.size(); ++i) {
    const Region& a = regions[i];
    EXPECT_EQ(a.data()[0], i);
    EXPECT_EQ(std::memcmp(a.data() + 1, bytes.data() + unit() + 1,
                          a.size() - 1),
              0);
    for (size_t j = 0; j < i; ++j) {
      const Region& b = regions[j];
      EXPECT_TRUE(a.base() + a.size() <= b.base() ||
                  b.base() + b.size() <= a.base())
          << "regions " << j << " and " << i << " overlap";
    }
  }
  // Released in the middle, then placed again: the others stay intact.
  ASSERT_TRUE(regions[1].Release().ok());
  absl::StatusOr<Region> again = backend_->ReserveMappingFile(
      2 * unit(), unit(), file, 0, 2 * unit(), Protection::kRead);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(std::memcmp(again->data(), bytes.data(), 2 * unit()), 0);
  EXPECT_EQ(regions[0].data()[0], 0);
  EXPECT_EQ(regions[2].data()[0], 2);
  EXPECT_EQ(regions[3].data()[0], 3);
}

TEST_P(ReserveMappingFileTest, ReserveMappingFileRefusesWhatEitherStepWould) {
  File file = OpenTemp(PatternBytes(2 * unit()));
  auto reserve = [&](size_t size, uint64_t file_offset, size_t length) {
    return backend_
        ->ReserveMappingFile(size, unit(), file, file_offset, length,
                             Protection::kRead)
        .status();
  };
  EXPECT_THAT(reserve(0, 0, unit()).message(), HasSubstr("reserve of 0 bytes"));
  const absl::Status past_file = reserve(4 * unit(), unit(), unit() + 1);
  EXPECT_EQ(past_file.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(past_file.message(), HasSubstr(file.path()));
  EXPECT_THAT(past_file.message(), HasSubstr("run past its end"));
  const absl::Status past_region = reserve(unit(), 0, 2 * unit());
  EXPECT_EQ(past_region.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(past_region.message(),
              HasSubstr("runs past the end of the " +
                        std::to_string(unit()) + "-byte region"));
  EXPECT_EQ(reserve(unit(), 0, 0).code(), absl::StatusCode::kOutOfRange);
  if (granule() > 1) {
    const absl::Status off_unit = reserve(2 * unit(), granule() / 2, page());
    EXPECT_EQ(off_unit.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(off_unit.message(),
                HasSubstr("not a multiple of the allocation granularity"));
  }
  // TearDown checks that none of these left a region or mapping behind.
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReserveMappingFileTest,
                         ::testing::ValuesIn(AllBackends()), BackendCaseName);

// Where the hardware enforces protections, they really fault.
class EnforcingReserveMappingFileTest : public BackendTest {};

TEST_P(EnforcingReserveMappingFileTest, ARegionTheFileFillsIsProtectedAsAsked) {
  File file = OpenTemp(PatternBytes(2 * unit()));
  absl::StatusOr<Region> region = backend_->ReserveMappingFile(
      2 * unit(), unit(), file, 0, 2 * unit(), Protection::kRead);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_FALSE(ReadFaults(region->data() + unit()));
  EXPECT_TRUE(WriteFaults(region->data() + unit()));
  ASSERT_TRUE(region->Protect(unit(), page(), Protection::kReadWrite).ok());
  EXPECT_FALSE(WriteFaults(region->data() + unit()));
  EXPECT_TRUE(WriteFaults(region->data()));
}

INSTANTIATE_TEST_SUITE_P(EnforcingBackends, EnforcingReserveMappingFileTest,
                         ::testing::ValuesIn(EnforcingBackends()),
                         BackendCaseName);

}  // namespace
}  // namespace granule::testing
