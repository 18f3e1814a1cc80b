// SPDX-License-Identifier: Apache-2.0
// One suite, every backend: the host's real one (POSIX or Windows, named by
// its traits), malloc, and the simulated machines at 4K, 16K, 64K and 256K
// pages and Windows' 4K/64K split. A rule that holds on one backend must hold
// on all (V8's address-space tests work the same way). Each backend runs
// twice: with a Region per reservation, and with slots of an AddressArena.
// The fixture: backend_test_fixture.h.
#include <algorithm>
#include <cstring>
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

TEST_P(BackendTest, ReserveAlignsToRequestAndRoundsToPages) {
  for (size_t alignment : {size_t{1}, 64 * kKiB, 256 * kKiB, 2048 * kKiB}) {
    absl::StatusOr<Region> region = backend_->Reserve(100, alignment);
    ASSERT_TRUE(region.ok()) << region.status();
    EXPECT_EQ(region->base() % std::max(alignment, granule()), 0u)
        << "alignment " << alignment;
    EXPECT_EQ(region->size(), std::max<size_t>(100, page()) / page() * page());
    EXPECT_EQ(region->ProtectionAt(0), Protection::kNone);
  }
}

TEST_P(BackendTest, ReserveRejectsBadArguments) {
  absl::StatusOr<Region> empty = backend_->Reserve(0, unit());
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("reserve of 0 bytes"));

  absl::StatusOr<Region> odd = backend_->Reserve(4096, 12288);
  EXPECT_EQ(odd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(odd.status().message(),
              HasSubstr("reserve of 4096 bytes: alignment 12288 is not a "
                        "power of two"));

  absl::StatusOr<Region> huge = backend_->Reserve(~size_t{0} - 10, unit());
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(huge.status().message(), HasSubstr("overflows the address"));
}

TEST_P(BackendTest, MappedFileShowsFileBytes) {
  const std::vector<uint8_t> bytes = PatternBytes(3 * unit() + 100);
  File file = OpenTemp(bytes);
  Region region = Reserve(4 * unit());
  ASSERT_TRUE(region.MapFile(0, file, 0, bytes.size()).ok());
  EXPECT_EQ(std::memcmp(region.data(), bytes.data(), bytes.size()), 0);
  EXPECT_EQ(region.ProtectionAt(0), Protection::kRead);
  EXPECT_EQ(region.ProtectionAt(bytes.size() - 1), Protection::kRead);
  EXPECT_EQ(region.mapping_count(), 1u);
  EXPECT_EQ(backend_->live_mappings(), mappings_before_ + 1);
}

TEST_P(BackendTest, MapsFileRangesAtGranularOffsets) {
  const std::vector<uint8_t> bytes = PatternBytes(3 * unit());
  File file = OpenTemp(bytes);
  Region region = Reserve(4 * unit());
  // The file's second unit lands at the region's third.
  ASSERT_TRUE(region.MapFile(2 * unit(), file, unit(), unit()).ok());
  EXPECT_EQ(
      std::memcmp(region.data() + 2 * unit(), bytes.data() + unit(), unit()),
      0);
  EXPECT_EQ(region.ProtectionAt(0), Protection::kNone);
  EXPECT_EQ(region.ProtectionAt(2 * unit()), Protection::kRead);
}

TEST_P(BackendTest, WritesToFileMappingsStayPrivate) {
  const std::vector<uint8_t> bytes = PatternBytes(2 * unit());
  File file = OpenTemp(bytes);
  Region region = Reserve(2 * unit());
  ASSERT_TRUE(region.MapFile(0, file, 0, bytes.size()).ok());
  ASSERT_TRUE(region.Protect(unit(), unit(), Protection::kReadWrite).ok());
  EXPECT_EQ(region.ProtectionAt(0), Protection::kRead);
  EXPECT_EQ(region.ProtectionAt(unit()), Protection::kReadWrite);
  std::memset(region.data() + unit(), 0xAB, 100);

  std::vector<uint8_t> on_disk(bytes.size());
  ASSERT_TRUE(file.ReadAt(0, absl::MakeSpan(on_disk)).ok());
  EXPECT_EQ(on_disk, bytes);
  EXPECT_EQ(region.data()[unit() + 99], 0xAB);
}

