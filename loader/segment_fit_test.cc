// SPDX-License-Identifier: Apache-2.0
// FitSegments and CheckLayout on program headers written here: the layouts
// of granule's writer and of an ordinary x86-64 executable.
#include "loader/segment_fit.h"

#include "gtest/gtest.h"
#include "loader/elf_format.h"

namespace granule {
namespace {

using Route = SegmentVerdict::Route;

constexpr uint32_t kR = elf::kPfR, kRX = elf::kPfR | elf::kPfX,
                   kRW = elf::kPfR | elf::kPfW;

ElfImage Image(std::vector<Segment> loads, Layout layout) {
  ElfImage image;
  image.path = "test.so";
  image.file_size = 1 << 20;
  image.variant = {true, false};
  image.type = elf::kTypeDyn;
  image.layout = layout;
  for (size_t i = 0; i < loads.size(); ++i) {
    loads[i].index = static_cast<int>(i);
    loads[i].type = elf::kPtLoad;
    image.segments.push_back(loads[i]);
  }
  return image;
}

PageGeometry Geometry(uint64_t page, uint64_t granularity) {
  return *PageGeometry::Create(page, granularity);
}

// /bin/ls on Debian bookworm (4 KiB p_align), its RW segment moved 4 KiB
// down the file, as in most of Debian's executables: its address 4 KiB past
// its offset (index, type, flags, offset, vaddr, filesz, memsz, align).
ElfImage OrdinaryExecutable() {
  return Image({{0, 0, kR, 0x0, 0x0, 0x36c0, 0x36c0, 0x1000},
                {0, 0, kRX, 0x4000, 0x4000, 0x15759, 0x15759, 0x1000},
                {0, 0, kR, 0x1a000, 0x1a000, 0x8ed0, 0x8ed0, 0x1000},
                {0, 0, kRW, 0x222b0, 0x232b0, 0x1310, 0x25f8, 0x1000}},
               Layout::kCompact);
}

TEST(SegmentFitTest, SixtyFourKiBAlignedImageMapsWhole) {
  const ElfImage image =
      Image({{0, 0, kR, 0x0, 0x0, 0x248, 0x248, 0x10000},
             {0, 0, kRX, 0x10000, 0x10000, 0x3, 0x3, 0x10000},
             {0, 0, kRW, 0x20000, 0x20000, 0x6000, 0x6000, 0x10000}},
            Layout::kOneToOne);
  for (uint64_t page : {4096u, 16384u, 65536u}) {
    absl::StatusOr<LoadVerdict> verdict =
        CheckLayout(image, Geometry(page, page));
    ASSERT_TRUE(verdict.ok()) << verdict.status();
    EXPECT_TRUE(verdict->shared_whole()) << page;
    EXPECT_TRUE(EverySegmentMapped(*verdict));
    for (const SegmentVerdict& fit :
         FitSegments(image, Geometry(page, page))) {
      EXPECT_EQ(fit.route, Route::kMapped) << page << " " << fit.program_header;
      EXPECT_TRUE(fit.why.empty());
      EXPECT_EQ(fit.bytes_copied, 0u);
    }
  }
}

TEST(SegmentFitTest, OrdinaryExecutableOnSixteenKiBPages) {
  const ElfImage image = OrdinaryExecutable();
  const std::vector<SegmentVerdict> fits =
      FitSegments(image, Geometry(16384, 16384));
  ASSERT_EQ(fits.size(), 4u);
  // R [0, 0x36c0): its only page is its own.
  EXPECT_EQ(fits[0].route, Route::kMapped);
  EXPECT_EQ(fits[0].bytes_mapped, 0x4000u);
  // RX [0x4000, 0x19759): its last page, 0x18000, is the next R's too.
  EXPECT_EQ(fits[1].route, Route::kPartlyMapped);
  ASSERT_EQ(fits[1].why.size(), 1u);
  EXPECT_EQ(fits[1].why[0].kind, Refusal::Kind::kSegmentsShareUnit);
  EXPECT_EQ(fits[1].why[0].program_headers, (std::vector<int>{1, 2}));
  EXPECT_EQ(fits[1].why[0].value, 0x18000u);
  EXPECT_EQ(fits[1].bytes_mapped, 0x14000u);
  EXPECT_EQ(fits[1].bytes_copied, 0x4000u);
  // R [0x1a000, 0x22ed0): both end pages shared; one page inside is its own.
  EXPECT_EQ(fits[2].route, Route::kPartlyMapped);
  EXPECT_EQ(fits[2].why.size(), 2u);
  EXPECT_EQ(fits[2].bytes_mapped, 0x4000u);
  EXPECT_EQ(fits[2].bytes_copied, 0x8000u);
  // RW: p_vaddr - p_offset is 4 KiB, not a multiple of 16 KiB.
  EXPECT_EQ(fits[3].route, Route::kCopied);
  ASSERT_EQ(fits[3].why.size(), 1u);
  EXPECT_EQ(fits[3].why[0].kind, Refusal::Kind::kOffsetIncongruent);
  EXPECT_EQ(fits[3].why[0].unit, Unit::kPage);
  EXPECT_EQ(fits[3].why[0].value, 0x222b0u);

  absl::StatusOr<LoadVerdict> verdict =
      CheckLayout(image, Geometry(16384, 16384));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->route, LoadRoute::kPerSegment);
  ASSERT_TRUE(verdict->refusal.has_value());
  EXPECT_EQ(verdict->refusal->kind, Refusal::Kind::kUnitDoesNotDivideAlign);
  EXPECT_FALSE(EverySegmentMapped(*verdict));
  uint64_t mapped = 0;
  for (const SegmentVerdict& fit : fits) mapped += fit.bytes_mapped;
  EXPECT_EQ(verdict->bytes_mapped, mapped);
}

TEST(SegmentFitTest, NothingMapsOnSixtyFourKiBPages) {
  absl::StatusOr<LoadVerdict> verdict =
      CheckLayout(OrdinaryExecutable(), Geometry(65536, 65536));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->route, LoadRoute::kCopy);
  EXPECT_EQ(verdict->bytes_mapped, 0u);
  for (const SegmentVerdict& fit : verdict->segments) {
    EXPECT_EQ(fit.route, Route::kCopied) << fit.program_header;
  }
}

