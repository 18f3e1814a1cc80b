// SPDX-License-Identifier: Apache-2.0
// Relative relocations in every table format and ELF variant, and every way
// a table can be wrong.
#include "loader/relocator.h"

#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/elf/relocation_types.h"
#include "loader/loaded_image.h"
#include "platform/memory/simulated_backend.h"
#include "platform/status_macros.h"
#include "testing/raw_elf.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::granule::testing::kAddends;
using ::granule::testing::kRelocationTable;
using ::granule::testing::RawElf;
using ::granule::testing::RawRelocations;
using ::granule::testing::RelocatedImage;
using ::granule::testing::TwoSegmentImage;
using ::testing::HasSubstr;

constexpr uint64_t kBase = 0x40000000;  // Fits ELF32 words.

absl::StatusOr<std::unique_ptr<LoadedImage>> LoadBytes(
    const RawElf& elf, const LoadOptions& options) {
  GRANULE_ASSIGN_OR_RETURN(
      std::string path, granule::testing::WriteTempFile("reloc", elf.Encode()));
  return LoadImage(path, options);
}

uint64_t WordAt(const LoadedImage& image, uint64_t address) {
  const ElfVariant v = image.elf().variant;
  return LoadUnsigned(image.Pointer(address, v.word_size()), v.word_size(),
                      v.big_endian);
}

LoadOptions AtBase(uint64_t base, LoadOptions::PathChoice path) {
  LoadOptions options;
  options.relocation_base = base;
  options.path = path;
  return options;
}

class RelocationFormatTest
    : public ::testing::TestWithParam<std::tuple<ElfVariant, RawRelocations>> {
 protected:
  ElfVariant variant() const { return std::get<0>(GetParam()); }
  RawRelocations format() const { return std::get<1>(GetParam()); }
};

TEST_P(RelocationFormatTest, BothPathsWriteBasePlusAddend) {
  const RawElf elf =
      RelocatedImage(variant(), format(), elf::kMachineNone, kGranuleRelative);
  const int w = variant().word_size();
  for (auto path :
       {LoadOptions::PathChoice::kShared, LoadOptions::PathChoice::kMalloc}) {
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadBytes(elf, AtBase(kBase, path));
    ASSERT_TRUE(image.ok()) << image.status();
    EXPECT_EQ((*image)->relocations_applied(), 2u);
    EXPECT_EQ(WordAt(**image, 0x10000), kBase + kAddends[0]);
    EXPECT_EQ(WordAt(**image, 0x10000 + w), kBase + kAddends[1]);
    EXPECT_EQ(WordAt(**image, 0x10000 + 2 * w), 0u);  // Untouched.
  }
}

TEST_P(RelocationFormatTest, RealBaseIsTheDefault) {
  if (!variant().is64 && sizeof(uintptr_t) > 4) {
    GTEST_SKIP() << "ELF32 words cannot hold this 64-bit host's addresses; "
                    "see the next test";
  }
  const RawElf elf =
      RelocatedImage(variant(), format(), elf::kMachineNone, kGranuleRelative);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadBytes(elf, {});
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(WordAt(**image, 0x10000), (*image)->base() + kAddends[0]);
}

TEST_P(RelocationFormatTest, Elf32ValuesMustFitAWord) {
  if (variant().is64) GTEST_SKIP();
  const RawElf elf =
      RelocatedImage(variant(), format(), elf::kMachineNone, kGranuleRelative);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadBytes(elf, AtBase(uint64_t{1} << 32, LoadOptions::PathChoice::kAuto));
  EXPECT_THAT(image.status().message(),
              HasSubstr("at r_offset 0x10000: relocated value 0x100000100 "
                        "does not fit an ELF32 word (relocation base "
                        "0x100000000)"));
}

