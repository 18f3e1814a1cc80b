// Page states asked of the running kernel, on real mappings made by the POSIX
// backend. This CI runs Linux: no /proc/self/pagemap is a failure, not a skip.
#include "platform/page_state.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/memory_backend.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

class PageStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<MemoryBackend*> backend = HostMemoryBackend();
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *backend;
    page_ = backend_->geometry().page_size();
  }

  Region Reserve(size_t pages) {
    absl::StatusOr<Region> region = backend_->Reserve(pages * page_, page_);
    EXPECT_TRUE(region.ok()) << region.status();
    return std::move(*region);
  }

  std::vector<PageState> Query(const Region& region, size_t pages) {
    absl::StatusOr<std::vector<PageState>> states =
        QueryPageStates(region.base(), pages * page_);
    EXPECT_TRUE(states.ok()) << states.status();
    if (!states.ok()) return {};
    EXPECT_EQ(states->size(), pages);
    return *std::move(states);
  }

  // Reads through a volatile pointer so the compiler cannot drop the loads
  // that fault the pages in.
  static uint64_t ReadEveryByte(const uint8_t* data, size_t size) {
    const volatile uint8_t* bytes = data;
    uint64_t sum = 0;
    for (size_t i = 0; i < size; ++i) sum += bytes[i];
    return sum;
  }

  MemoryBackend* backend_ = nullptr;
  size_t page_ = 0;
};

TEST_F(PageStateTest, ReadFilePagesAreSharedAndAWrittenPageBecomesPrivate) {
  constexpr size_t kPages = 4;
  const std::vector<uint8_t> bytes = testing::PatternBytes(kPages * page_, 3);
  absl::StatusOr<std::string> path = testing::WriteTempFile("pages", bytes);
  ASSERT_TRUE(path.ok()) << path.status();
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok()) << file.status();
  Region region = Reserve(kPages);
  ASSERT_TRUE(region.MapFile(0, *file, 0, bytes.size()).ok());

  uint64_t expected_sum = 0;
  for (uint8_t b : bytes) expected_sum += b;
  ASSERT_EQ(ReadEveryByte(region.data(), bytes.size()), expected_sum);

  std::vector<PageState> states = Query(region, kPages);
  ASSERT_EQ(states.size(), kPages);
  for (size_t i = 0; i < kPages; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(states[i].mapped);
    EXPECT_EQ(states[i].protection, Protection::kRead);
    EXPECT_TRUE(states[i].resident);
    EXPECT_TRUE(states[i].file_page);
  }

  ASSERT_TRUE(region.Protect(page_, page_, Protection::kReadWrite).ok());
  region.data()[page_ + 7] ^= 0xff;

  states = Query(region, kPages);
  ASSERT_EQ(states.size(), kPages);
  EXPECT_EQ(states[1].protection, Protection::kReadWrite);
  EXPECT_TRUE(states[1].resident);
  EXPECT_FALSE(states[1].file_page) << "the written page is a private copy";
  EXPECT_TRUE(states[1].exclusive);
  for (size_t i : {0, 2, 3}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(states[i].protection, Protection::kRead);
    EXPECT_TRUE(states[i].file_page);
  }

  const PageSummary summary = Summarize(states);
  EXPECT_EQ(summary.pages, kPages);
  EXPECT_EQ(summary.resident, kPages);
  EXPECT_EQ(summary.file_pages, kPages - 1);
  EXPECT_EQ(summary.private_pages, 1u);
  EXPECT_EQ(summary.anonymous_shared_pages, 0u);
  EXPECT_EQ(summary.swapped, 0u);
}

TEST_F(PageStateTest, ZeroedMemoryIsPrivateOnceWrittenAndAbsentUntilTouched) {
  Region region = Reserve(3);
  ASSERT_TRUE(region.MapZeroed(0, 3 * page_).ok());
  std::memset(region.data(), 0x5a, page_);
  // Read, never written: the kernel maps its one shared zero page.
  ASSERT_EQ(ReadEveryByte(region.data() + 2 * page_, page_), 0u);

  const std::vector<PageState> states = Query(region, 3);
  ASSERT_EQ(states.size(), 3u);
  EXPECT_TRUE(states[0].resident);
  EXPECT_FALSE(states[0].file_page);
  EXPECT_TRUE(states[0].exclusive);
  EXPECT_EQ(states[0].protection, Protection::kReadWrite);

  EXPECT_TRUE(states[1].mapped);
  EXPECT_EQ(states[1].protection, Protection::kReadWrite);
  EXPECT_FALSE(states[1].resident) << "never touched";

  EXPECT_TRUE(states[2].resident);
  EXPECT_FALSE(states[2].file_page);
  EXPECT_FALSE(states[2].exclusive) << "the shared zero page";

  const PageSummary summary = Summarize(states);
  EXPECT_EQ(summary.resident, 2u);
  EXPECT_EQ(summary.private_pages, 1u);
  EXPECT_EQ(summary.anonymous_shared_pages, 1u);
  EXPECT_EQ(summary.file_pages, 0u);
}

TEST_F(PageStateTest, ReservationIsMappedWithNoAccessAndNotResident) {
  Region region = Reserve(2);
  const std::vector<PageState> states = Query(region, 2);
  ASSERT_EQ(states.size(), 2u);
  for (const PageState& state : states) {
    EXPECT_TRUE(state.mapped);
    EXPECT_EQ(state.protection, Protection::kNone);
    EXPECT_FALSE(state.resident);
  }
}

