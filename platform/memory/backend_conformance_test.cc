// SPDX-License-Identifier: Apache-2.0
// One suite, every backend: the host's real one (POSIX or Windows, named by
// its traits), malloc, and the simulated machines at 4K, 16K, 64K and 256K
// pages and Windows' 4K/64K split. A rule that holds on one backend must hold
// on all (V8's address-space tests work the same way). Each backend runs
// twice: with a Region per reservation, and with slots of an AddressArena.
#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/memory/address_arena.h"
#include "testing/host_backend_fixture.h"
#include "platform/memory/malloc_backend.h"
#include "platform/memory/memory_backend.h"
#include "platform/memory/simulated_backend.h"
#include "testing/fault_probe.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

constexpr size_t kKiB = 1024;

struct BackendCase {
  std::string name;
  std::function<std::shared_ptr<MemoryBackend>()> make;
  bool arena = false;  // Regions are slots of an AddressArena.
};

void PrintTo(const BackendCase& c, std::ostream* os) { *os << c.name; }

std::shared_ptr<MemoryBackend> Simulated(size_t page, size_t granularity) {
  return std::make_shared<SimulatedBackend>(
      *PageGeometry::Create(page, granularity));
}

std::shared_ptr<MemoryBackend> Host() {
  // The host backend lives for the process; do not delete it.
  return std::shared_ptr<MemoryBackend>(*HostMemoryBackend(),
                                        [](MemoryBackend*) {});
}

std::vector<BackendCase> OneRegionEach() {
  return {
      {Host()->traits().name, Host},
      {"malloc", [] { return std::make_shared<MallocBackend>(); }},
      {"sim4k", [] { return Simulated(4 * kKiB, 4 * kKiB); }},
      {"sim16k", [] { return Simulated(16 * kKiB, 16 * kKiB); }},
      {"sim64k", [] { return Simulated(64 * kKiB, 64 * kKiB); }},
      {"sim256k", [] { return Simulated(256 * kKiB, 256 * kKiB); }},
      {"sim_windows", [] { return Simulated(4 * kKiB, 64 * kKiB); }},
  };
}

std::vector<BackendCase> AllBackends() {
  std::vector<BackendCase> cases = OneRegionEach();
  for (BackendCase c : OneRegionEach()) {
    c.name += "_arena";
    c.arena = true;
    cases.push_back(c);
  }
  return cases;
}

class BackendTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    const size_t regions_at_start = backend_->live_regions();
    if (GetParam().arena) {
      arena_ = AddressArena::Create(*backend_);
      // The arena's first region stays for its life: reserve it now, so the
      // ledger below counts only the test's own regions.
      ASSERT_TRUE(arena_->Reserve(1, 1).ok());
    }
    regions_before_ = backend_->live_regions();
    mappings_before_ = backend_->live_mappings();
    regions_at_start_ = regions_at_start;
  }
  // Every test, passing or failing its checks, must leave the ledger as found,
  // and the arena none of its regions once gone.
  void TearDown() override {
    EXPECT_EQ(backend_->live_regions(), regions_before_);
    EXPECT_EQ(backend_->live_mappings(), mappings_before_);
    arena_.reset();
    EXPECT_EQ(backend_->live_regions(), regions_at_start_);
  }

  PageGeometry geometry() const { return backend_->geometry(); }
  size_t page() const { return geometry().page_size(); }
  size_t granule() const { return geometry().allocation_granularity(); }
  // A placement unit valid on every backend, and at least 64 KiB.
  size_t unit() const { return std::max<size_t>(granule(), 64 * kKiB); }

  Region Reserve(size_t size) {
    absl::StatusOr<Region> region = arena_ != nullptr
                                         ? arena_->Reserve(size, unit())
                                         : backend_->Reserve(size, unit());
    EXPECT_TRUE(region.ok()) << region.status();
    return std::move(*region);
  }

  File OpenTemp(const std::vector<uint8_t>& bytes) {
    return testing::OpenTempFile(bytes);
  }

  std::shared_ptr<MemoryBackend> backend_;
  std::shared_ptr<AddressArena> arena_;
  size_t regions_at_start_ = 0;
  size_t regions_before_ = 0;
  size_t mappings_before_ = 0;
};

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
  const std::vector<uint8_t> bytes = testing::PatternBytes(3 * unit() + 100);
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
  const std::vector<uint8_t> bytes = testing::PatternBytes(3 * unit());
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
  const std::vector<uint8_t> bytes = testing::PatternBytes(2 * unit());
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
  const std::vector<uint8_t> bytes = testing::PatternBytes(unit());
  File file = OpenTemp(bytes);
  Region region = Reserve(unit());
  ASSERT_TRUE(region.MapFile(0, file, 0, unit(), Protection::kReadWrite).ok());
  EXPECT_EQ(region.ProtectionAt(0), Protection::kReadWrite);
  region.data()[0] = static_cast<uint8_t>(bytes[0] + 1);
  EXPECT_EQ(region.data()[1], bytes[1]);
}

