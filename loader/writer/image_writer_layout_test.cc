// SPDX-License-Identifier: Apache-2.0
// The writer's layouts on disk and in memory, RELR encoding, machines, and
// WriteImage's failures, for every variant. Checked with readelf and stat.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/writer/image_writer.h"
#include "loader/writer/image_writer_test_util.h"
#include "testing/host_probes.h"
#include "testing/temp_file.h"

namespace granule {
namespace {

using ::granule::testing::ReadelfDynamic;
using ::granule::testing::ReadelfRelocation;
using ::granule::testing::ReadelfReport;
using ::granule::testing::ReadelfSection;
using ::granule::testing::ReadelfSegment;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint64_t k64K = 0x10000;

// Sections of a few pages each, so 1:1 padding and compact packing differ.
ImageSpec PagesSpec(ElfVariant variant, Layout layout) {
  ImageSpec spec;
  spec.variant = variant;
  spec.machine = elf::kMachineX86_64;
  spec.layout = layout;
  spec.sections = {
      {".rodata", SectionAccess::kRead, 8, testing::PatternBytes(5000, 1)},
      {".text", SectionAccess::kReadExecute, 16,
       testing::PatternBytes(7000, 2)},
      {".data", SectionAccess::kReadWrite, 8, testing::PatternBytes(3000, 3)},
      {".bss", SectionAccess::kReadWrite, 8, {}, 20000},
  };
  spec.relocations = {{{".data", 8}, {".text", 0}}};
  return spec;
}

std::vector<ReadelfSegment> Loads(const ReadelfReport& elf) {
  std::vector<ReadelfSegment> loads;
  for (const ReadelfSegment& p : elf.segments) {
    if (p.type == gabi::kPtLoad) loads.push_back(p);
  }
  return loads;
}

class ImageWriterLayoutTest : public ::testing::TestWithParam<ElfVariant> {
 protected:
  int word() const { return GetParam().is64 ? 8 : 4; }
};

TEST_P(ImageWriterLayoutTest, OneToOneGapsAreHolesOnDiskAndZerosInFlatten) {
  const ImageSpec spec = PagesSpec(GetParam(), Layout::kOneToOne);
  const std::string path = testing::TempPath("one_to_one");
  ASSERT_TRUE(WriteImage(spec, path).ok());
  const ReadelfReport elf = ReadelfOrFail(path);
  const std::vector<ReadelfSegment> loads = Loads(elf);
  ASSERT_EQ(loads.size(), 3u);
  for (const ReadelfSegment& p : loads) {
    EXPECT_EQ(p.offset, p.vaddr);
    EXPECT_EQ(p.offset % k64K, 0u);
  }
  EXPECT_EQ(loads[1].offset, k64K);
  EXPECT_EQ(loads[2].offset, 2 * k64K);

  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_GT(uint64_t(st.st_size), 2 * k64K);
  // About 16 KiB of data in three runs; the 100+ KiB of padding between
  // segments must not be allocated, where the filesystem keeps holes.
  const absl::StatusOr<testing::FileStorage> storage =
      testing::ProbeFileStorage(std::filesystem::path(path).parent_path());
  ASSERT_TRUE(storage.ok()) << storage.status();
  RecordProperty("filesystem_keeps_holes", storage->keeps_holes ? "yes" : "no");
  const uint64_t data_bound =
      std::max<uint64_t>(uint64_t{48} << 10, 3 * storage->allocation_unit);
  if (storage->keeps_holes && data_bound < uint64_t(st.st_size)) {
    EXPECT_LT(uint64_t(st.st_blocks) * 512, data_bound);
  } else {
    std::printf(
        "not checked: the filesystem under %s keeps no holes a "
        "%llu-byte file could show (allocation unit %llu bytes)\n",
        path.c_str(), static_cast<unsigned long long>(st.st_size),
        static_cast<unsigned long long>(storage->allocation_unit));
  }

  absl::StatusOr<ImageBytes> image = BuildImage(spec);
  ASSERT_TRUE(image.ok());
  const std::vector<uint8_t> flat = image->Flatten();
  EXPECT_EQ(flat, ReadFile(path));
  for (size_t i = 0; i + 1 < loads.size(); ++i) {
    const uint64_t gap_start = loads[i].offset + loads[i].filesz;
    EXPECT_TRUE(std::all_of(flat.begin() + gap_start,
                            flat.begin() + loads[i + 1].offset,
                            [](uint8_t b) { return b == 0; }));
    // And no extent covers the gap.
    for (const ImageBytes::Extent& e : image->extents) {
      EXPECT_TRUE(e.offset + e.bytes.size() <= gap_start ||
                  e.offset >= loads[i + 1].offset)
          << "extent at " << e.offset;
    }
  }
}

TEST_P(ImageWriterLayoutTest, CompactPacksTheFileAndKeepsOffsetsCongruent) {
  ImageSpec spec = PagesSpec(GetParam(), Layout::kCompact);
  spec.sections.push_back(
      {".text.aligned", SectionAccess::kReadExecute, 4096, {1, 2, 3}});
  const std::string path = testing::TempPath("compact");
  ASSERT_TRUE(WriteImage(spec, path).ok());
  const ReadelfReport elf = ReadelfOrFail(path);
  const std::vector<ReadelfSegment> loads = Loads(elf);
  ASSERT_EQ(loads.size(), 3u);
  uint64_t memory_end = 0;
  for (size_t i = 0; i < loads.size(); ++i) {
    const ReadelfSegment& p = loads[i];
    EXPECT_EQ(p.vaddr % k64K, p.offset % k64K) << i;
    // Each segment's memory starts in a 64 KiB block of its own.
    EXPECT_GE(p.vaddr / k64K * k64K, memory_end) << i;
    memory_end = p.vaddr + p.memsz;
    if (i > 0) {
      // On disk, only the padding to the segment's largest section alignment.
      const uint64_t file_end = loads[i - 1].offset + loads[i - 1].filesz;
      EXPECT_GE(p.offset, file_end) << i;
      EXPECT_LT(p.offset - file_end, i == 1 ? 4096u : 8u) << i;
    }
  }
  for (const ReadelfSection& s : elf.sections) {
    if (s.align > 1) {
      EXPECT_EQ(s.addr % s.align, 0u) << s.name;
      EXPECT_EQ(s.offset % s.align, 0u) << s.name;
    }
  }
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_LT(uint64_t(st.st_size), 5000u + 4096 + 7000 + 3000 + 4096);
  absl::StatusOr<ImageBytes> image = BuildImage(spec);
  ASSERT_TRUE(image.ok());
  for (size_t i = 1; i < image->extents.size(); ++i) {
    const ImageBytes::Extent& prev = image->extents[i - 1];
    EXPECT_LT(image->extents[i].offset - (prev.offset + prev.bytes.size()),
              4096u);
  }
}

TEST_P(ImageWriterLayoutTest, SegmentAlignmentIsHonored) {
  ImageSpec spec = PagesSpec(GetParam(), Layout::kOneToOne);
  spec.segment_alignment = 4096;
  const std::string path = testing::TempPath("align4k");
  ASSERT_TRUE(WriteImage(spec, path).ok());
  const std::vector<ReadelfSegment> loads = Loads(ReadelfOrFail(path));
  ASSERT_EQ(loads.size(), 3u);
  EXPECT_EQ(loads[1].offset, 0x2000u);  // The headers and 5000 bytes.
  EXPECT_EQ(loads[2].offset, 0x4000u);  // 7000 bytes of text.
  for (const ReadelfSegment& p : loads) EXPECT_EQ(p.align, 4096u);
}

TEST_P(ImageWriterLayoutTest, RelrTableDecodesToTheSortedPlaces) {
  ImageSpec spec = PagesSpec(GetParam(), Layout::kOneToOne);
  spec.relocation_format = RelocationFormat::kRelr;
  spec.sections[2].bytes = testing::PatternBytes(2000 * word());
  // Runs, gaps of one bitmap's reach and beyond, the bitmap's last bit.
  const int words[] = {1999, 0,  1,  2,   5,   30,  31,  32,   62,
                       63,   64, 65, 126, 127, 128, 200, 1000, 1001};
  spec.relocations.clear();
  for (int w : words) {
    spec.relocations.push_back({{".data", uint64_t(w) * word()}, {".text", 0}});
  }
  const std::string path = testing::TempPath("relr");
  ASSERT_TRUE(WriteImage(spec, path).ok());
  const ReadelfReport elf = ReadelfOrFail(path);
  const ReadelfSection* table = nullptr;
  const ReadelfSection* data = nullptr;
  for (const ReadelfSection& s : elf.sections) {
    if (s.name == ".relr.dyn") table = &s;
    if (s.name == ".data") data = &s;
  }
  ASSERT_NE(table, nullptr);
  ASSERT_NE(data, nullptr);
  std::vector<uint64_t> sorted;
  for (int w : words) sorted.push_back(data->addr + uint64_t(w) * word());
  std::sort(sorted.begin(), sorted.end());

  const std::vector<uint8_t> file = ReadFile(path);
  std::vector<uint64_t> entries;
  for (uint64_t at = table->offset; at < table->offset + table->size;
       at += word()) {
    entries.push_back(
        LoadWordForTest(&file[at], word(), GetParam().big_endian));
  }
  EXPECT_THAT(DecodeRelr(entries, word()), ElementsAreArray(sorted));
  EXPECT_THAT(elf.relr_offsets, ElementsAreArray(sorted));
  // Counted by hand. ELF64, 63 words a bitmap: 0, bitmaps for 1-63, 64-126,
  // 127-189, 190-252; 1000, a bitmap; 1999. ELF32, 31 words: 0, bitmaps for
  // 1-31, 32-62, 63-93; 126, a bitmap; 200; 1000, a bitmap; 1999.
  EXPECT_EQ(entries.size(), GetParam().is64 ? 8u : 10u);
  EXPECT_EQ(entries[0], sorted[0]);
}

TEST_P(ImageWriterLayoutTest, RwWithOnlyNobitsHasNoFileBytes) {
  ImageSpec spec;
  spec.variant = GetParam();
  spec.sections = {{".rodata", SectionAccess::kRead, 8, {1, 2, 3}},
                   {".bss", SectionAccess::kReadWrite, 64, {}, 12345}};
  const std::string path = testing::TempPath("nobits");
  ASSERT_TRUE(WriteImage(spec, path).ok());
  const ReadelfReport elf = ReadelfOrFail(path);
  ASSERT_EQ(elf.segments.size(), 3u);
  const ReadelfSegment& rw = elf.segments[1];
  EXPECT_EQ(rw.type, gabi::kPtLoad);
  EXPECT_EQ(rw.flags, gabi::kPfR | gabi::kPfW);
  EXPECT_EQ(rw.vaddr, k64K);
  EXPECT_EQ(rw.filesz, 0u);
  EXPECT_EQ(rw.memsz, 12345u);
  EXPECT_EQ(elf.segments[2].type, gabi::kPtDynamic);
  EXPECT_EQ(elf.sections[2].name, ".bss");
  EXPECT_EQ(elf.sections[2].type, "NOBITS");
  EXPECT_EQ(elf.sections[2].addr, k64K);
}

TEST_P(ImageWriterLayoutTest, NoRelocationsMeansNoTableAndNoEntries) {
  ImageSpec spec;
  spec.variant = GetParam();
  spec.sections = {{".rodata", SectionAccess::kRead, 8, {1, 2, 3}}};
  spec.dynamic = {{elf::kDtGuileVmVersion, 0x0300, "", 0}};
  const std::string path = testing::TempPath("norel");
  ASSERT_TRUE(WriteImage(spec, path).ok());
  const ReadelfReport elf = ReadelfOrFail(path);
  EXPECT_THAT(elf.output, HasSubstr("There are no relocations in this file."));
  EXPECT_TRUE(elf.relocation_sections.empty());
  std::vector<std::string> names;
  for (const ReadelfSection& s : elf.sections) names.push_back(s.name);
  EXPECT_THAT(names, ElementsAre("", ".rodata", ".hash", ".dynsym", ".dynstr",
                                 ".dynamic", ".shstrtab"));
  ASSERT_EQ(elf.dynamic.size(), 7u);  // The spec's, the symbol table's, NULL.
  EXPECT_EQ(elf.dynamic[0], (ReadelfDynamic{elf::kDtGuileVmVersion, 0x300}));
  EXPECT_EQ(elf.dynamic[1].tag, elf::kDtHash);
  EXPECT_EQ(elf.dynamic[6], (ReadelfDynamic{0, 0}));
  ASSERT_EQ(elf.segments.size(), 2u);  // R and DYNAMIC.
}

TEST_P(ImageWriterLayoutTest, WriteImageIntoMissingDirectoryLeavesNothing) {
  const std::string dir = testing::TempPath("missing");
  const std::string path = dir + "/image.go";
  absl::Status status =
      WriteImage(PagesSpec(GetParam(), Layout::kOneToOne), path);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), StartsWith(path + ": "));
  EXPECT_THAT(status.message(), HasSubstr("mkostemp"));
  struct stat st;
  EXPECT_NE(stat(dir.c_str(), &st), 0);
}

