// SPDX-License-Identifier: Apache-2.0
// Plans are arithmetic: these tests state, for each geometry, exactly which
// mappings, protections and zero fills an image needs, and why a geometry is
// refused.
#include "loader/load_plan.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace granule {
namespace {

using ::testing::HasSubstr;

constexpr uint32_t kR = elf::kPfR, kRW = elf::kPfR | elf::kPfW,
                   kRX = elf::kPfR | elf::kPfX;
constexpr uint64_t k4K = 4096, k64K = 65536, k256K = 262144;

Segment Load(int index, uint32_t flags, uint64_t offset, uint64_t vaddr,
             uint64_t filesz, uint64_t memsz, uint64_t align = k64K) {
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

// Guile's shape: R at 0, RW at the next 64 KiB boundary.
ElfImage GuileLike() {
  return Image({Load(0, kR, 0, 0, 0x78f90, 0x78f90),
                Load(1, kRW, 0x80000, 0x80000, 0x2b178, 0x2b178)},
               0xdf000);
}

PageGeometry Geometry(uint64_t page, uint64_t granularity) {
  return *PageGeometry::Create(page, granularity);
}

// The plan; a refusal or an error fails the test.
std::optional<LoadPlan> Plan(const ElfImage& image, const PageGeometry& geometry,
                             const PlanOptions& options) {
  absl::StatusOr<PlanOrRefusal> planned = PlanLoad(image, geometry, options);
  if (!planned.ok()) {
    ADD_FAILURE() << planned.status();
    return std::nullopt;
  }
  if (const Refusal* r = std::get_if<Refusal>(&*planned)) {
    ADD_FAILURE() << "refused: " << r->Message();
    return std::nullopt;
  }
  return std::get<LoadPlan>(*std::move(planned));
}

// The refusal; a plan or an error fails the test.
Refusal Refused(const ElfImage& image, const PageGeometry& geometry,
                const PlanOptions& options) {
  absl::StatusOr<PlanOrRefusal> planned = PlanLoad(image, geometry, options);
  if (!planned.ok()) {
    ADD_FAILURE() << planned.status();
    return {};
  }
  if (const Refusal* r = std::get_if<Refusal>(&*planned)) return *r;
  ADD_FAILURE() << "planned, not refused";
  return {};
}

PlanOptions WholeFile() {
  PlanOptions options;
  options.map_whole_file = true;
  return options;
}

TEST(LoadPlanTest, OneToOneMapsTheFileOnceAndOpensTheWritableSegment) {
  std::optional<LoadPlan> plan =
      Plan(GuileLike(), Geometry(k4K, k4K), WholeFile());
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->alignment, k64K);
  EXPECT_EQ(plan->span, 0xab178u);
  ASSERT_EQ(plan->maps.size(), 1u);
  EXPECT_TRUE(plan->maps[0].from_file);
  EXPECT_EQ(plan->maps[0].offset, 0u);
  EXPECT_EQ(plan->maps[0].length, 0xab178u);  // Not the sections after it.
  EXPECT_EQ(plan->maps[0].protection, Protection::kRead);
  ASSERT_EQ(plan->writable_during_load.size(), 1u);
  EXPECT_EQ(plan->writable_during_load[0].offset, 0x80000u);
  EXPECT_EQ(plan->writable_during_load[0].length, 0x2c000u);
  EXPECT_TRUE(plan->zero_fills.empty());
  EXPECT_TRUE(plan->final_protections.empty());  // R stays R, RW stays RW.
}

TEST(LoadPlanTest, EachSegmentGetsItsOwnMappingWhenNotWholeFile) {
  std::optional<LoadPlan> plan =
      Plan(GuileLike(), Geometry(k4K, k4K), PlanOptions());
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->maps.size(), 2u);
  EXPECT_EQ(plan->maps[0].protection, Protection::kRead);
  EXPECT_EQ(plan->maps[1].offset, 0x80000u);
  EXPECT_EQ(plan->maps[1].file_offset, 0x80000u);
  EXPECT_EQ(plan->maps[1].protection, Protection::kReadWrite);
  EXPECT_TRUE(plan->writable_during_load.empty());
}