TEST_P(BackendTest, InitialProtectionCanBeWritable) {
  const std::vector<uint8_t> bytes = PatternBytes(unit());
  File file = OpenTemp(bytes);
  Region region = Reserve(unit());
  ASSERT_TRUE(region.MapFile(0, file, 0, unit(), Protection::kReadWrite).ok());
  EXPECT_EQ(region.ProtectionAt(0), Protection::kReadWrite);
  region.data()[0] = static_cast<uint8_t>(bytes[0] + 1);
  EXPECT_EQ(region.data()[1], bytes[1]);
}

TEST_P(BackendTest, ShortFileTailIsZeroToPageEnd) {
  const std::vector<uint8_t> bytes = PatternBytes(100, 1);
  File file = OpenTemp(bytes);
  Region region = Reserve(unit());
  ASSERT_TRUE(region.MapFile(0, file, 0, bytes.size()).ok());
  EXPECT_EQ(std::memcmp(region.data(), bytes.data(), 100), 0);
  // The file ends inside the first page; the rest of that page reads as zero.
  const size_t page_end = std::max<size_t>(page(), 100);
  for (size_t i = 100; i < page_end; i += 97) {
    ASSERT_EQ(region.data()[i], 0) << "offset " << i;
  }
}

TEST_P(BackendTest, ZeroedMemoryIsZeroAndWritable) {
  Region region = Reserve(2 * unit());
  ASSERT_TRUE(region.MapZeroed(unit(), unit()).ok());
  EXPECT_EQ(region.ProtectionAt(unit()), Protection::kReadWrite);
  EXPECT_EQ(region.ProtectionAt(0), Protection::kNone);
  const uint8_t* p = region.data() + unit();
  EXPECT_TRUE(std::all_of(p, p + unit(), [](uint8_t b) { return b == 0; }));
  region.data()[unit() + 5] = 9;
  EXPECT_EQ(region.data()[unit() + 5], 9);
}

TEST_P(BackendTest, ProtectRecordsRunsOfPages) {
  Region region = Reserve(4 * unit());
  ASSERT_TRUE(region.MapZeroed(0, 4 * unit()).ok());
  ASSERT_TRUE(region.Protect(unit(), unit(), Protection::kRead).ok());
  ASSERT_TRUE(region.Protect(3 * unit(), unit(), Protection::kNone).ok());
  ASSERT_TRUE(region.Protect(0, 1, Protection::kReadExecute).ok());
  EXPECT_EQ(region.ProtectionAt(0), Protection::kReadExecute);
  // Protect rounds its length up to whole pages, so one page became RX.
  EXPECT_EQ(region.ProtectionAt(page() - 1), Protection::kReadExecute);
  if (page() < unit()) {
    EXPECT_EQ(region.ProtectionAt(page()), Protection::kReadWrite);
  }
  EXPECT_EQ(region.ProtectionAt(unit()), Protection::kRead);
  EXPECT_EQ(region.ProtectionAt(2 * unit() - 1), Protection::kRead);
  EXPECT_EQ(region.ProtectionAt(2 * unit()), Protection::kReadWrite);
  EXPECT_EQ(region.ProtectionAt(3 * unit()), Protection::kNone);
  // Protecting across earlier runs merges them into one.
  ASSERT_TRUE(region.Protect(0, 4 * unit(), Protection::kRead).ok());
  for (size_t off : {size_t{0}, unit(), 2 * unit(), 4 * unit() - 1}) {
    EXPECT_EQ(region.ProtectionAt(off), Protection::kRead) << off;
  }
}