TEST_P(ImageWriterLayoutTest, InvalidSpecWritesNothing) {
  ImageSpec spec = PagesSpec(GetParam(), Layout::kOneToOne);
  spec.sections[0].alignment = 3;
  const std::string path = testing::TempPath("invalid");
  absl::Status status = WriteImage(spec, path);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith(path + ": section '.rodata'"));
  struct stat st;
  EXPECT_NE(stat(path.c_str(), &st), 0);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, ImageWriterLayoutTest,
                         ::testing::ValuesIn(kAllVariants),
                         [](const ::testing::TestParamInfo<ElfVariant>& info) {
                           return absl::StrFormat(
                               "Elf%d%s", info.param.is64 ? 64 : 32,
                               info.param.big_endian ? "BE" : "LE");
                         });

struct MachineCase {
  uint16_t machine;
  ElfVariant variant;
  const char* readelf_type;  // How readelf names the relative type.
  uint32_t type;
};

class ImageWriterMachineTest : public ::testing::TestWithParam<MachineCase> {};

TEST_P(ImageWriterMachineTest, RelativeTypeReadelfKnows) {
  const MachineCase& c = GetParam();
  ImageSpec spec = PagesSpec(c.variant, Layout::kOneToOne);
  spec.machine = c.machine;
  spec.relocations.push_back({{".data", 16}, {".rodata", 8}});
  const std::string path = testing::TempPath("machine");
  ASSERT_TRUE(WriteImage(spec, path).ok());
  const ReadelfReport elf = ReadelfOrFail(path);
  ASSERT_EQ(elf.relocations.size(), 2u);
  for (const ReadelfRelocation& r : elf.relocations) {
    EXPECT_EQ(r.type, c.readelf_type);
    EXPECT_EQ(r.info, c.type);  // Symbol 0.
  }
  EXPECT_EQ(elf.relocations[1].offset, 2 * k64K + 16);
  // .rodata follows the ELF header and four program headers, 8-aligned.
  EXPECT_EQ(elf.relocations[1].addend, (c.variant.is64 ? 0x120u : 0xb8u) + 8);
}