TEST(SegmentFitTest, GranularityPlacesViewsOnItsUnits) {
  // 4 KiB pages, 64 KiB granularity: the RX segment's view must start at
  // 0x10000, which the R segment's page [0x10000, 0x11000) also needs.
  const ElfImage image =
      Image({{0, 0, kR, 0x0, 0x0, 0x10800, 0x10800, 0x1000},
             {0, 0, kRX, 0x11000, 0x11000, 0x20000, 0x20000, 0x1000}},
            Layout::kOneToOne);
  const std::vector<SegmentVerdict> fits =
      FitSegments(image, Geometry(4096, 65536));
  ASSERT_EQ(fits.size(), 2u);
  EXPECT_EQ(fits[1].route, Route::kPartlyMapped);
  ASSERT_EQ(fits[1].why.size(), 1u);
  EXPECT_EQ(fits[1].why[0].unit, Unit::kAllocationGranularity);
  EXPECT_EQ(fits[1].why[0].value, 0x10000u);
  EXPECT_EQ(fits[1].bytes_mapped, 0x31000u - 0x20000u);
  // On 4 KiB pages alone both map.
  for (const SegmentVerdict& fit : FitSegments(image, Geometry(4096, 4096))) {
    EXPECT_EQ(fit.route, Route::kMapped);
  }
}

TEST(SegmentFitTest, NeighboursWithTheSameRightsAndBytesMayShareAPage) {
  const ElfImage image =
      Image({{0, 0, kR, 0x0, 0x0, 0x1800, 0x1800, 0x1000},
             {0, 0, kR, 0x2000, 0x2000, 0x1000, 0x1000, 0x1000}},
            Layout::kOneToOne);
  for (const SegmentVerdict& fit :
       FitSegments(image, Geometry(16384, 16384))) {
    EXPECT_EQ(fit.route, Route::kMapped) << fit.program_header;
  }
}

}  // namespace
}  // namespace granule
