// SPDX-License-Identifier: Apache-2.0
// Page states asked of the running kernel, on real mappings made by the host
// backend: what every OS must answer alike. page_state_posix_test.cc and
// page_state_windows_test.cc hold what differs. An error from the OS's
// queries is a failure here, not a skip: this suite runs only where they
// exist (Linux natively and on the QEMU machines, Windows under Wine).
#include "platform/page_state/page_state.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/host_backend_fixture.h"
#include "platform/memory/memory_backend.h"
#include "platform/page_state/page_state_test_util.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

TEST_F(PageStateTest, ReadFilePagesAreSharedAndAWrittenPageBecomesPrivate) {
  constexpr size_t kPages = 4;
  const std::vector<uint8_t> bytes = testing::PatternBytes(kPages * page_, 3);
  File file = testing::OpenTempFile(bytes, "pages");
  Region region = Reserve(kPages * page_);
  ASSERT_TRUE(region.MapFile(0, file, 0, bytes.size()).ok());

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
  EXPECT_EQ(summary.pages, kPages);
  EXPECT_EQ(summary.resident, kPages);
  EXPECT_EQ(summary.file_pages, kPages - 1);
  EXPECT_EQ(summary.private_pages, 1u);
  EXPECT_EQ(summary.anonymous_shared_pages, 0u);
  EXPECT_EQ(summary.swapped, 0u);
}

TEST_F(PageStateTest, ReservationIsMappedWithNoAccessAndNotResident) {
  Region region = Reserve(2 * page_);
  const std::vector<PageState> states = Query(region.base(), 2);
  ASSERT_EQ(states.size(), 2u);
  for (const PageState& state : states) {
    EXPECT_TRUE(state.mapped);
    EXPECT_EQ(state.protection, Protection::kNone);
    EXPECT_FALSE(state.resident);
  }
}

TEST_F(PageStateTest, EachProtectionIsReported) {
  const std::vector<uint8_t> bytes = testing::PatternBytes(4 * page_, 5);
  File file = testing::OpenTempFile(bytes, "protect");
  Region region = Reserve(4 * page_);
  ASSERT_TRUE(region.MapFile(0, file, 0, bytes.size()).ok());
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

TEST_F(PageStateTest, UnalignedRangeCoversEveryPageItTouches) {
  Region region = Reserve(3 * page_);
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
