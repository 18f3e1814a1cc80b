// Page states asked of Windows (VirtualQuery, QueryWorkingSetEx) on real
// mappings made by the Windows backend. The Windows build runs these under
// Wine, whose working-set answers come from Linux's pagemap: an error there
// is a failure, not a skip.
#include <windows.h>

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/memory_backend.h"
#include "platform/page_state.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

class PageStateWindowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<MemoryBackend*> backend = HostMemoryBackend();
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *backend;
    page_ = backend_->geometry().page_size();
    granule_ = backend_->geometry().allocation_granularity();
  }

  Region Reserve(size_t bytes) {
    absl::StatusOr<Region> region = backend_->Reserve(bytes, granule_);
    EXPECT_TRUE(region.ok()) << region.status();
    return std::move(*region);
  }

  std::vector<PageState> Query(uintptr_t address, size_t pages) {
    absl::StatusOr<std::vector<PageState>> states =
        QueryPageStates(address, pages * page_);
    EXPECT_TRUE(states.ok()) << states.status();
    if (!states.ok()) return {};
    EXPECT_EQ(states->size(), pages);
    return *std::move(states);
  }

  static uint64_t ReadEveryByte(const uint8_t* data, size_t size) {
    const volatile uint8_t* bytes = data;
    uint64_t sum = 0;
    for (size_t i = 0; i < size; ++i) sum += bytes[i];
    return sum;
  }

  // A raw VirtualAlloc the test owns, for protections the backend never uses.
  struct RawPages {
    explicit RawPages(size_t bytes, DWORD protection)
        : data(VirtualAlloc(nullptr, bytes, MEM_RESERVE | MEM_COMMIT,
                            protection)) {}
    ~RawPages() {
      if (data != nullptr) VirtualFree(data, 0, MEM_RELEASE);
    }
    uintptr_t address() const { return reinterpret_cast<uintptr_t>(data); }
    void* data;
  };

  MemoryBackend* backend_ = nullptr;
  size_t page_ = 0;
  size_t granule_ = 0;
};

TEST_F(PageStateWindowsTest, ReadFilePagesAreSharedAndAWrittenPageIsPrivate) {
  constexpr size_t kPages = 4;
  const std::vector<uint8_t> bytes = testing::PatternBytes(kPages * page_, 3);
  absl::StatusOr<std::string> path = testing::WriteTempFile("pages", bytes);
  ASSERT_TRUE(path.ok()) << path.status();
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok()) << file.status();
  Region region = Reserve(kPages * page_);
  ASSERT_TRUE(region.MapFile(0, *file, 0, bytes.size()).ok());

  uint64_t expected_sum = 0;
  for (uint8_t b : bytes) expected_sum += b;
  ASSERT_EQ(ReadEveryByte(region.data(), bytes.size()), expected_sum);

  std::vector<PageState> states = Query(region.base(), kPages);
  ASSERT_EQ(states.size(), kPages);
  for (size_t i = 0; i < kPages; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(states[i].mapped);
    EXPECT_EQ(states[i].protection, Protection::kRead);
    EXPECT_TRUE(states[i].resident);
    EXPECT_TRUE(states[i].file_page);
    EXPECT_FALSE(states[i].swapped);
  }

  ASSERT_TRUE(region.Protect(page_, page_, Protection::kReadWrite).ok());
  region.data()[page_ + 7] ^= 0xff;

  states = Query(region.base(), kPages);
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
  EXPECT_EQ(summary.resident, kPages);
  EXPECT_EQ(summary.file_pages, kPages - 1);
  EXPECT_EQ(summary.private_pages, 1u);
  EXPECT_EQ(summary.anonymous_shared_pages, 0u);
}

TEST_F(PageStateWindowsTest, ZeroedMemoryIsResidentOnceTouched) {
  Region region = Reserve(3 * page_);
  ASSERT_TRUE(region.MapZeroed(0, 3 * page_).ok());
  std::memset(region.data(), 0x5a, page_);
  ASSERT_EQ(ReadEveryByte(region.data() + 2 * page_, page_), 0u);

  const std::vector<PageState> states = Query(region.base(), 3);
  ASSERT_EQ(states.size(), 3u);
  for (const PageState& state : states) {
    EXPECT_TRUE(state.mapped);
    EXPECT_EQ(state.protection, Protection::kReadWrite);
    EXPECT_FALSE(state.file_page);
  }
  EXPECT_TRUE(states[0].resident);
  EXPECT_TRUE(states[0].exclusive);
  EXPECT_FALSE(states[1].resident) << "never touched";
  // Read, never written: Windows gives the process its own zero-filled page
  // (Wine: Linux's zero page, which is not shared with any file either).
  EXPECT_TRUE(states[2].resident);
  EXPECT_TRUE(states[2].exclusive);
}

TEST_F(PageStateWindowsTest, ReservationIsMappedWithNoAccessAndNotResident) {
  Region region = Reserve(2 * page_);
  const std::vector<PageState> states = Query(region.base(), 2);
  ASSERT_EQ(states.size(), 2u);
  for (const PageState& state : states) {
    EXPECT_TRUE(state.mapped);
    EXPECT_EQ(state.protection, Protection::kNone);
    EXPECT_FALSE(state.resident);
  }
}