TEST(LoadPlanTest, CompactLayoutMapsFromRoundedFileOffsets) {
  // binutils' arm64 shape: RW's bytes follow R's on disk, 64 KiB later in
  // memory.
  ElfImage image = Image({Load(0, kR, 0, 0, 0x1234, 0x1234),
                          Load(1, kRW, 0x1234, 0x11234, 0x100, 0x100)},
                         0x2000);
  for (uint64_t page : {k4K, uint64_t{16384}, k64K}) {
    std::optional<LoadPlan> plan =
        Plan(image, Geometry(page, page), WholeFile());
    ASSERT_TRUE(plan.has_value()) << page;
    ASSERT_EQ(plan->maps.size(), 2u);
    EXPECT_EQ(plan->maps[1].offset, 0x11234 & ~(page - 1));
    EXPECT_EQ(plan->maps[1].file_offset, 0x1234 & ~(page - 1));
    EXPECT_EQ(plan->maps[1].offset - plan->maps[1].file_offset, 0x10000u);
  }
}

TEST(LoadPlanTest, ZeroFillsTheTailOfTheLastFilePageAndMapsTheRest) {
  ElfImage image = Image({Load(0, kR, 0, 0, 0x1000, 0x1000),
                          Load(1, kRW, 0x10000, 0x10000, 0x1800, 0x5000)},
                         0x20000);
  std::optional<LoadPlan> plan =
      Plan(image, Geometry(k4K, k4K), PlanOptions());
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->zero_fills.size(), 1u);
  EXPECT_EQ(plan->zero_fills[0].offset, 0x11800u);
  EXPECT_EQ(plan->zero_fills[0].length, 0x800u);
  ASSERT_EQ(plan->maps.size(), 3u);
  EXPECT_FALSE(plan->maps[2].from_file);
  EXPECT_EQ(plan->maps[2].offset, 0x12000u);
  EXPECT_EQ(plan->maps[2].length, 0x3000u);
}

TEST(LoadPlanTest, HeapGeometryNeedsNoZeroFillOrRounding) {
  ElfImage image = Image({Load(0, kR, 0, 0, 0x1000, 0x1000),
                          Load(1, kRW, 0x10000, 0x10000, 0x1800, 0x5000)},
                         0x20000);
  std::optional<LoadPlan> plan =
      Plan(image, Geometry(1, 1), PlanOptions());
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->zero_fills.empty());
  ASSERT_EQ(plan->maps.size(), 3u);
  EXPECT_EQ(plan->maps[1].length, 0x1800u);  // Exactly p_filesz is read.
  EXPECT_EQ(plan->maps[2].offset, 0x11800u);
  EXPECT_EQ(plan->maps[2].length, 0x3800u);
}

TEST(LoadPlanTest, ReadOnlySegmentWithZeroTailIsWritableOnlyDuringLoad) {
  ElfImage image = Image({Load(0, kR, 0, 0, 0x800, 0x1000)}, 0x2000);
  std::optional<LoadPlan> plan =
      Plan(image, Geometry(k4K, k4K), PlanOptions());
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->maps.size(), 1u);
  EXPECT_EQ(plan->maps[0].protection, Protection::kReadWrite);
  ASSERT_EQ(plan->final_protections.size(), 1u);
  EXPECT_EQ(plan->final_protections[0].protection, Protection::kRead);
}

TEST(LoadPlanTest, ExecutableOnlyWhenAllowed) {
  ElfImage image = Image({Load(0, kRX, 0, 0, 0x1000, 0x1000)}, 0x1000);
  std::optional<LoadPlan> plan =
      Plan(image, Geometry(k4K, k4K), PlanOptions());
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->final_protections.empty());  // Stays R.
  PlanOptions allow;
  allow.allow_execute = true;
  plan = Plan(image, Geometry(k4K, k4K), allow);
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->final_protections.size(), 1u);
  EXPECT_EQ(plan->final_protections[0].protection, Protection::kReadExecute);
}

TEST(LoadPlanTest, RelroPagesBecomeReadOnlyAfterRelocation) {
  ElfImage image = GuileLike();
  image.segments.push_back(
      {2, elf::kPtGnuRelro, kR, 0x80000, 0x80000, 0x2800, 0x2800, 1});
  std::optional<LoadPlan> plan =
      Plan(image, Geometry(k4K, k4K), WholeFile());
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->final_protections.size(), 1u);
  EXPECT_EQ(plan->final_protections[0].offset, 0x80000u);
  EXPECT_EQ(plan->final_protections[0].length, 0x2000u);  // Whole pages.
  EXPECT_EQ(plan->final_protections[0].protection, Protection::kRead);
}

