// SPDX-License-Identifier: Apache-2.0
// The per-segment route as arithmetic, on the machines of the simulated
// machine table: which units are mapped from the file, which are copied in
// place, with what protection, why, and how many bytes each way.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/load_plan.h"
#include "platform/memory/simulated_machines.h"

namespace granule {
namespace {

constexpr uint32_t kR = elf::kPfR, kRW = elf::kPfR | elf::kPfW,
                   kRX = elf::kPfR | elf::kPfX;
constexpr uint64_t kKiB = 1024;

Segment Load(int index, uint32_t flags, uint64_t offset, uint64_t vaddr,
             uint64_t filesz, uint64_t memsz, uint64_t align = 4 * kKiB) {
  return {index, elf::kPtLoad, flags, offset, vaddr, filesz, memsz, align};
}

ElfImage Image(std::vector<Segment> segments, uint64_t file_size) {
  ElfImage image;
  image.path = "test.go";
  image.file_size = file_size;
  image.segments = std::move(segments);
  image.layout = Layout::kOneToOne;
  for (const Segment* s : image.LoadSegments()) {
    if (s->offset != s->vaddr) image.layout = Layout::kCompact;
  }
  return image;
}

PageGeometry Machine(const char* name) {
  const SimulatedMachine* machine = FindSimulatedMachine(name);
  EXPECT_NE(machine, nullptr) << name;
  return machine->geometry();
}

LoadPlan PerSegment(const ElfImage& image, const PageGeometry& geometry,
                    bool allow_execute = false) {
  PlanOptions options;
  options.per_segment = true;
  options.allow_execute = allow_execute;
  absl::StatusOr<PlanOrRefusal> planned = PlanLoad(image, geometry, options);
  EXPECT_TRUE(planned.ok()) << planned.status();
  if (!planned.ok() || !std::holds_alternative<LoadPlan>(*planned)) {
    ADD_FAILURE() << "no per-segment plan";
    return {};
  }
  return std::get<LoadPlan>(*std::move(planned));
}

// The protection a page at `offset` ends with: the last step covering it.
Protection FinalAt(const LoadPlan& plan, uint64_t offset) {
  std::optional<Protection> p;
  for (const MapStep& m : plan.maps) {
    if (offset >= m.offset && offset < m.offset + m.length) p = m.protection;
  }
  for (const ProtectStep& s : plan.writable_during_load) {
    if (offset >= s.offset && offset < s.offset + s.length) p = s.protection;
  }
  for (const ProtectStep& s : plan.final_protections) {
    if (offset >= s.offset && offset < s.offset + s.length) p = s.protection;
  }
  return p.value_or(Protection::kNone);
}

// Guile's shape, 64 KiB-aligned: on 256 KiB pages the whole path refuses
// p_align, yet no two segments share a page, so everything maps.
TEST(PerSegmentPlanTest, GuileShapeMapsWholeOnTwoHundredFiftySixKiBPages) {
  const ElfImage image =
      Image({Load(0, kR, 0, 0, 0x78f90, 0x78f90, 64 * kKiB),
             Load(1, kRW, 0x80000, 0x80000, 0x2b178, 0x2b178, 64 * kKiB)},
            0xdf000);
  const LoadPlan plan = PerSegment(image, Machine("hypothetical-256k"));
  EXPECT_EQ(plan.alignment, 256 * kKiB);
  ASSERT_EQ(plan.maps.size(), 2u);
  EXPECT_TRUE(plan.maps[0].from_file);
  EXPECT_EQ(plan.maps[0].protection, Protection::kRead);
  EXPECT_EQ(plan.maps[1].offset, 0x80000u);
  EXPECT_EQ(plan.maps[1].protection, Protection::kReadWrite);
  EXPECT_EQ(plan.bytes_mapped, 0xc0000u);
  EXPECT_EQ(plan.bytes_copied, 0u);
  ASSERT_EQ(plan.segments.size(), 2u);
  EXPECT_EQ(plan.segments[0].route, SegmentVerdict::Route::kMapped);
  EXPECT_EQ(plan.segments[1].route, SegmentVerdict::Route::kMapped);
}

// A 4 KiB-aligned image: R to 36 KiB, RW from 40 KiB to 128 KiB.
ElfImage FourKiBAligned() {
  return Image({Load(0, kR, 0, 0, 0x9000, 0x9000),
                Load(1, kRW, 0xa000, 0xa000, 0x16000, 0x16000)},
               0x20000);
}

TEST(PerSegmentPlanTest, SixteenKiBPagesCopyOnlyThePageTheSegmentsShare) {
  const LoadPlan plan = PerSegment(FourKiBAligned(), Machine("linux-arm64-16k"));
  ASSERT_EQ(plan.maps.size(), 3u);
  EXPECT_TRUE(plan.maps[0].from_file);
  EXPECT_EQ(plan.maps[0].length, 0x8000u);
  EXPECT_EQ(plan.maps[0].protection, Protection::kRead);
  EXPECT_TRUE(plan.maps[1].copy_segments);
  EXPECT_EQ(plan.maps[1].offset, 0x8000u);
  EXPECT_EQ(plan.maps[1].length, 0x4000u);
  EXPECT_TRUE(plan.maps[2].from_file);
  EXPECT_EQ(plan.maps[2].offset, 0xc000u);
  EXPECT_EQ(plan.maps[2].file_offset, 0xc000u);
  EXPECT_EQ(plan.maps[2].protection, Protection::kReadWrite);
  // The shared page holds data: writable, as its writable segment asks.
  EXPECT_EQ(FinalAt(plan, 0x8000), Protection::kReadWrite);
  EXPECT_EQ(FinalAt(plan, 0), Protection::kRead);
  EXPECT_EQ(plan.bytes_mapped, 0x8000u + 0x14000u);
  EXPECT_EQ(plan.bytes_copied, 0x4000u);
  ASSERT_EQ(plan.segments.size(), 2u);
  for (const SegmentVerdict& v : plan.segments) {
    EXPECT_EQ(v.route, SegmentVerdict::Route::kPartlyMapped);
    ASSERT_EQ(v.why.size(), 1u);
    EXPECT_EQ(v.why[0].kind, Refusal::Kind::kSegmentsShareUnit);
    EXPECT_EQ(v.why[0].program_headers, (std::vector<int>{0, 1}));
    EXPECT_EQ(v.why[0].unit, Unit::kPage);
    EXPECT_EQ(v.why[0].value, 0x8000u);
    EXPECT_EQ(v.bytes_copied, 0x4000u);
  }
  EXPECT_EQ(plan.segments[0].bytes_mapped, 0x8000u);
  EXPECT_EQ(plan.segments[1].bytes_mapped, 0x14000u);
}

TEST(PerSegmentPlanTest, SixtyFourKiBPagesCopyTheFirstPageAndMapTheSecond) {
  for (const char* name : {"linux-arm64-64k", "linux-ppc64le"}) {
    SCOPED_TRACE(name);
    const LoadPlan plan = PerSegment(FourKiBAligned(), Machine(name));
    ASSERT_EQ(plan.maps.size(), 2u);
    EXPECT_TRUE(plan.maps[0].copy_segments);
    EXPECT_EQ(plan.maps[0].length, 0x10000u);
    EXPECT_TRUE(plan.maps[1].from_file);
    EXPECT_EQ(plan.maps[1].offset, 0x10000u);
    EXPECT_EQ(plan.bytes_mapped, 0x10000u);
    EXPECT_EQ(plan.bytes_copied, 0x10000u);
    EXPECT_EQ(plan.segments[0].route, SegmentVerdict::Route::kCopied);
    EXPECT_EQ(plan.segments[1].route, SegmentVerdict::Route::kPartlyMapped);
  }
}

TEST(PerSegmentPlanTest, TwoHundredFiftySixKiBPagesCopyEverythingHere) {
  const LoadPlan plan =
      PerSegment(FourKiBAligned(), Machine("hypothetical-256k"));
  ASSERT_EQ(plan.maps.size(), 1u);
  EXPECT_TRUE(plan.maps[0].copy_segments);
  EXPECT_EQ(plan.bytes_mapped, 0u);  // The loader then takes the heap copy.
  EXPECT_EQ(plan.bytes_copied, 0x40000u);
}

// Never more rights than asked: a page shared by text and read-only data is
// not executable, one shared by text and data is writable, not executable.
TEST(PerSegmentPlanTest, CopiedPagesExecuteOnlyWhenEverySegmentDoes) {
  const ElfImage image =
      Image({Load(0, kR, 0, 0, 0x1000, 0x1000),
             Load(1, kRX, 0x1000, 0x1000, 0x5000, 0x5000),
             Load(2, kRX, 0x6000, 0x6000, 0x6000, 0x6000),
             Load(3, kRW, 0xc000, 0xc000, 0x1000, 0x3000)},
            0xd000);
  const LoadPlan plan =
      PerSegment(image, Machine("linux-arm64-16k"), /*allow_execute=*/true);
  EXPECT_EQ(FinalAt(plan, 0x0000), Protection::kRead);         // R + RX.
  EXPECT_EQ(FinalAt(plan, 0x4000), Protection::kReadExecute);  // RX + RX.
  EXPECT_EQ(FinalAt(plan, 0xc000), Protection::kReadWrite);    // RX + RW.
  const LoadPlan no_exec = PerSegment(image, Machine("linux-arm64-16k"));
  EXPECT_EQ(FinalAt(no_exec, 0x4000), Protection::kRead);
}

TEST(PerSegmentPlanTest, RelroInACopiedPageEndsReadOnly) {
  ElfImage image = Image({Load(0, kRX, 0, 0, 0x3000, 0x3000),
                          Load(1, kRW, 0x3000, 0x3000, 0x9000, 0x9000)},
                         0xc000);
  image.segments.push_back(
      {2, elf::kPtGnuRelro, kR, 0x3000, 0x3000, 0x6000, 0x6000, 1});
  const LoadPlan plan =
      PerSegment(image, Machine("linux-arm64-16k"), /*allow_execute=*/true);
  // [0, 16K) is copied (RX + RW): writable, never executable. RELRO's one
  // whole 16 KiB page, [16K, 32K), is read-only after relocation.
  EXPECT_EQ(FinalAt(plan, 0), Protection::kReadWrite);
  EXPECT_EQ(FinalAt(plan, 0x4000), Protection::kRead);
  EXPECT_EQ(FinalAt(plan, 0x8000), Protection::kReadWrite);
}

TEST(PerSegmentPlanTest, AnOffsetIncongruentToItsAddressIsCopied) {
  // Compact: RW's bytes follow R's on disk at 0x2000 but sit at 0x10000.
  const ElfImage image = Image({Load(0, kR, 0, 0, 0x2000, 0x2000),
                                Load(1, kRW, 0x2000, 0x10000, 0x1000, 0x1000)},
                               0x3000);
  const LoadPlan plan = PerSegment(image, Machine("linux-arm64-16k"));
  ASSERT_EQ(plan.segments.size(), 2u);
  EXPECT_EQ(plan.segments[0].route, SegmentVerdict::Route::kMapped);
  EXPECT_EQ(plan.segments[1].route, SegmentVerdict::Route::kCopied);
  ASSERT_EQ(plan.segments[1].why.size(), 1u);
  EXPECT_EQ(plan.segments[1].why[0].kind, Refusal::Kind::kOffsetIncongruent);
  EXPECT_EQ(plan.segments[1].why[0].value, 0x2000u);
  EXPECT_EQ(plan.segments[1].why[0].Message(),
            "p_offset 0x2000 of program header 1 is not congruent to its "
            "p_vaddr modulo the page size 16 KiB");
  EXPECT_EQ(plan.bytes_mapped, 0x4000u);
  EXPECT_EQ(plan.bytes_copied, 0x4000u);
}

}  // namespace
}  // namespace granule