// `granule check`'s dry run accepts what loads, in every variant and table.
TEST_P(RelocationFormatTest, CheckRelocationsAcceptsAValidTable) {
  const RawElf elf =
      RelocatedImage(variant(), format(), elf::kMachineNone, kGranuleRelative);
  absl::StatusOr<std::string> path =
      granule::testing::WriteTempFile("reloc", elf.Encode());
  ASSERT_TRUE(path.ok()) << path.status();
  absl::StatusOr<File> file = File::OpenForReading(*path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ElfImage> image = ReadElfImage(*file);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE(CheckRelocations(*file, *image).ok())
      << CheckRelocations(*file, *image);
}

std::string TestName(const std::tuple<ElfVariant, RawRelocations>& param) {
  static const char* const kFormats[] = {"Rela", "Rel", "Relr"};
  const ElfVariant v = std::get<0>(param);
  return std::string(v.is64 ? "Elf64" : "Elf32") +
         (v.big_endian ? "Big" : "Little") +
         kFormats[static_cast<int>(std::get<1>(param))];
}

INSTANTIATE_TEST_SUITE_P(
    AllVariantsAndTables, RelocationFormatTest,
    ::testing::Combine(::testing::ValuesIn(kAllVariants),
                       ::testing::Values(RawRelocations::kRela,
                                         RawRelocations::kRel,
                                         RawRelocations::kRelr)),
    [](const auto& info) { return TestName(info.param); });

TEST(RelocatorTest, MachineRelativeTypesApply) {
  const struct {
    ElfVariant variant;
    uint16_t machine;
    uint32_t type;
  } cases[] = {
      {{true, false}, elf::kMachineX86_64, 8},
      {{true, false}, elf::kMachineAarch64, 1027},
      {{true, true}, elf::kMachinePpc64, 22},
      {{true, true}, elf::kMachineS390, 12},
      {{false, false}, elf::kMachineArm, 23},
      {{false, false}, elf::kMachine386, 8},
      {{true, false}, elf::kMachineRiscv, 3},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RelativeRelocationType(c.machine), c.type) << c.machine;
    const RawElf elf =
        RelocatedImage(c.variant, RawRelocations::kRela, c.machine, c.type);
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadBytes(elf, AtBase(kBase, LoadOptions::PathChoice::kAuto));
    ASSERT_TRUE(image.ok()) << MachineName(c.machine) << image.status();
    EXPECT_EQ(WordAt(**image, 0x10000), kBase + kAddends[0]);
  }
}

// Loads a RELA image after `mutate` and returns the error text.
std::string RelaError(const std::function<void(RawElf&)>& mutate,
                      uint16_t machine = elf::kMachineX86_64,
                      uint32_t type = 8) {
  RawElf elf =
      RelocatedImage({true, false}, RawRelocations::kRela, machine, type);
  mutate(elf);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadBytes(elf, {});
  if (image.ok()) return "load succeeded";
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(image.status().message());
}

TEST(RelocatorTest, RejectsPlacesOutsideWritableSegments) {
  EXPECT_THAT(RelaError([](RawElf& e) { e.PutWord(kRelocationTable, 0x100); }),
              HasSubstr("DT_RELA entry 0 at 0x100 (8 bytes) is in program "
                        "header 0, which is R, not writable"));
  EXPECT_THAT(
      RelaError([](RawElf& e) { e.PutWord(kRelocationTable, 0x20000); }),
      HasSubstr("DT_RELA entry 0 at 0x20000 (8 bytes) is not inside any "
                "PT_LOAD segment"));
  // A word straddling the end of the RW segment.
  EXPECT_THAT(
      RelaError([](RawElf& e) { e.PutWord(kRelocationTable + 24, 0x10ffc); }),
      HasSubstr("DT_RELA entry 1 at 0x10ffc (8 bytes) is not inside"));
}

TEST(RelocatorTest, RejectsOtherRelocationTypes) {
  EXPECT_THAT(RelaError([](RawElf&) {}, elf::kMachineX86_64, 1),
              HasSubstr("DT_RELA entry 0: type 1, symbol 0 at r_offset "
                        "0x10000 is not a relative relocation for x86-64"));
  EXPECT_THAT(RelaError([](RawElf& e) {
                e.PutWord(kRelocationTable + 8, (uint64_t{5} << 32) | 8);
              }),
              HasSubstr("type 8, symbol 5"));
  EXPECT_THAT(RelaError([](RawElf&) {}, elf::kMachineMips, 3),
              HasSubstr("is not a relative relocation for MIPS"));
}