TEST_F(PageStateWindowsTest, EachProtectionIsReported) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(4 * page_, 5);
  absl::StatusOr<std::string> path = testing::WriteTempFile("protect", bytes);
  ASSERT_TRUE(path.ok()) << path.status();
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok()) << file.status();
  Region region = Reserve(4 * page_);
  ASSERT_TRUE(region.MapFile(0, *file, 0, bytes.size()).ok());
  ASSERT_TRUE(region.Protect(0, page_, Protection::kNone).ok());
  ASSERT_TRUE(region.Protect(2 * page_, page_, Protection::kReadWrite).ok());
  ASSERT_TRUE(region.Protect(3 * page_, page_, Protection::kReadExecute).ok());

  const std::vector<PageState> states = Query(region.base(), 4);
  ASSERT_EQ(states.size(), 4u);
  EXPECT_EQ(states[0].protection, Protection::kNone);
  EXPECT_EQ(states[1].protection, Protection::kRead);
  EXPECT_EQ(states[2].protection, Protection::kReadWrite);
  EXPECT_EQ(states[3].protection, Protection::kReadExecute);
}

TEST_F(PageStateWindowsTest, HoleInTheRangeIsUnmapped) {
  // Three granules: the middle one released, the outer ones reserved.
  void* all = VirtualAlloc(nullptr, 3 * granule_, MEM_RESERVE, PAGE_NOACCESS);
  ASSERT_NE(all, nullptr) << GetLastError();
  const uintptr_t base = reinterpret_cast<uintptr_t>(all);
  ASSERT_TRUE(VirtualFree(all, 0, MEM_RELEASE));
  void* first = VirtualAlloc(all, granule_, MEM_RESERVE, PAGE_NOACCESS);
  void* last = VirtualAlloc(reinterpret_cast<void*>(base + 2 * granule_),
                            granule_, MEM_RESERVE, PAGE_NOACCESS);
  ASSERT_EQ(first, all);
  ASSERT_NE(last, nullptr);

  const size_t pages_per_granule = granule_ / page_;
  const std::vector<PageState> states = Query(base, 3 * pages_per_granule);
  VirtualFree(first, 0, MEM_RELEASE);
  VirtualFree(last, 0, MEM_RELEASE);
  ASSERT_EQ(states.size(), 3 * pages_per_granule);
  EXPECT_TRUE(states[0].mapped);
  EXPECT_TRUE(states[pages_per_granule - 1].mapped);
  for (size_t i = pages_per_granule; i < 2 * pages_per_granule; ++i) {
    ASSERT_FALSE(states[i].mapped) << i;
    EXPECT_EQ(states[i].protection, Protection::kNone);
    EXPECT_FALSE(states[i].resident);
  }
  EXPECT_TRUE(states[2 * pages_per_granule].mapped);
}

TEST_F(PageStateWindowsTest, UnalignedRangeCoversEveryPageItTouches) {
  Region region = Reserve(3 * page_);
  absl::StatusOr<std::vector<PageState>> states =
      QueryPageStates(region.base() + page_ - 1, 2);
  ASSERT_TRUE(states.ok()) << states.status();
  EXPECT_EQ(states->size(), 2u);

  states = QueryPageStates(region.base(), 0);
  ASSERT_TRUE(states.ok()) << states.status();
  EXPECT_TRUE(states->empty());
}

TEST_F(PageStateWindowsTest, RangeThatWrapsIsRejected) {
  absl::StatusOr<std::vector<PageState>> states =
      QueryPageStates(~uintptr_t{0} - page_, 2 * page_);
  EXPECT_EQ(states.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(states.status().message(), HasSubstr("wraps"));
}

TEST_F(PageStateWindowsTest, WritableAndExecutableMemoryIsAnError) {
  RawPages pages(page_, PAGE_EXECUTE_READWRITE);
  ASSERT_NE(pages.data, nullptr) << GetLastError();
  absl::StatusOr<std::vector<PageState>> states =
      QueryPageStates(pages.address(), page_);
  EXPECT_EQ(states.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(states.status().message(), HasSubstr("VirtualQuery: pages ["));
  EXPECT_THAT(states.status().message(),
              HasSubstr("protection PAGE_EXECUTE_READWRITE (0x40) is "
                        "writable and executable"));
}

TEST_F(PageStateWindowsTest, ExecuteOnlyAndGuardPagesAreNotExpressible) {
  RawPages execute_only(page_, PAGE_EXECUTE);
  ASSERT_NE(execute_only.data, nullptr) << GetLastError();
  absl::StatusOr<std::vector<PageState>> states =
      QueryPageStates(execute_only.address(), page_);
  EXPECT_EQ(states.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(states.status().message(),
              HasSubstr("PAGE_EXECUTE (0x10) is not expressible"));

  RawPages guard(page_, PAGE_READWRITE | PAGE_GUARD);
  ASSERT_NE(guard.data, nullptr) << GetLastError();
  states = QueryPageStates(guard.address(), page_);
  EXPECT_EQ(states.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(states.status().message(),
              HasSubstr("PAGE_READWRITE (0x104) with PAGE_GUARD is not "
                        "expressible"));
}

}  // namespace
}  // namespace granule