TEST_P(BackendTest, RejectsPlacementsOutsideTheRegion) {
  Region region = Reserve(2 * unit());
  absl::Status past = region.MapZeroed(unit(), unit() + 1);
  EXPECT_EQ(past.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(past.message(), HasSubstr("runs past the end of the"));
  absl::Status wrap = region.MapZeroed(unit(), ~size_t{0} - 3);
  EXPECT_EQ(wrap.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(region.MapZeroed(0, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(region.mapping_count(), 0u);
}

TEST_P(BackendTest, RejectsOverlappingMappings) {
  Region region = Reserve(3 * unit());
  ASSERT_TRUE(region.MapZeroed(unit(), unit()).ok());
  absl::Status overlap = region.MapZeroed(0, unit() + 1);
  EXPECT_EQ(overlap.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(overlap.message(), HasSubstr("overlaps the mapping at"));
  EXPECT_EQ(region.mapping_count(), 1u);
}

TEST_P(BackendTest, RejectsFileRangesPastEndOfFile) {
  File file = OpenTemp(PatternBytes(unit()));
  Region region = Reserve(2 * unit());
  absl::Status status = region.MapFile(0, file, 0, unit() + 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr(file.path()));
  EXPECT_THAT(status.message(), HasSubstr("run past its end"));
  EXPECT_FALSE(region.MapFile(0, file, 2 * unit(), 1).ok());
  EXPECT_EQ(region.mapping_count(), 0u);
}

TEST_P(BackendTest, ProtectStaysInsideOneMapping) {
  Region region = Reserve(3 * unit());
  ASSERT_TRUE(region.MapZeroed(0, unit()).ok());
  ASSERT_TRUE(region.MapZeroed(unit(), unit()).ok());
  absl::Status across = region.Protect(0, 2 * unit(), Protection::kRead);
  EXPECT_EQ(across.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(across.message(), HasSubstr("must stay inside one mapping"));
  absl::Status unmapped = region.Protect(2 * unit(), 1, Protection::kRead);
  EXPECT_EQ(unmapped.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unmapped.message(), HasSubstr("nothing is mapped there"));
  // Failed calls changed nothing.
  EXPECT_EQ(region.ProtectionAt(0), Protection::kReadWrite);
  EXPECT_EQ(region.ProtectionAt(unit()), Protection::kReadWrite);
}

TEST_P(BackendTest, ReleaseEmptiesTheLedger) {
  Region region = Reserve(2 * unit());
  ASSERT_TRUE(region.MapZeroed(0, unit()).ok());
  EXPECT_EQ(backend_->live_regions(), regions_before_ + 1);
  EXPECT_EQ(backend_->live_mappings(), mappings_before_ + 1);
  Region moved = std::move(region);
  EXPECT_EQ(region.size(), 0u);
  EXPECT_EQ(backend_->live_regions(), regions_before_ + 1);
  EXPECT_TRUE(moved.Release().ok());
  EXPECT_EQ(backend_->live_regions(), regions_before_);
  EXPECT_EQ(backend_->live_mappings(), mappings_before_);
  EXPECT_TRUE(moved.Release().ok());  // Twice is harmless.
  EXPECT_EQ(moved.MapZeroed(0, 1).code(),
            absl::StatusCode::kFailedPrecondition);
}

// Advice is a hint: bytes and protections stay; it is checked like Protect,
// and only file mappings take it (the shared path's read-ahead hints).
TEST_P(BackendTest, AdviceChangesNoByteAndNeedsAFileMapping) {
  const std::vector<uint8_t> bytes = PatternBytes(2 * unit());
  File file = OpenTemp(bytes);
  Region region = Reserve(4 * unit());
  ASSERT_TRUE(region.MapFile(0, file, 0, bytes.size()).ok());
  ASSERT_TRUE(region.MapZeroed(2 * unit(), unit()).ok());
  ASSERT_TRUE(region.Advise(0, bytes.size(), AccessAdvice::kRandom).ok());
  ASSERT_TRUE(region.Advise(unit(), unit(), AccessAdvice::kWillNeed).ok());
  EXPECT_EQ(std::memcmp(region.data(), bytes.data(), bytes.size()), 0);
  EXPECT_EQ(region.ProtectionAt(0), Protection::kRead);

  absl::Status zeroed =
      region.Advise(2 * unit(), unit(), AccessAdvice::kWillNeed);
  EXPECT_EQ(zeroed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(zeroed.message(), HasSubstr("not inside one file mapping"));
  EXPECT_EQ(region.Advise(unit(), 2 * unit(), AccessAdvice::kRandom).code(),
            absl::StatusCode::kFailedPrecondition);  // Runs past the file's.
  EXPECT_EQ(region.Advise(0, 0, AccessAdvice::kRandom).code(),
            absl::StatusCode::kInvalidArgument);
  if (page() > 1) {
    absl::Status off_page =
        region.Advise(page() / 2, page(), AccessAdvice::kRandom);
    EXPECT_EQ(off_page.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(off_page.message(), HasSubstr("advise random"));
  }
}

INSTANTIATE_TEST_SUITE_P(AllBackends, BackendTest,
                         ::testing::ValuesIn(AllBackends()), BackendCaseName);

// Backends with a real unit above one byte reject what their kernel would.
class StrictBackendTest : public BackendTest {};

TEST_P(StrictBackendTest, RejectsPlacementOffGranularity) {
  Region region = Reserve(2 * unit());
  absl::Status status = region.MapZeroed(granule() / 2, page());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("placement is not a multiple of the allocation "
                        "granularity " +
                        FormatBytes(granule())));
}

TEST_P(StrictBackendTest, RejectsFileOffsetOffGranularity) {
  File file = OpenTemp(PatternBytes(2 * unit()));
  Region region = Reserve(2 * unit());
  absl::Status status = region.MapFile(0, file, granule() / 2, page());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("not a multiple of the allocation granularity"));
  EXPECT_EQ(region.mapping_count(), 0u);
}

TEST_P(StrictBackendTest, RejectsProtectOffPageBoundary) {
  Region region = Reserve(unit());
  ASSERT_TRUE(region.MapZeroed(0, unit()).ok());
  absl::Status status =
      region.Protect(page() / 2, page(), Protection::kReadWrite);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a multiple of the page size " +
                                          FormatBytes(page())));
}

INSTANTIATE_TEST_SUITE_P(PageSizedBackends, StrictBackendTest,
                         ::testing::ValuesIn(BackendsWhere(
                             [](const MemoryBackend& b) {
                               return b.geometry().page_size() > 1;
                             })),
                         BackendCaseName);

// Backends whose protections the hardware enforces must really fault.
class EnforcingBackendTest : public BackendTest {};

TEST_P(EnforcingBackendTest, ProtectionsReallyFault) {
  File file = OpenTemp(PatternBytes(2 * unit()));
  Region region = Reserve(3 * unit());
  ASSERT_TRUE(region.MapFile(0, file, 0, 2 * unit()).ok());
  uint8_t* p = region.data();
  EXPECT_FALSE(ReadFaults(p));
  EXPECT_TRUE(WriteFaults(p));
  ASSERT_TRUE(region.Protect(0, page(), Protection::kReadWrite).ok());
  EXPECT_FALSE(WriteFaults(p));
  EXPECT_TRUE(WriteFaults(p + page()));  // Next page still read-only.
  ASSERT_TRUE(region.Protect(0, page(), Protection::kNone).ok());
  EXPECT_TRUE(ReadFaults(p));
  // Reserved but unmapped address space is no-access.
  EXPECT_TRUE(ReadFaults(p + 2 * unit()));
}

INSTANTIATE_TEST_SUITE_P(EnforcingBackends, EnforcingBackendTest,
                         ::testing::ValuesIn(EnforcingBackends()),
                         BackendCaseName);

}  // namespace
}  // namespace granule::testing