// EM_NONE's type is granule's own; readelf prints it as unrecognized.
INSTANTIATE_TEST_SUITE_P(
    Machines, ImageWriterMachineTest,
    ::testing::Values(
        MachineCase{elf::kMachineNone, {true, false}, "unrecognized:", 1},
        MachineCase{elf::kMachineNone, {false, true}, "unrecognized:", 1},
        MachineCase{elf::kMachineX86_64, {true, false}, "R_X86_64_RELATIVE", 8},
        MachineCase{elf::kMachine386, {false, false}, "R_386_RELATIVE", 8},
        MachineCase{
            elf::kMachineAarch64, {true, false}, "R_AARCH64_RELATIVE", 1027},
        MachineCase{elf::kMachineArm, {false, false}, "R_ARM_RELATIVE", 23},
        MachineCase{elf::kMachinePpc64, {true, true}, "R_PPC64_RELATIVE", 22},
        MachineCase{elf::kMachinePpc, {false, true}, "R_PPC_RELATIVE", 22},
        MachineCase{elf::kMachineS390, {true, true}, "R_390_RELATIVE", 12},
        MachineCase{elf::kMachineRiscv, {true, false}, "R_RISCV_RELATIVE", 3},
        MachineCase{
            elf::kMachineLoongArch, {true, false}, "R_LARCH_RELATIVE", 3}));

}  // namespace
}  // namespace granule