TEST(LoadPlanTest, RefusesPagesLargerThanTheAlignment) {
  const Refusal r = Refused(GuileLike(), Geometry(k256K, k256K), WholeFile());
  EXPECT_EQ(r.kind, Refusal::Kind::kUnitDoesNotDivideAlign);
  EXPECT_EQ(r.program_headers, std::vector<int>{0});
  EXPECT_EQ(r.unit, Unit::kPage);
  EXPECT_EQ(r.unit_bytes, k256K);
  EXPECT_EQ(r.value, k64K);
  EXPECT_EQ(r.Message(),
            "page size 256 KiB does not divide p_align 64 KiB of program "
            "header 0");
}

TEST(LoadPlanTest, RefusesAGranularityLargerThanTheAlignment) {
  ElfImage image = Image({Load(0, kR, 0, 0, 0x1000, 0x1000, k4K),
                          Load(1, kRW, 0x1000, 0x1000, 0x100, 0x100, k4K)},
                         0x2000);
  const Refusal r = Refused(image, Geometry(k4K, k64K), WholeFile());
  EXPECT_EQ(r.kind, Refusal::Kind::kUnitDoesNotDivideAlign);
  EXPECT_EQ(r.unit, Unit::kAllocationGranularity);
  EXPECT_EQ(r.unit_bytes, k64K);
  EXPECT_EQ(r.value, k4K);
  EXPECT_EQ(r.Message(),
            "allocation granularity 64 KiB does not divide p_align 4 KiB of "
            "program header 0");
  EXPECT_TRUE(Plan(image, Geometry(k4K, k4K), WholeFile()).has_value());
}

TEST(LoadPlanTest, RefusesZeroMemoryOffTheGranularity) {
  // Windows: 4 KiB pages, but zero-filled memory is a placement and must
  // start on 64 KiB.
  ElfImage image = Image({Load(0, kR, 0, 0, 0x1000, 0x1000),
                          Load(1, kRW, 0x10000, 0x10000, 0x1800, 0x5000)},
                         0x20000);
  const Refusal r = Refused(image, Geometry(k4K, k64K), PlanOptions());
  EXPECT_EQ(r.kind, Refusal::Kind::kZeroFillOffUnit);
  EXPECT_EQ(r.program_headers, std::vector<int>{1});
  EXPECT_EQ(r.value, 0x12000u);
  EXPECT_EQ(r.Message(),
            "the zero-filled part of program header 1 starts at 0x12000, not "
            "on the 64 KiB allocation granularity");
}

TEST(LoadPlanTest, RefusesSegmentsSharingAPage) {
  ElfImage image = Image({Load(0, kR, 0, 0, 0x1800, 0x1800, k4K),
                          Load(1, kRW, 0x1800, 0x1800, 0x100, 0x100, k4K)},
                         0x2000);
  for (bool whole_file : {true, false}) {
    PlanOptions options;
    options.map_whole_file = whole_file;
    const Refusal r = Refused(image, Geometry(k4K, k4K), options);
    EXPECT_EQ(r.kind, Refusal::Kind::kSegmentsShareUnit);
    EXPECT_EQ(r.program_headers, (std::vector<int>{0, 1}));
    EXPECT_EQ(r.value, 0x1000u);
    EXPECT_EQ(r.Message(),
              "program headers 0 and 1 share the 4 KiB page at 0x1000");
  }
  EXPECT_TRUE(Plan(image, Geometry(1, 1), PlanOptions()).has_value());
}

TEST(LoadPlanTest, RefusesImagesOverTheSizeLimit) {
  ElfImage image = Image({Load(0, kRW, 0, 0, 0x1000, uint64_t{1} << 40)},
                         0x1000);
  absl::StatusOr<PlanOrRefusal> plan =
      PlanLoad(image, Geometry(k4K, k4K), PlanOptions());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  // The caller names the file.
  EXPECT_EQ(plan.status().message(),
            "the PT_LOAD segments span 0x10000000000 bytes, more than the "
            "limit of 1 GiB (LoadOptions::max_image_size)");
}

}  // namespace
}  // namespace granule