TEST(RelocatorTest, SkipsNoneRelocations) {
  RawElf elf = RelocatedImage({true, false}, RawRelocations::kRela,
                              elf::kMachineX86_64, 8);
  elf.PutWord(kRelocationTable + 8, 0);  // R_X86_64_NONE.
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadBytes(elf, AtBase(kBase, LoadOptions::PathChoice::kAuto));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ((*image)->relocations_applied(), 1u);
  EXPECT_EQ(WordAt(**image, 0x10000), 0u);
}

// Rewrites the value of the first dynamic entry with `tag`.
void SetDynamic(RawElf& elf, int64_t tag, uint64_t value) {
  for (uint64_t at = 0x800;; at += 16) {
    const uint64_t t = LoadUnsigned(elf.body.data() + at, 8, false);
    if (t == 0) break;
    if (static_cast<int64_t>(t) == tag) elf.PutWord(at + 8, value);
  }
}

TEST(RelocatorTest, RejectsBadTables) {
  EXPECT_THAT(RelaError([](RawElf& e) { SetDynamic(e, elf::kDtRelaent, 16); }),
              HasSubstr("DT_RELAENT 16 is not 24 for ELF64 little-endian"));
  EXPECT_THAT(RelaError([](RawElf& e) { SetDynamic(e, elf::kDtRelasz, 40); }),
              HasSubstr("DT_RELASZ 0x28 is not a multiple of the entry size "
                        "24"));
  EXPECT_THAT(
      RelaError([](RawElf& e) { SetDynamic(e, elf::kDtRela, 0x30000); }),
      HasSubstr("DT_RELA table at 0x30000 (48 bytes) is not inside any "
                "PT_LOAD segment"));
  EXPECT_THAT(RelaError([](RawElf& e) {
                e.PutWord(0x810, elf::kDtGuileEntry);  // Was DT_RELASZ.
              }),
              HasSubstr("DT_RELA and DT_RELASZ must come together"));
}

TEST(RelocatorTest, RejectsARelrBitmapBeforeAnAddress) {
  RawElf elf = RelocatedImage({true, false}, RawRelocations::kRelr,
                              elf::kMachineNone, kGranuleRelative);
  elf.PutWord(kRelocationTable, 0b101);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadBytes(elf, {});
  EXPECT_THAT(image.status().message(),
              HasSubstr("DT_RELR entry 0: a bitmap 0x5 before any address"));
}

TEST(RelocatorTest, RelrBitmapsCoverTheFollowingWords) {
  // Address 0x10000, then a bitmap whose bits 2 and 62 stand for the words
  // at 0x10008 + 8 * (2 - 1) and 0x10008 + 8 * (62 - 1).
  RawElf elf = RelocatedImage({true, false}, RawRelocations::kRelr,
                              elf::kMachineNone, kGranuleRelative);
  elf.PutWord(kRelocationTable + 8,
              1 | (uint64_t{1} << 2) | (uint64_t{1} << 62));
  elf.PutWord(0x10008, 0);
  elf.PutWord(0x10000 + 8 * 2, 7);
  elf.PutWord(0x10000 + 8 * 62, 9);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image =
      LoadBytes(elf, AtBase(kBase, LoadOptions::PathChoice::kAuto));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ((*image)->relocations_applied(), 3u);
  EXPECT_EQ(WordAt(**image, 0x10000), kBase + kAddends[0]);
  EXPECT_EQ(WordAt(**image, 0x10000 + 8 * 2), kBase + 7);
  EXPECT_EQ(WordAt(**image, 0x10000 + 8 * 62), kBase + 9);
  EXPECT_EQ(WordAt(**image, 0x10008), 0u);  // Bit 1 is clear.
}

// TwoSegmentImage plus a second RW PT_LOAD at 0x20000, with RELA entries for
// `places`, each getting addend 0x10 * (its index + 1).
RawElf TwoWritableSegmentsImage(ElfVariant variant,
                                const std::vector<uint64_t>& places) {
  std::vector<int64_t> addends;
  for (size_t i = 0; i < places.size(); ++i) addends.push_back(0x10 * (i + 1));
  RawElf probe;
  probe.variant = variant;
  const uint64_t size = probe.PutRela(0, places, kGranuleRelative, addends);
  RawElf elf = TwoSegmentImage(variant, {{elf::kDtRela, kRelocationTable},
                                         {elf::kDtRelasz, size},
                                         {elf::kDtGuileEntry, 0x100}});
  elf.segments.insert(elf.segments.begin() + 2,
                      {0, elf::kPtLoad, elf::kPfR | elf::kPfW, 0x20000, 0x20000,
                       0x1000, 0x1000, 0x10000});
  elf.body.resize(0x21000);
  elf.PutRela(kRelocationTable, places, kGranuleRelative, addends);
  return elf;
}