TEST_P(BackendTest, ShortFileTailIsZeroToPageEnd) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(100, 1);
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
  File file = OpenTemp(testing::PatternBytes(unit()));
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

// ReserveMappingFile is Reserve then MapFile at offset 0, in one step.
TEST_P(BackendTest, ReserveMappingFileMapsTheFileAtTheStart) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(2 * unit() + 100);
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
TEST_P(BackendTest, RegionsThatTheFileFillsNeverOverlap) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(3 * unit());
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

TEST_P(BackendTest, ReserveMappingFileRefusesWhatEitherStepWould) {
  File file = OpenTemp(testing::PatternBytes(2 * unit()));
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

// Advice is a hint: bytes and protections stay; it is checked like Protect,
// and only file mappings take it (the shared path's read-ahead hints).
TEST_P(BackendTest, AdviceChangesNoByteAndNeedsAFileMapping) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(2 * unit());
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
                         ::testing::ValuesIn(AllBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) {
                           return info.param.name;
                         });

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
  File file = OpenTemp(testing::PatternBytes(2 * unit()));
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

INSTANTIATE_TEST_SUITE_P(
    PageSizedBackends, StrictBackendTest, ::testing::ValuesIn([] {
      std::vector<BackendCase> cases = AllBackends();
      cases.erase(std::remove_if(cases.begin(), cases.end(),
                                 [](const BackendCase& c) {
                                   return c.make()->geometry().page_size() == 1;
                                 }),
                  cases.end());
      return cases;
    }()),
    [](const ::testing::TestParamInfo<BackendCase>& info) {
      return info.param.name;
    });

// Backends whose protections the hardware enforces must really fault.
class EnforcingBackendTest : public BackendTest {};

TEST_P(EnforcingBackendTest, ProtectionsReallyFault) {
  File file = OpenTemp(testing::PatternBytes(2 * unit()));
  Region region = Reserve(3 * unit());
  ASSERT_TRUE(region.MapFile(0, file, 0, 2 * unit()).ok());
  uint8_t* p = region.data();
  EXPECT_FALSE(testing::ReadFaults(p));
  EXPECT_TRUE(testing::WriteFaults(p));
  ASSERT_TRUE(region.Protect(0, page(), Protection::kReadWrite).ok());
  EXPECT_FALSE(testing::WriteFaults(p));
  EXPECT_TRUE(testing::WriteFaults(p + page()));  // Next page still read-only.
  ASSERT_TRUE(region.Protect(0, page(), Protection::kNone).ok());
  EXPECT_TRUE(testing::ReadFaults(p));
  // Reserved but unmapped address space is no-access.
  EXPECT_TRUE(testing::ReadFaults(p + 2 * unit()));
}

TEST_P(EnforcingBackendTest, ARegionTheFileFillsIsProtectedAsAsked) {
  File file = OpenTemp(testing::PatternBytes(2 * unit()));
  absl::StatusOr<Region> region = backend_->ReserveMappingFile(
      2 * unit(), unit(), file, 0, 2 * unit(), Protection::kRead);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_FALSE(testing::ReadFaults(region->data() + unit()));
  EXPECT_TRUE(testing::WriteFaults(region->data() + unit()));
  ASSERT_TRUE(region->Protect(unit(), page(), Protection::kReadWrite).ok());
  EXPECT_FALSE(testing::WriteFaults(region->data() + unit()));
  EXPECT_TRUE(testing::WriteFaults(region->data()));
}

INSTANTIATE_TEST_SUITE_P(
    EnforcingBackends, EnforcingBackendTest, ::testing::ValuesIn([] {
      std::vector<BackendCase> cases = AllBackends();
      cases.erase(
          std::remove_if(cases.begin(), cases.end(),
                         [](const BackendCase& c) {
                           return !c.make()->traits().enforces_protection;
                         }),
          cases.end());
      return cases;
    }()),
    [](const ::testing::TestParamInfo<BackendCase>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace granule
