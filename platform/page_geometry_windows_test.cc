// SPDX-License-Identifier: Apache-2.0
// On Windows the host geometry is GetSystemInfo's two units, kept apart.
#include <windows.h>

#include "gtest/gtest.h"
#include "platform/page_geometry.h"

namespace granule {
namespace {

TEST(PageGeometryWindowsTest, MatchesGetSystemInfo) {
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  absl::StatusOr<PageGeometry> g = HostPageGeometry();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->page_size(), info.dwPageSize);
  EXPECT_EQ(g->allocation_granularity(), info.dwAllocationGranularity);
}

TEST(PageGeometryWindowsTest, PagesAreSmallerThanTheGranularity) {
  // Every Windows on x86_64 (and Wine): 4 KiB pages, 64 KiB placement.
  absl::StatusOr<PageGeometry> g = HostPageGeometry();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->ToString(), "page 4 KiB, allocation granularity 64 KiB");
  EXPECT_FALSE(g->Divides(4096));
  EXPECT_TRUE(g->Divides(65536));
}

}  // namespace
}  // namespace granule
