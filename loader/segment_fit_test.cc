// SPDX-License-Identifier: Apache-2.0
// CheckLayout on program headers written here: the layouts of granule's
// writer and of an ordinary x86-64 executable.
#include "loader/segment_fit.h"

#include "gtest/gtest.h"
#include "loader/elf/elf_format.h"

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

TEST(CheckLayoutTest, SixtyFourKiBAlignedImageMapsWhole) {
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
    EXPECT_TRUE(verdict->segments.empty());
    EXPECT_EQ(verdict->bytes_copied, 0u);
  }
}

TEST(CheckLayoutTest, OrdinaryExecutableOnSixteenKiBPages) {
  absl::StatusOr<LoadVerdict> verdict =
      CheckLayout(OrdinaryExecutable(), Geometry(16384, 16384));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->route, LoadRoute::kPerSegment);
  ASSERT_TRUE(verdict->refusal.has_value());
  EXPECT_EQ(verdict->refusal->kind, Refusal::Kind::kUnitDoesNotDivideAlign);
  EXPECT_FALSE(EverySegmentMapped(*verdict));
  ASSERT_EQ(verdict->segments.size(), 4u);
  // The RW segment shares its first page with the R segment before it, and
  // its address is 4 KiB past its offset: nothing of it maps.
  const SegmentVerdict& rw = verdict->segments[3];
  EXPECT_EQ(rw.route, Route::kCopied);
  EXPECT_EQ(rw.bytes_mapped, 0u);
  EXPECT_FALSE(rw.why.empty());
  uint64_t mapped = 0;
  for (const SegmentVerdict& fit : verdict->segments) {
    mapped += fit.bytes_mapped;
  }
  EXPECT_EQ(verdict->bytes_mapped, mapped);
  EXPECT_GT(mapped, 0u);
}

TEST(CheckLayoutTest, CopiedImageStillListsEachSegmentsReason) {
  absl::StatusOr<LoadVerdict> verdict =
      CheckLayout(OrdinaryExecutable(), Geometry(65536, 65536));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_FALSE(EverySegmentMapped(*verdict));
  EXPECT_FALSE(verdict->segments.empty());
  for (const SegmentVerdict& fit : verdict->segments) {
    if (fit.route != Route::kMapped) {
      EXPECT_FALSE(fit.why.empty()) << fit.program_header;
    }
  }
}

TEST(CheckLayoutTest, TheLoadersSizeLimitIsNotALayoutVerdict) {
  // 1 GiB plus 64 KiB of zero-filled memory: past LoadOptions's limit.
  const ElfImage image =
      Image({{0, 0, kRW, 0x0, 0x0, 0x1000, 0x40010000, 0x10000}},
            Layout::kOneToOne);
  absl::StatusOr<LoadVerdict> verdict =
      CheckLayout(image, Geometry(4096, 4096));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_TRUE(verdict->shared_whole());
}

}  // namespace
}  // namespace granule
