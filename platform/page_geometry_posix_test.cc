// SPDX-License-Identifier: Apache-2.0
// On POSIX the host geometry must agree with what the C library reports.
#include <unistd.h>

#include "gtest/gtest.h"
#include "platform/page_geometry.h"

namespace granule {
namespace {

TEST(PageGeometryPosixTest, MatchesSysconf) {
  absl::StatusOr<PageGeometry> g = HostPageGeometry();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->page_size(), static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(g->allocation_granularity(), g->page_size());
}

}  // namespace
}  // namespace granule
