// SPDX-License-Identifier: Apache-2.0
// Page states on Windows, where they differ from Linux: a zero page of the
// process's own, holes between VirtualAlloc reservations, and protections no
// Protection expresses (VirtualQuery, QueryWorkingSetEx). The Windows build
// runs these under Wine, whose working-set answers come from Linux's
// pagemap: an error there is a failure, not a skip.
#include <windows.h>

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/memory/memory_backend.h"
#include "platform/page_state/page_state.h"
#include "platform/page_state/page_state_test_util.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

class PageStateWindowsTest : public PageStateTest {
 protected:
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
};

TEST_F(PageStateWindowsTest, ZeroedMemoryIsResidentOnceTouched) {
  const std::vector<PageState> states =
      QueryWrittenUntouchedAndReadZeroedPages();
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