// The relocator tries each place first against the segment of the one
// before: places that jump between segments, and back, still all apply.
TEST(RelocatorTest, PlacesAlternatingBetweenSegmentsAndUnsorted) {
  for (const ElfVariant variant : kAllVariants) {
    const uint64_t w = variant.word_size();
    const std::vector<uint64_t> places = {
        0x10000,     0x20000,         0x10000 + w,    0x20000 + w,
        0x11000 - w, 0x10000 + 2 * w, 0x20000 + 3 * w};
    absl::StatusOr<std::unique_ptr<LoadedImage>> image =
        LoadBytes(TwoWritableSegmentsImage(variant, places),
                  AtBase(kBase, LoadOptions::PathChoice::kAuto));
    ASSERT_TRUE(image.ok()) << variant.ToString() << image.status();
    EXPECT_EQ((*image)->relocations_applied(), places.size());
    for (size_t i = 0; i < places.size(); ++i) {
      EXPECT_EQ(WordAt(**image, places[i]), kBase + 0x10 * (i + 1))
          << variant.ToString() << " place 0x" << std::hex << places[i];
    }
  }
}

// A bad place right after good ones in the same segment gets the same error
// as a bad first place.
TEST(RelocatorTest, RejectsABadPlaceAfterGoodOnes) {
  EXPECT_THAT(
      RelaError([](RawElf& e) { e.PutWord(kRelocationTable + 24, 0x100); }),
      HasSubstr("DT_RELA entry 1 at 0x100 (8 bytes) is in program header 0, "
                "which is R, not writable"));
  EXPECT_THAT(
      RelaError([](RawElf& e) { e.PutWord(kRelocationTable + 24, 0x20000); }),
      HasSubstr("DT_RELA entry 1 at 0x20000 (8 bytes) is not inside any "
                "PT_LOAD segment"));
  // RELR: an address at the segment's last word, then a bitmap bit for the
  // word past its end.
  RawElf relr = RelocatedImage({true, false}, RawRelocations::kRelr,
                               elf::kMachineNone, kGranuleRelative);
  relr.PutWord(kRelocationTable, 0x10ff8);
  absl::StatusOr<std::unique_ptr<LoadedImage>> image = LoadBytes(relr, {});
  EXPECT_THAT(image.status().message(),
              HasSubstr("DT_RELR entry 1 at 0x11000 (8 bytes) is not inside "
                        "any PT_LOAD segment"));
}

// The first value fits an ELF32 word, the second does not: the error names
// the second entry, whichever table holds it.
TEST(RelocatorTest, Elf32ValueOverflowAfterAGoodEntry) {
  const uint64_t base = 0xfffffe80;  // + 0x100 fits; + 0x200 does not.
  const struct {
    RawRelocations format;
    const char* name;
  } tables[] = {{RawRelocations::kRela, "DT_RELA"},
                {RawRelocations::kRel, "DT_REL"},
                {RawRelocations::kRelr, "DT_RELR"}};
  for (const auto& table : tables) {
    for (const ElfVariant variant :
         {ElfVariant{false, false}, ElfVariant{false, true}}) {
      const RawElf elf = RelocatedImage(variant, table.format,
                                        elf::kMachineNone, kGranuleRelative);
      absl::StatusOr<std::unique_ptr<LoadedImage>> image =
          LoadBytes(elf, AtBase(base, LoadOptions::PathChoice::kAuto));
      EXPECT_THAT(image.status().message(),
                  HasSubstr(std::string(table.name) +
                            " entry 1 at r_offset 0x10004: relocated value "
                            "0x100000080 does not fit an ELF32 word "
                            "(relocation base 0xfffffe80)"))
          << variant.ToString();
    }
  }
}

}  // namespace
}  // namespace granule
