// SPDX-License-Identifier: Apache-2.0
#include "platform/page_geometry.h"

#include "gtest/gtest.h"

namespace granule {
namespace {

constexpr uint64_t kKiB = 1024;

TEST(PageGeometryTest, AcceptsEveryRealMachineShape) {
  for (uint64_t page : {4 * kKiB, 16 * kKiB, 64 * kKiB, 256 * kKiB}) {
    absl::StatusOr<PageGeometry> g = PageGeometry::Create(page, page);
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_EQ(g->page_size(), page);
    EXPECT_EQ(g->allocation_granularity(), page);
  }
  absl::StatusOr<PageGeometry> windows =
      PageGeometry::Create(4 * kKiB, 64 * kKiB);
  ASSERT_TRUE(windows.ok());
  EXPECT_EQ(windows->ToString(), "page 4 KiB, allocation granularity 64 KiB");
}

TEST(PageGeometryTest, RejectsNonPowersOfTwo) {
  EXPECT_EQ(PageGeometry::Create(0, 4096).status().message(),
            "page size 0 is not a power of two");
  EXPECT_EQ(PageGeometry::Create(12288, 12288).status().message(),
            "page size 12288 is not a power of two");
  EXPECT_EQ(PageGeometry::Create(4096, 65535).status().message(),
            "allocation granularity 65535 is not a power of two");
  EXPECT_EQ(PageGeometry::Create(4096, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PageGeometryTest, RejectsGranularityBelowPageSize) {
  EXPECT_EQ(PageGeometry::Create(65536, 4096).status().message(),
            "allocation granularity 4096 is smaller than the page size 65536");
}

// The shared-path condition: 64 KiB is the least common multiple.
TEST(PageGeometryTest, SixtyFourKiBAlignmentFitsAllButLargerPages) {
  const uint64_t align = 64 * kKiB;
  EXPECT_TRUE(PageGeometry::Create(4 * kKiB, 4 * kKiB)->Divides(align));
  EXPECT_TRUE(PageGeometry::Create(16 * kKiB, 16 * kKiB)->Divides(align));
  EXPECT_TRUE(PageGeometry::Create(64 * kKiB, 64 * kKiB)->Divides(align));
  EXPECT_TRUE(PageGeometry::Create(4 * kKiB, 64 * kKiB)->Divides(align));
  EXPECT_FALSE(PageGeometry::Create(256 * kKiB, 256 * kKiB)->Divides(align));
  // Guile before 2.2: 4 KiB alignment fails on a 64 KiB-page machine.
  EXPECT_FALSE(PageGeometry::Create(64 * kKiB, 64 * kKiB)->Divides(4 * kKiB));
  // Windows: pages would allow 4 KiB, placement would not.
  EXPECT_FALSE(PageGeometry::Create(4 * kKiB, 64 * kKiB)->Divides(16 * kKiB));
  EXPECT_FALSE(PageGeometry::Create(4 * kKiB, 4 * kKiB)->Divides(0));
}

TEST(PageGeometryTest, FormatsBytes) {
  EXPECT_EQ(FormatBytes(4096), "4 KiB");
  EXPECT_EQ(FormatBytes(2 * 1024 * 1024), "2 MiB");
  EXPECT_EQ(FormatBytes(uint64_t{1} << 30), "1 GiB");
  EXPECT_EQ(FormatBytes(100), "100 bytes");
  EXPECT_EQ(FormatBytes(0), "0 bytes");
}

TEST(PageGeometryTest, HostGeometryIsValidAndStable) {
  absl::StatusOr<PageGeometry> first = HostPageGeometry();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(IsPowerOfTwo(first->page_size()));
  EXPECT_GE(first->allocation_granularity(), first->page_size());
  EXPECT_EQ(*first, *HostPageGeometry());
}

}  // namespace
}  // namespace granule