TEST_F(PageStateTest, HoleInTheRangeIsUnmapped) {
  Region region = Reserve(3);
  // The backend has no partial release, so punch the hole directly. One page
  // is too small for malloc's own mmaps to land in before the query.
  ASSERT_EQ(munmap(region.data() + page_, page_), 0) << std::strerror(errno);

  const std::vector<PageState> states = Query(region, 3);
  ASSERT_EQ(states.size(), 3u);
  EXPECT_TRUE(states[0].mapped);
  EXPECT_FALSE(states[1].mapped);
  EXPECT_EQ(states[1].protection, Protection::kNone);
  EXPECT_FALSE(states[1].resident);
  EXPECT_TRUE(states[2].mapped);
}

TEST_F(PageStateTest, UnalignedRangeCoversEveryPageItTouches) {
  Region region = Reserve(3);
  absl::StatusOr<std::vector<PageState>> states =
      QueryPageStates(region.base() + page_ - 1, 2);
  ASSERT_TRUE(states.ok()) << states.status();
  EXPECT_EQ(states->size(), 2u);

  states = QueryPageStates(region.base(), 0);
  ASSERT_TRUE(states.ok()) << states.status();
  EXPECT_TRUE(states->empty());
}

TEST_F(PageStateTest, RangeThatWrapsIsRejected) {
  absl::StatusOr<std::vector<PageState>> states =
      QueryPageStates(~uintptr_t{0} - page_, 2 * page_);
  EXPECT_EQ(states.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(states.status().message(), HasSubstr("wraps"));
}

TEST_F(PageStateTest, WritableAndExecutableMappingIsAnError) {
  void* p = mmap(nullptr, page_, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED && (errno == EACCES || errno == EPERM)) {
    GTEST_SKIP() << "this kernel refuses W+X mappings: "
                 << std::strerror(errno);
  }
  ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  absl::StatusOr<std::vector<PageState>> states =
      QueryPageStates(address, page_);
  munmap(p, page_);
  EXPECT_EQ(states.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(states.status().message(), HasSubstr("/proc/self/maps"));
  EXPECT_THAT(states.status().message(), HasSubstr("'rwxp'"));
  EXPECT_THAT(states.status().message(), HasSubstr("writable and executable"));
}

TEST(ProcMapsTest, ParsesALine) {
  absl::StatusOr<internal::ProcMapsEntry> entry = internal::ParseProcMapsLine(
      "7f00a000-7f00c000 r-xp 00001000 08:01 1234   /usr/lib/libc.so.6");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->start, 0x7f00a000u);
  EXPECT_EQ(entry->end, 0x7f00c000u);
  EXPECT_EQ(entry->permissions, "r-xp");
}

TEST(ProcMapsTest, RejectsMalformedLinesNamingTheField) {
  for (const char* line : {"", "1000-2000", "7f00a000 r-xp",
                           "7f00c000-7f00a000 r-xp 0", "zz-7f00c000 r-xp 0"}) {
    absl::StatusOr<internal::ProcMapsEntry> entry =
        internal::ParseProcMapsLine(line);
    EXPECT_EQ(entry.status().code(), absl::StatusCode::kInvalidArgument)
        << line;
    EXPECT_THAT(entry.status().message(), HasSubstr("address range")) << line;
  }
  for (const char* line :
       {"1000-2000 r-x", "1000-2000 rwzp 0", "1000-2000 r-xpq 0"}) {
    absl::StatusOr<internal::ProcMapsEntry> entry =
        internal::ParseProcMapsLine(line);
    EXPECT_EQ(entry.status().code(), absl::StatusCode::kInvalidArgument)
        << line;
    EXPECT_THAT(entry.status().message(), HasSubstr("permissions")) << line;
    EXPECT_THAT(entry.status().message(), HasSubstr(line)) << line;
  }
}

TEST(ProcMapsTest, MapsPermissionsToProtections) {
  EXPECT_EQ(*internal::ProtectionFromPermissions("---p"), Protection::kNone);
  EXPECT_EQ(*internal::ProtectionFromPermissions("r--p"), Protection::kRead);
  EXPECT_EQ(*internal::ProtectionFromPermissions("rw-s"),
            Protection::kReadWrite);
  EXPECT_EQ(*internal::ProtectionFromPermissions("r-xp"),
            Protection::kReadExecute);
  for (const char* permissions : {"rwxp", "-wxp", "--xp", "-w-p"}) {
    absl::StatusOr<Protection> protection =
        internal::ProtectionFromPermissions(permissions);
    EXPECT_EQ(protection.status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(protection.status().message(), HasSubstr(permissions));
  }
}

TEST(PageSummaryTest, CountsEachKindOnce) {
  PageState unmapped;
  PageState untouched{true, Protection::kRead};
  PageState shared{true, Protection::kRead, true, false, true, false};
  PageState copied{true, Protection::kReadWrite, true, false, false, true};
  PageState zero{true, Protection::kReadWrite, true, false, false, false};
  PageState swapped{true, Protection::kReadWrite, false, true, false, false};
  const PageSummary summary =
      Summarize({unmapped, untouched, shared, shared, copied, zero, swapped});
  EXPECT_EQ(summary.pages, 7u);
  EXPECT_EQ(summary.resident, 4u);
  EXPECT_EQ(summary.file_pages, 2u);
  EXPECT_EQ(summary.private_pages, 1u);
  EXPECT_EQ(summary.anonymous_shared_pages, 1u);
  EXPECT_EQ(summary.swapped, 1u);
}

}  // namespace
}  // namespace granule
