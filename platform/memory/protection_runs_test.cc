// SPDX-License-Identifier: Apache-2.0
// The protection record a region keeps per mapping, checked page by page
// against a plain array after every change.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "gtest/gtest.h"
#include "platform/memory/protection.h"

namespace granule {
namespace {

constexpr size_t kStart = 0x10000, kPages = 8, kPage = 0x1000;

void ExpectSame(const ProtectionRuns& runs,
                const std::vector<Protection>& pages) {
  for (size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(runs.At(kStart + i * kPage), pages[i]) << "page " << i;
    EXPECT_EQ(runs.At(kStart + i * kPage + kPage - 1), pages[i]) << "page " << i;
  }
  // Overlapping() over each range meets exactly the protections in it, and
  // no two neighbouring runs it returns are the same change point.
  for (size_t first = 0; first < pages.size(); ++first) {
    for (size_t last = first + 1; last <= pages.size(); ++last) {
      absl::Span<const ProtectionRuns::Run> met =
          runs.Overlapping(kStart + first * kPage, kStart + last * kPage);
      ASSERT_FALSE(met.empty());
      EXPECT_LE(met.front().start, kStart + first * kPage);
      for (size_t i = 0; i < met.size(); ++i) {
        const size_t from =
            std::max(met[i].start, kStart + first * kPage);
        const size_t to = i + 1 < met.size() ? met[i + 1].start
                                             : kStart + last * kPage;
        EXPECT_LT(from, to);
        for (size_t at = from; at < to; at += kPage) {
          EXPECT_EQ(met[i].protection, pages[(at - kStart) / kPage]);
        }
      }
    }
  }
}

TEST(ProtectionRunsTest, EveryChangeKeepsEveryOtherPage) {
  const Protection kinds[] = {Protection::kNone, Protection::kRead,
                              Protection::kReadWrite,
                              Protection::kReadExecute};
  // Every range of pages set to every protection, from a mapping already cut
  // into three runs, and the pages checked one by one each time.
  for (size_t first = 0; first < kPages; ++first) {
    for (size_t last = first + 1; last <= kPages; ++last) {
      for (Protection p : kinds) {
        ProtectionRuns runs(kStart, kStart + kPages * kPage, Protection::kRead);
        std::vector<Protection> pages(kPages, Protection::kRead);
        runs.Set(kStart + 2 * kPage, kStart + 4 * kPage, Protection::kReadWrite);
        runs.Set(kStart + 6 * kPage, kStart + 7 * kPage, Protection::kNone);
        for (size_t i = 2; i < 4; ++i) pages[i] = Protection::kReadWrite;
        pages[6] = Protection::kNone;
        ExpectSame(runs, pages);
        runs.Set(kStart + first * kPage, kStart + last * kPage, p);
        for (size_t i = first; i < last; ++i) pages[i] = p;
        ExpectSame(runs, pages);
        if (::testing::Test::HasFailure()) {
          FAIL() << "after setting pages [" << first << ", " << last
                 << ") to " << ProtectionName(p);
        }
      }
    }
  }
}

}  // namespace
}  // namespace granule
